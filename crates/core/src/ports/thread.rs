use crate::domain::{CharterId, ThreadEntry};
use crate::StoreError;

/// The `charter-chats` table: each charter's thread.
#[async_trait::async_trait]
pub trait Thread: Send + Sync {
    /// Appends an entry. Writing the same entry (same `ts#id`) twice leaves one.
    async fn append(&self, entry: &ThreadEntry) -> Result<(), StoreError>;
    /// The charter's thread, oldest first.
    async fn list(&self, charter: &CharterId) -> Result<Vec<ThreadEntry>, StoreError>;
}
