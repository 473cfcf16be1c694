//! Ports: what the domain needs from storage and queues, in the domain's words.
//!
//! Each trait is implemented twice, by [`crate::aws`] (DynamoDB, DynamoDB Streams, SQS) and by
//! [`crate::local`] (one SQLite file), and both are held to the same contract by the conformance
//! suite in `tests/conformance/`. Domain code holds them as `Arc<dyn Port>` inside a [`Backend`].
//!
//! One module per port trait, each with the types its methods speak; this module only gathers
//! them. `listing` is the shape of a tolerant read, `backend` the bundle of all ports. Adapter
//! modules are named like these (`aws::holds` implements `ports::holds`).

mod admin;
mod backend;
mod charters;
mod feed;
mod heartbeats;
mod holds;
mod idempotency;
mod lease_cleanup;
mod leases;
mod listing;
mod offers;
mod ops_access;
mod queues;
mod roster;
mod staffing;
mod thread;

pub use admin::{Admin, Check, Provisioned};
pub use backend::Backend;
pub use charters::{
    booking_sets_status, captain_rejection, crew_rejection, newest_versions, AssignOutcome,
    AssignRejection, Charters, Inserted, BOOKING_ATTRS,
};
pub use charters::{unsettled_mark, UnsettledCharter};
pub use feed::{sequence_cmp, ChangeFeed, ChangeKind, ChangeRecord, FeedPage, Shard, StartAt};
pub use heartbeats::{part, this_process, Heartbeat, Heartbeats};
pub use holds::{Hold, HoldOutcome, Holds};
pub use idempotency::{
    blocked_outcome, blocks_claim, completable_by, takes_over, ClaimOutcome, Guard, Idempotency,
    IdempotencyClaim, IdempotencyRecord, IdempotencyStatus, IdempotencyStore, Swap,
};
pub use lease_cleanup::LeaseCleanup;
pub use leases::{Lease, Leases, SHARD_END};
pub use listing::Listing;
pub use offers::{OfferOpening, OfferTransition, Offers};
pub use ops_access::{
    ops_link_expiry, ops_link_key, ops_pk, ops_session_key, OpsAccess, OpsLink, OpsSession, SignIn,
};
pub use queues::{queues_max_delay, OutMessage, QueueDepth, QueueId, Queues, Received, MAX_DELAY};
pub use roster::Roster;
pub use staffing::{accept_refusal, accept_rejection, AcceptOutcome, AcceptRequest, Staffing};
pub use thread::Thread;
