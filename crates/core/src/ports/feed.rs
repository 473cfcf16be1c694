//! The charters table's change feed: DynamoDB Streams on AWS, a transactional outbox locally.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::item::Item;
use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChangeKind {
    Insert,
    Modify,
    Remove,
}

impl ChangeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Insert => "INSERT",
            Self::Modify => "MODIFY",
            Self::Remove => "REMOVE",
        }
    }
}

/// One change to one charter item, with both images (NEW_AND_OLD_IMAGES).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    pub event_id: String,
    pub kind: ChangeKind,
    pub shard_id: String,
    /// Position within the shard; compare with [`sequence_cmp`].
    pub sequence: String,
    pub keys: Item,
    pub old_image: Option<Item>,
    pub new_image: Option<Item>,
    pub created_at: Option<DateTime<Utc>>,
}

/// Orders two sequence numbers of the same shard (decimal strings of any length).
pub fn sequence_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// A shard of the feed. Children are read only after their parent is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    pub id: String,
    pub parent: Option<String>,
    /// A closed shard has an ending sequence number and gets no new records.
    pub closed: bool,
}

/// Where to start reading a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    /// The oldest record still kept.
    TrimHorizon,
    /// Only records written from now on.
    Latest,
    /// Just after a checkpoint.
    After(String),
    /// At this sequence number (the record itself first): re-reading a range for replay.
    At(String),
}

/// A page of records and the iterator to read on with.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    pub records: Vec<ChangeRecord>,
    /// `None` once a closed shard has been read to its end.
    pub next: Option<String>,
}

/// The change feed of the charters table.
#[async_trait::async_trait]
pub trait ChangeFeed: Send + Sync {
    /// A stable name of the stream (its ARN on AWS), used to key leases.
    async fn stream_name(&self) -> Result<String, StoreError>;
    /// Every shard (all pages).
    async fn shards(&self) -> Result<Vec<Shard>, StoreError>;
    /// An iterator for a shard. May fail with [`StoreError::TrimmedData`] for a trimmed position.
    async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError>;
    /// Up to `limit` records from an iterator. Fails with [`StoreError::IteratorExpired`] when the
    /// iterator is too old: open a new one from the checkpoint.
    async fn read(&self, iterator: &str, limit: u32) -> Result<FeedPage, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn sequences_compare_numerically() {
        assert_eq!(sequence_cmp("9", "10"), Ordering::Less);
        assert_eq!(
            sequence_cmp("000000000000000000000100", "99"),
            Ordering::Greater
        );
        assert_eq!(sequence_cmp("42", "0042"), Ordering::Equal);
    }
}
