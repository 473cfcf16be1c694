//! The queue worker runtime: long polling, bounded concurrency, visibility kept alive while a job
//! runs, delete only after success, backoff on failure, poison to the DLQ with its reason, and a
//! graceful shutdown that deletes nothing unfinished.
//!
//! The decision about a message ([`Worker::execute`]) is separate from acting on it
//! ([`Worker::settle`]), so the same code serves the long-running worker (which deletes and changes
//! visibility itself) and the Lambda SQS handler (where Lambda deletes what is not reported failed).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::{JobEnvelope, JobKind};
use dispatch_core::idempotency::{run_once, IdempotencyConfig, Once, OnceError};
use dispatch_core::ports::{Idempotency, OutMessage, QueueId, Queues, Received};
use dispatch_core::StoreError;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// How a job failed, and so what the runtime should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another try later (throttling, a timeout, a 5xx).
    #[error("{0}")]
    Retry(String),
    /// Worth another try, not before this long.
    #[error("{0} (retry after {1:?})")]
    RetryAfter(String, Duration),
    /// Never worth retrying (bad input, a 4xx): the message goes to the DLQ with this reason.
    #[error("{0}")]
    Permanent(String),
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        if e.is_retryable() {
            Self::Retry(e.to_string())
        } else {
            Self::Permanent(e.to_string())
        }
    }
}

/// Runs one kind of job. Returns a small JSON result, kept by the idempotency store.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError>;
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
    pub fn with(mut self, kind: JobKind, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(kind, handler);
        self
    }
    pub fn kinds(&self) -> Vec<JobKind> {
        let mut k: Vec<_> = self.handlers.keys().copied().collect();
        k.sort_by_key(|k| k.as_str());
        k
    }
}

#[async_trait::async_trait]
impl JobHandler for Registry {
    async fn handle(&self, job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        match self.handlers.get(&job.kind) {
            Some(h) => h.handle(job).await,
            None => Err(JobError::Permanent(format!(
                "no handler for job kind `{}` in this build",
                job.kind
            ))),
        }
    }
}

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Done (now, or by an earlier delivery): delete it.
    Ack { already_done: bool },
    /// Failed, worth a retry: make it visible again after `after`.
    Retry { after: Duration, reason: String },
    /// Another worker is running the same job: look again after `after`.
    Defer { after: Duration },
    /// Poison: move to the DLQ with the reason.
    DeadLetter { reason: String },
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs running at once.
    pub concurrency: usize,
    /// Long-poll wait per receive (SQS allows up to 20 s).
    pub wait: Duration,
    /// Visibility timeout per receive; kept alive while the job runs.
    pub visibility: Duration,
    /// First retry delay (doubles per receive, with jitter), and its cap.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Receives after which a failing job is dead-lettered with its last error (≤ the queue's
    /// maxReceiveCount, so the reason is kept rather than left to the redrive policy).
    pub max_attempts: u32,
    pub idempotency: IdempotencyConfig,
    /// How long a shutdown waits for running jobs before releasing their messages.
    pub shutdown_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            wait: Duration::from_secs(20),
            visibility: Duration::from_secs(60),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            max_attempts: 5,
            idempotency: IdempotencyConfig::default(),
            shutdown_grace: Duration::from_secs(25),
        }
    }
}

/// Message attributes written on a dead letter.
pub mod dlq_attr {
    pub const ERROR: &str = "dispatch-error";
    pub const SOURCE: &str = "dispatch-source";
    pub const RECEIVES: &str = "dispatch-receive-count";
    pub const FAILED_AT: &str = "dispatch-failed-at";
}

/// Workers of one queue.
pub struct Worker {
    pub queue: QueueId,
    queues: Arc<dyn Queues>,
    idempotency: Arc<dyn Idempotency>,
    handler: Arc<dyn JobHandler>,
    pub cfg: WorkerConfig,
}

impl Worker {
    pub fn new(
        queue: QueueId,
        queues: Arc<dyn Queues>,
        idempotency: Arc<dyn Idempotency>,
        handler: Arc<dyn JobHandler>,
        cfg: WorkerConfig,
    ) -> Self {
        Self {
            queue,
            queues,
            idempotency,
            handler,
            cfg,
        }
    }

    /// Decides a message's fate, running its job at most once per idempotency key. Does not touch
    /// the message itself. Counts the outcome (see `dispatch_core::metrics`).
    pub async fn execute(&self, body: &str, receive_count: u32) -> Decision {
        use dispatch_core::metrics::{incr, Counter};
        let d = self.decide(body, receive_count).await;
        match &d {
            Decision::Ack { .. } => incr(Counter::JobsProcessed),
            Decision::Retry { .. } => incr(Counter::JobsRetried),
            Decision::Defer { .. } => {}
            Decision::DeadLetter { .. } => incr(Counter::JobsDeadLettered),
        }
        d
    }

    async fn decide(&self, body: &str, receive_count: u32) -> Decision {
        let job = match JobEnvelope::parse(body) {
            Ok(j) => j,
            Err(e) => {
                return Decision::DeadLetter {
                    reason: e.to_string(),
                }
            }
        };
        let span = tracing::info_span!("job", kind = %job.kind, key = %job.key, receive_count);
        let _enter = span.enter();
        let payload = serde_json::json!({ "kind": job.kind, "payload": job.payload });
        let handler = self.handler.clone();
        let outcome = run_once(
            self.idempotency.as_ref(),
            &format!("job#{}", job.key),
            &payload,
            self.cfg.idempotency,
            || async { handler.handle(&job).await },
        )
        .await;
        match outcome {
            Ok(Once::Ran(_)) => Decision::Ack {
                already_done: false,
            },
            Ok(Once::AlreadyDone(_)) => Decision::Ack { already_done: true },
            Ok(Once::InProgress { until }) => {
                let wait = (until - Utc::now()).to_std().unwrap_or_default();
                Decision::Defer {
                    after: wait.clamp(Duration::from_secs(1), self.cfg.visibility),
                }
            }
            Err(OnceError::Work(JobError::Permanent(reason))) => Decision::DeadLetter { reason },
            Err(OnceError::PayloadMismatch(key)) => Decision::DeadLetter {
                reason: format!("idempotency key {key} reused with another payload"),
            },
            Err(OnceError::BadStoredResult { key, message }) => Decision::DeadLetter {
                reason: format!("stored result of {key} unreadable: {message}"),
            },
            Err(OnceError::Work(e)) => self.retry_or_give_up(
                receive_count,
                e.to_string(),
                match e {
                    JobError::RetryAfter(_, d) => Some(d),
                    _ => None,
                },
            ),
            Err(OnceError::Store(e)) => {
                self.retry_or_give_up(receive_count, format!("idempotency store: {e}"), None)
            }
        }
    }

    fn retry_or_give_up(
        &self,
        receive_count: u32,
        reason: String,
        after: Option<Duration>,
    ) -> Decision {
        if receive_count >= self.cfg.max_attempts {
            Decision::DeadLetter {
                reason: format!("gave up after {receive_count} attempts: {reason}"),
            }
        } else {
            let backoff =
                crate::backoff::delay(receive_count, self.cfg.retry_base, self.cfg.retry_max);
            Decision::Retry {
                after: after.unwrap_or(backoff).max(backoff),
                reason,
            }
        }
    }

    /// Sends a message to this queue's DLQ with the reason (the caller deletes the original).
    pub async fn dead_letter(&self, msg: &Received, reason: &str) -> Result<(), StoreError> {
        let dlq = self.queue.dlq().unwrap_or(QueueId::IngestDlq);
        let mut out = OutMessage::new(msg.body.clone())
            .attribute(
                dlq_attr::ERROR,
                reason.chars().take(1000).collect::<String>(),
            )
            .attribute(dlq_attr::SOURCE, self.queue.base_name())
            .attribute(dlq_attr::RECEIVES, msg.receive_count.to_string())
            .attribute(dlq_attr::FAILED_AT, Utc::now().to_rfc3339());
        for (k, v) in &msg.attributes {
            out.attributes.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self.queues.send(dlq, &[out]).await?;
        Ok(())
    }

    /// Acts on a decision (long-running mode).
    pub async fn settle(&self, msg: &Received, decision: &Decision) -> Result<(), StoreError> {
        match decision {
            Decision::Ack { .. } => {
                let failed = self
                    .queues
                    .delete(self.queue, std::slice::from_ref(&msg.receipt))
                    .await?;
                if !failed.is_empty() {
                    tracing::warn!(message_id = %msg.message_id, "delete failed; the message will come back and be skipped as done");
                }
            }
            Decision::Retry { after, reason } => {
                tracing::warn!(message_id = %msg.message_id, retry_in_s = after.as_secs(), %reason, "job failed; will retry");
                self.queues
                    .change_visibility(self.queue, &msg.receipt, *after)
                    .await?;
            }
            Decision::Defer { after } => {
                self.queues
                    .change_visibility(self.queue, &msg.receipt, *after)
                    .await?
            }
            Decision::DeadLetter { reason } => {
                tracing::error!(message_id = %msg.message_id, %reason, "message sent to DLQ");
                self.dead_letter(msg, reason).await?;
                self.queues
                    .delete(self.queue, std::slice::from_ref(&msg.receipt))
                    .await?;
            }
        }
        Ok(())
    }

    /// Executes and settles one received message, keeping it invisible while the job runs.
    pub async fn process(&self, msg: Received) -> Decision {
        let span =
            tracing::info_span!("message", message_id = %msg.message_id, queue = %self.queue);
        let _enter = span.enter();
        let beat = (self.cfg.visibility / 3).max(Duration::from_millis(500));
        let decision = {
            let work = self.execute(&msg.body, msg.receive_count);
            tokio::pin!(work);
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
            loop {
                tokio::select! {
                    d = &mut work => break d,
                    _ = ticker.tick() => {
                        if let Err(e) = self.queues.change_visibility(self.queue, &msg.receipt, self.cfg.visibility).await {
                            tracing::warn!(error = %e, "could not extend visibility");
                        }
                    }
                }
            }
        };
        if let Err(e) = self.settle(&msg, &decision).await {
            tracing::error!(error = %e, "could not settle message; it will come back after its visibility timeout");
        }
        decision
    }

    /// Receives once (up to `max` messages, waiting up to `wait`) and processes what came, in
    /// parallel. Tests call this until the queue is empty.
    pub async fn try_process_one(
        &self,
        max: u32,
        wait: Duration,
    ) -> Result<Vec<Decision>, StoreError> {
        let msgs = self
            .queues
            .receive(self.queue, max.clamp(1, 10), wait, self.cfg.visibility)
            .await?;
        Ok(futures::future::join_all(msgs.into_iter().map(|m| self.process(m))).await)
    }

    /// Runs until `shutdown` turns true: stops receiving, lets running jobs finish within the
    /// grace period, and releases (never deletes) the messages of jobs that did not.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let permits = Arc::new(Semaphore::new(self.cfg.concurrency.max(1)));
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut in_flight: HashMap<tokio::task::Id, Received> = HashMap::new();
        tracing::info!(queue = %self.queue, concurrency = self.cfg.concurrency, "worker started");
        loop {
            while let Some(done) = tasks.try_join_next_with_id() {
                if let Ok((id, ())) = done {
                    in_flight.remove(&id);
                }
            }
            if *shutdown.borrow() {
                break;
            }
            let free = permits.available_permits().min(10) as u32;
            if free == 0 {
                tokio::select! {
                    Some(done) = tasks.join_next_with_id() => { if let Ok((id, ())) = done { in_flight.remove(&id); } }
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let received = tokio::select! {
                r = self.queues.receive(self.queue, free, self.cfg.wait, self.cfg.visibility) => r,
                _ = shutdown.changed() => continue,
            };
            match received {
                Ok(msgs) => {
                    for m in msgs {
                        let Ok(permit) = permits.clone().acquire_owned().await else {
                            break;
                        };
                        let me = self.clone();
                        let msg = m.clone();
                        let handle = tasks.spawn(async move {
                            let _permit = permit;
                            me.process(msg).await;
                        });
                        in_flight.insert(handle.id(), m);
                    }
                }
                Err(e) => {
                    tracing::error!(queue = %self.queue, error = %e, "receive failed; backing off");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        tracing::info!(queue = %self.queue, running = tasks.len(), "worker stopping; waiting for running jobs");
        let deadline = tokio::time::Instant::now() + self.cfg.shutdown_grace;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next_with_id()).await {
                Ok(Some(Ok((id, ())))) => {
                    in_flight.remove(&id);
                }
                Ok(Some(Err(e))) => {
                    in_flight.remove(&e.id());
                }
                Ok(None) => break,
                Err(_) => {
                    tasks.abort_all();
                    break;
                }
            }
        }
        for (_, msg) in in_flight {
            tracing::warn!(message_id = %msg.message_id, "job unfinished at shutdown; releasing its message");
            if let Err(e) = self
                .queues
                .change_visibility(self.queue, &msg.receipt, Duration::ZERO)
                .await
            {
                tracing::warn!(message_id = %msg.message_id, error = %e, "could not release; it returns after its visibility timeout");
            }
        }
        tracing::info!(queue = %self.queue, "worker stopped");
    }
}
