//! Stream shard leases and their checkpoints in the `dispatch-state` table: which consumer reads
//! which shard, and how far it got.

use chrono::{DateTime, Utc};

use crate::StoreError;

/// The checkpoint value of a shard that has been read to its end.
pub const SHARD_END: &str = "SHARD_END";

/// A consumer's lease on one stream shard, with the shard's checkpoint.
/// Key `pk = lease#<stream>`, `sk = <shard_id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub stream: String,
    pub shard_id: String,
    pub owner: String,
    /// Bumped by every acquire and renew: a checkpoint write names the counter it holds.
    pub counter: u64,
    pub expires_at: DateTime<Utc>,
    /// Last sequence number fully handled, or [`SHARD_END`].
    pub checkpoint: Option<String>,
}

/// Stream shard leases and checkpoints.
#[async_trait::async_trait]
pub trait Leases: Send + Sync {
    /// Every lease of a stream (held, expired or finished).
    async fn list(&self, stream: &str) -> Result<Vec<Lease>, StoreError>;
    /// Takes the lease if it is free, expired, or already `owner`'s. Keeps the checkpoint.
    async fn acquire(
        &self,
        stream: &str,
        shard: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError>;
    /// Extends a lease still held as `lease` says (owner and counter); `None` if it was lost.
    async fn renew(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError>;
    /// Moves the checkpoint, only while holding the lease (owner and counter match).
    /// Returns false if the lease was lost: the caller must stop reading that shard.
    async fn checkpoint(&self, lease: &Lease, sequence: &str) -> Result<bool, StoreError>;
    /// Gives the lease up (expires it now), keeping the checkpoint.
    async fn release(&self, lease: &Lease) -> Result<(), StoreError>;
}
