//! Deciding a message's fate: read its envelope, run its job (at most once per key, unless the
//! handler is idempotent by construction), and turn the outcome into a [`Decision`].
//!
//! Its own file because deciding never touches the message or the queue: the same decision is
//! settled by the long-running worker (`settle`) or reported to Lambda (`crate::lambda`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::clock::Clock;
use dispatch_core::domain::JobEnvelope;
use dispatch_core::idempotency::{run_once, Once, OnceError};
use dispatch_core::jobs::{error_chain, JobError, JobHandler};
use dispatch_core::metrics::{incr, Counter};
use dispatch_core::ports::{Idempotency, Received, MAX_DELAY};
use tracing::Instrument;

use super::config::WorkerConfig;
use crate::dlq::format::attempts_of;

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Done (now, or by an earlier delivery): delete it.
    Ack { already_done: bool },
    /// Failed, worth a retry: make it visible again after `after`.
    Retry { after: Duration, reason: String },
    /// Another live owner is running (part of) the same job: look again after `after`. The
    /// message is sent again with that delay and the original deleted, so waiting never spends
    /// its receive budget.
    Defer { after: Duration },
    /// Poison: move to the DLQ with the reason.
    DeadLetter { reason: String },
}

/// What deciding needs: the handler, the idempotency store, the settings and the clock.
pub(crate) struct Judge<'a> {
    pub handler: &'a Arc<dyn JobHandler>,
    pub idempotency: &'a dyn Idempotency,
    pub cfg: &'a WorkerConfig,
    pub clock: &'a dyn Clock,
}

impl Judge<'_> {
    /// Decides a message's fate and counts the outcome (see `dispatch_core::metrics`).
    pub(crate) async fn execute(&self, msg: &Received) -> Decision {
        let d = self.decide(&msg.body, attempts_of(msg)).await;
        match &d {
            Decision::Ack { .. } => incr(Counter::JobsProcessed),
            Decision::Retry { .. } => incr(Counter::JobsRetried),
            Decision::Defer { .. } => {}
            Decision::DeadLetter { .. } => incr(Counter::JobsDeadLettered),
        }
        d
    }

    async fn decide(&self, body: &str, attempts: u32) -> Decision {
        let job = match JobEnvelope::parse(body) {
            Ok(j) => j,
            Err(e) => {
                return Decision::DeadLetter {
                    reason: e.to_string(),
                }
            }
        };
        let span = tracing::info_span!("job", kind = %job.kind, key = %job.key, attempts);
        self.decide_job(job, attempts).instrument(span).await
    }

    async fn decide_job(&self, job: JobEnvelope, attempts: u32) -> Decision {
        let handler = self.handler.clone();
        let outcome = if handler.once_per_key(&job) {
            let payload = serde_json::json!({ "kind": job.kind, "payload": job.payload });
            run_once(
                self.idempotency,
                &format!("job#{}", job.key),
                &payload,
                self.cfg.idempotency,
                || async { handler.handle(&job).await },
            )
            .await
        } else {
            handler
                .handle(&job)
                .await
                .map(Once::Ran)
                .map_err(OnceError::Work)
        };
        match outcome {
            Ok(Once::Ran(_)) => Decision::Ack {
                already_done: false,
            },
            Ok(Once::AlreadyDone(_)) => Decision::Ack { already_done: true },
            Ok(Once::InProgress { until }) | Err(OnceError::Work(JobError::Busy { until, .. })) => {
                Decision::Defer {
                    after: self.wait_until(until),
                }
            }
            Err(OnceError::Work(e)) if e.is_permanent() => {
                Decision::DeadLetter { reason: e.reason() }
            }
            Err(OnceError::PayloadMismatch(key)) => Decision::DeadLetter {
                reason: format!("idempotency key {key} reused with another payload"),
            },
            Err(OnceError::BadStoredResult { key, message }) => Decision::DeadLetter {
                reason: format!("stored result of {key} unreadable: {message}"),
            },
            Err(OnceError::Work(e)) => {
                self.retry_or_give_up(attempts, e.reason(), e.retry_after_hint())
            }
            Err(OnceError::Store(e)) => self.retry_or_give_up(
                attempts,
                format!("idempotency store: {}", error_chain(&e)),
                None,
            ),
        }
    }

    fn retry_or_give_up(&self, attempts: u32, reason: String, after: Option<Duration>) -> Decision {
        if attempts >= self.cfg.max_attempts {
            Decision::DeadLetter {
                reason: format!("gave up after {attempts} attempts: {reason}"),
            }
        } else {
            let backoff = self.cfg.retry_policy().delay(attempts);
            Decision::Retry {
                after: after.unwrap_or(backoff).max(backoff),
                reason,
            }
        }
    }

    /// How long to wait for a claim that lasts until `until`: to its end, plus up to a second of
    /// jitter so waiters do not come back all at once, at least a second, at most SQS's longest
    /// delay.
    fn wait_until(&self, until: DateTime<Utc>) -> Duration {
        let left = (until - self.clock.now()).to_std().unwrap_or_default();
        let jitter = Duration::from_millis(u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * 4);
        (left + jitter).clamp(Duration::from_secs(1), MAX_DELAY)
    }
}
