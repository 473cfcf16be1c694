//! Test doubles the consumer tests share: a handler that records (and can refuse) records, and
//! a feed of several open shards. Storage and queues are always the real ones.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use dispatch_core::domain::*;
use dispatch_core::ports::*;
use dispatch_core::StoreError;
use dispatch_ingest::consumer::{HandleError, RecordHandler};

use crate::charter;

/// Records the charter dates it handled; refuses one date on demand.
#[derive(Default)]
pub(crate) struct Recorder {
    pub(crate) seen: Mutex<Vec<(String, String)>>,
    /// Records of this date fail...
    pub(crate) fail_date: Option<String>,
    /// ...for good (else for a reason that may pass)...
    pub(crate) fail_permanently: bool,
    /// ...this many times (0: always).
    pub(crate) fail_times: usize,
    pub(crate) attempts: AtomicUsize,
    pub(crate) failures: AtomicUsize,
}

impl Recorder {
    pub(crate) fn dates(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, d)| d.clone())
            .collect()
    }
    pub(crate) fn ids(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }
}

#[async_trait::async_trait]
impl RecordHandler for Recorder {
    async fn handle(&self, record: &ChangeRecord) -> Result<(), HandleError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let c = Charter::from_item(
            record
                .new_image
                .as_ref()
                .or(record.old_image.as_ref())
                .unwrap(),
        )
        .unwrap();
        if self.fail_date.as_deref() == Some(c.charter_date.to_string().as_str())
            && (self.fail_times == 0 || self.failures.load(Ordering::SeqCst) < self.fail_times)
        {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(HandleError {
                retryable: !self.fail_permanently,
                message: "refusing this date".into(),
            });
        }
        self.seen.lock().unwrap().push((
            format!("{}/{}", record.shard_id, record.sequence),
            c.charter_date.to_string(),
        ));
        Ok(())
    }
}

/// A feed of `n` open shards with two records each, for lease-splitting tests.
pub(crate) struct ManyShards {
    shards: Vec<String>,
    records: BTreeMap<String, Vec<ChangeRecord>>,
}

impl ManyShards {
    pub(crate) fn new(n: usize) -> Self {
        let mut records = BTreeMap::new();
        let shards: Vec<String> = (0..n).map(|i| format!("shard-{i}")).collect();
        for s in &shards {
            let recs = (1..=2)
                .map(|seq| ChangeRecord {
                    event_id: format!("{s}-{seq}"),
                    kind: ChangeKind::Insert,
                    shard_id: s.clone(),
                    sequence: format!("{seq:05}"),
                    keys: Default::default(),
                    old_image: None,
                    new_image: Some(charter("2024-05-20").to_item()),
                    created_at: None,
                })
                .collect();
            records.insert(s.clone(), recs);
        }
        Self { shards, records }
    }
}

#[async_trait::async_trait]
impl ChangeFeed for ManyShards {
    async fn stream_name(&self) -> Result<String, StoreError> {
        Ok("many-shards".into())
    }
    async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
        Ok(self
            .shards
            .iter()
            .map(|id| Shard {
                id: id.clone(),
                parent: None,
                closed: false,
            })
            .collect())
    }
    async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError> {
        let after = match start {
            StartAt::After(s) => s.clone(),
            _ => "00000".into(),
        };
        Ok(format!("{shard}|{after}"))
    }
    async fn read(&self, iterator: &str, _limit: u32) -> Result<FeedPage, StoreError> {
        let (shard, after) = iterator.split_once('|').unwrap();
        let recs: Vec<ChangeRecord> = self.records[shard]
            .iter()
            .filter(|r| r.sequence.as_str() > after)
            .cloned()
            .collect();
        let last = recs
            .last()
            .map(|r| r.sequence.clone())
            .unwrap_or(after.to_string());
        Ok(FeedPage {
            records: recs,
            next: Some(format!("{shard}|{last}")),
        })
    }
}
