//! A burst of new charters in one month, end to end on the embedded backend: booked (inserted),
//! read from the change feed, routed, queued, reconciled (candidates, offer, mail to the outbox,
//! lapse timer, thread), until every charter's first captain offer is mailed. CPU per charter
//! must stay flat as the month fills up (assignment counts live with the holds, so choosing
//! candidates never reads the month's other charters).
//!
//! Run: `cargo bench --bench burst` (also in `./scripts/bench`). `BURSTS=250,1000` picks sizes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::faults::Faults;
use dispatch_core::ports::QueueId;
use dispatch_ingest::consumer::{Consumer, ConsumerConfig};
use dispatch_ingest::worker::{Registry, Worker, WorkerConfig};

#[path = "common/mod.rs"]
mod common;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

async fn burst(n: usize) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let local =
        dispatch_core::local::Local::open_path(&dir.path().join("d.sqlite3"), "", 5).unwrap();
    let backend = local.backend();
    backend.admin.bootstrap().await.unwrap();
    // One month, a month from now; 40 captains free every day of it.
    use chrono::Datelike;
    let later = Utc::now().date_naive() + chrono::Days::new(35);
    let first = later.with_day(1).unwrap_or(later);
    let days: Vec<CharterDate> = (0..28u64)
        .map(|d| CharterDate::from_naive(first + chrono::Days::new(d)))
        .collect();
    let roster: Vec<CrewMember> = (0..40)
        .map(|i| {
            common::member(
                &format!("cap{i}"),
                format!("Captain {i}"),
                true,
                days.iter().copied(),
                &["deckhand"],
            )
        })
        .collect();
    backend.roster.upsert_batch(&roster).await.unwrap();
    let outbox: Arc<dyn dispatch_mailer::MailSender> =
        Arc::new(dispatch_mailer::Outbox::new(dir.path().join("outbox")));
    let mailer = Arc::new(dispatch_mailer::FaultyMailer::new(outbox, Faults::new(0)));
    let cascade = Arc::new(dispatch_cascade::Cascade {
        backend: backend.clone(),
        mailer: mailer.clone(),
        links: dispatch_cascade::tokens::MagicLinks::new(vec![
            dispatch_cascade::tokens::LinkKey::new("b1", vec![9; 32]).unwrap(),
        ])
        .unwrap(),
        cfg: common::settings("http://127.0.0.1:8080", Duration::from_secs(7200)),
        idem: Default::default(),
        clock: Arc::new(dispatch_core::clock::SystemClock),
        availability_sheet: None,
    });
    let (t0, c0) = (Instant::now(), cpu_seconds());
    for i in 0..n {
        let c = common::charter(days[i % days.len()], 10, 0);
        backend.charters.insert(&c).await.unwrap();
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut cfg = ConsumerConfig::new("bench");
    cfg.idle_sleep = Duration::from_millis(20);
    let consumer = Consumer::new(
        backend.feed.clone(),
        backend.leases.clone(),
        backend.queues.clone(),
        dispatch::app::record_handler(&backend),
        cfg,
    );
    let worker = Arc::new(Worker::new(
        QueueId::Cascade,
        backend.queues.clone(),
        backend.idempotency.clone(),
        Arc::new(dispatch_cascade::jobs::register(Registry::new(), cascade)),
        WorkerConfig {
            wait: Duration::from_millis(50),
            concurrency: std::env::var("BURST_CONCURRENCY")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(WorkerConfig::default().concurrency),
            ..WorkerConfig::default()
        },
    ));
    let mut tasks = tokio::task::JoinSet::new();
    let rx = stop_rx.clone();
    tasks.spawn(async move {
        let _ = consumer.run(rx).await;
    });
    let w = worker.clone();
    tasks.spawn(async move { w.run(stop_rx).await });
    let deadline = Instant::now() + Duration::from_secs(900);
    while mailer.sent().len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} offers mailed",
            mailer.sent().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    (wall, cpu)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BURSTS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![250, 1000, 2000]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("| charters in one month | wall | charters/s | CPU per charter |");
    println!("|---|---|---|---|");
    for n in sizes {
        let (wall, cpu) = rt.block_on(burst(n));
        println!(
            "| {n} | {wall:.2} s | {:.0} | {:.2} ms |",
            n as f64 / wall,
            cpu * 1000.0 / n as f64
        );
    }
}
