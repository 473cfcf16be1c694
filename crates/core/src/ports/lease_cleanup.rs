//! Removing lease rows nobody needs any more: the heartbeat of a stopped consumer, the lease of
//! a shard whose children are all under way. Kept apart from [`super::Leases`] (taking, renewing,
//! checkpointing) because only the stream consumer's housekeeping deletes.

use super::leases::Lease;
use crate::StoreError;

/// Deletes lease rows, conditionally.
#[async_trait::async_trait]
pub trait LeaseCleanup: Send + Sync {
    /// Deletes the lease row only if it is still exactly as `seen` (same owner and counter), so a
    /// row that was renewed or taken since it was read is left alone. Returns whether it was
    /// deleted (false also when it was already gone).
    async fn remove(&self, seen: &Lease) -> Result<bool, StoreError>;
}
