//! Stream to queue: a charter becomes exactly one job; a killed consumer's shard is taken over
//! from its checkpoint; consumers split the shards; only records that can never succeed are
//! dead-lettered (and replay from `ingest-dlq`).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::ports::*;
use dispatch_ingest::consumer::{Consumer, ConsumerConfig};
use dispatch_ingest::dlq::{self, ReplayFilter};

use crate::common::World;
use crate::doubles::{ManyShards, Recorder};
use crate::{charter, consumer, fast, poll_until, router, take_all};

both!(
    charter_becomes_exactly_one_job,
    records_that_lead_to_nothing_are_checkpointed_quietly,
    consumer_takes_over_from_checkpoint,
    consumers_split_shards,
    consumer_dead_letters_only_records_that_can_never_succeed,
);

pub async fn charter_becomes_exactly_one_job(w: &World) {
    let c = charter("2024-05-03");
    w.backend.charters.insert(&c).await.unwrap();
    let handler = router(w);
    let mut a = consumer(w, "a", handler.clone());
    poll_until(&mut a, "the INSERT", |n| n >= 1).await;
    // The same record handled again (a crash before the checkpoint) enqueues nothing more.
    let shard = w.backend.feed.shards().await.unwrap()[0].id.clone();
    let it = w
        .backend
        .feed
        .iterator(&shard, &StartAt::TrimHorizon)
        .await
        .unwrap();
    let page = w.backend.feed.read(&it, 10).await.unwrap();
    handler.handle(&page.records[0]).await.unwrap();
    let jobs = take_all(w, QueueId::Cascade).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let env = JobEnvelope::parse(&jobs[0].body).unwrap();
    assert_eq!(env.kind, JobKind::CaptainCascade);
    assert_eq!(env.key, format!("captain_cascade#{}", c.charter_id));
    assert_eq!(env.payload["charter_id"], c.charter_id.as_str());
    // Captain set → one crew cascade job; cancelled → one release job.
    w.backend
        .charters
        .assign_captain(&c.key(), &CrewId::parse("cap").unwrap())
        .await
        .unwrap();
    w.backend
        .charters
        .set_status(&c.key(), CharterStatus::Cancelled)
        .await
        .unwrap();
    poll_until(&mut a, "MODIFYs", |n| n >= 2).await;
    let kinds: Vec<JobKind> = take_all(w, QueueId::Cascade)
        .await
        .iter()
        .map(|m| JobEnvelope::parse(&m.body).unwrap().kind)
        .collect();
    assert_eq!(kinds, vec![JobKind::CrewCascade, JobKind::Release]);
}

/// The checkpoint of the shard's one lease, as stored.
async fn stored_checkpoint(w: &World) -> Option<String> {
    let stream = w.backend.feed.stream_name().await.unwrap();
    let shard = w.backend.feed.shards().await.unwrap()[0].id.clone();
    let leases = w.backend.leases.list(&stream).await.unwrap();
    let lease = leases.iter().find(|l| l.shard_id == shard);
    lease
        .unwrap_or_else(|| panic!("no lease of {shard}: {leases:?}"))
        .checkpoint
        .clone()
}

/// Records whose handling, done again, does nothing more cost no checkpoint of their own: a
/// MODIFY that routes to nothing (the unsettled index's mark), and a job enqueued under its
/// record. The checkpoint waits for `checkpoint_wait` or for the shard to be given up; a
/// consumer taking over before then reads them again and enqueues nothing twice. A record that
/// would repeat its work (the test's recorder says so) is checkpointed at once.
pub async fn records_that_lead_to_nothing_are_checkpointed_quietly(w: &World) {
    let c = charter("2024-05-04");
    w.backend.charters.insert(&c).await.unwrap();
    for mark in ["m1", "m2"] {
        w.backend
            .charters
            .mark_unsettled(&c.key(), mark)
            .await
            .unwrap();
    }
    let mut a = consumer(w, "a", router(w));
    poll_until(&mut a, "the INSERT and two marks", |n| n >= 3).await;
    assert_eq!(take_all(w, QueueId::Cascade).await.len(), 1, "one job");
    assert_eq!(
        stored_checkpoint(w).await,
        None,
        "no checkpoint of their own"
    );
    // Killed now: b reads all three again and enqueues nothing.
    drop(a);
    let mut b = consumer(w, "b", router(w));
    poll_until(&mut b, "b to read them again", |n| n >= 3).await;
    assert!(
        take_all(w, QueueId::Cascade).await.is_empty(),
        "nothing twice"
    );
    // A graceful stop writes the checkpoint that waited.
    b.stop().await;
    let at_stop = stored_checkpoint(w).await;
    assert!(at_stop.is_some(), "written when the shard was given up");
    let mut c2 = consumer(w, "c", router(w));
    c2.rebalance().await.unwrap();
    assert_eq!(
        c2.poll_once().await.unwrap().records,
        0,
        "nothing read again after a stop"
    );
    // With a short wait, the checkpoint is written once it has waited that long.
    w.backend
        .charters
        .mark_unsettled(&c.key(), "m3")
        .await
        .unwrap();
    poll_until(&mut c2, "the third mark", |n| n >= 1).await;
    assert_eq!(stored_checkpoint(w).await, at_stop, "waiting");
    drop(c2);
    let quick = ConsumerConfig {
        checkpoint_wait: Duration::from_millis(300),
        ..fast("d")
    };
    let mut d = Consumer::for_backend(&w.backend, router(w), quick);
    w.backend
        .charters
        .mark_unsettled(&c.key(), "m4")
        .await
        .unwrap();
    poll_until(&mut d, "the marks after the stop", |n| n >= 2).await;
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while stored_checkpoint(w).await == at_stop {
        assert!(
            tokio::time::Instant::now() < end,
            "the checkpoint never moved"
        );
        d.rebalance().await.unwrap();
        d.poll_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A handler that cannot tell asks for its checkpoint at once.
    drop(d);
    let seen = Arc::new(Recorder::default());
    let mut e = consumer(w, "e", seen.clone());
    let before = stored_checkpoint(w).await;
    w.backend
        .charters
        .mark_unsettled(&c.key(), "m5")
        .await
        .unwrap();
    poll_until(&mut e, "the fifth mark", |n| n >= 1).await;
    assert_ne!(stored_checkpoint(w).await, before, "checkpointed at once");
}

pub async fn consumer_takes_over_from_checkpoint(w: &World) {
    let seen = Arc::new(Recorder::default());
    for d in ["2024-05-01", "2024-05-02"] {
        w.backend.charters.insert(&charter(d)).await.unwrap();
    }
    let mut a = consumer(w, "a", seen.clone());
    let mut b = consumer(w, "b", seen.clone());
    poll_until(&mut a, "two records on a", |n| n >= 2).await;
    b.rebalance().await.unwrap();
    assert!(b.held_shards().is_empty(), "b must not take a's live lease");
    drop(a); // killed: no release, its lease just stops being renewed
    w.backend
        .charters
        .insert(&charter("2024-05-03"))
        .await
        .unwrap();
    poll_until(&mut b, "b to take over and read the third", |n| n >= 1).await;
    assert!(!b.held_shards().is_empty());
    let dates = seen.dates();
    assert_eq!(
        dates,
        vec!["2024-05-01", "2024-05-02", "2024-05-03"],
        "each record handled once, in order"
    );
}

pub async fn consumers_split_shards(w: &World) {
    // Four shards of a multi-shard feed, leased through this backend's lease store.
    let feed: Arc<dyn ChangeFeed> = Arc::new(ManyShards::new(4));
    let seen = Arc::new(Recorder::default());
    let mk = |owner: &str| {
        Consumer::new(
            feed.clone(),
            w.backend.leases.clone(),
            w.backend.queues.clone(),
            seen.clone(),
            fast(owner),
        )
    };
    let (mut a, mut b) = (mk("a"), mk("b"));
    // Both announce themselves, then take their fair share.
    a.rebalance().await.unwrap();
    b.rebalance().await.unwrap();
    a.rebalance().await.unwrap();
    b.rebalance().await.unwrap();
    let (ha, hb) = (a.held_shards(), b.held_shards());
    assert_eq!(ha.len() + hb.len(), 4, "a={ha:?} b={hb:?}");
    assert!(
        ha.len() == 2 && hb.len() == 2,
        "split evenly: a={ha:?} b={hb:?}"
    );
    a.poll_once().await.unwrap();
    b.poll_once().await.unwrap();
    drop(a);
    // After a's leases expire, b takes all four and reads on from a's checkpoints.
    let end = tokio::time::Instant::now() + Duration::from_secs(15);
    while b.held_shards().len() < 4 {
        assert!(
            tokio::time::Instant::now() < end,
            "b never took over a's shards: {:?}",
            b.held_shards()
        );
        b.rebalance().await.unwrap();
        b.poll_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.poll_once().await.unwrap();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for id in seen.ids() {
        *counts.entry(id).or_default() += 1;
    }
    assert_eq!(
        counts.len(),
        8,
        "every record of every shard handled: {counts:?}"
    );
    assert!(
        counts.values().all(|&n| n == 1),
        "none handled twice: {counts:?}"
    );
}

pub async fn consumer_dead_letters_only_records_that_can_never_succeed(w: &World) {
    let bad = charter("2024-05-13");
    let good = charter("2024-05-14");
    w.backend.charters.insert(&bad).await.unwrap();
    w.backend.charters.insert(&good).await.unwrap();
    let seen = Arc::new(Recorder {
        fail_date: Some("2024-05-13".into()),
        fail_permanently: true,
        ..Default::default()
    });
    let mut a = consumer(w, "a", seen.clone());
    poll_until(&mut a, "both records", |n| n >= 2).await;
    assert_eq!(
        seen.dates(),
        vec!["2024-05-14"],
        "the shard moved on past the record that can never succeed"
    );
    assert_eq!(
        seen.attempts.load(Ordering::SeqCst),
        1 + 1,
        "a permanent failure is not retried"
    );
    let dead = dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].kind.as_deref(), Some("stream_record"));
    assert!(
        dead[0].reason.as_deref().unwrap_or("").contains("refusing"),
        "{:?}",
        dead[0]
    );
    assert!(dead[0].body.contains(bad.charter_id.as_str()));
    // The full record, and the event id the logs name as its original id.
    let record = dispatch_ingest::consumer::record_from_dead_letter(&dead[0].body).unwrap();
    assert!(!record.event_id.is_empty());
    assert_eq!(
        dead[0].original_id.as_deref(),
        Some(record.event_id.as_str())
    );
    assert_eq!(
        Charter::from_item(record.new_image.as_ref().unwrap())
            .unwrap()
            .charter_id,
        bad.charter_id
    );
    // Listing did not consume it; replaying it through a healthy handler does.
    let healthy = Arc::new(Recorder::default());
    let report = dlq::replay(
        w.backend.queues.clone(),
        QueueId::IngestDlq,
        &ReplayFilter::default(),
        false,
        Some(dlq::StreamReplay {
            handler: healthy.clone(),
            feed: None,
            charters: None,
        }),
        &|_, _| {},
    )
    .await
    .unwrap();
    assert_eq!(report.replayed, 1);
    assert_eq!(healthy.dates(), vec!["2024-05-13"]);
    assert!(dlq::list(w.backend.queues.as_ref(), QueueId::IngestDlq, 10)
        .await
        .unwrap()
        .is_empty());
}
