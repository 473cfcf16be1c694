//! The consumer's settings.

use std::time::Duration;

use dispatch_core::ports::StartAt;
use dispatch_core::retry::Policy;

/// Consumer settings.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// This consumer's name in the lease table (unique per process).
    pub owner: String,
    /// How long a lease lasts without renewal.
    pub lease_ttl: Duration,
    /// How often each held lease is renewed by its own task (at most a third of `lease_ttl`
    /// is used, so two renewals can fail before the lease lapses).
    pub renew_every: Duration,
    /// How often shards are rebalanced, the heartbeat renewed and stale lease rows removed.
    /// A rebalance also comes sooner when it can do something: when a shard's reader ends
    /// (its children may start) and when a lease this consumer waits for expires (a crashed
    /// consumer's shard is taken over at its lease's end, not a period later).
    pub rebalance_every: Duration,
    /// How long the stream's shard list is reused between rebalances while nothing changed
    /// (a reader ended, or a lease row names a shard not in the list): zero reads it on
    /// every rebalance. Shards change rarely (DynamoDB splits a shard every few hours).
    pub shards_every: Duration,
    /// Records per read (DynamoDB Streams allows up to 1000).
    pub batch: u32,
    /// Pause after a read that found no records (DynamoDB Streams allows 5 reads/s per shard).
    pub idle_sleep: Duration,
    /// While reads keep coming back empty the pause doubles up to this (a read with records
    /// resets it): an idle stream costs a read every few seconds, not two a second, and a new
    /// record waits at most this long.
    pub idle_max: Duration,
    /// First retry delay for a record that failed for a reason that may pass (doubles, with
    /// jitter, up to `retry_max`; retried for as long as it takes).
    pub retry_base: Duration,
    /// Longest wait between two tries of a failing record.
    pub retry_max: Duration,
    /// How long the checkpoint may wait after records whose handling, done again, would do
    /// nothing more ([`crate::record::Checkpoint::CanWait`]): written with the next record that
    /// needs it at once, when this has passed, or when the shard is given up. A consumer
    /// taking the shard over after a crash reads that much again, and finds it done.
    pub checkpoint_wait: Duration,
    /// Where to start on a shard that has no checkpoint and no parent. A child shard always
    /// starts at its trim horizon, whatever this says: its first records came after the
    /// parent's last.
    pub start: StartAt,
}

impl ConsumerConfig {
    pub fn new(owner: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            lease_ttl: Duration::from_secs(30),
            renew_every: Duration::from_secs(10),
            rebalance_every: Duration::from_secs(5),
            shards_every: Duration::ZERO,
            batch: 100,
            idle_sleep: Duration::from_millis(500),
            idle_max: Duration::from_secs(4),
            retry_base: Duration::from_millis(200),
            retry_max: Duration::from_secs(30),
            checkpoint_wait: Duration::from_secs(60),
            start: StartAt::TrimHorizon,
        }
    }

    /// The wait before a failing record's (or read's) next try: `retry_base` doubling to
    /// `retry_max`, jittered, for as long as it takes.
    pub fn retry_policy(&self) -> Policy {
        Policy::exponential(self.retry_base, self.retry_max).jittered()
    }

    /// The renewal period actually used: `renew_every`, but never more than a third of the TTL.
    pub fn renew_period(&self) -> Duration {
        self.renew_every
            .min(self.lease_ttl / 3)
            .max(Duration::from_millis(10))
    }

    /// The heartbeat's lease: renewed on each rebalance, so it outlives two periods (a
    /// consumer that died still counts for fair shares that long; its shard leases lapse
    /// after `lease_ttl` whatever).
    pub(crate) fn heartbeat_ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.lease_ttl.max(self.rebalance_every * 2))
            .unwrap_or(chrono::Duration::seconds(30))
    }

    pub(crate) fn ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.lease_ttl).unwrap_or(chrono::Duration::seconds(30))
    }
}
