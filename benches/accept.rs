//! The accept POST through the real router (axum, `tower::ServiceExt::oneshot`) for a member with
//! 15 open offers on the same day (#25 item 6): the reply comes after the answer transaction and
//! one enqueue, never after the reconciles, which the worker runs from the queued job. Prints the
//! reply's p50/p99 and storage requests, and the worker's job (reconcile the charter, withdraw
//! the 14 others) for comparison: what the reply used to wait for.
//!
//! Run: `cargo bench --bench accept` (embedded SQLite; `ACCEPT_BENCH_N` accepts, default 60);
//! with `DISPATCH_BENCH_AWS_ENDPOINT` naming a moto server (`./scripts/bench` starts one) also on
//! moto (`ACCEPT_BENCH_N / 4` accepts).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use dispatch_cascade::jobs::CascadeJobs;
use dispatch_cascade::tokens::{LinkKey, MagicLinks, Scope};
use dispatch_cascade::Cascade;
use dispatch_core::clock::SystemClock;
use dispatch_core::domain::*;
use dispatch_core::jobs::JobHandler;
use dispatch_core::ports::QueueId;
use dispatch_core::requests::Requests;
use dispatch_core::Backend;
use tower::ServiceExt;

#[path = "common/mod.rs"]
mod common;

const SAME_DAY: usize = 15;

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn measure(name: &str, backend: Backend, n: usize) {
    backend.admin.bootstrap().await.expect("bootstrap");
    let dir = tempfile::tempdir().expect("tempdir");
    let cascade = Arc::new(Cascade {
        backend: backend.clone(),
        mailer: Arc::new(dispatch_mailer::Outbox::new(dir.path().join("outbox"))),
        links: MagicLinks::new(vec![LinkKey::new("bench", vec![7; 32]).expect("key")])
            .expect("links"),
        cfg: common::settings("http://127.0.0.1:9", Duration::from_secs(3600)),
        idem: Default::default(),
        clock: Arc::new(SystemClock),
        availability_sheet: None,
    });
    let router = dispatch_cascade::web::router(cascade.clone());
    let worker = CascadeJobs(cascade.clone());
    let (mut reply, mut job, mut requests) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        // Each accept on its own day, by its own member, with 15 open offers that day.
        let date =
            CharterDate::from_naive(Utc::now().date_naive() + chrono::Days::new(10 + i as u64));
        let m = common::member(
            &format!("bench-{i:04}"),
            format!("Member {i}"),
            true,
            [date],
            &[],
        );
        backend
            .roster
            .upsert_batch(std::slice::from_ref(&m))
            .await
            .expect("roster");
        let mut first = None;
        for _ in 0..SAME_DAY {
            let c = common::charter(date, 4, 0);
            backend.charters.insert(&c).await.expect("charter");
            cascade.reconcile(&c.charter_id).await.expect("reconcile");
            first.get_or_insert(c);
        }
        let c = first.expect("a charter");
        let offer = backend
            .offers
            .for_charter(&c.charter_id)
            .await
            .expect("offers")
            .remove(0);
        let scope = Scope::Offer {
            charter: c.charter_id.clone(),
            offer: offer.offer_id.clone(),
        };
        let token = cascade
            .links
            .issue(&m.crew_id, &scope, Utc::now(), chrono::Duration::hours(1));
        let guard = cascade.links.form_guard(&token);
        let req = Request::post(format!("/o/{token}/accept"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("guard={guard}")))
            .expect("request");
        let (t0, r0) = (Instant::now(), Requests::now());
        let res = router.clone().oneshot(req).await.expect("reply");
        let took = t0.elapsed().as_secs_f64() * 1000.0;
        let used = Requests::now().since(&r0).total();
        assert_eq!(res.status(), 200, "the accept replied");
        reply.push(took);
        requests.push(used as f64);
        // The worker's part: the queued job (leave the lapse timers, delayed, where they are).
        let got = backend
            .queues
            .receive(
                QueueId::Cascade,
                10,
                Duration::from_secs(1),
                Duration::from_secs(60),
            )
            .await
            .expect("receive");
        for msg in got {
            let env = JobEnvelope::parse(&msg.body).expect("job");
            if !env.key.starts_with("answered#") {
                continue;
            }
            let t0 = Instant::now();
            worker.handle(&env).await.expect("the worker's reconciles");
            job.push(t0.elapsed().as_secs_f64() * 1000.0);
            backend
                .queues
                .delete(QueueId::Cascade, &[msg.receipt])
                .await
                .expect("delete");
        }
    }
    for v in [&mut reply, &mut job, &mut requests] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    println!(
        "{name:<9} {n:>4} accepts, {SAME_DAY} same-day open offers each: reply p50 {:>6.1} ms  p99 {:>6.1} ms  (storage requests p50 {:.0}, max {:.0});  the worker's job p50 {:>6.1} ms  p99 {:>6.1} ms ({} run)",
        pct(&reply, 0.5),
        pct(&reply, 0.99),
        pct(&requests, 0.5),
        requests.last().copied().unwrap_or_default(),
        if job.is_empty() { 0.0 } else { pct(&job, 0.5) },
        if job.is_empty() { 0.0 } else { pct(&job, 0.99) },
        job.len(),
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("ACCEPT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dispatch_core::local::Local::open_path(&dir.path().join("bench.sqlite3"), "", 5)
        .expect("sqlite");
    measure("embedded", local.backend(), n).await;
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
            measure("moto", aws.backend(), (n / 4).max(10)).await;
        }
        Err(_) => {
            println!("moto      skipped: set DISPATCH_BENCH_AWS_ENDPOINT (./scripts/bench does)")
        }
    }
}
