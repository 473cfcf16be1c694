//! A load under faults, on both backends: 10 % of every storage and queue call fails (half of
//! those after the call went through) while the real stream consumer, workers and cascade work
//! through 500 charters (60 on moto, whose throughput is low); every charter is offered once,
//! no mail goes out twice, nothing is dead-lettered.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::faults::{self, Faults, When};
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::*;
use dispatch_ingest::worker::{Worker, WorkerConfig};

use crate::claims::dlq_empty;
use crate::common::{self, Kind, World};

both!(ten_percent_faults_during_a_charter_load_lose_nothing,);

/// 10 % of every storage and queue call fails (half of those after the call went through):
/// the stream consumer, the workers and the cascade still offer every charter once.
pub async fn ten_percent_faults_during_a_charter_load_lose_nothing(kind: &Kind) {
    let charters = match kind {
        Kind::Local => 500,
        Kind::Aws => 60,
    };
    // Production's redrive count (5): the test counts on the worker, not a generous queue.
    let w = World::with_receives(*kind, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let f = Faults::new(42);
    let backend = faults::faulty(&w.backend, f.clone());
    let outbox: Arc<dyn dispatch_mailer::MailSender> =
        Arc::new(dispatch_mailer::Outbox::new(dir.path().join("outbox")));
    let mailer = Arc::new(dispatch_mailer::FaultyMailer::new(outbox, Faults::new(1)));
    let cascade = common::app::cascade_on(&backend, mailer.clone(), Duration::from_secs(3600));
    let today = Utc::now().date_naive();
    let days: Vec<String> = (1..=10u64)
        .map(|d| {
            (today + chrono::Days::new(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    let roster: Vec<CrewMember> = (0..20)
        .map(|i| {
            common::member(
                &format!("cap{i}"),
                true,
                true,
                &days.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .collect();
    w.backend.roster.upsert_batch(&roster).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..charters {
        let c = common::charter(&days[i % days.len()], 4, Some(0));
        ids.push(c.charter_id.clone());
        w.backend.charters.insert(&c).await.unwrap();
    }
    f.fail("", When::Probability(0.05));
    f.fail_after("", When::Probability(0.05));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut consumer_cfg =
        dispatch_ingest::consumer::ConsumerConfig::new(format!("faulty-{}", uuid::Uuid::new_v4()));
    consumer_cfg.idle_sleep = Duration::from_millis(100);
    consumer_cfg.idle_max = Duration::from_millis(100);
    // Records of a shard are handled in order, each failure backing off: short pauses here.
    consumer_cfg.retry_base = Duration::from_millis(20);
    consumer_cfg.retry_max = Duration::from_millis(200);
    let consumer = dispatch_ingest::consumer::Consumer::new(
        backend.feed.clone(),
        backend.leases.clone(),
        backend.queues.clone(),
        Arc::new(dispatch_ingest::consumer::RouterHandler {
            sink: Arc::new(dispatch_ingest::sink::QueueSink {
                queues: backend.queues.clone(),
                idempotency: backend.idempotency.clone(),
                config: IdempotencyConfig::default(),
            }),
        }),
        consumer_cfg,
    )
    .with_cleanup(backend.lease_cleanup.clone());
    let registry =
        dispatch_cascade::jobs::register(dispatch_ingest::worker::Registry::new(), cascade.clone());
    let wk = Arc::new(Worker::new(
        QueueId::Cascade,
        backend.queues.clone(),
        backend.idempotency.clone(),
        Arc::new(registry),
        WorkerConfig {
            visibility: Duration::from_secs(5),
            wait: Duration::from_millis(200),
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(500),
            concurrency: 8,
            ..WorkerConfig::default()
        },
    ));
    let mut tasks = tokio::task::JoinSet::new();
    {
        let rx = stop_rx.clone();
        tasks.spawn(async move {
            let _ = consumer.run(rx).await;
        });
    }
    {
        let rx = stop_rx.clone();
        let wk = wk.clone();
        tasks.spawn(async move { wk.run(rx).await });
    }
    let outbox = dispatch_mailer::Outbox::new(dir.path().join("outbox"));
    let first = |c: &CharterId| {
        outbox.file_for(&format!(
            "mail#offer#{}",
            dispatch_cascade::offer_id_for(c, Role::Captain, 0)
        ))
    };
    let end = tokio::time::Instant::now() + Duration::from_secs(240);
    loop {
        let missing: Vec<&CharterId> = ids.iter().filter(|c| !first(c).exists()).collect();
        if missing.is_empty() {
            break;
        }
        if tokio::time::Instant::now() > end {
            let c = missing[0];
            let offers = w.backend.offers.for_charter(c).await.unwrap();
            let depth = w.backend.queues.depth(QueueId::Cascade).await.unwrap();
            let leases = w
                .backend
                .leases
                .list(&w.backend.feed.stream_name().await.unwrap())
                .await
                .unwrap();
            let dlq = w.backend.queues.depth(QueueId::CascadeDlq).await.unwrap();
            let thread = w.backend.thread.list(c).await.unwrap();
            let mail = match offers.first() {
                Some(o) => w
                    .backend
                    .idempotency
                    .get(&format!("mail#offer#{}", o.offer_id))
                    .await
                    .unwrap(),
                None => None,
            };
            panic!("{} of {} charters without their first offer mail; e.g. {c}: offers {offers:?}; thread {thread:?}; mail claim {mail:?}; cascade queue {depth:?}, dlq {dlq:?}; leases {leases:?}", missing.len(), ids.len());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let injected = f.injected();
    f.clear();
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    assert!(
        injected > charters as u64 / 2,
        "only {injected} faults injected"
    );
    let mut sent = mailer.sent();
    let n = sent.len();
    sent.sort();
    sent.dedup();
    assert_eq!(n, sent.len(), "a mail went out twice");
    for c in &ids {
        assert_eq!(
            w.backend.offers.for_charter(c).await.unwrap().len(),
            1,
            "charter {c}"
        );
    }
    dlq_empty(&w).await;
}
