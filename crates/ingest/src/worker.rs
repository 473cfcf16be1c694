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
use dispatch_core::ports::{Idempotency, OutMessage, QueueId, Queues, Received, MAX_DELAY};
use dispatch_core::StoreError;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

/// One queue call of a settle, tried up to three times (100 ms, then 400 ms apart) while its
/// error may pass.
async fn settle_step<T, F, Fut>(step: F) -> Result<T, StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut pause = Duration::from_millis(100);
    for _ in 0..2 {
        match step().await {
            Err(e) if e.is_retryable() => {
                tracing::debug!(error = %e, "settling failed; trying again");
                tokio::time::sleep(pause).await;
                pause *= 4;
            }
            other => return other,
        }
    }
    step().await
}

/// How long to wait for a claim that lasts until `until`: to its end, plus up to a second of
/// jitter so waiters do not come back all at once, at least a second, at most SQS's longest delay.
fn wait_until(until: chrono::DateTime<Utc>) -> Duration {
    let left = (until - Utc::now()).to_std().unwrap_or_default();
    let jitter = Duration::from_millis(u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * 4);
    (left + jitter).clamp(Duration::from_secs(1), MAX_DELAY)
}

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
    /// Someone else's live claim holds part of the work: come back after `until`. Waiting is not
    /// failing: it does not count towards the DLQ.
    #[error("{what} is in progress elsewhere until {until}")]
    Busy {
        what: String,
        until: chrono::DateTime<Utc>,
    },
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
    fn once_per_key(&self, job: &JobEnvelope) -> bool {
        self.handlers
            .get(&job.kind)
            .is_none_or(|h| h.once_per_key(job))
    }
}

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
    /// Failed attempts (counted across re-sent copies) after which a job is dead-lettered with
    /// its last error. Waits for another owner's claim never count. The queue's own redrive
    /// (maxReceiveCount) only sees deliveries that were never settled: a crashed worker.
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
            max_attempts: 20,
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
    /// The id of the message as first sent (the id the logs name), kept across waits and DLQ.
    pub const ORIGINAL_ID: &str = crate::dlq::ORIGINAL_MESSAGE_ID;
    /// Failed receives before this copy was sent (a wait sends a fresh copy).
    pub const ATTEMPTS: &str = "dispatch-attempts";
    /// How many times the job waited for someone else's claim.
    pub const WAITS: &str = "dispatch-waits";
}

/// Failed attempts so far, this receive included: failures carried by earlier copies plus this
/// copy's receives.
pub fn attempts_of(msg: &Received) -> u32 {
    let carried = msg
        .attributes
        .get(dlq_attr::ATTEMPTS)
        .and_then(|a| a.parse::<u32>().ok())
        .unwrap_or(0);
    carried.saturating_add(msg.receive_count)
}

/// The id the job's first message had (the one in the logs).
pub fn original_id(msg: &Received) -> &str {
    msg.attributes
        .get(dlq_attr::ORIGINAL_ID)
        .map(String::as_str)
        .unwrap_or(&msg.message_id)
}

/// Workers of one queue.
pub struct Worker {
    pub queue: QueueId,
    queues: Arc<dyn Queues>,
    idempotency: Arc<dyn Idempotency>,
    handler: Arc<dyn JobHandler>,
    pub cfg: WorkerConfig,
    /// Set by [`Worker::run`]: deletes go through one batcher (up to ten receipts a call).
    deletes: std::sync::OnceLock<mpsc::UnboundedSender<DeleteRequest>>,
}

/// One settled message's receipt for the delete batcher, and where its outcome goes (`true`: the
/// queue refused to delete it).
type DeleteRequest = (String, oneshot::Sender<Result<bool, StoreError>>);

/// Deletes receipts as they come, in batches of up to ten: whatever has queued up while the
/// previous batch was in flight goes in the next call, so batching adds no wait.
async fn delete_batches(
    queues: Arc<dyn Queues>,
    queue: QueueId,
    mut requests: mpsc::UnboundedReceiver<DeleteRequest>,
) {
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while batch.len() < 10 {
            match requests.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let receipts: Vec<String> = batch.iter().map(|(r, _)| r.clone()).collect();
        let outcome = settle_step(|| queues.delete(queue, &receipts)).await;
        for (receipt, reply) in batch {
            let _ = reply.send(match &outcome {
                Ok(failed) => Ok(failed.contains(&receipt)),
                Err(e) => Err(StoreError::backend(
                    format!("deleting settled messages from queue {queue}"),
                    e.is_retryable(),
                    e.to_string(),
                )),
            });
        }
    }
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
            deletes: std::sync::OnceLock::new(),
        }
    }

    /// The queues this worker reads.
    pub fn queues(&self) -> &Arc<dyn Queues> {
        &self.queues
    }

    /// Decides a message's fate, running its job at most once per idempotency key. Does not touch
    /// the message itself. Counts the outcome (see `dispatch_core::metrics`).
    pub async fn execute(&self, msg: &Received) -> Decision {
        use dispatch_core::metrics::{incr, Counter};
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
                self.idempotency.as_ref(),
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
                    after: wait_until(until),
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
                attempts,
                e.to_string(),
                match e {
                    JobError::RetryAfter(_, d) => Some(d),
                    _ => None,
                },
            ),
            Err(OnceError::Store(e)) => {
                self.retry_or_give_up(attempts, format!("idempotency store: {e}"), None)
            }
        }
    }

    fn retry_or_give_up(&self, attempts: u32, reason: String, after: Option<Duration>) -> Decision {
        if attempts >= self.cfg.max_attempts {
            Decision::DeadLetter {
                reason: format!("gave up after {attempts} attempts: {reason}"),
            }
        } else {
            let backoff = crate::backoff::delay(attempts, self.cfg.retry_base, self.cfg.retry_max);
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
            .attribute(dlq_attr::RECEIVES, attempts_of(msg).to_string())
            .attribute(dlq_attr::FAILED_AT, Utc::now().to_rfc3339())
            .attribute(dlq_attr::ORIGINAL_ID, original_id(msg));
        for (k, v) in &msg.attributes {
            out.attributes.entry(k.clone()).or_insert_with(|| v.clone());
        }
        self.queues.send(dlq, &[out]).await?;
        Ok(())
    }

    /// Sends the message again, delayed by `after`, as a fresh copy (receive count 0) that
    /// carries its failed attempts (this one too when `failed`), its wait count and its original
    /// id: the queue's receive budget (its redrive policy) then counts only deliveries that were
    /// never settled (a crashed worker), while failures are counted here, against
    /// `max_attempts`, and waits not at all. The caller deletes (or, on Lambda, acknowledges) the
    /// original: a crash in between leaves a harmless duplicate.
    pub async fn resend(
        &self,
        msg: &Received,
        after: Duration,
        failed: bool,
    ) -> Result<(), StoreError> {
        let mut waits = msg
            .attributes
            .get(dlq_attr::WAITS)
            .and_then(|w| w.parse::<u32>().ok())
            .unwrap_or(0);
        let attempts = if failed {
            attempts_of(msg)
        } else {
            waits = waits.saturating_add(1);
            attempts_of(msg).saturating_sub(1)
        };
        let mut out = OutMessage::new(msg.body.clone()).delayed(after.min(MAX_DELAY));
        out.attributes = msg.attributes.clone();
        out.attributes
            .insert(dlq_attr::ATTEMPTS.into(), attempts.to_string());
        out.attributes
            .insert(dlq_attr::WAITS.into(), waits.to_string());
        out.attributes
            .insert(dlq_attr::ORIGINAL_ID.into(), original_id(msg).to_string());
        if !failed {
            tracing::info!(message_id = %msg.message_id, original_id = %original_id(msg), wait_s = after.as_secs(), waits, "job waits for another owner's claim");
        }
        self.queues.send(self.queue, &[out]).await?;
        Ok(())
    }

    /// Deletes a message whose fate is settled (done, dead-lettered, or sent again as a copy).
    async fn delete_settled(&self, msg: &Received) -> Result<(), StoreError> {
        let refused = match self.deletes.get() {
            Some(batcher) => {
                let (tx, rx) = oneshot::channel();
                if batcher.send((msg.receipt.clone(), tx)).is_err() {
                    // The worker's run ended: delete on our own.
                    return self.delete_alone(msg).await;
                }
                rx.await.map_err(|_| {
                    StoreError::backend(
                        "deleting a settled message",
                        true,
                        "the delete batcher stopped",
                    )
                })??
            }
            None => return self.delete_alone(msg).await,
        };
        if refused {
            tracing::warn!(message_id = %msg.message_id, "delete failed; the message will come back and be skipped as done (or run again: it is idempotent)");
        }
        Ok(())
    }

    async fn delete_alone(&self, msg: &Received) -> Result<(), StoreError> {
        let refused = settle_step(|| {
            self.queues
                .delete(self.queue, std::slice::from_ref(&msg.receipt))
        })
        .await?;
        if !refused.is_empty() {
            tracing::warn!(message_id = %msg.message_id, "delete failed; the message will come back and be skipped as done (or run again: it is idempotent)");
        }
        Ok(())
    }

    /// Acts on a decision (long-running mode).
    pub async fn settle(&self, msg: &Received, decision: &Decision) -> Result<(), StoreError> {
        // Each step is retried a few times on a passing error: a settle that fails leaves the
        // message to come back after its visibility timeout, spending one of its receives.
        match decision {
            // Deletes retry on their own (in the batcher, or around the single call).
            Decision::Ack { .. } => self.delete_settled(msg).await?,
            Decision::Retry { after, reason } => {
                tracing::warn!(message_id = %msg.message_id, retry_in_s = after.as_secs(), %reason, "job failed; will retry");
                settle_step(|| self.resend(msg, *after, true)).await?;
                self.delete_settled(msg).await?;
            }
            Decision::Defer { after } => {
                settle_step(|| self.resend(msg, *after, false)).await?;
                self.delete_settled(msg).await?;
            }
            Decision::DeadLetter { reason } => {
                tracing::error!(message_id = %msg.message_id, %reason, "message sent to DLQ");
                settle_step(|| self.dead_letter(msg, reason)).await?;
                self.delete_settled(msg).await?;
            }
        }
        Ok(())
    }

    /// Executes and settles one received message, keeping it invisible while the job runs.
    pub async fn process(&self, msg: Received) -> Decision {
        let span = tracing::info_span!("message", message_id = %msg.message_id, original_id = %original_id(&msg), queue = %self.queue);
        let run_now = async { Some(self.execute(&msg).await) };
        let decided = self.process_inner(&msg, run_now).instrument(span).await;
        #[allow(clippy::expect_used)] // run_now always decides
        decided.expect("a job run at once always decides")
    }

    /// [`Worker::process`] for a prefetched message: it waits for a permit to run (kept
    /// invisible meanwhile, so it does not reappear to another worker), and if the worker stops
    /// first it is released untouched for someone else.
    async fn process_queued(
        &self,
        msg: Received,
        permits: Arc<Semaphore>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let span = tracing::info_span!("message", message_id = %msg.message_id, original_id = %original_id(&msg), queue = %self.queue);
        let when_permitted = async {
            let permit = tokio::select! {
                biased;
                _ = shutdown.wait_for(|stop| *stop) => None,
                p = permits.acquire_owned() => p.ok(),
            };
            match permit {
                Some(_permit) => Some(self.execute(&msg).await),
                None => None,
            }
        };
        let decided = self
            .process_inner(&msg, when_permitted)
            .instrument(span.clone())
            .await;
        if decided.is_none() {
            let release = self
                .queues
                .change_visibility(self.queue, &msg.receipt, Duration::ZERO);
            if let Err(e) = release.instrument(span).await {
                tracing::warn!(message_id = %msg.message_id, error = %e, "could not release an unstarted message; it returns after its visibility timeout");
            }
        }
    }

    /// Runs `work` keeping the message invisible, then settles what it decided (nothing when it
    /// decided nothing: the job never started).
    async fn process_inner(
        &self,
        msg: &Received,
        work: impl std::future::Future<Output = Option<Decision>>,
    ) -> Option<Decision> {
        let beat = (self.cfg.visibility / 3).max(Duration::from_millis(500));
        let decision = {
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
        let decision = decision?;
        if let Err(e) = self.settle(msg, &decision).await {
            tracing::error!(error = %e, "could not settle message; it will come back after its visibility timeout");
        }
        Some(decision)
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
        let concurrency = self.cfg.concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        // Receive while jobs run: up to one receive batch (10) waits for a permit beside the
        // running jobs, so a job that ends finds the next one already here.
        let most = concurrency + 10;
        let (deletes, requests) = mpsc::unbounded_channel();
        let batcher = tokio::spawn(
            delete_batches(self.queues.clone(), self.queue, requests).in_current_span(),
        );
        let _ = self.deletes.set(deletes);
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut in_flight: HashMap<tokio::task::Id, Received> = HashMap::new();
        tracing::info!(queue = %self.queue, concurrency, "worker started");
        loop {
            while let Some(done) = tasks.try_join_next_with_id() {
                if let Ok((id, ())) = done {
                    in_flight.remove(&id);
                }
            }
            if *shutdown.borrow() {
                break;
            }
            let room = most.saturating_sub(tasks.len()).min(10) as u32;
            if room == 0 {
                tokio::select! {
                    Some(done) = tasks.join_next_with_id() => { if let Ok((id, ())) = done { in_flight.remove(&id); } }
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let received = tokio::select! {
                r = self.queues.receive(self.queue, room, self.cfg.wait, self.cfg.visibility) => r,
                _ = shutdown.changed() => continue,
            };
            match received {
                Ok(msgs) => {
                    for m in msgs {
                        let me = self.clone();
                        let msg = m.clone();
                        let (permits, stop) = (permits.clone(), shutdown.clone());
                        let handle = tasks.spawn(async move {
                            me.process_queued(msg, permits, stop).await;
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
        let released = dispatch_core::idempotency::release_held(self.idempotency.as_ref()).await;
        if released > 0 {
            tracing::info!(queue = %self.queue, released, "released the claims of unfinished work");
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
        batcher.abort();
        tracing::info!(queue = %self.queue, "worker stopped");
    }
}
