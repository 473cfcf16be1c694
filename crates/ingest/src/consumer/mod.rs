//! The long-running stream consumer: shards, leases, checkpoints, retries that wait, dead letters.
//!
//! One consumer (`owner`) holds leases on some shards of the charters stream and reads each of
//! them in order, **one task per shard**: a shard whose record keeps failing backs off alone and
//! never delays the others. Several consumers split the shards between them: each announces
//! itself with a heartbeat lease (`worker#<owner>`) and takes at most its fair share. A shard's
//! children are read only once the parent is read to its end, and always from their trim horizon.
//! Every checkpoint write is conditional on still holding the lease, so a consumer that lost its
//! lease can never move a checkpoint; a consumer that dies stops renewing, its leases expire, and
//! another takes the shards over from their checkpoints.
//!
//! - [`crate::record`]: what is done with a record, and whether a failure may pass.
//! - [`plan`](self::plan): pure decisions — settled and eligible shards, where a shard starts,
//!   which lease rows nobody needs.
//! - `keeper`: one held lease, renewed by its own task on a fixed period whatever records cost.
//! - `shard`: one shard as a state machine — a retryable failure holds the shard with capped
//!   exponential backoff (for as long as it lasts); a record that can never succeed goes to
//!   `ingest-dlq` with the full record and the error, and the shard moves on. `slot`: a held
//!   shard, in place or in its task.
//! - `cadence`: what a rebalance re-reads, and when the next one comes (sooner than its period).
//! - [`crate::dlq::format`]: the `ingest-dlq` message and reading it back for replay.
//!
//! Time (lease expiry, dead letters' times) is read from a [`Clock`] ([`Consumer::with_clock`]),
//! so tests can move it.
//!
//! Housekeeping on every rebalance: expired heartbeats (consumers that stopped without saying
//! so) and `SHARD_END` rows whose children are all under way are removed by whoever sees them; a
//! consumer that stops gracefully removes its own heartbeat.
//!
//! Drive it with [`Consumer::run`], or step it with [`Consumer::rebalance`] and
//! [`Consumer::poll_once`] in tests.

mod cadence;
mod config;
mod keeper;
pub mod plan;
mod shard;
mod slot;

use std::collections::BTreeMap;
use std::sync::Arc;

use dispatch_core::clock::{Clock, SystemClock};
use dispatch_core::ports::{ChangeFeed, Lease, LeaseCleanup, Leases, Queues};
use dispatch_core::{Backend, StoreError};
use tokio::sync::{watch, Notify};
use tracing::Instrument;

/// Compatibility: the dead-letter format moved to `crate::dlq::format`.
pub use crate::dlq::format::{dead_letter_body, dead_letter_message, record_from_dead_letter};
/// Compatibility: the record contract moved to `crate::record`.
pub use crate::record::{Checkpoint, HandleError, RecordHandler, RouterHandler};
pub use config::ConsumerConfig;

use keeper::LeaseKeeper;
use plan::View;
use shard::{Next, Ports, ShardReader};
use slot::{Running, Slot};

/// What one polling round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundStats {
    pub records: usize,
    pub dead_lettered: usize,
    pub shards_finished: usize,
}

/// A stream consumer (see the module docs).
pub struct Consumer {
    feed: Arc<dyn ChangeFeed>,
    leases: Arc<dyn Leases>,
    cleanup: Option<Arc<dyn LeaseCleanup>>,
    queues: Arc<dyn Queues>,
    handler: Arc<dyn RecordHandler>,
    cfg: Arc<ConsumerConfig>,
    held: BTreeMap<String, Slot>,
    /// Shard tasks told to stop (given up to another consumer) and not yet ended.
    stopping: Vec<Running>,
    heartbeat: Option<Lease>,
    stream: Option<String>,
    clock: Arc<dyn Clock>,
    shards: cadence::ShardCache,
    /// When a lease this consumer waits for ends (the next rebalance comes then).
    takeover: Option<chrono::DateTime<chrono::Utc>>,
    /// Told when a shard's reader ends: rebalance at once (its children may start).
    ended: Arc<Notify>,
}

impl Consumer {
    pub fn new(
        feed: Arc<dyn ChangeFeed>,
        leases: Arc<dyn Leases>,
        queues: Arc<dyn Queues>,
        handler: Arc<dyn RecordHandler>,
        cfg: ConsumerConfig,
    ) -> Self {
        Self {
            feed,
            leases,
            cleanup: None,
            queues,
            handler,
            cfg: Arc::new(cfg),
            held: BTreeMap::new(),
            stopping: Vec::new(),
            heartbeat: None,
            stream: None,
            clock: Arc::new(SystemClock),
            shards: cadence::ShardCache::default(),
            takeover: None,
            ended: Arc::new(Notify::new()),
        }
    }

    /// Reads time from `clock` (leases, dead letters): tests move it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A consumer of `backend`'s feed, with its lease store and housekeeping.
    pub fn for_backend(
        backend: &Backend,
        handler: Arc<dyn RecordHandler>,
        cfg: ConsumerConfig,
    ) -> Self {
        Self::new(
            backend.feed.clone(),
            backend.leases.clone(),
            backend.queues.clone(),
            handler,
            cfg,
        )
        .with_cleanup(backend.lease_cleanup.clone())
    }

    /// Removes stale lease rows (expired heartbeats, finished shards) on each rebalance, and
    /// this consumer's heartbeat when it stops.
    pub fn with_cleanup(mut self, cleanup: Arc<dyn LeaseCleanup>) -> Self {
        self.cleanup = Some(cleanup);
        self
    }

    /// The shards this consumer holds now.
    pub fn held_shards(&self) -> Vec<String> {
        self.held.keys().cloned().collect()
    }

    async fn stream(&mut self) -> Result<String, StoreError> {
        if self.stream.is_none() {
            self.stream = Some(self.feed.stream_name().await?);
        }
        Ok(self.stream.clone().unwrap_or_default())
    }

    /// Forgets shards whose reader ended (finished, or lost its lease); true if any did.
    fn reap(&mut self) -> bool {
        let before = self.held.len();
        self.held.retain(|shard, slot| {
            let gone = match slot {
                Slot::Here(r) => !r.keeper.is_held(),
                Slot::Running(r) => r.finished(),
            };
            if gone {
                tracing::debug!(shard_id = %shard, "shard no longer held");
            }
            !gone
        });
        self.stopping.retain(|r| !r.finished());
        self.held.len() != before
    }

    /// Renews the heartbeat, removes stale lease rows, gives up shards above a fair share and
    /// takes free eligible shards up to it. Held leases are renewed by their own tasks, not here.
    pub async fn rebalance(&mut self) -> Result<(), StoreError> {
        let stream = self.stream().await?;
        if self.reap() {
            self.shards.mark_stale();
        }
        self.takeover = None;
        let now = self.clock.now();
        let ttl = self.cfg.ttl();
        let me = self.cfg.owner.clone();
        let hb_ttl = self.cfg.heartbeat_ttl();
        let hb = self.heartbeat.take();
        match cadence::heartbeat(self.leases.as_ref(), &stream, &me, hb.as_ref(), now, hb_ttl).await
        {
            Ok(Some(hb)) => self.heartbeat = Some(hb),
            Ok(None) => tracing::warn!(owner = %me, "another consumer uses this owner name"),
            Err(e) => {
                self.heartbeat = hb;
                return Err(e);
            }
        }

        let leases = self.leases.list(&stream).await?;
        let shards = self
            .shards
            .shards(self.feed.as_ref(), self.cfg.shards_every, &leases)
            .await?;
        let view = View::new(&shards, &leases);
        if let Some(cleanup) = &self.cleanup {
            cadence::remove_stale(cleanup.as_ref(), view.removable(&leases, now)).await;
        }
        let settled = view.settled();
        let eligible = view.eligible(&settled);
        let owners = plan::live_owners(&leases, now).len().max(1);
        let fair_share = eligible.len().div_ceil(owners);
        // Holding more than a fair share (others joined): give the extras up so they can take them.
        while self.held.len() > fair_share {
            let Some((shard, slot)) = self.held.pop_last() else {
                break;
            };
            tracing::info!(shard_id = %shard, owner = %me, fair_share, "releasing shard for another consumer");
            match slot {
                Slot::Here(mut reader) => reader.release().await,
                Slot::Running(running) => {
                    let _ = running.stop.send(true);
                    self.stopping.push(running);
                }
            }
        }
        let ports = Ports {
            feed: self.feed.clone(),
            queues: self.queues.clone(),
            handler: self.handler.clone(),
            clock: self.clock.clone(),
        };
        for &shard in &eligible {
            if self.held.len() >= fair_share {
                break;
            }
            if self.held.contains_key(&shard.id) {
                continue;
            }
            let current = leases.iter().find(|l| l.shard_id == shard.id);
            let free = current.is_none_or(|l| l.expires_at <= now || l.owner == me);
            // A shard given up moments ago may still be finishing its record in its task.
            let ours_still_stopping =
                current.is_some_and(|l| l.owner == me) && !self.stopping.is_empty();
            if !free || ours_still_stopping {
                continue;
            }
            if let Some(lease) = self
                .leases
                .acquire(&stream, &shard.id, &me, now, ttl)
                .await?
            {
                let start = view.fresh_start(shard, &self.cfg.start);
                tracing::info!(shard_id = %shard.id, owner = %me, checkpoint = ?lease.checkpoint, fresh_start = ?start, "shard lease taken");
                let keeper = LeaseKeeper::start(
                    self.leases.clone(),
                    self.clock.clone(),
                    lease,
                    ttl,
                    self.cfg.renew_period(),
                );
                let reader = ShardReader::new(
                    stream.clone(),
                    ports.clone(),
                    self.cfg.clone(),
                    keeper,
                    shard.id.clone(),
                    start,
                );
                self.held
                    .insert(shard.id.clone(), Slot::Here(Box::new(reader)));
            }
        }
        if self.held.len() < fair_share {
            let wanted = eligible
                .iter()
                .copied()
                .filter(|s| !self.held.contains_key(&s.id));
            self.takeover = cadence::next_takeover(wanted, &leases, &me, now);
        }
        Ok(())
    }

    /// One step of every shard held in place: reads a page (or retries the record at the head
    /// when its backoff is over) and handles what it can, in order. A shard that is backing off
    /// returns at once.
    pub async fn poll_once(&mut self) -> Result<RoundStats, StoreError> {
        let mut stats = RoundStats::default();
        let mut ended = Vec::new();
        for (shard, slot) in self.held.iter_mut() {
            let Slot::Here(reader) = slot else { continue };
            let report = reader.step().await;
            stats.records += report.records;
            stats.dead_lettered += report.dead_lettered;
            match report.next {
                Next::Finished => {
                    stats.shards_finished += 1;
                    ended.push(shard.clone());
                }
                Next::Lost => ended.push(shard.clone()),
                Next::Now | Next::Idle | Next::At(_) => {}
            }
        }
        for shard in ended {
            self.held.remove(&shard);
        }
        Ok(stats)
    }

    /// Moves every shard held in place into its own task.
    fn spawn_readers(&mut self) {
        let here: Vec<String> = self
            .held
            .iter()
            .filter(|(_, s)| matches!(s, Slot::Here(_)))
            .map(|(k, _)| k.clone())
            .collect();
        for shard in here {
            let Some(Slot::Here(reader)) = self.held.remove(&shard) else {
                continue;
            };
            let (stop, stop_rx) = watch::channel(false);
            let span = tracing::info_span!("shard", shard_id = %shard, owner = %self.cfg.owner);
            let ended = self.ended.clone();
            let (idle, idle_max) = (self.cfg.idle_sleep, self.cfg.idle_max);
            let task = tokio::spawn(
                async move {
                    shard::drive(*reader, stop_rx, idle, idle_max).await;
                    ended.notify_one();
                }
                .instrument(span),
            );
            self.held.insert(
                shard,
                Slot::Running(Running {
                    stop,
                    task: Some(task),
                }),
            );
        }
    }

    /// Runs until `shutdown` turns true, then stops (see [`Consumer::stop`]).
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), StoreError> {
        while !*shutdown.borrow() {
            if let Err(e) = self.rebalance().await {
                tracing::warn!(error = %e, "rebalance failed; retrying");
            }
            self.spawn_readers();
            let wait = cadence::pause(self.cfg.rebalance_every, self.takeover, self.clock.now());
            let ended = self.ended.clone();
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = ended.notified() => {}
                changed = shutdown.changed() => if changed.is_err() { break },
            }
        }
        self.stop().await;
        Ok(())
    }

    /// Stops gracefully: every shard finishes the record in hand, checkpoints and releases its
    /// lease; then this consumer's heartbeat row is removed. A shard task that does not end
    /// within the lease TTL is abandoned (its lease lapses on its own).
    pub async fn stop(mut self) {
        let mut running = std::mem::take(&mut self.stopping);
        for (_, slot) in std::mem::take(&mut self.held) {
            match slot {
                Slot::Here(mut reader) => reader.release().await,
                Slot::Running(r) => {
                    let _ = r.stop.send(true);
                    running.push(r);
                }
            }
        }
        let deadline = tokio::time::Instant::now() + self.cfg.lease_ttl;
        for mut r in running {
            if let Some(task) = r.task.take() {
                let abort = task.abort_handle();
                if tokio::time::timeout_at(deadline, task).await.is_err() {
                    tracing::warn!(
                        "a shard task did not stop in time; its lease lapses on its own"
                    );
                    abort.abort();
                }
            }
        }
        if let Some(hb) = self.heartbeat.take() {
            let removed = match &self.cleanup {
                Some(c) => c.remove(&hb).await.map(|_| ()),
                None => self.leases.release(&hb).await,
            };
            if let Err(e) = removed {
                tracing::warn!(error = %e, "could not remove this consumer's heartbeat; another consumer removes it once it expires");
            }
        }
        tracing::info!(owner = %self.cfg.owner, "stream consumer stopped");
    }
}
