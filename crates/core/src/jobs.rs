//! The job contract: what a queue job handler is ([`JobHandler`]), how it fails ([`JobError`]),
//! and the handlers of a build by kind ([`Registry`]).
//!
//! It lives in `dispatch-core`, beside the job envelope, because both sides of it are elsewhere:
//! the handlers in `dispatch-cascade` and the binary, the runtime that calls them in
//! `dispatch-ingest`. Neither needs the other to speak it.
//!
//! A [`JobError`] keeps its cause as a `#[source]` (any error, or plain text) and says only what
//! the runtime should do: retry, retry not before a time, give up, or wait for someone else's
//! claim. [`JobError::reason`] is the cause's whole chain in one line, for logs and dead letters.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::{JobEnvelope, JobKind};
use crate::StoreError;

/// The cause of a job's failure: any error, or text (`"upstream 503".into()`).
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// How a job failed, and so what the runtime should do. The cause is kept, not flattened.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another try later (throttling, a timeout, a 5xx).
    #[error("the job failed for a reason that may pass")]
    Retry(#[source] BoxError),
    /// Worth another try, not before this long.
    #[error("the job failed for a reason that may pass, not before {1:?}")]
    RetryAfter(#[source] BoxError, Duration),
    /// Never worth retrying (bad input, a 4xx): the message goes to the DLQ with this reason.
    #[error("the job can never succeed")]
    Permanent(#[source] BoxError),
    /// Someone else's live claim holds part of the work: come back after `until`. Waiting is not
    /// failing: it does not count towards the DLQ.
    #[error("{what} is in progress elsewhere until {until}")]
    Busy { what: String, until: DateTime<Utc> },
}

impl JobError {
    /// A failure that may pass, caused by `cause` (an error or text).
    pub fn retry(cause: impl Into<BoxError>) -> Self {
        Self::Retry(cause.into())
    }

    /// A failure that may pass, not to be tried again before `after`.
    pub fn retry_after(cause: impl Into<BoxError>, after: Duration) -> Self {
        Self::RetryAfter(cause.into(), after)
    }

    /// A failure that can never pass for this job.
    pub fn permanent(cause: impl Into<BoxError>) -> Self {
        Self::Permanent(cause.into())
    }

    /// Someone else's live claim on `what` lasts until `until`.
    pub fn busy(what: impl Into<String>, until: DateTime<Utc>) -> Self {
        Self::Busy {
            what: what.into(),
            until,
        }
    }

    /// Whether retrying can never help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent(_))
    }

    /// The earliest time to try again, when the job said.
    pub fn retry_after_hint(&self) -> Option<Duration> {
        match self {
            Self::RetryAfter(_, d) => Some(*d),
            _ => None,
        }
    }

    /// What went wrong, in one line: the cause and each of its sources (see [`error_chain`]),
    /// plus the wait a [`JobError::RetryAfter`] asked for. The text logs and dead letters carry.
    pub fn reason(&self) -> String {
        match self {
            Self::Retry(cause) | Self::Permanent(cause) => error_chain(cause.as_ref()),
            Self::RetryAfter(cause, d) => {
                format!("{} (retry after {d:?})", error_chain(cause.as_ref()))
            }
            Self::Busy { .. } => self.to_string(),
        }
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            Self::retry(e)
        } else {
            Self::permanent(e)
        }
    }
}

/// An error and its sources in one line, `outer: inner: innermost`. A source whose text the line
/// already holds (an error that prints its source in its own message) is not repeated.
pub fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut line = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        next = cause.source();
    }
    line
}

/// Runs one kind of job. Returns a small JSON result, kept by the idempotency store.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError>;
    /// Whether the runtime runs this job at most once per key (under a `job#<key>` claim).
    /// Handlers whose work is idempotent by construction (the cascade's reconcile) say no: two
    /// copies may run at once and reach the same state.
    fn once_per_key(&self, _job: &JobEnvelope) -> bool {
        true
    }
}

/// Handlers by job kind. A kind with no handler is poison for this build (DLQ, replayable later).
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the handler of `kind`.
    pub fn with(mut self, kind: JobKind, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind, handler);
        self
    }

    /// The kinds this registry handles, by name.
    pub fn kinds(&self) -> Vec<JobKind> {
        let mut k: Vec<_> = self.handlers.keys().copied().collect();
        k.sort_by_key(|k| k.as_str());
        k
    }
}

/// No handler for a kind in this build.
#[derive(Debug, thiserror::Error)]
#[error("no handler for job kind `{0}` in this build")]
struct NoHandler(JobKind);

#[async_trait::async_trait]
impl JobHandler for Registry {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        match self.handlers.get(&job.kind) {
            Some(h) => h.handle(job).await,
            None => Err(JobError::permanent(NoHandler(job.kind))),
        }
    }

    fn once_per_key(&self, job: &JobEnvelope) -> bool {
        self.handlers
            .get(&job.kind)
            .is_none_or(|h| h.once_per_key(job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the roster: {0}")]
    struct Embeds(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("sending the statement")]
    struct Hides(#[source] std::io::Error);

    fn io() -> std::io::Error {
        std::io::Error::other("connection reset")
    }

    #[test]
    fn the_reason_is_the_whole_chain_without_repeats() {
        assert_eq!(JobError::retry("gmail 503").reason(), "gmail 503");
        assert_eq!(
            JobError::permanent(Embeds(io())).reason(),
            "reading the roster: connection reset"
        );
        assert_eq!(
            JobError::retry(Hides(io())).reason(),
            "sending the statement: connection reset"
        );
        assert_eq!(
            JobError::retry_after("slow down", Duration::from_secs(5)).reason(),
            "slow down (retry after 5s)"
        );
    }

    #[test]
    fn the_cause_is_a_source_not_flattened() {
        let e = JobError::retry(Hides(io()));
        let cause = e.source().and_then(|c| c.downcast_ref::<Hides>());
        assert!(cause.is_some(), "{e:?}");
        let store = JobError::from(StoreError::Invalid("too big".into()));
        assert!(store.is_permanent());
        assert!(store
            .source()
            .and_then(|c| c.downcast_ref::<StoreError>())
            .is_some());
    }
}
