//! # dispatch-ingest
//!
//! Turns the charters table's change feed into work, and work into done work, once.
//!
//! - [`route`]: change records → domain events (pure).
//! - [`record`]: what is done with one change record ([`record::RecordHandler`]), and whether its
//!   failure may pass; shared by the consumer, the stream Lambda and DLQ replay.
//! - [`sink`]: where events go: jobs on the `cascade` queue (enqueued once per key), or a recording
//!   list in tests.
//! - [`consumer`]: the long-running stream consumer — one task per leased shard, leases renewed
//!   on their own clock, checkpoints in the state table, parent-before-child (children from their
//!   trim horizon), iterator expiry, trimmed data, retries that wait for failures that may pass,
//!   `ingest-dlq` only for records that can never succeed, stale lease rows cleaned up.
//! - [`worker`]: the queue worker runtime — long polling, bounded concurrency, visibility extension,
//!   backoff, DLQ with reasons, graceful shutdown, and the one-step `try_process_one`.
//! - [`dlq`]: list, show and replay dead letters without losing any, by their original ids;
//!   the stream Lambda's on-failure records replayed by re-reading their range. [`dlq::format`]
//!   is the dead-letter wire format (attributes, original id, stream record body), the one
//!   module the worker, the consumer and the tools share for it.
//! - [`lambda`]: the same logic behind Lambda event source mappings, with partial batch responses.
//!
//! The job contract (`JobHandler`, `JobError`, `Registry`) is `dispatch_core::jobs`; retries
//! follow `dispatch_core::retry::Policy`; time comes from a `dispatch_core::clock::Clock`.
//! Modules import each other in one direction only; each group uses only groups before it:
//! `route`, `sink`, `dlq::format`; then `record`; then `consumer`, `worker`, `dlq`; then `lambda`.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod consumer;
pub mod dlq;
pub mod lambda;
pub mod record;
pub mod route;
pub mod sink;
pub mod worker;
