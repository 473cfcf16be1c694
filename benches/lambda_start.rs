//! Package size and cold start of the three Lambda functions, measured in the deployment test's
//! Lambda sandbox (tests/deploy: bubblewrap, read-only but /tmp, the role's credentials and the
//! template's environment, on a moto with IAM enforced): each function's zip, and process start
//! → first invocation answered, for an invocation that does no work (an empty batch; the crew
//! page's /healthz), so the figure is the function's own start-up: settings, secrets, clients.
//!
//! Run `scripts/bench_lambda` (it builds the functions with the `release-lambda` profile, stripped, and
//! points `DISPATCH_LAMBDA_DIR` at them). Fails when a zip is over 15 MB or a median cold start
//! over 50 ms. The figures go to stdout and `target/lambda-bench.md`.

#![allow(dead_code)]

#[path = "../crates/google/tests/fake/mod.rs"]
mod fake;

#[path = "../tests/deploy/aws.rs"]
mod aws;
#[path = "../tests/deploy/board.rs"]
mod board;
#[path = "../tests/deploy/esm.rs"]
mod esm;
#[path = "../tests/deploy/faults.rs"]
mod faults;
#[path = "../tests/deploy/iam.rs"]
mod iam;
#[path = "../tests/deploy/month_end.rs"]
mod month_end;
#[path = "../tests/deploy/runtime.rs"]
mod runtime;
#[path = "../tests/deploy/service.rs"]
mod service;
#[path = "../tests/deploy/stack.rs"]
mod stack;
#[path = "../tests/deploy/stories.rs"]
mod stories;
#[path = "../tests/deploy/template.rs"]
mod template;
#[path = "../tests/deploy/web.rs"]
mod web;

use std::io::Write;
use std::time::Duration;

use serde_json::json;

const RUNS: usize = 11;
const ZIP_LIMIT: u64 = 15 * 1024 * 1024;
const COLD_START_LIMIT: Duration = Duration::from_millis(50);

/// The zip Lambda would get: `bootstrap` alone, deflated, executable.
fn zipped(bytes: &[u8]) -> u64 {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    z.start_file("bootstrap", opts).unwrap();
    z.write_all(bytes).unwrap();
    z.finish().unwrap().into_inner().len() as u64
}

fn mb(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1024.0 / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = runtime::lambda_dir();
    let world = stories::World::deploy().await;
    let svc = world.service();
    let mut table = String::from(
        "| function | binary | zip | cold start, median | p90 | of which init (median) |\n|---|---|---|---|---|---|\n",
    );
    let mut over = Vec::new();
    for (logical, bin, event) in [
        (
            "StreamFunction",
            "dispatch-stream-lambda",
            json!({"Records": []}),
        ),
        (
            "WorkerFunction",
            "dispatch-worker-lambda",
            json!({"Records": []}),
        ),
        (
            "WebFunction",
            "dispatch-web-lambda",
            web::url_event("GET", "/healthz", None),
        ),
    ] {
        let bytes = std::fs::read(dir.join(bin).join("bootstrap")).unwrap();
        let zip = zipped(&bytes);
        let run = svc.run_for(world.stack.function(logical)).await;
        let mut totals = Vec::new();
        let mut inits = Vec::new();
        for _ in 0..RUNS {
            let inv = runtime::invoke(&run, event.clone()).await;
            assert!(
                inv.response.is_ok(),
                "{logical}: {:?}\n{}",
                inv.response,
                inv.stderr
            );
            totals.push(inv.total);
            inits.push(inv.init);
        }
        totals.sort();
        inits.sort();
        let median = totals[RUNS / 2];
        table += &format!(
            "| {bin} | {} | {} | {} | {} | {} |\n",
            mb(bytes.len() as u64),
            mb(zip),
            ms(median),
            ms(totals[RUNS * 9 / 10]),
            ms(inits[RUNS / 2])
        );
        if zip > ZIP_LIMIT {
            over.push(format!("{bin}: zip {} > 15 MB", mb(zip)));
        }
        if median > COLD_START_LIMIT {
            over.push(format!("{bin}: cold start {} > 50 ms", ms(median)));
        }
    }
    println!("{table}");
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/target/lambda-bench.md");
    std::fs::write(out, &table).unwrap();
    assert!(over.is_empty(), "over budget: {over:?}");
}
