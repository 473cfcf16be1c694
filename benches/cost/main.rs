//! What it costs to run, in AWS requests by service and operation (counted by the SDK
//! interceptor, `dispatch_core::requests`; cross-checked against moto's own request log) and in
//! dollars a month: on the bench's own moto, `dispatch run`'s consumer, workers and sweep
//! (exactly what `dispatch run` starts, [`dispatch::cli::run::run_until`]) measured
//!
//! - (a) idle, for `COST_IDLE_SECS` (default 240) after `COST_WARMUP_SECS` (20), scaled to an hour;
//! - (b) `COST_CHARTERS` (20) charters one at a time, `COST_GAP_MAX_MS` (6000) apart at random,
//!   each from its INSERT to its first captain offer mailed (requests per charter, the idle
//!   share of the window removed; latency p50/p99);
//! - (c) `COST_STAFFED` (5) charters fully staffed: captain and two crew accept;
//! - (d) one sweep over N unsettled charters (open offers out) for N in `COST_SWEEPS`
//!   (10,100,1000);
//!
//! then a monthly estimate for `COST_PER_DAY` (30) charters a day, each unsettled for
//! `COST_UNSETTLED_HOURS` (6) on average, on the VM and on Lambda (`prices`). The bench's own
//! reads (finding offers, checking a charter is staffed) and the booking system's INSERTs are
//! not counted (`requests::uncounted`); it sees mail in the outbox, not through AWS.
//!
//! Run: `cargo bench --bench cost` (in `./scripts/bench`; needs moto: `DISPATCH_BENCH_PYTHON`,
//! or the `.venv` that `./scripts/bench` makes).

mod moto;
mod prices;
mod world;

use std::path::Path;
use std::time::{Duration, Instant};

use dispatch::cli::run::{run_until, Part};
use dispatch_cascade::requeue::Wake;
use dispatch_cascade::Cascade;
use dispatch_core::domain::{CharterId, CharterStatus, Offer, OfferStatus, Role};
use dispatch_core::metrics::{Counter, Snapshot};
use dispatch_core::requests::{uncounted, Requests};
use dispatch_core::{Backend, Settings};
use futures::StreamExt;
use rand::Rng;
use tokio::sync::watch;
use world::{minus, ops, scale, show, total, Ops};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `dispatch run --only ingest,workers` in this process until the returned sender says stop.
fn start_run(
    settings: &Settings,
    backend: &Backend,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = watch::channel(false);
    let (s, b) = (settings.clone(), backend.clone());
    let task = tokio::spawn(async move {
        run_until(&s, &b, &[Part::Ingest, Part::Workers], rx)
            .await
            .expect("dispatch run");
    });
    (tx, task)
}

async fn stop_run(run: (watch::Sender<bool>, tokio::task::JoinHandle<()>)) {
    let _ = run.0.send(true);
    let _ = run.1.await;
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

async fn open_offers(backend: &Backend, id: &CharterId) -> Vec<Offer> {
    uncounted(backend.offers.for_charter(id))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.status == OfferStatus::Open)
        .collect()
}

/// Accepts as the crew page does: the offer read by its id, then the answer.
async fn accept(cascade: &Cascade, o: &Offer) {
    let offer = cascade
        .backend
        .offers
        .get(&o.charter_id, &o.offer_id)
        .await
        .expect("offer")
        .expect("offer exists");
    let answer = cascade.accept(&offer).await.expect("accept");
    assert!(
        matches!(answer, dispatch_cascade::Answer::Accepted { .. }),
        "accept answered {answer:?}"
    );
}

async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (c): one charter booked, captain and two crew accept, staffed.
async fn staff_one(cascade: &Cascade, backend: &Backend, i: usize) {
    let c = world::charter(i, 2);
    uncounted(backend.charters.insert(&c))
        .await
        .expect("insert");
    let id = c.charter_id.clone();
    let captain = wait_for("the captain offer", || async {
        open_offers(backend, &id)
            .await
            .into_iter()
            .find(|o| o.role == Role::Captain)
    })
    .await;
    accept(cascade, &captain).await;
    let crew = wait_for("two crew offers", || async {
        let o: Vec<Offer> = open_offers(backend, &id)
            .await
            .into_iter()
            .filter(|o| o.role != Role::Captain)
            .collect();
        (o.len() >= 2).then_some(o)
    })
    .await;
    for o in crew.iter().take(2) {
        accept(cascade, o).await;
    }
    wait_for("the charter staffed", || async {
        let c = uncounted(backend.charters.get(&id)).await.ok().flatten()?;
        (c.status == CharterStatus::Staffed).then_some(())
    })
    .await;
}

async fn bench(moto: &moto::Moto, dir: &Path) {
    let data = dir.join("data");
    let (mut settings, backend) = world::open(moto, &data).await;
    world::roster(&backend).await;
    let cascade = dispatch::app::cascade(&settings, &backend).expect("cascade");
    let sweeps_per_hour = 3600.0 / settings.sweep_interval_secs.max(1) as f64;

    // One pass of the sweep over an empty index (and the reminders), alone.
    let r0 = Requests::now();
    cascade.sweep().await.expect("sweep");
    cascade
        .send_reminders(chrono::Utc::now())
        .await
        .expect("reminders");
    let empty_sweep = ops(&Requests::now().since(&r0));

    // (a) idle.
    let run = start_run(&settings, &backend);
    tokio::time::sleep(Duration::from_secs(env_or("COST_WARMUP_SECS", 20))).await;
    let (r0, m0, t0) = (Requests::now(), moto.logged(), Instant::now());
    tokio::time::sleep(Duration::from_secs(env_or("COST_IDLE_SECS", 240))).await;
    let (idle, logged, secs) = (
        ops(&Requests::now().since(&r0)),
        moto.logged() - m0,
        t0.elapsed().as_secs_f64(),
    );
    stop_run(run).await;
    let idle_hour = scale(&idle, 3600.0 / secs);
    println!("## (a) idle `dispatch run` ({secs:.0} s, scaled to an hour)\n");
    println!(
        "- **{:.0} requests/hour** (counted {:.0}; moto logged {logged} in the same window)",
        total(&idle_hour),
        total(&idle)
    );
    println!("- by operation, per hour: {}", show(&idle_hour));
    println!(
        "- one sweep of an empty index (+ reminders): {}\n",
        show(&empty_sweep)
    );

    // (b) and (c) with the sweep off (it is (d)); the idle share removed is (a) without it.
    settings.sweep_interval_secs = 0;
    let idle_per_s = scale(
        &minus(&idle_hour, &empty_sweep, sweeps_per_hour),
        1.0 / 3600.0,
    );
    let run = start_run(&settings, &backend);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let n: usize = env_or("COST_CHARTERS", 20);
    let gap_max: u64 = env_or("COST_GAP_MAX_MS", 6000);
    let (r0, t0) = (Requests::now(), Instant::now());
    let mut latencies = Vec::new();
    for i in 0..n {
        let gap = rand::thread_rng().gen_range(500..gap_max.max(501));
        tokio::time::sleep(Duration::from_millis(gap)).await;
        let before = world::mailed(&data);
        let c = world::charter(i, 0);
        let t = Instant::now();
        uncounted(backend.charters.insert(&c))
            .await
            .expect("insert");
        assert!(
            world::wait_mailed(&data, before + 1, Duration::from_secs(60)).await,
            "offer {i} not mailed"
        );
        latencies.push(t.elapsed().as_secs_f64());
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let window = t0.elapsed().as_secs_f64();
    let first = scale(
        &minus(&ops(&Requests::now().since(&r0)), &idle_per_s, window),
        1.0 / n as f64,
    );
    latencies.sort_by(f64::total_cmp);
    println!("## (b) INSERT to first captain offer mailed ({n} charters, one at a time)\n");
    println!(
        "- **{:.1} requests per charter** (idle share of the {window:.0} s window removed)",
        total(&first)
    );
    println!("- by operation: {}", show(&first));
    println!(
        "- latency INSERT → offer mailed: p50 {:.2} s, p99 {:.2} s, max {:.2} s\n",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0)
    );

    let k: usize = env_or("COST_STAFFED", 5);
    let (r0, t0, s0) = (Requests::now(), Instant::now(), Snapshot::now());
    for i in 0..k {
        staff_one(&cascade, &backend, n + i).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let window = t0.elapsed().as_secs_f64();
    let staffed = scale(
        &minus(&ops(&Requests::now().since(&r0)), &idle_per_s, window),
        1.0 / k as f64,
    );
    let did = Snapshot::now().since(&s0);
    let invocations = (did.get(Counter::RecordsProcessed) + did.get(Counter::JobsProcessed)) as f64
        / k as f64
        + 3.0;
    stop_run(run).await;
    println!("## (c) a charter fully staffed: captain and two crew accept ({k} charters)\n");
    println!("- **{:.1} requests per charter**", total(&staffed));
    println!("- by operation: {}", show(&staffed));
    println!("- stream records + queue jobs + 3 answers per charter: {invocations:.1}\n");

    // (d) one sweep over N unsettled charters (each with its captain offer out).
    println!("## (d) one sweep over N unsettled charters\n");
    println!("| N | requests | per charter | by operation |\n|---|---|---|---|");
    let sizes: Vec<usize> = std::env::var("COST_SWEEPS")
        .unwrap_or_else(|_| "10,100,1000".into())
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    // The charters of (b) and (c) are unsettled too: count them in.
    let mut have = uncounted(backend.charters.unsettled())
        .await
        .expect("index")
        .len();
    let mut per_unsettled = Ops::new();
    for size in sizes {
        let news: Vec<_> = (have..size).map(|i| world::charter(i, 0)).collect();
        futures::stream::iter(news)
            .for_each_concurrent(4, |c| {
                let cascade = cascade.clone();
                async move {
                    uncounted(async {
                        cascade.backend.charters.insert(&c).await.expect("insert");
                        dispatch_cascade::reconcile::reconcile(
                            &cascade,
                            &c.charter_id,
                            None,
                            Wake::Event,
                        )
                        .await
                        .expect("reconcile");
                    })
                    .await
                }
            })
            .await;
        have = have.max(size);
        let r0 = Requests::now();
        let report = cascade.sweep().await.expect("sweep");
        let one = ops(&Requests::now().since(&r0));
        let per = scale(
            &minus(&one, &empty_sweep, 1.0),
            1.0 / report.charters.max(1) as f64,
        );
        println!(
            "| {} | {:.0} | {:.1} | {} |",
            report.charters,
            total(&one),
            total(&per),
            show(&one)
        );
        per_unsettled = per;
    }
    let month = prices::Month {
        idle_per_hour: idle_hour,
        per_charter: staffed,
        sweep_per_unsettled: per_unsettled,
        empty_sweep,
        invocations_per_charter: invocations,
        charters_per_day: env_or("COST_PER_DAY", 30.0),
        unsettled_hours: env_or("COST_UNSETTLED_HOURS", 6.0),
        sweeps_per_hour,
    };
    let e = month.estimate();
    println!(
        "\n## A month, {} charters a day, each unsettled {} h on average\n",
        month.charters_per_day, month.unsettled_hours
    );
    println!("| where | requests/month | $/month |\n|---|---|---|");
    println!(
        "| VM (`dispatch run`) | {:.0} | {:.2} |",
        e.vm_requests, e.vm_dollars
    );
    println!(
        "| Lambda | {:.0} | {:.2} |",
        e.lambda_requests, e.lambda_dollars
    );
}

fn main() {
    // `RUST_LOG=dispatch_core::requests=trace` lists every counted request with its span.
    dispatch::telemetry::init("warn");
    let dir = tempfile::tempdir().expect("temp dir");
    let moto = moto::Moto::start(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench(&moto, dir.path()));
}
