//! Consumer behaviour that needs a feed misbehaving on purpose — expired iterators, trimmed data,
//! split shards, a stream that grows while it is read; the lease store is the real embedded one.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use dispatch_core::ports::*;
use dispatch_core::StoreError;
use dispatch_ingest::consumer::{Consumer, ConsumerConfig, HandleError, RecordHandler};

use crate::common::World;
use crate::{charter, fast};

/// Records `shard:sequence` of each record it handles.
#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

#[async_trait::async_trait]
impl RecordHandler for Seen {
    async fn handle(&self, r: &ChangeRecord) -> Result<(), HandleError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("{}:{}", r.shard_id, r.sequence));
        Ok(())
    }
}

/// An INSERT of a fresh charter as record `seq` of `shard`.
fn rec(shard: &str, seq: u32) -> ChangeRecord {
    ChangeRecord {
        event_id: format!("{shard}-{seq}"),
        kind: ChangeKind::Insert,
        shard_id: shard.into(),
        sequence: format!("{seq:05}"),
        keys: Default::default(),
        old_image: None,
        new_image: Some(charter("2024-05-03").to_item()),
        created_at: None,
    }
}

/// A parent shard (closed) with a child; the first read expires, the first resume is trimmed.
struct Tricky {
    shards: Vec<Shard>,
    records: BTreeMap<String, Vec<ChangeRecord>>,
    expire_once: AtomicUsize,
    trim_once: AtomicUsize,
}

#[async_trait::async_trait]
impl ChangeFeed for Tricky {
    async fn stream_name(&self) -> Result<String, StoreError> {
        Ok("tricky".into())
    }
    async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
        Ok(self.shards.clone())
    }
    async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError> {
        match start {
            StartAt::After(s) => {
                if self.trim_once.swap(0, Ordering::SeqCst) == 1 {
                    return Err(StoreError::TrimmedData);
                }
                Ok(format!("{shard}|{s}"))
            }
            _ => Ok(format!("{shard}|00000")),
        }
    }
    async fn read(&self, it: &str, _limit: u32) -> Result<FeedPage, StoreError> {
        if self.expire_once.swap(0, Ordering::SeqCst) == 1 {
            return Err(StoreError::IteratorExpired);
        }
        let (shard, after) = it.split_once('|').unwrap();
        // One record per read, so the consumer must come back for more.
        let next = self.records[shard]
            .iter()
            .find(|r| r.sequence.as_str() > after)
            .cloned();
        let closed = self.shards.iter().any(|s| s.id == shard && s.closed);
        match next {
            Some(r) => Ok(FeedPage {
                next: Some(format!("{shard}|{}", r.sequence)),
                records: vec![r],
            }),
            None if closed => Ok(FeedPage {
                records: vec![],
                next: None,
            }),
            None => Ok(FeedPage {
                records: vec![],
                next: Some(it.to_string()),
            }),
        }
    }
}

#[tokio::test]
async fn parent_before_child_and_survives_expiry_and_trimming() {
    let world = World::local().await;
    let feed = Arc::new(Tricky {
        shards: vec![
            Shard {
                id: "child".into(),
                parent: Some("parent".into()),
                closed: false,
            },
            Shard {
                id: "parent".into(),
                parent: None,
                closed: true,
            },
        ],
        records: [
            (
                "parent".to_string(),
                vec![rec("parent", 1), rec("parent", 2)],
            ),
            ("child".to_string(), vec![rec("child", 3)]),
        ]
        .into(),
        expire_once: AtomicUsize::new(1),
        trim_once: AtomicUsize::new(0),
    });
    let seen = Arc::new(Seen::default());
    let mut c = Consumer::new(
        feed.clone(),
        world.backend.leases.clone(),
        world.backend.queues.clone(),
        seen.clone(),
        ConsumerConfig::new("solo"),
    );
    c.rebalance().await.unwrap();
    assert_eq!(
        c.held_shards(),
        vec!["parent"],
        "the child waits for its parent"
    );
    for _ in 0..10 {
        c.rebalance().await.unwrap();
        c.poll_once().await.unwrap();
    }
    assert_eq!(
        *seen.0.lock().unwrap(),
        vec!["parent:00001", "parent:00002", "child:00003"]
    );
    let leases = world.backend.leases.list("tricky").await.unwrap();
    let parent = leases.iter().find(|l| l.shard_id == "parent").unwrap();
    assert_eq!(parent.checkpoint.as_deref(), Some(SHARD_END));
    // A new consumer resuming from a trimmed checkpoint continues from the oldest record.
    feed.trim_once.store(1, Ordering::SeqCst);
    let again = Arc::new(Seen::default());
    let child = leases
        .iter()
        .find(|l| l.shard_id == "child")
        .unwrap()
        .clone();
    world.backend.leases.release(&child).await.unwrap();
    let mut d = Consumer::new(
        feed.clone(),
        world.backend.leases.clone(),
        world.backend.queues.clone(),
        again.clone(),
        ConsumerConfig::new("late"),
    );
    for _ in 0..5 {
        d.rebalance().await.unwrap();
        d.poll_once().await.unwrap();
    }
    assert_eq!(
        *again.0.lock().unwrap(),
        vec!["child:00003"],
        "re-read from the trim horizon after the loss was logged"
    );
}

/// Shards and records that the test adds to; `Latest` means after the last record now there.
#[derive(Default)]
struct Growing {
    shards: Mutex<Vec<Shard>>,
    records: Mutex<BTreeMap<String, Vec<ChangeRecord>>>,
}

impl Growing {
    fn add_shard(&self, id: &str, parent: Option<&str>) {
        self.shards.lock().unwrap().push(Shard {
            id: id.into(),
            parent: parent.map(str::to_string),
            closed: false,
        });
    }
    fn add(&self, shard: &str, seq: u32) {
        self.records
            .lock()
            .unwrap()
            .entry(shard.into())
            .or_default()
            .push(rec(shard, seq));
    }
    fn close(&self, shard: &str) {
        for s in self.shards.lock().unwrap().iter_mut() {
            if s.id == shard {
                s.closed = true;
            }
        }
    }
    fn last(&self, shard: &str) -> String {
        self.records
            .lock()
            .unwrap()
            .get(shard)
            .and_then(|r| r.last())
            .map(|r| r.sequence.clone())
            .unwrap_or("00000".into())
    }
}

#[async_trait::async_trait]
impl ChangeFeed for Growing {
    async fn stream_name(&self) -> Result<String, StoreError> {
        Ok("growing".into())
    }
    async fn shards(&self) -> Result<Vec<Shard>, StoreError> {
        Ok(self.shards.lock().unwrap().clone())
    }
    async fn iterator(&self, shard: &str, start: &StartAt) -> Result<String, StoreError> {
        let after = match start {
            StartAt::TrimHorizon => "00000".to_string(),
            StartAt::Latest => self.last(shard),
            StartAt::After(s) => s.clone(),
            StartAt::At(s) => format!("{:05}", s.parse::<u32>().unwrap_or(1) - 1),
        };
        Ok(format!("{shard}|{after}"))
    }
    async fn read(&self, it: &str, _limit: u32) -> Result<FeedPage, StoreError> {
        let (shard, after) = it.split_once('|').unwrap();
        let recs: Vec<ChangeRecord> = self
            .records
            .lock()
            .unwrap()
            .get(shard)
            .map(|r| {
                r.iter()
                    .filter(|r| r.sequence.as_str() > after)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let closed = self
            .shards
            .lock()
            .unwrap()
            .iter()
            .any(|s| s.id == shard && s.closed);
        let last = recs
            .last()
            .map(|r| r.sequence.clone())
            .unwrap_or(after.into());
        Ok(FeedPage {
            next: (!(closed && recs.is_empty())).then(|| format!("{shard}|{last}")),
            records: recs,
        })
    }
}

#[tokio::test]
async fn consumer_reads_a_child_shard_from_its_trim_horizon_with_latest() {
    let world = World::local().await;
    let feed = Arc::new(Growing::default());
    feed.add_shard("parent", None);
    feed.add("parent", 1); // before the consumer started: `latest` skips it
    let seen = Arc::new(Seen::default());
    let mut cfg = fast("solo");
    cfg.start = StartAt::Latest;
    let mut c = Consumer::new(
        feed.clone(),
        world.backend.leases.clone(),
        world.backend.queues.clone(),
        seen.clone(),
        cfg,
    )
    .with_cleanup(world.backend.lease_cleanup.clone());
    c.rebalance().await.unwrap();
    c.poll_once().await.unwrap();
    feed.add("parent", 2);
    c.poll_once().await.unwrap();
    // The shard splits: the child gets records before the consumer reaches it.
    feed.add_shard("child", Some("parent"));
    feed.add("child", 3);
    feed.add("child", 4);
    feed.close("parent");
    for _ in 0..4 {
        c.rebalance().await.unwrap();
        c.poll_once().await.unwrap();
    }
    assert_eq!(
        *seen.0.lock().unwrap(),
        vec!["parent:00002", "child:00003", "child:00004"],
        "the child's first records are read although the stream starts at latest"
    );
    // The child is under way: the parent's SHARD_END row is no longer needed, and the
    // parent is not read again.
    c.rebalance().await.unwrap();
    let rows = world.backend.leases.list("growing").await.unwrap();
    assert!(!rows.iter().any(|l| l.shard_id == "parent"), "{rows:?}");
    assert_eq!(c.held_shards(), vec!["child"]);
    c.poll_once().await.unwrap();
    assert_eq!(seen.0.lock().unwrap().len(), 3);
    c.stop().await;
}
