//! Queue workers on one moto: ours (`dispatch_ingest::Worker`, default settings) against Node's
//! `sqs-consumer` 15.0.3 with Powertools idempotency on DynamoDB (`benches/peer`, TypeScript).
//! Each of N jobs (default 300, `BENCH_JOBS`): claim the job's key, read one roster item, complete
//! the key, delete the message. Each worker runs as its own process, started on a queue already
//! holding the N jobs; the bench times it until the queue is empty, then reads the process's CPU
//! time and peak RSS from /proc before stopping it, and checks every key was completed once.
//!
//! Run: `./scripts/bench` (starts moto, installs and builds the peer), or by hand with
//! `DISPATCH_BENCH_AWS_ENDPOINT=http://127.0.0.1:PORT cargo bench --bench worker` after
//! `npm ci --prefix benches/peer && npm run --prefix benches/peer build`.

use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dispatch_core::domain::{CrewId, CrewMember, EmailAddress, JobEnvelope, JobKind};
use dispatch_core::ports::{OutMessage, QueueId};
use dispatch_ingest::worker::{JobError, JobHandler, Registry, Worker, WorkerConfig};

const CHILD: &str = "DISPATCH_BENCH_WORKER_CHILD";
const QUEUE: QueueId = QueueId::Reports;
const CREW: &str = "bench-reader";

fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("bench", "bench", None, None, "bench"),
        ))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .http_client(dispatch_core::aws::https_client())
        .build()
}

/// Reads one roster item: the work of every bench job.
struct ReadOne(dispatch_core::Backend);

#[async_trait::async_trait]
impl JobHandler for ReadOne {
    async fn handle(&self, _job: &JobEnvelope) -> Result<serde_json::Value, JobError> {
        let crew = CrewId::parse(CREW).map_err(|e| JobError::permanent(e.why))?;
        match self.0.roster.get(&crew).await? {
            Some(_) => Ok(serde_json::json!({ "read": 1 })),
            None => Err(JobError::Permanent(
                "the bench's roster item is missing".into(),
            )),
        }
    }
}

/// The child: our worker with its default settings, until SIGTERM.
async fn child(endpoint: &str, prefix: &str) {
    let aws = dispatch_core::aws::Aws::from_sdk_config(&sdk(endpoint), prefix, 5);
    let backend = aws.backend();
    let registry = Registry::new().with(JobKind::Statements, Arc::new(ReadOne(backend.clone())));
    let worker = Arc::new(Worker::new(
        QUEUE,
        backend.queues.clone(),
        backend.idempotency.clone(),
        Arc::new(registry),
        WorkerConfig {
            // BENCH_CONCURRENCY tries other settings; the figures in the README are the default.
            concurrency: std::env::var("BENCH_CONCURRENCY")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(WorkerConfig::default().concurrency),
            ..WorkerConfig::default()
        },
    ));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let run = tokio::spawn(worker.run(rx));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    term.recv().await;
    let _ = tx.send(true);
    let _ = run.await;
}

/// utime + stime (seconds) and peak RSS (MB) of a running process.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (ticks / 100.0, hwm_kb / 1024.0)
}

struct Figures {
    name: &'static str,
    wall: f64,
    cpu: f64,
    rss_mb: f64,
    /// CPU seconds moto spent meanwhile (when `BENCH_MOTO_PID` names it): the emulator's share.
    moto_cpu: Option<f64>,
}

fn moto_cpu() -> Option<f64> {
    let pid: u32 = std::env::var("BENCH_MOTO_PID").ok()?.parse().ok()?;
    Some(usage(pid).0)
}

/// Waits until `empty()` says the queue holds nothing (visible, in flight or delayed), then
/// reads the child's usage and stops it.
async fn drain<F, Fut>(name: &'static str, mut child: Child, started: Instant, empty: F) -> Figures
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let moto_before = moto_cpu();
    let deadline = started + Duration::from_secs(900);
    while !empty().await {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{name} worker exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not drain its queue in 15 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let (cpu, rss_mb) = usage(child.id());
    let moto_cpu = moto_before.zip(moto_cpu()).map(|(b, a)| a - b);
    // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
    Figures {
        name,
        wall,
        cpu,
        rss_mb,
        moto_cpu,
    }
}

fn jobs(n: usize, tag: &str) -> Vec<OutMessage> {
    (0..n)
        .map(|i| {
            let job = JobEnvelope::new(
                JobKind::Statements,
                format!("bench-{tag}-{i}"),
                serde_json::json!({ "i": i }),
            );
            OutMessage::new(job.to_body())
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let Ok(endpoint) = std::env::var("DISPATCH_BENCH_AWS_ENDPOINT") else {
        println!("worker bench skipped: set DISPATCH_BENCH_AWS_ENDPOINT (./scripts/bench does)");
        return;
    };
    if let Ok(prefix) = std::env::var(CHILD) {
        child(&endpoint, &prefix).await;
        return;
    }
    let n: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let peer_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer");
    let node = peer_dir.join("node_modules/.bin/node");
    let script = peer_dir.join("dist/worker.js");
    assert!(
        node.exists() && script.exists(),
        "the peer is not built: run `npm ci --prefix benches/peer && npm run --prefix benches/peer build` (./scripts/bench does)"
    );

    let conf = sdk(&endpoint);
    let prefix = format!("wb{}-", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let aws = dispatch_core::aws::Aws::from_sdk_config(&conf, &prefix, 5);
    let backend = aws.backend();
    backend.admin.bootstrap().await.expect("bootstrap");
    backend
        .roster
        .upsert_batch(&[CrewMember {
            crew_id: CrewId::parse(CREW).expect("id"),
            name: "Bench Reader".into(),
            email: EmailAddress::parse("reader@example.com").expect("email"),
            phone: None,
            captain_certified: false,
            available_dates: Default::default(),
            certifications: Default::default(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        }])
        .await
        .expect("roster item");
    let roster_table = format!("{prefix}{}", dispatch_core::config::tables::ROSTER);

    // The peer's queue and its Powertools table (partition key `id`, as Powertools documents).
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let peer_queue = sqs
        .create_queue()
        .queue_name(format!("{prefix}peer-jobs"))
        .send()
        .await
        .expect("peer queue")
        .queue_url
        .expect("queue url");
    let peer_table = format!("{prefix}peer-idempotency");
    {
        use aws_sdk_dynamodb::types::*;
        ddb.create_table()
            .table_name(&peer_table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attr"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("key"),
            )
            .send()
            .await
            .expect("peer table");
    }
    for chunk in jobs(n, "peer").chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&m.body)
                    .build()
                    .expect("entry")
            })
            .collect::<Vec<_>>();
        sqs.send_message_batch()
            .queue_url(&peer_queue)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("peer jobs");
    }
    backend
        .queues
        .send(QUEUE, &jobs(n, "ours"))
        .await
        .expect("our jobs");

    println!(
        "queue workers on one moto, {n} jobs each: claim the key, read one item, complete, delete"
    );
    // The peer first: anything moto slows down as it fills up counts against ours.
    let started = Instant::now();
    let peer = Command::new(&node)
        .arg(&script)
        .env("BENCH_ENDPOINT", &endpoint)
        .env("BENCH_QUEUE_URL", &peer_queue)
        .env("BENCH_ROSTER_TABLE", &roster_table)
        .env("BENCH_CREW_ID", CREW)
        .env("BENCH_IDEMPOTENCY_TABLE", &peer_table)
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_REGION", "us-east-1")
        .spawn()
        .expect("start the peer");
    let peer_empty = || async {
        let out = sqs
            .get_queue_attributes()
            .queue_url(&peer_queue)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .expect("peer depth");
        let attrs = out.attributes.unwrap_or_default();
        use aws_sdk_sqs::types::QueueAttributeName as A;
        [
            A::ApproximateNumberOfMessages,
            A::ApproximateNumberOfMessagesNotVisible,
            A::ApproximateNumberOfMessagesDelayed,
        ]
        .iter()
        .all(|k| attrs.get(k).map(String::as_str) == Some("0"))
    };
    let theirs = drain(
        "sqs-consumer + Powertools (Node 22)",
        peer,
        started,
        peer_empty,
    )
    .await;

    let started = Instant::now();
    let ours = Command::new(std::env::current_exe().expect("exe"))
        .env(CHILD, &prefix)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start ours");
    let our_empty = || async {
        let d = backend.queues.depth(QUEUE).await.expect("depth");
        d.visible + d.in_flight + d.delayed == 0
    };
    let ours = drain("dispatch worker (Rust)", ours, started, our_empty).await;

    // Every key completed, once: the idempotency records say so, on both sides.
    for i in 0..n {
        let rec = backend
            .idempotency
            .get(&format!("job#bench-ours-{i}"))
            .await
            .expect("record")
            .unwrap_or_else(|| panic!("our job {i} left no record"));
        assert_eq!(
            rec.status,
            dispatch_core::ports::IdempotencyStatus::Completed,
            "our job {i}"
        );
    }
    let completed = ddb
        .scan()
        .table_name(&peer_table)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .filter(|i| {
            i.as_ref()
                .ok()
                .and_then(|i| i.get("status"))
                .and_then(|s| s.as_s().ok())
                .is_some_and(|s| s == "COMPLETED")
        })
        .count();
    assert_eq!(completed, n, "the peer completed every key");

    for f in [&theirs, &ours] {
        println!(
            "{:<36} {:>7.2} s  {:>6.1} msg/s  {:>6.2} CPU-s  {:>6.1} MB peak RSS{}",
            f.name,
            f.wall,
            n as f64 / f.wall,
            f.cpu,
            f.rss_mb,
            f.moto_cpu
                .map(|c| format!("  (moto meanwhile: {c:.2} CPU-s)"))
                .unwrap_or_default()
        );
    }
    println!(
        "ours vs peer: throughput x{:.2} (target >= 1), CPU x{:.2} (target <= 0.25), RSS x{:.2} (target <= 0.33)",
        theirs.wall / ours.wall,
        ours.cpu / theirs.cpu,
        ours.rss_mb / theirs.rss_mb
    );
}
