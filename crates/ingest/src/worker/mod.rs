//! The queue worker: long polling, bounded concurrency, visibility kept alive while a job runs,
//! delete only after success, backoff on failure, poison to the DLQ with its reason, and a
//! graceful shutdown that deletes nothing unfinished.
//!
//! Split by concern, each step usable alone:
//!
//! - `decide`: a message's fate ([`Decision`]) from its job's outcome; no queue calls.
//! - `settle`: acting on a decision: delete, a delayed copy, or a dead letter.
//! - `runtime`: the [`Worker`]: the receive loop, concurrency, visibility, shutdown, and the
//!   one-step [`Worker::try_process_one`] for tests.
//! - `config`: [`WorkerConfig`].
//!
//! Deciding ([`Worker::execute`]) is separate from acting ([`Worker::settle`]), so the same code
//! serves the long-running worker (which deletes and re-sends itself) and the Lambda SQS handler
//! (where Lambda deletes what is not reported failed). The job contract (`JobHandler`,
//! `JobError`, `Registry`) is `dispatch_core::jobs`; the attributes on copies and dead letters
//! are `crate::dlq::format`.

mod config;
mod decide;
mod runtime;
mod settle;

pub use config::WorkerConfig;
pub use decide::Decision;
pub use runtime::Worker;

/// Compatibility: these moved to `crate::dlq::format` (the dead-letter wire format).
pub use crate::dlq::format::{attempts_of, attr as dlq_attr, original_id};
/// Compatibility: the job contract moved to `dispatch_core::jobs`.
pub use dispatch_core::jobs::{JobError, JobHandler, Registry};
