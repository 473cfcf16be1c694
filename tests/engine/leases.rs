//! The consumer's leases and heartbeats, on both backends: leases renewed on their own clock
//! while a record is slow; heartbeats of stopped consumers removed (at once on a graceful stop,
//! after they expire for a killed one).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::ports::*;
use dispatch_ingest::consumer::{HandleError, RecordHandler};

use crate::common::{eventually, World};
use crate::doubles::Recorder;
use crate::{charter, consumer};

both!(
    consumer_renews_leases_while_a_record_is_slow,
    consumer_heartbeats_of_stopped_consumers_are_removed,
);

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
