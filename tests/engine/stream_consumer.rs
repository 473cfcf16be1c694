//! The stream consumer's delivery promises (DESIGN.md, "Delivery semantics"), on both backends:
//! retries that wait (holding the shard) for failures that may pass, `ingest-dlq` only for records
//! that can never succeed, one task per shard, leases renewed on their own clock, heartbeats
//! cleaned up; and replaying the stream Lambda's on-failure records by re-reading their range.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::*;
use dispatch_core::StoreError;
use dispatch_ingest::consumer::{Consumer, HandleError, RecordHandler, RouterHandler};
use dispatch_ingest::dlq::{self, ReplayFilter, StreamReplay};
use dispatch_ingest::sink::QueueSink;

use crate::common::{eventually, World};
use crate::contracts::{charter, consumer, fast, poll_until, take_all, ManyShards, Recorder};

pub async fn consumer_retries_a_record_that_may_pass_until_it_does(w: &World) {
    w.backend
        .charters
        .insert(&charter("2024-06-01"))
        .await
        .unwrap();
    w.backend
        .charters
        .insert(&charter("2024-06-02"))
        .await
        .unwrap();
    // Fails eight times for a reason that may pass (the old consumer gave up after three).
    let seen = Arc::new(Recorder {
        fail_date: Some("2024-06-01".into()),
        fail_times: 8,
        ..Default::default()
    });
    let mut a = consumer(w, "a", seen.clone());
    poll_until(&mut a, "both records", |n| n >= 2).await;
    assert_eq!(
        seen.dates(),
        vec!["2024-06-01", "2024-06-02"],
        "the shard waited for the failing record, then went on in order"
    );
    assert_eq!(seen.attempts.load(Ordering::SeqCst), 8 + 1 + 1);
    assert!(dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
        .await
        .unwrap()
        .is_empty());
}

/// Queues whose sends to `cascade` never return: the consumer holding the claim "dies" there.
struct StuckSends {
    inner: Arc<dyn Queues>,
    entered: AtomicBool,
}

#[async_trait::async_trait]
impl Queues for StuckSends {
    async fn send(&self, q: QueueId, m: &[OutMessage]) -> Result<Vec<String>, StoreError> {
        if q == QueueId::Cascade {
            self.entered.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
        self.inner.send(q, m).await
    }
    async fn receive(
        &self,
        q: QueueId,
        max: u32,
        wait: Duration,
        vis: Duration,
    ) -> Result<Vec<Received>, StoreError> {
        self.inner.receive(q, max, wait, vis).await
    }
    async fn delete(&self, q: QueueId, r: &[String]) -> Result<Vec<String>, StoreError> {
        self.inner.delete(q, r).await
    }
    async fn change_visibility(&self, q: QueueId, r: &str, t: Duration) -> Result<(), StoreError> {
        self.inner.change_visibility(q, r, t).await
    }
    async fn depth(&self, q: QueueId) -> Result<QueueDepth, StoreError> {
        self.inner.depth(q).await
    }
}

pub async fn consumer_waits_for_someone_elses_enqueue_claim(w: &World) {
    let c = charter("2024-06-03");
    w.backend.charters.insert(&c).await.unwrap();
    let idem = IdempotencyConfig {
        in_progress_ttl: Duration::from_secs(3),
        ..IdempotencyConfig::default()
    };
    // Consumer a claims the enqueue and is killed in the middle of it.
    let stuck = Arc::new(StuckSends {
        inner: w.backend.queues.clone(),
        entered: AtomicBool::new(false),
    });
    let a_handler = Arc::new(RouterHandler {
        sink: Arc::new(QueueSink {
            queues: stuck.clone(),
            idempotency: w.backend.idempotency.clone(),
            config: idem,
        }),
    });
    let (_stop_a, stop_a_rx) = tokio::sync::watch::channel(false);
    let a = tokio::spawn(consumer(w, "a", a_handler).run(stop_a_rx));
    eventually(
        "a to hold the enqueue claim",
        Duration::from_secs(20),
        || async { stuck.entered.load(Ordering::SeqCst).then_some(()) },
    )
    .await;
    a.abort();
    let _ = a.await;
    // Consumer b takes the shard over, meets a's claim, waits it out, and enqueues once.
    let b_handler = Arc::new(RouterHandler {
        sink: Arc::new(QueueSink {
            queues: w.backend.queues.clone(),
            idempotency: w.backend.idempotency.clone(),
            config: idem,
        }),
    });
    let mut b = consumer(w, "b", b_handler);
    poll_until(&mut b, "b to enqueue the job", |n| n >= 1).await;
    let jobs = take_all(w, QueueId::Cascade).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        JobEnvelope::parse(&jobs[0].body).unwrap().key,
        format!("captain_cascade#{}", c.charter_id)
    );
    assert!(
        dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
            .await
            .unwrap()
            .is_empty(),
        "waiting for a claim is not a failure"
    );
    b.stop().await;
}

/// Shard 0 fails (may pass) until healed; shard 1's first record can never succeed.
#[derive(Default)]
struct ShardFaults {
    healed: AtomicBool,
    shard0_attempts: AtomicUsize,
    seen: Mutex<Vec<String>>,
}

impl ShardFaults {
    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl RecordHandler for ShardFaults {
    async fn handle(&self, r: &ChangeRecord) -> Result<(), HandleError> {
        if r.shard_id == "shard-0" {
            self.shard0_attempts.fetch_add(1, Ordering::SeqCst);
            if !self.healed.load(Ordering::SeqCst) {
                return Err(HandleError::retry("throttled"));
            }
        }
        if r.shard_id == "shard-1" && r.sequence == "00001" {
            return Err(HandleError::permanent("cannot route this record"));
        }
        self.seen
            .lock()
            .unwrap()
            .push(format!("{}/{}", r.shard_id, r.sequence));
        Ok(())
    }
}

pub async fn consumer_failing_shard_does_not_hold_up_the_others(w: &World) {
    let feed: Arc<dyn ChangeFeed> = Arc::new(ManyShards::new(4));
    let handler = Arc::new(ShardFaults::default());
    let c = Consumer::new(
        feed.clone(),
        w.backend.leases.clone(),
        w.backend.queues.clone(),
        handler.clone(),
        fast("solo"),
    )
    .with_cleanup(w.backend.lease_cleanup.clone());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(c.run(stop_rx));
    // Every other shard is read to its tip while shard 0 keeps failing.
    let others = [
        "shard-1/00002",
        "shard-2/00001",
        "shard-2/00002",
        "shard-3/00001",
        "shard-3/00002",
    ];
    eventually("the healthy shards", Duration::from_secs(20), || async {
        let seen = handler.seen();
        (others.iter().all(|r| seen.iter().any(|s| s == r))
            && handler.shard0_attempts.load(Ordering::SeqCst) >= 3)
            .then_some(())
    })
    .await;
    assert!(
        !handler.seen().iter().any(|s| s.starts_with("shard-0/")),
        "{:?}",
        handler.seen()
    );
    let dead = dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
        .await
        .unwrap();
    assert_eq!(
        dead.len(),
        1,
        "only the record that can never succeed: {dead:?}"
    );
    assert_eq!(dead[0].key.as_deref(), Some("shard-1/00001"));
    // Healed: shard 0 goes on from where it waited, in order, nothing dead-lettered.
    handler.healed.store(true, Ordering::SeqCst);
    eventually("shard 0 after healing", Duration::from_secs(20), || async {
        let seen = handler.seen();
        let s0: Vec<&String> = seen.iter().filter(|s| s.starts_with("shard-0/")).collect();
        (s0 == ["shard-0/00001", "shard-0/00002"]).then_some(())
    })
    .await;
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();
    assert_eq!(
        dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let rows = w.backend.leases.list("many-shards").await.unwrap();
    assert!(
        !rows.iter().any(|l| l.shard_id.starts_with("worker#")),
        "heartbeat removed on graceful stop: {rows:?}"
    );
    assert!(
        rows.iter().all(|l| l.expires_at <= Utc::now()),
        "every shard lease released: {rows:?}"
    );
}

/// Blocks on its first record until told to go on.
#[derive(Default)]
struct Slow {
    started: AtomicBool,
    go: tokio::sync::Notify,
    done: AtomicUsize,
}

#[async_trait::async_trait]
impl RecordHandler for Slow {
    async fn handle(&self, _r: &ChangeRecord) -> Result<(), HandleError> {
        if !self.started.swap(true, Ordering::SeqCst) {
            self.go.notified().await;
        }
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

pub async fn consumer_renews_leases_while_a_record_is_slow(w: &World) {
    w.backend
        .charters
        .insert(&charter("2024-06-04"))
        .await
        .unwrap();
    let slow = Arc::new(Slow::default());
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(consumer(w, "a", slow.clone()).run(stop_rx));
    eventually(
        "the slow record to start",
        Duration::from_secs(20),
        || async { slow.started.load(Ordering::SeqCst).then_some(()) },
    )
    .await;
    let stream = w.backend.feed.stream_name().await.unwrap();
    let shard = w.backend.feed.shards().await.unwrap()[0].id.clone();
    // Three lease lifetimes (2 s each) pass while the record is still in hand: the lease stays
    // a's, renewed on its own clock, and nobody else can take the shard.
    let mut b = consumer(w, "b", slow.clone());
    let until = Utc::now() + chrono::Duration::seconds(6);
    while Utc::now() < until {
        let rows = w.backend.leases.list(&stream).await.unwrap();
        let lease = rows.iter().find(|l| l.shard_id == shard).unwrap();
        assert_eq!(lease.owner, "a");
        assert!(
            lease.expires_at > Utc::now(),
            "lease lapsed while the record was slow: {lease:?}"
        );
        b.rebalance().await.unwrap();
        assert!(b.held_shards().is_empty());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    slow.go.notify_one();
    eventually(
        "the slow record to finish",
        Duration::from_secs(10),
        || async { (slow.done.load(Ordering::SeqCst) == 1).then_some(()) },
    )
    .await;
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();
    b.stop().await;
}

pub async fn consumer_heartbeats_of_stopped_consumers_are_removed(w: &World) {
    let stream = w.backend.feed.stream_name().await.unwrap();
    let heartbeats = || async {
        let rows = w.backend.leases.list(&stream).await.unwrap();
        let mut owners: Vec<String> = rows
            .into_iter()
            .filter(|l| l.shard_id.starts_with("worker#"))
            .map(|l| l.owner)
            .collect();
        owners.sort();
        owners
    };
    let seen = Arc::new(Recorder::default());
    // a stops gracefully: its heartbeat goes with it.
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(consumer(w, "a", seen.clone()).run(stop_rx));
    eventually("a's heartbeat", Duration::from_secs(20), || async {
        heartbeats().await.contains(&"a".to_string()).then_some(())
    })
    .await;
    stop.send(true).unwrap();
    run.await.unwrap().unwrap();
    assert!(!heartbeats().await.contains(&"a".to_string()));
    // b is killed: its heartbeat expires, and the next consumer to look removes it.
    let mut b = consumer(w, "b", seen.clone());
    b.rebalance().await.unwrap();
    assert_eq!(heartbeats().await, ["b"]);
    drop(b);
    let mut c = consumer(w, "c", seen.clone());
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        c.rebalance().await.unwrap();
        if heartbeats().await == ["c"] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "b's expired heartbeat was never removed: {:?}",
            heartbeats().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.stop().await;
    assert!(heartbeats().await.is_empty());
}

/// What Lambda sends to the stream function's on-failure destination.
fn on_failure_record(stream: &str, shard: &str, first: &str, last: &str, n: usize) -> String {
    serde_json::json!({
        "requestContext": {"requestId": "3f1c", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:dispatch-stream",
            "condition": "RecordAgeExceeded", "approximateInvokeCount": 40},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": Utc::now(),
        "DDBStreamBatchInfo": {"shardId": shard, "startSequenceNumber": first, "endSequenceNumber": last,
            "approximateArrivalOfFirstRecord": Utc::now(), "approximateArrivalOfLastRecord": Utc::now(),
            "batchSize": n, "streamArn": stream}
    })
    .to_string()
}

pub async fn stream_failure_records_replay_by_rereading_the_range(w: &World) {
    for d in ["2024-06-05", "2024-06-06", "2024-06-07"] {
        w.backend.charters.insert(&charter(d)).await.unwrap();
    }
    let stream = w.backend.feed.stream_name().await.unwrap();
    let shard = w.backend.feed.shards().await.unwrap()[0].id.clone();
    let records = eventually(
        "three records on the stream",
        Duration::from_secs(20),
        || async {
            let it = w
                .backend
                .feed
                .iterator(&shard, &StartAt::TrimHorizon)
                .await
                .unwrap();
            let page = w.backend.feed.read(&it, 100).await.unwrap();
            (page.records.len() >= 3).then_some(page.records)
        },
    )
    .await;
    let (first, second) = (&records[0].sequence, &records[1].sequence);
    // Lambda gave up on the first two records: only where they were is in the message.
    for q in [QueueId::StreamFailures, QueueId::IngestDlq] {
        w.backend
            .queues
            .send(
                q,
                &[OutMessage::new(on_failure_record(
                    &stream, &shard, first, second, 2,
                ))],
            )
            .await
            .unwrap();
    }
    let listed = dlq::list(w.backend.queues.as_ref(), QueueId::StreamFailures, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind.as_deref(), Some("stream_batch"));
    assert_eq!(
        listed[0].key.as_deref(),
        Some(format!("{shard}/{first}..{second}").as_str())
    );
    let reason = listed[0].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("Lambda gave up on 2 record(s)") && reason.contains("RecordAgeExceeded"),
        "{reason}"
    );
    let replay = |q: QueueId, handler: Arc<Recorder>| {
        let queues = w.backend.queues.clone();
        let feed = w.backend.feed.clone();
        async move {
            dlq::replay(
                queues,
                q,
                &ReplayFilter::default(),
                false,
                Some(StreamReplay {
                    handler,
                    feed: Some(feed),
                }),
                &|_, _| {},
            )
            .await
            .unwrap()
        }
    };
    // Replayed from either queue (old deployments sent these to ingest-dlq): the range is re-read.
    for q in [QueueId::StreamFailures, QueueId::IngestDlq] {
        let healthy = Arc::new(Recorder::default());
        let report = replay(q, healthy.clone()).await;
        assert_eq!((report.replayed, report.failed.len()), (1, 0), "{report:?}");
        assert_eq!(
            healthy.dates(),
            vec!["2024-06-05", "2024-06-06"],
            "exactly the range"
        );
        assert!(dlq::list(w.backend.queues.as_ref(), q, 10)
            .await
            .unwrap()
            .is_empty());
    }
    // A range the stream cannot give back: left in the queue, and replay says exactly why.
    w.backend
        .queues
        .send(
            QueueId::StreamFailures,
            &[OutMessage::new(on_failure_record(
                "arn:aws:dynamodb:us-east-1:123456789012:table/crew-dispatch/stream/2020-01-01T00:00:00.000",
                &shard,
                first,
                second,
                2,
            ))],
        )
        .await
        .unwrap();
    let healthy = Arc::new(Recorder::default());
    let report = replay(QueueId::StreamFailures, healthy.clone()).await;
    assert_eq!(report.replayed, 0);
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].1.contains("the table's stream is now")
            && report.failed[0].1.contains("reconcile"),
        "{:?}",
        report.failed
    );
    assert!(healthy.dates().is_empty());
    assert_eq!(
        dlq::list(w.backend.queues.as_ref(), QueueId::StreamFailures, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// Consumer behaviour on split shards: a feed that grows while the consumer reads it.
pub mod feed {
    use super::*;

    fn rec(shard: &str, seq: u32) -> ChangeRecord {
        ChangeRecord {
            event_id: format!("{shard}-{seq}"),
            kind: ChangeKind::Insert,
            shard_id: shard.into(),
            sequence: format!("{seq:05}"),
            keys: Default::default(),
            old_image: None,
            new_image: Some(charter("2024-06-08").to_item()),
            created_at: None,
        }
    }

    /// Shards and records that the test adds to; `Latest` means after the last record now there.
    #[derive(Default)]
    pub struct Growing {
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
}
