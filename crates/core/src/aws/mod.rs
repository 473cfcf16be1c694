//! The AWS backend: every port on DynamoDB, DynamoDB Streams and SQS through the official SDK.
//!
//! Configuration is the SDK's standard chain (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL` and
//! the per-service `AWS_ENDPOINT_URL_DYNAMODB`, `_DYNAMODB_STREAMS`, `_SQS`), so the same code runs
//! against AWS and against an emulator on loopback.
//!
//! One module per port, named like the port's module in [`crate::ports`]: `charters`, `roster`,
//! `thread`, `holds`, `offers`, `staffing`, `idempotency` (storage only: the claim rules are the
//! port's), `leases`, `lease_cleanup`, `heartbeats`, `ops_access` (the ops board's sign-in links and
//! sessions), `feed` (DynamoDB Streams: shards, iterators, expiry,
//! trimmed data), `queues` (SQS: batches of 10, long poll with an attempt timeout, redrive) and
//! `admin` (bootstrap and doctor from [`crate::schema`]). What they share, each in its own module:
//!
//! - `client`: [`Aws`], the clients, table names, and the cached queue URLs and stream ARN;
//! - `convert`: items to and from the SDK's attribute values;
//! - `errors`: SDK errors → [`StoreError`], retryable or not by the error's code and HTTP status;
//! - `batch`: batch reads and writes with unprocessed keys retried;
//! - `charter_table`, `state_table`: keys, reads and conditional writes of those two tables;
//! - `roster_check`: the accept's condition on the member's roster item ([`roster_condition`]).

mod admin;
mod batch;
mod charter_table;
mod charters;
mod client;
mod convert;
mod errors;
mod feed;
mod heartbeats;
mod holds;
mod idempotency;
mod index_upgrade;
mod lease_cleanup;
mod leases;
mod offers;
mod ops_access;
mod queues;
mod roster;
mod roster_check;
mod staffing;
mod state_table;
mod thread;
mod unsettled;

pub use client::{connect, https_client, sdk_defaults, Aws};
pub use errors::{describe_error, one_line, NO_CREDENTIALS};
pub use roster_check::roster_condition;
