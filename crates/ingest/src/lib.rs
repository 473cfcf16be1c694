//! # dispatch-ingest
//!
//! Turns the charters table's change feed into work, and work into done work, once.
//!
//! - [`route`]: change records → domain events (pure).
//! - [`sink`]: where events go: jobs on the `cascade` queue (enqueued once per key), or a recording
//!   list in tests.
//! - [`consumer`]: the long-running stream consumer — one task per leased shard, leases renewed
//!   on their own clock, checkpoints in the state table, parent-before-child (children from their
//!   trim horizon), iterator expiry, trimmed data, retries that wait for failures that may pass,
//!   `ingest-dlq` only for records that can never succeed, stale lease rows cleaned up.
//! - [`worker`]: the queue worker runtime — long polling, bounded concurrency, visibility extension,
//!   backoff, DLQ with reasons, graceful shutdown, and the one-step `try_process_one`.
//! - [`dlq`]: list, show and replay dead letters without losing any, by their original ids;
//!   the stream Lambda's on-failure records replayed by re-reading their range.
//! - [`lambda`]: the same logic behind Lambda event source mappings, with partial batch responses.
//! - [`backoff`]: exponential backoff with full jitter.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod backoff;
pub mod consumer;
pub mod dlq;
pub mod lambda;
pub mod route;
pub mod sink;
pub mod worker;
