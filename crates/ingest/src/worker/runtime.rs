//! The worker's runtime: [`Worker`] receives messages (long polling, up to ten at a time, a
//! receive batch prefetched beside the running jobs), runs them with bounded concurrency while
//! keeping each invisible, settles each, and shuts down gracefully: it stops receiving, lets
//! running jobs finish within the grace period, releases their claims, and deletes nothing
//! unfinished.
//!
//! Its own file because it is the only part with a loop and tasks: deciding (`decide`) and
//! settling (`settle`) are single steps it calls, and that the Lambda handler calls too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dispatch_core::clock::{Clock, SystemClock};
use dispatch_core::jobs::JobHandler;
use dispatch_core::ports::{Idempotency, QueueId, Queues, Received};
use dispatch_core::StoreError;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::config::WorkerConfig;
use super::decide::{Decision, Judge};
use super::settle::Settler;
use crate::dlq::format::original_id;

/// Workers of one queue.
pub struct Worker {
    pub queue: QueueId,
    queues: Arc<dyn Queues>,
    idempotency: Arc<dyn Idempotency>,
    handler: Arc<dyn JobHandler>,
    pub cfg: WorkerConfig,
    clock: Arc<dyn Clock>,
    settler: Settler,
}

impl Worker {
    /// A worker of `queue` on the system clock.
    pub fn new(
        queue: QueueId,
        queues: Arc<dyn Queues>,
        idempotency: Arc<dyn Idempotency>,
        handler: Arc<dyn JobHandler>,
        cfg: WorkerConfig,
    ) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Self {
            queue,
            settler: Settler::new(queue, queues.clone(), clock.clone()),
            queues,
            idempotency,
            handler,
            cfg,
            clock,
        }
    }

    /// Reads time from `clock` (claims' waits, dead letters' times): tests move it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.settler = Settler::new(self.queue, self.queues.clone(), clock.clone());
        self.clock = clock;
        self
    }

    /// The queues this worker reads.
    pub fn queues(&self) -> &Arc<dyn Queues> {
        &self.queues
    }

    /// Decides a message's fate, running its job at most once per idempotency key. Does not touch
    /// the message itself. Counts the outcome (see `dispatch_core::metrics`).
    pub async fn execute(&self, msg: &Received) -> Decision {
        Judge {
            handler: &self.handler,
            idempotency: self.idempotency.as_ref(),
            cfg: &self.cfg,
            clock: self.clock.as_ref(),
        }
        .execute(msg)
        .await
    }

    /// Sends a message to this queue's DLQ with the reason (the caller deletes the original).
    pub async fn dead_letter(&self, msg: &Received, reason: &str) -> Result<(), StoreError> {
        self.settler.dead_letter(msg, reason).await
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
        self.settler.resend(msg, after, failed).await
    }

    /// Acts on a decision (long-running mode).
    pub async fn settle(&self, msg: &Received, decision: &Decision) -> Result<(), StoreError> {
        self.settler.settle(msg, decision).await
    }

    /// The span of one message: its ids and queue, and the job's kind, key and charter id when
    /// the body says, so every line about it (a retry's reason included) can be found by
    /// charter id.
    fn message_span(&self, msg: &Received) -> tracing::Span {
        let span = tracing::info_span!(
            "message",
            message_id = %msg.message_id,
            original_id = %original_id(msg),
            queue = %self.queue,
            kind = tracing::field::Empty,
            key = tracing::field::Empty,
            charter_id = tracing::field::Empty,
        );
        if let Ok(job) = dispatch_core::domain::JobEnvelope::parse(&msg.body) {
            span.record("kind", tracing::field::display(&job.kind));
            span.record("key", job.key.as_str());
            if let Some(id) = job.payload.get("charter_id").and_then(|v| v.as_str()) {
                span.record("charter_id", id);
            }
        }
        span
    }

    /// Executes and settles one received message, keeping it invisible while the job runs.
    pub async fn process(&self, msg: Received) -> Decision {
        let span = self.message_span(&msg);
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
        let span = self.message_span(&msg);
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
        let batcher = self.settler.start_batcher();
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
                Ok(msgs)
                    if msgs.is_empty() && tasks.is_empty() && !self.cfg.idle_pause.is_zero() =>
                {
                    tokio::select! {
                        _ = tokio::time::sleep(self.cfg.idle_pause) => {}
                        _ = shutdown.changed() => {}
                    }
                }
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
