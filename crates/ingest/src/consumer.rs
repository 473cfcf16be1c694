//! The long-running stream consumer: shards, leases, checkpoints, retries, dead letters.
//!
//! One consumer (`owner`) holds leases on some shards of the charters stream and reads them in
//! order. Several consumers split the shards between them: each announces itself with a heartbeat
//! lease (`worker#<owner>`) and takes at most its fair share. A shard's children are read only once
//! the parent is read to its end. Every checkpoint write is conditional on still holding the lease,
//! so a consumer that lost its lease can never move a checkpoint; a consumer that dies stops
//! renewing, its leases expire, and another takes the shards over from their checkpoints.
//!
//! A record is retried with backoff a bounded number of times; one that keeps failing goes to
//! `ingest-dlq` with the full record, the error and its shard and sequence, and the shard moves on.

use dispatch_core::metrics::{self, Counter};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::item;
use dispatch_core::ports::{
    ChangeFeed, ChangeRecord, Lease, Leases, OutMessage, QueueId, Queues, StartAt, SHARD_END,
};
use dispatch_core::StoreError;
use tokio::sync::watch;

use crate::route::{route, RouteError};
use crate::sink::EventSink;

/// Why a record could not be handled.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct HandleError {
    pub retryable: bool,
    pub message: String,
}

impl From<StoreError> for HandleError {
    fn from(e: StoreError) -> Self {
        Self {
            retryable: e.is_retryable(),
            message: e.to_string(),
        }
    }
}

impl From<RouteError> for HandleError {
    fn from(e: RouteError) -> Self {
        Self {
            retryable: false,
            message: e.to_string(),
        }
    }
}

/// Handles one change record. Must be idempotent: a record can be handled more than once.
#[async_trait::async_trait]
pub trait RecordHandler: Send + Sync {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError>;
}

/// Routes a record to domain events and publishes them.
pub struct RouterHandler {
    pub sink: Arc<dyn EventSink>,
}

#[async_trait::async_trait]
impl RecordHandler for RouterHandler {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError> {
        for event in route(record)? {
            self.sink.publish(&event).await?;
        }
        Ok(())
    }
}

/// Consumer settings.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// This consumer's name in the lease table (unique per process).
    pub owner: String,
    /// How long a lease lasts without renewal.
    pub lease_ttl: Duration,
    /// How often leases are renewed and shards rebalanced (well under `lease_ttl`).
    pub rebalance_every: Duration,
    /// Records per read (DynamoDB Streams allows up to 1000).
    pub batch: u32,
    /// Pause after a round that found no records (DynamoDB Streams allows 5 reads/s per shard).
    pub idle_sleep: Duration,
    /// Attempts per record before it goes to `ingest-dlq`.
    pub record_attempts: u32,
    /// First retry delay for a failing record (doubles, with jitter).
    pub retry_base: Duration,
    /// Where to start on a shard without a checkpoint.
    pub start: StartAt,
}

impl ConsumerConfig {
    pub fn new(owner: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            lease_ttl: Duration::from_secs(30),
            rebalance_every: Duration::from_secs(5),
            batch: 100,
            idle_sleep: Duration::from_millis(500),
            record_attempts: 5,
            retry_base: Duration::from_millis(200),
            start: StartAt::TrimHorizon,
        }
    }
}

const WORKER_PREFIX: &str = "worker#";

struct Held {
    lease: Lease,
    iterator: Option<String>,
}

/// What one polling round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundStats {
    pub records: usize,
    pub dead_lettered: usize,
    pub shards_finished: usize,
}

/// A stream consumer. Drive it with [`Consumer::run`], or step it with [`Consumer::rebalance`] and
/// [`Consumer::poll_once`] in tests.
pub struct Consumer {
    feed: Arc<dyn ChangeFeed>,
    leases: Arc<dyn Leases>,
    queues: Arc<dyn Queues>,
    handler: Arc<dyn RecordHandler>,
    cfg: ConsumerConfig,
    held: BTreeMap<String, Held>,
    stream: Option<String>,
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(30))
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
            queues,
            handler,
            cfg,
            held: BTreeMap::new(),
            stream: None,
        }
    }

    /// The shards this consumer holds now.
    pub fn held_shards(&self) -> Vec<String> {
        self.held.keys().cloned().collect()
    }

    async fn stream(&mut self) -> Result<String, StoreError> {
        if let Some(s) = &self.stream {
            return Ok(s.clone());
        }
        let s = self.feed.stream_name().await?;
        self.stream = Some(s.clone());
        Ok(s)
    }

    /// Renews held leases, announces this consumer, and takes free shards up to a fair share.
    pub async fn rebalance(&mut self) -> Result<(), StoreError> {
        let stream = self.stream().await?;
        let now = Utc::now();
        let ttl = chrono_dur(self.cfg.lease_ttl);
        // Renew what we hold; drop what we lost.
        let mut lost = Vec::new();
        for (shard, held) in self.held.iter_mut() {
            match self.leases.renew(&held.lease, now, ttl).await? {
                Some(l) => held.lease = l,
                None => lost.push(shard.clone()),
            }
        }
        for shard in lost {
            tracing::warn!(shard_id = %shard, owner = %self.cfg.owner, "lease lost; another consumer has the shard");
            self.held.remove(&shard);
        }
        self.leases
            .acquire(
                &stream,
                &format!("{WORKER_PREFIX}{}", self.cfg.owner),
                &self.cfg.owner,
                now,
                ttl,
            )
            .await?;

        let shards = self.feed.shards().await?;
        let leases = self.leases.list(&stream).await?;
        let owners: HashSet<&str> = leases
            .iter()
            .filter(|l| l.shard_id.starts_with(WORKER_PREFIX) && l.expires_at > now)
            .map(|l| l.owner.as_str())
            .collect();
        let finished: HashSet<&str> = leases
            .iter()
            .filter(|l| l.checkpoint.as_deref() == Some(SHARD_END))
            .map(|l| l.shard_id.as_str())
            .collect();
        let known: HashSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
        let eligible: Vec<&str> = shards
            .iter()
            .filter(|s| !finished.contains(s.id.as_str()))
            .filter(|s| match &s.parent {
                None => true,
                // Parent first: a child waits until its parent is read to the end (or is gone).
                Some(p) => finished.contains(p.as_str()) || !known.contains(p.as_str()),
            })
            .map(|s| s.id.as_str())
            .collect();
        let fair_share = eligible.len().div_ceil(owners.len().max(1));
        // Holding more than a fair share (others joined): give the extras up so they can take them.
        while self.held.len() > fair_share {
            let Some((shard, held)) = self.held.pop_last() else {
                break;
            };
            tracing::info!(shard_id = %shard, owner = %self.cfg.owner, fair_share, "releasing shard for another consumer");
            self.leases.release(&held.lease).await?;
        }
        for shard in eligible {
            if self.held.len() >= fair_share {
                break;
            }
            if self.held.contains_key(shard) {
                continue;
            }
            let current = leases.iter().find(|l| l.shard_id == shard);
            let free = current.is_none_or(|l| l.expires_at <= now || l.owner == self.cfg.owner);
            if !free {
                continue;
            }
            if let Some(lease) = self
                .leases
                .acquire(&stream, shard, &self.cfg.owner, now, ttl)
                .await?
            {
                tracing::info!(shard_id = %shard, owner = %self.cfg.owner, checkpoint = ?lease.checkpoint, "shard lease taken");
                self.held.insert(
                    shard.to_string(),
                    Held {
                        lease,
                        iterator: None,
                    },
                );
            }
        }
        Ok(())
    }

    /// Reads one page from every held shard and handles its records in order.
    pub async fn poll_once(&mut self) -> Result<RoundStats, StoreError> {
        let mut stats = RoundStats::default();
        let shards: Vec<String> = self.held.keys().cloned().collect();
        for shard in shards {
            match self.poll_shard(&shard, &mut stats).await {
                Ok(()) => {}
                Err(e) if e.is_retryable() => {
                    tracing::warn!(shard_id = %shard, error = %e, "reading shard failed; will retry")
                }
                Err(e) => return Err(e),
            }
        }
        Ok(stats)
    }

    async fn open_iterator(&self, shard: &str, lease: &Lease) -> Result<String, StoreError> {
        let start = match &lease.checkpoint {
            Some(cp) => StartAt::After(cp.clone()),
            None => self.cfg.start.clone(),
        };
        match self.feed.iterator(shard, &start).await {
            Err(StoreError::TrimmedData) => {
                tracing::error!(
                    shard_id = %shard,
                    checkpoint = ?lease.checkpoint,
                    "stream data after the checkpoint was trimmed (older than 24 h): changes between the checkpoint and the oldest kept record are LOST; continuing from the oldest record"
                );
                self.feed.iterator(shard, &StartAt::TrimHorizon).await
            }
            other => other,
        }
    }

    async fn poll_shard(&mut self, shard: &str, stats: &mut RoundStats) -> Result<(), StoreError> {
        let Some(held) = self.held.get(shard) else {
            return Ok(());
        };
        let lease = held.lease.clone();
        let iterator = match &held.iterator {
            Some(it) => it.clone(),
            None => self.open_iterator(shard, &lease).await?,
        };
        let page = match self.feed.read(&iterator, self.cfg.batch).await {
            Ok(p) => p,
            Err(StoreError::IteratorExpired) => {
                tracing::info!(shard_id = %shard, "iterator expired; reopening from the checkpoint");
                if let Some(h) = self.held.get_mut(shard) {
                    h.iterator = None;
                }
                return Ok(());
            }
            Err(StoreError::TrimmedData) => {
                tracing::error!(shard_id = %shard, "stream data trimmed under the iterator: records may be LOST; continuing from the oldest record");
                let it = self.feed.iterator(shard, &StartAt::TrimHorizon).await?;
                if let Some(h) = self.held.get_mut(shard) {
                    h.iterator = Some(it);
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut last = None;
        for mut record in page.records {
            if record.shard_id.is_empty() {
                record.shard_id = shard.to_string();
            }
            if !self.handle_with_retries(&record).await? {
                stats.dead_lettered += 1;
            }
            stats.records += 1;
            last = Some(record.sequence.clone());
        }
        if let Some(seq) = &last {
            if !self.leases.checkpoint(&lease, seq).await? {
                tracing::warn!(shard_id = %shard, "lease lost before checkpoint; leaving the shard");
                self.held.remove(shard);
                return Ok(());
            }
        }
        match page.next {
            Some(next) => {
                if let Some(h) = self.held.get_mut(shard) {
                    h.iterator = Some(next);
                    if let Some(seq) = last {
                        h.lease.checkpoint = Some(seq);
                    }
                }
            }
            None => {
                tracing::info!(shard_id = %shard, "shard read to its end");
                self.leases.checkpoint(&lease, SHARD_END).await?;
                let mut ended = lease.clone();
                ended.checkpoint = Some(SHARD_END.into());
                self.leases.release(&ended).await?;
                self.held.remove(shard);
                stats.shards_finished += 1;
            }
        }
        Ok(())
    }

    /// Handles a record with bounded retries; on giving up, dead-letters it. Returns false if it
    /// was dead-lettered. Fails only if the dead letter itself cannot be written (then the
    /// checkpoint does not move and the record is read again).
    async fn handle_with_retries(&self, record: &ChangeRecord) -> Result<bool, StoreError> {
        let mut attempt = 0;
        let error = loop {
            attempt += 1;
            match self.handler.handle(record).await {
                Ok(()) => {
                    metrics::incr(Counter::RecordsProcessed);
                    return Ok(true);
                }
                Err(e) if e.retryable && attempt < self.cfg.record_attempts => {
                    metrics::incr(Counter::RecordsRetried);
                    let wait = crate::backoff::delay(
                        attempt,
                        self.cfg.retry_base,
                        Duration::from_secs(10),
                    );
                    tracing::warn!(shard_id = %record.shard_id, sequence = %record.sequence, attempt, error = %e, "record failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => break e,
            }
        };
        tracing::error!(shard_id = %record.shard_id, sequence = %record.sequence, attempts = attempt, error = %error, "record sent to ingest-dlq");
        let body = dead_letter_body(self.stream.as_deref().unwrap_or(""), record, &error.message);
        let msg = OutMessage::new(body.to_string())
            .attribute("dispatch-error", truncate(&error.message, 1000))
            .attribute("dispatch-source", "stream");
        self.queues.send(QueueId::IngestDlq, &[msg]).await?;
        metrics::incr(Counter::RecordsDeadLettered);
        Ok(false)
    }

    /// Runs until `shutdown` turns true, then releases its leases.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), StoreError> {
        let mut next_rebalance = tokio::time::Instant::now();
        while !*shutdown.borrow() {
            if tokio::time::Instant::now() >= next_rebalance {
                if let Err(e) = self.rebalance().await {
                    tracing::warn!(error = %e, "rebalance failed; retrying");
                }
                next_rebalance = tokio::time::Instant::now() + self.cfg.rebalance_every;
            }
            let stats = match self.poll_once().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "stream consumer round failed");
                    RoundStats::default()
                }
            };
            if stats.records == 0 {
                let wait = self.cfg.idle_sleep.min(
                    next_rebalance
                        .saturating_duration_since(tokio::time::Instant::now())
                        .max(Duration::from_millis(10)),
                );
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        for held in self.held.values() {
            if let Err(e) = self.leases.release(&held.lease).await {
                tracing::warn!(shard_id = %held.lease.shard_id, error = %e, "could not release lease; it expires on its own");
            }
        }
        tracing::info!(owner = %self.cfg.owner, "stream consumer stopped");
        Ok(())
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The full record as a dead letter: enough to replay it.
pub fn dead_letter_body(stream: &str, record: &ChangeRecord, error: &str) -> serde_json::Value {
    serde_json::json!({
        "v": 1,
        "kind": "stream_record",
        "stream": stream,
        "shard_id": record.shard_id,
        "sequence": record.sequence,
        "event_id": record.event_id,
        "event_name": record.kind.as_str(),
        "keys": item::to_json(&record.keys),
        "old_image": record.old_image.as_ref().map(item::to_json),
        "new_image": record.new_image.as_ref().map(item::to_json),
        "error": error,
        "failed_at": Utc::now(),
    })
}

/// Reads a dead letter written by [`dead_letter_body`] back into a record.
pub fn record_from_dead_letter(body: &str) -> Result<ChangeRecord, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("kind").and_then(|k| k.as_str()) != Some("stream_record") {
        return Err("not a stream record dead letter".into());
    }
    let s = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let img = |k: &str| -> Result<Option<item::Item>, String> {
        match v.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(x) => item::from_json(x).map(Some).map_err(|e| e.to_string()),
        }
    };
    let kind = match s("event_name").as_str() {
        "INSERT" => dispatch_core::ports::ChangeKind::Insert,
        "MODIFY" => dispatch_core::ports::ChangeKind::Modify,
        "REMOVE" => dispatch_core::ports::ChangeKind::Remove,
        other => return Err(format!("unknown event_name {other}")),
    };
    Ok(ChangeRecord {
        event_id: s("event_id"),
        kind,
        shard_id: s("shard_id"),
        sequence: s("sequence"),
        keys: img("keys")?.unwrap_or_default(),
        old_image: img("old_image")?,
        new_image: img("new_image")?,
        created_at: None,
    })
}
