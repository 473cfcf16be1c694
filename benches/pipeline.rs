//! Events per second through stream → router → queue, and our process's CPU per event, on the
//! embedded backend and (when `DISPATCH_BENCH_AWS_ENDPOINT` names a moto server) on moto.
//!
//! Run: `./scripts/bench` (starts moto), or `cargo bench --bench pipeline` for the embedded one only.
//! Each event: read from the feed, routed, its job key claimed in the idempotency store, the job
//! sent to the `cascade` queue, the key marked complete, the checkpoint moved (once per page).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use dispatch_core::domain::{Charter, CharterDate, CharterId, CharterStatus, Money};
use dispatch_core::Backend;
use dispatch_ingest::consumer::{Consumer, ConsumerConfig};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (fields 14 and 15 of /proc/self/stat).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn charter(i: usize) -> Charter {
    Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: CharterDate::parse(&format!("2024-05-{:02}", 1 + i % 28)).unwrap(),
        vessel_name: "Bench".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 10,
        guest_names: vec![],
        reportable_revenue: Money::parse("1000").unwrap(),
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: None,
    }
}

async fn measure(name: &str, backend: Backend, n: usize) {
    backend.admin.bootstrap().await.expect("bootstrap");
    for i in 0..n {
        backend.charters.insert(&charter(i)).await.expect("insert");
    }
    let handler = dispatch::app::record_handler(&backend);
    let mut cfg = ConsumerConfig::new("bench");
    cfg.batch = 1000;
    let mut consumer = Consumer::new(
        backend.feed.clone(),
        backend.leases.clone(),
        backend.queues.clone(),
        handler,
        cfg,
    );
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    while done < n {
        consumer.rebalance().await.expect("rebalance");
        done += consumer.poll_once().await.expect("poll").records;
        assert!(Instant::now() < deadline, "bench did not finish");
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
    let depth = backend
        .queues
        .depth(dispatch_core::ports::QueueId::Cascade)
        .await
        .expect("depth");
    assert_eq!(depth.visible as usize, n, "one job per charter");
    println!(
        "{name:<10} {n:>6} events  {wall:>7.2} s  {:>8.0} events/s  {:>7.3} ms CPU/event (this process)",
        n as f64 / wall,
        cpu * 1000.0 / n as f64
    );
}

#[tokio::main]
async fn main() {
    let n_local: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    println!(
        "stream → router → queue (each event: route, idempotent enqueue, checkpoint per page)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dispatch_core::local::Local::open_path(&dir.path().join("bench.sqlite3"), "", 5)
        .expect("sqlite");
    measure("embedded", local.backend(), n_local).await;
    match std::env::var("DISPATCH_BENCH_AWS_ENDPOINT") {
        Ok(endpoint) => {
            let sdk = dispatch_core::aws::sdk_defaults()
                .endpoint_url(endpoint)
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "bench", "bench", None, None, "bench",
                ))
                .load()
                .await;
            let prefix = format!("bench{}-", &uuid::Uuid::new_v4().simple().to_string()[..6]);
            let aws = dispatch_core::aws::Aws::from_sdk_config(&sdk, &prefix, 5);
            let n_aws = (n_local / 10).max(50);
            measure("moto", aws.backend(), n_aws).await;
        }
        Err(_) => {
            println!("moto       skipped: set DISPATCH_BENCH_AWS_ENDPOINT (./scripts/bench does)")
        }
    }
    let _ = Arc::new(());
}
