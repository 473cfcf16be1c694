//! # dispatch-core
//!
//! The spine of crew-dispatch: what the rest of the workspace stands on.
//!
//! - [`domain`]: the domain types, each parsed once at the edge (`CharterId`, `CrewId`, `CharterDate`,
//!   `Month`, `Money`, `EmailAddress`, `Charter`, `CrewMember`, `Offer`, `ThreadEntry`, the job
//!   envelope) and the mapping of charter and roster items to and from DynamoDB items.
//! - [`item`]: DynamoDB items as plain data (`serde_dynamo`'s attribute map, where the SDK's and
//!   Lambda's attribute types meet), with readers that name the record and attribute at fault.
//! - [`ports`]: the traits the domain speaks to — charters, roster, thread, holds, offers,
//!   idempotency, leases, the change feed and the job queues — one module each, bundled in a
//!   [`ports::Backend`]. The idempotency claim rules live with their port; stores only store.
//! - [`aws`]: the ports on DynamoDB, DynamoDB Streams and SQS through the official AWS SDK.
//! - [`local`]: the ports on one SQLite file: tables, a change feed written in the same transaction
//!   as each change, and queues with delay, visibility, receive count and DLQ. Both adapters
//!   have one module per port, named like the port's.
//! - [`faults`]: a decorator failing chosen port calls, for tests of "nothing lost, nothing twice".
//! - [`config`]: the one `Settings` struct (file + `DISPATCH_*` environment), checked at load.
//! - [`zone`]: the business's time zone: times and dates for people, and "today".
//! - [`retry`]: the one retry policy (exponential backoff with jitter, on `backon`).
//! - [`jobs`]: the job contract (`JobHandler`, `JobError`, `Registry`) between handlers and runtime.
//! - [`idempotency`]: `run_once`, exactly-once in effect on top of the idempotency port.
//! - [`schema`], [`records`]: table and queue shapes, and the item layout of state records.
//!
//! Domain logic never calls the AWS SDK directly: the same code runs on AWS, embedded, and in tests.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod aws;
pub mod booking;
pub mod clock;
pub mod config;
pub mod domain;
mod error;
pub mod faults;
pub mod idempotency;
pub mod item;
pub mod jobs;
pub mod local;
pub mod metrics;
pub mod ports;
pub mod private_fs;
pub mod records;
pub mod requests;
pub mod retry;
pub mod schema;
pub mod zone;

pub use config::Settings;
pub use error::StoreError;
pub use ports::Backend;

/// Opens the backend the settings name.
pub async fn open_backend(settings: &Settings) -> Result<Backend, StoreError> {
    match settings.backend {
        config::BackendKind::Local => local::open(settings),
        config::BackendKind::Aws => aws::connect(settings).await,
    }
}
