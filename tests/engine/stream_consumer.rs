//! The stream consumer's delivery promises (DESIGN.md, "Delivery semantics"), on both backends:
//! retries that wait (holding the shard) for failures that may pass, a claim of a killed consumer
//! waited out, and a failing shard that holds up no other (one task per shard).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::*;
use dispatch_core::StoreError;
use dispatch_ingest::consumer::{Consumer, HandleError, RecordHandler, RouterHandler};
use dispatch_ingest::dlq;
use dispatch_ingest::sink::QueueSink;

use crate::common::{eventually, World};
use crate::doubles::{ManyShards, Recorder};
use crate::{charter, consumer, fast, poll_until, take_all};

both!(
    consumer_retries_a_record_that_may_pass_until_it_does,
    consumer_waits_for_someone_elses_enqueue_claim,
    consumer_failing_shard_does_not_hold_up_the_others,
);

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
