//! What a rebalance re-reads and when the next one comes: every read is a billed request on
//! AWS, so an idle consumer renews its heartbeat with one write, reuses the shard list while
//! nothing changed, and sleeps its whole period unless a lease it waits for ends sooner.

use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::ports::{ChangeFeed, Lease, LeaseCleanup, Leases, Shard};
use dispatch_core::StoreError;
use tokio::time::Instant;

use super::plan::WORKER_PREFIX;

/// The stream's shards as last read, and whether they must be read again.
#[derive(Default)]
pub(crate) struct ShardCache {
    shards: Vec<Shard>,
    read_at: Option<Instant>,
    stale: bool,
}

impl ShardCache {
    /// Something changed (a reader ended): read the shards again on the next rebalance.
    pub(crate) fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// The shards: read again when stale, older than `every`, or when a lease row names a
    /// shard the list does not have (another consumer found it first).
    pub(crate) async fn shards(
        &mut self,
        feed: &dyn ChangeFeed,
        every: Duration,
        leases: &[Lease],
    ) -> Result<Vec<Shard>, StoreError> {
        let unknown = leases.iter().any(|l| {
            !l.shard_id.starts_with(WORKER_PREFIX)
                && !self.shards.iter().any(|s| s.id == l.shard_id)
        });
        let old = self.read_at.is_none_or(|at| at.elapsed() >= every);
        if self.stale || old || unknown {
            self.shards = feed.shards().await?;
            self.read_at = Some(Instant::now());
            self.stale = false;
        }
        Ok(self.shards.clone())
    }
}

/// Keeps this consumer's heartbeat row: one renewal (a conditional write) while it is held,
/// a fresh acquire when there is none or it was lost.
pub(crate) async fn heartbeat(
    leases: &dyn Leases,
    stream: &str,
    owner: &str,
    held: Option<&Lease>,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> Result<Option<Lease>, StoreError> {
    if let Some(hb) = held {
        if let Some(renewed) = leases.renew(hb, now, ttl).await? {
            return Ok(Some(renewed));
        }
    }
    leases
        .acquire(stream, &format!("{WORKER_PREFIX}{owner}"), owner, now, ttl)
        .await
}

/// Removes lease rows nobody needs (expired heartbeats, finished shards); a failure is tried
/// again on the next rebalance.
pub(crate) async fn remove_stale(cleanup: &dyn LeaseCleanup, rows: Vec<&Lease>) {
    for row in rows {
        match cleanup.remove(row).await {
            Ok(true) => {
                tracing::info!(row = %row.shard_id, owner = %row.owner, checkpoint = ?row.checkpoint, "removed a lease row nobody needs")
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(row = %row.shard_id, error = %e, "could not remove a stale lease row; trying again next time")
            }
        }
    }
}

/// When the first live lease of another owner on one of `wanted` (eligible shards this
/// consumer would take) ends: the next rebalance comes then, not a whole period later.
pub(crate) fn next_takeover<'a>(
    wanted: impl IntoIterator<Item = &'a Shard>,
    leases: &[Lease],
    me: &str,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    wanted
        .into_iter()
        .filter_map(|s| leases.iter().find(|l| l.shard_id == s.id))
        .filter(|l| l.owner != me && l.expires_at > now)
        .map(|l| l.expires_at)
        .min()
}

/// How long to sleep before the next rebalance: the period, or until `takeover` (a little
/// after, so the lease has surely ended), whichever is sooner.
pub(crate) fn pause(
    every: Duration,
    takeover: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Duration {
    match takeover.and_then(|t| (t - now).to_std().ok()) {
        Some(left) => (left + Duration::from_millis(250)).min(every),
        None => every,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_is_the_period_or_until_a_lease_ends() {
        let now = Utc::now();
        let every = Duration::from_secs(60);
        assert_eq!(pause(every, None, now), every);
        let soon = now + chrono::Duration::seconds(10);
        assert_eq!(pause(every, Some(soon), now), Duration::from_millis(10_250));
        let late = now + chrono::Duration::seconds(600);
        assert_eq!(pause(every, Some(late), now), every);
        let past = now - chrono::Duration::seconds(1);
        assert_eq!(pause(every, Some(past), now), every);
    }
}
