//! Reading one leased shard, as a state machine that never blocks on a failing record.
//!
//! [`ShardReader::step`] does one bounded piece of work — read a page, or handle the records
//! still pending from the last page — and says when to come back. A record that fails for a
//! reason that may pass stays at the head of the pending records with a retry time (capped
//! exponential backoff with jitter, [`ConsumerConfig::retry_policy`]), and the shard waits for it, for as long as it takes: records
//! of one shard are handled in order. A record that can never succeed goes to `ingest-dlq` and
//! the shard moves on. The checkpoint moves after a handled prefix when a record of it asks for
//! it at once ([`Checkpoint::Now`]: handled again, it would repeat some of its work; a record
//! dead-lettered always does). Records that, handled again, do nothing more (the handler says
//! so: a MODIFY no rule reads, such as the unsettled index's marks, or a job enqueued under
//! its idempotency record) wait for the next checkpoint: written when a record asks for it,
//! after [`ConsumerConfig::checkpoint_wait`], or when the shard is given up. Read again after
//! a crash, they do nothing more, so the wait loses nothing and saves a write a page (the
//! stream's pages in quiet times are a record or two).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use dispatch_core::clock::Clock;
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{ChangeFeed, ChangeRecord, QueueId, Queues, StartAt};
use dispatch_core::StoreError;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

use super::config::ConsumerConfig;
use super::keeper::LeaseKeeper;
use crate::dlq::format::{dead_letter_message, record_original_id};
use crate::record::{Checkpoint, RecordHandler};

/// When to call [`ShardReader::step`] again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// There is more to do right away.
    Now,
    /// Nothing new on the shard; come back after the idle pause.
    Idle,
    /// A record (or a read) is backing off until then.
    At(Instant),
    /// The shard was read to its end; its lease is released.
    Finished,
    /// The lease is gone (taken by another consumer, or expired): stop reading.
    Lost,
}

/// What one step did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepReport {
    pub records: usize,
    pub dead_lettered: usize,
    pub next: Next,
}

impl StepReport {
    fn just(next: Next) -> Self {
        Self {
            records: 0,
            dead_lettered: 0,
            next,
        }
    }
}

/// The ports a reader uses.
#[derive(Clone)]
pub(crate) struct Ports {
    pub feed: Arc<dyn ChangeFeed>,
    pub queues: Arc<dyn Queues>,
    pub handler: Arc<dyn RecordHandler>,
    pub clock: Arc<dyn Clock>,
}

pub(crate) struct ShardReader {
    pub(crate) shard: String,
    stream: String,
    ports: Ports,
    cfg: Arc<ConsumerConfig>,
    pub(crate) keeper: LeaseKeeper,
    /// Where to start if the lease has no checkpoint.
    fresh_start: StartAt,
    iterator: Option<String>,
    pending: VecDeque<ChangeRecord>,
    /// The iterator after the pending page: `Some(None)` when the page ended the shard.
    after_pending: Option<Option<String>>,
    /// The pending page was shorter than a batch: the shard had no more records when read.
    short_page: bool,
    /// Consecutive failures of the record (or read) at the head, for the backoff.
    failures: u32,
    retry_at: Option<Instant>,
    stop: Option<watch::Receiver<bool>>,
    /// The newest handled record whose checkpoint waits (no record since the last checkpoint
    /// asked for one at once), and since when it has waited.
    quiet: Option<(String, Instant)>,
}

impl ShardReader {
    pub(crate) fn new(
        stream: String,
        ports: Ports,
        cfg: Arc<ConsumerConfig>,
        keeper: LeaseKeeper,
        shard: String,
        fresh_start: StartAt,
    ) -> Self {
        Self {
            shard,
            stream,
            ports,
            cfg,
            keeper,
            fresh_start,
            iterator: None,
            pending: VecDeque::new(),
            after_pending: None,
            short_page: false,
            failures: 0,
            retry_at: None,
            stop: None,
            quiet: None,
        }
    }

    /// Stops between two records (after checkpointing) once `stop` turns true.
    pub(crate) fn stop_on(&mut self, stop: watch::Receiver<bool>) {
        self.stop = Some(stop);
    }

    fn stopping(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| *s.borrow())
    }

    fn back_off(&mut self) -> Instant {
        self.failures = self.failures.saturating_add(1);
        let wait = self.cfg.retry_policy().delay(self.failures);
        let at = Instant::now() + wait;
        self.retry_at = Some(at);
        at
    }

    /// A failed read or checkpoint: logged, and the shard backs off (it is never dropped for it).
    fn read_failed(&mut self, what: &str, e: &StoreError) -> StepReport {
        let at = self.back_off();
        if e.is_retryable() {
            tracing::warn!(shard_id = %self.shard, error = %e, failures = self.failures, "{what} failed; retrying");
        } else {
            tracing::error!(shard_id = %self.shard, error = %e, failures = self.failures, "{what} failed; retrying (this needs a look)");
        }
        StepReport::just(Next::At(at))
    }

    async fn open_iterator(&self) -> Result<String, StoreError> {
        let start = match self.keeper.checkpoint_value().await {
            Some(cp) => StartAt::After(cp),
            None => self.fresh_start.clone(),
        };
        match self.ports.feed.iterator(&self.shard, &start).await {
            Err(StoreError::TrimmedData) => {
                tracing::error!(
                    shard_id = %self.shard,
                    start = ?start,
                    "stream data after the checkpoint was trimmed (older than 24 h): changes between the checkpoint and the oldest kept record are LOST; continuing from the oldest record"
                );
                self.ports
                    .feed
                    .iterator(&self.shard, &StartAt::TrimHorizon)
                    .await
            }
            other => other,
        }
    }

    /// Reads the next page into `pending`. `Err` carries the step to report instead.
    async fn fill(&mut self) -> Result<(), StepReport> {
        if let Some(next) = self.after_pending.take() {
            match next {
                None => return Err(self.finish().await),
                Some(it) => self.iterator = Some(it),
            }
        }
        let iterator = match &self.iterator {
            Some(it) => it.clone(),
            None => match self.open_iterator().await {
                Ok(it) => it,
                Err(e) => return Err(self.read_failed("opening a shard iterator", &e)),
            },
        };
        let page = match self.ports.feed.read(&iterator, self.cfg.batch).await {
            Ok(p) => p,
            Err(StoreError::IteratorExpired) => {
                tracing::info!(shard_id = %self.shard, "iterator expired; reopening from the checkpoint");
                self.iterator = None;
                return Err(StepReport::just(Next::Now));
            }
            Err(StoreError::TrimmedData) => {
                tracing::error!(shard_id = %self.shard, "stream data trimmed under the iterator: records may be LOST; continuing from the oldest record");
                match self
                    .ports
                    .feed
                    .iterator(&self.shard, &StartAt::TrimHorizon)
                    .await
                {
                    Ok(it) => self.iterator = Some(it),
                    Err(e) => return Err(self.read_failed("reopening a trimmed shard", &e)),
                }
                return Err(StepReport::just(Next::Now));
            }
            Err(e) => return Err(self.read_failed("reading the shard", &e)),
        };
        self.failures = 0;
        self.retry_at = None;
        let shard = self.shard.clone();
        self.pending = page
            .records
            .into_iter()
            .map(|mut r| {
                if r.shard_id.is_empty() {
                    r.shard_id = shard.clone();
                }
                r
            })
            .collect();
        let ended = page.next.is_none();
        if self.pending.is_empty() {
            if ended {
                return Err(self.finish().await);
            }
            self.iterator = page.next;
            return Err(StepReport::just(Next::Idle));
        }
        self.short_page = self.pending.len() < self.cfg.batch as usize;
        self.after_pending = Some(page.next);
        Ok(())
    }

    async fn finish(&mut self) -> StepReport {
        match self.keeper.finish().await {
            Ok(true) => {
                tracing::info!(shard_id = %self.shard, "shard read to its end");
                StepReport::just(Next::Finished)
            }
            Ok(false) => StepReport::just(Next::Lost),
            Err(e) => {
                // The shard's end is known again on the next read: reopen from the checkpoint.
                self.iterator = None;
                self.read_failed("marking the shard finished", &e)
            }
        }
    }

    /// One bounded piece of work (see the module docs).
    pub(crate) async fn step(&mut self) -> StepReport {
        if !self.keeper.is_held() {
            return StepReport::just(Next::Lost);
        }
        if let Some(at) = self.retry_at {
            if Instant::now() < at {
                return StepReport::just(Next::At(at));
            }
        }
        if self
            .quiet
            .as_ref()
            .is_some_and(|(_, since)| since.elapsed() >= self.cfg.checkpoint_wait)
        {
            if let Some(next) = self.write_quiet().await {
                return StepReport::just(next);
            }
        }
        if self.pending.is_empty() {
            if let Err(report) = self.fill().await {
                return report;
            }
        }
        let mut report = StepReport::just(Next::Now);
        let mut last = None;
        let mut now = false;
        while let Some(record) = self.pending.front() {
            if self.stopping() || !self.keeper.is_held() {
                break;
            }
            let span = tracing::info_span!(
                "stream_record",
                shard_id = %record.shard_id,
                sequence = %record.sequence,
                event_id = %record.event_id
            );
            let outcome = self
                .ports
                .handler
                .handle_for_checkpoint(record)
                .instrument(span.clone())
                .await;
            let done = match outcome {
                Ok(asks) => {
                    metrics::incr(Counter::RecordsProcessed);
                    now |= asks == Checkpoint::Now;
                    true
                }
                Err(e) if !e.retryable => {
                    let msg = dead_letter_message(
                        &self.stream,
                        record,
                        &e.message,
                        self.ports.clock.now(),
                    );
                    match self.ports.queues.send(QueueId::IngestDlq, &[msg]).await {
                        Ok(_) => {
                            metrics::incr(Counter::RecordsDeadLettered);
                            span.in_scope(|| tracing::error!(error = %e, original_id = %record_original_id(record), "record can never succeed; sent to ingest-dlq, the shard moves on"));
                            report.dead_lettered += 1;
                            now = true;
                            true
                        }
                        Err(dlq) => {
                            let at = self.back_off();
                            span.in_scope(|| tracing::error!(error = %e, dlq_error = %dlq, failures = self.failures, "record can never succeed but ingest-dlq cannot take it; the shard waits"));
                            report.next = Next::At(at);
                            false
                        }
                    }
                }
                Err(e) => {
                    metrics::incr(Counter::RecordsRetried);
                    let at = self.back_off();
                    span.in_scope(|| tracing::warn!(error = %e, failures = self.failures, retry_in_ms = at.saturating_duration_since(Instant::now()).as_millis() as u64, "record failed for a reason that may pass; the shard waits and tries again"));
                    report.next = Next::At(at);
                    false
                }
            };
            if !done {
                break;
            }
            self.failures = 0;
            self.retry_at = None;
            report.records += 1;
            last = self.pending.pop_front().map(|r| r.sequence);
        }
        if let Some(seq) = last {
            let since = self
                .quiet
                .take()
                .map_or_else(Instant::now, |(_, since)| since);
            if now || since.elapsed() >= self.cfg.checkpoint_wait {
                if let Some(next) = self.checkpoint(&seq).await {
                    report.next = next;
                    return report;
                }
            } else {
                self.quiet = Some((seq, since));
            }
        }
        if !self.keeper.is_held() && report.next == Next::Now {
            report.next = Next::Lost;
        }
        // A short page handled, the shard open: the shard had nothing more when read, so the
        // next read waits for the reader's pause instead of coming at once (an empty read
        // is a billed request; a burst's next records are read after the quick look).
        let open = matches!(self.after_pending, Some(Some(_)));
        if report.next == Next::Now && self.pending.is_empty() && self.short_page && open {
            report.next = Next::Idle;
        }
        report
    }

    /// Moves the checkpoint to `seq`. `Some(Next::Lost)` if the lease was lost first; a failed
    /// write is only logged (the records are done, and idempotent): the next one covers them.
    async fn checkpoint(&mut self, seq: &str) -> Option<Next> {
        self.quiet = None;
        match self.keeper.checkpoint(seq).await {
            Ok(true) => None,
            Ok(false) => {
                tracing::warn!(shard_id = %self.shard, "lease lost before the checkpoint; leaving the shard");
                Some(Next::Lost)
            }
            Err(e) => {
                tracing::warn!(shard_id = %self.shard, error = %e, "checkpoint failed; it moves with the next one");
                None
            }
        }
    }

    /// Writes the checkpoint that waits quietly, if any (see the module docs).
    async fn write_quiet(&mut self) -> Option<Next> {
        let (seq, _) = self.quiet.take()?;
        self.checkpoint(&seq).await
    }

    /// Gives the shard up (after the record in hand), keeping its checkpoint: the quiet one
    /// written first, so whoever takes the shard over starts after it.
    pub(crate) async fn release(&mut self) {
        if self.keeper.is_held() {
            let _ = self.write_quiet().await;
        }
        self.keeper.release().await;
    }
}

/// Drives one reader in its own task until it finishes, loses its lease or is told to stop
/// (then it releases the lease). Its lease keeps being renewed by the keeper meanwhile. Empty
/// reads back off from `idle` doubling to `idle_max`. After a read with records, the first
/// empty read waits only `idle` (a burst's next records come quickly), then the backoff goes
/// on where it was: one booking costs one quick look, not a climb from `idle` all over again
/// (every read is a billed request; the next record after a booking usually comes from a
/// person, seconds or minutes later).
pub(crate) async fn drive(
    mut reader: ShardReader,
    mut stop: watch::Receiver<bool>,
    idle: Duration,
    idle_max: Duration,
) {
    reader.stop_on(stop.clone());
    let idle_max = idle_max.max(idle);
    let mut pause = idle;
    let mut quick_look = false;
    loop {
        if *stop.borrow() {
            break;
        }
        let report = reader.step().await;
        if report.records > 0 {
            quick_look = true;
        }
        let until = match report.next {
            Next::Now => {
                tokio::task::yield_now().await;
                continue;
            }
            Next::Idle if std::mem::take(&mut quick_look) => Instant::now() + idle,
            Next::Idle => {
                let until = Instant::now() + pause;
                pause = (pause * 2).min(idle_max);
                until
            }
            Next::At(at) => at,
            Next::Finished => return,
            // Released all the same: a lease this reader stopped trusting by its own clock (a
            // renewal came late) may still be ours in the table; the release is conditional on
            // owner and counter, so it never takes a lease someone else holds now.
            Next::Lost => break,
        };
        tokio::select! {
            _ = tokio::time::sleep_until(until) => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
    reader.release().await;
}
