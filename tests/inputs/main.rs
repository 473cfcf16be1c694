//! The bad-input corpus: files, settings, command lines, queue bodies, stream records and crew
//! page requests a hostile or careless user would send, one case a row (see `inputs/*.rs`), each
//! with the exit code or status it must get and a fragment of the message that must say what is
//! wrong. Where storage is involved every case runs on both backends (`local::*` on SQLite,
//! `aws::*` on moto), and a case passes only if the message is clear (the fragment is there; no
//! panic, no stack trace, no `X: X` repeat) **and** nothing good was lost: what was stored before
//! is read back unchanged, and the good rows of the same input are stored.
//!
//! A failing case names itself; all cases of an area run before the test fails.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod imports;
mod page;
mod queues;
mod settings;
mod stream;
mod workbooks;

use std::path::PathBuf;
use std::process::Command;

use dispatch_core::local::Local;
use dispatch_core::Backend;

/// A test world the `dispatch` binary can reach too: its data dir, and for AWS the prefix and
/// endpoints.
pub struct Env {
    pub backend: Backend,
    pub kind: &'static str,
    pub dir: tempfile::TempDir,
    pub prefix: String,
}

impl Env {
    pub async fn local() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let local = Local::open_path(&data.join("dispatch.sqlite3"), "", 5).unwrap();
        let backend = local.backend();
        backend.admin.bootstrap().await.unwrap();
        Self {
            backend,
            kind: "local",
            dir,
            prefix: String::new(),
        }
    }

    pub async fn aws() -> Self {
        let prefix = format!("in{}-", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let backend = common::aws_with_prefix(&prefix, 5).await.backend();
        backend.admin.bootstrap().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        Self {
            backend,
            kind: "aws",
            dir,
            prefix,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A file in the world's folder holding `bytes`.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Runs `dispatch` against this world; returns (exit code, stdout + stderr).
    pub fn dispatch(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dispatch"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("DISPATCH_DATA_DIR", self.data_dir())
            .env_remove("DISPATCH_CONFIG")
            .env("DISPATCH_LINK_KEYS", LINK_KEY);
        if self.kind == "aws" {
            let ddb = common::dynamodb_endpoint();
            cmd.env("DISPATCH_BACKEND", "aws")
                .env("DISPATCH_PREFIX", &self.prefix)
                .env("AWS_ENDPOINT_URL_DYNAMODB", &ddb)
                .env("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", &ddb)
                .env("AWS_ENDPOINT_URL_SQS", common::endpoint())
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_EC2_METADATA_DISABLED", "true");
        } else {
            cmd.env_remove("DISPATCH_BACKEND");
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run dispatch");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }
}

/// A magic-link key for the binary on AWS (the embedded backend makes its own).
pub const LINK_KEY: &str = "in1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Whether a message is clear: the fragment is in it, and no panic, backtrace or repeated cause.
pub fn unclear(out: &str, fragment: &str) -> Option<String> {
    if !out.contains(fragment) {
        return Some(format!("the message lacks `{fragment}`"));
    }
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace", "memory allocation"] {
        if out.contains(bad) {
            return Some(format!("the output holds `{bad}`"));
        }
    }
    for line in out.lines().filter(|l| l.starts_with("error: ")) {
        let parts: Vec<&str> = line.split(": ").map(str::trim).collect();
        if parts.windows(2).any(|w| w[0] == w[1] && w[0].len() > 8) {
            return Some(format!("a cause is repeated in `{line}`"));
        }
    }
    None
}

/// Collects failed cases of an area and fails once, naming them all.
#[derive(Default)]
pub struct Tally {
    pub failures: Vec<String>,
    pub ran: usize,
}

impl Tally {
    pub fn check(&mut self, case: &str, problem: Option<String>, out: &str) {
        self.ran += 1;
        if let Some(p) = problem {
            let out: String = out.chars().take(1500).collect();
            self.failures.push(format!("case `{case}`: {p}\n--- output ---\n{out}\n"));
        }
    }
    pub fn finish(self, area: &str) {
        assert!(self.ran > 0, "{area}: no case ran");
        assert!(
            self.failures.is_empty(),
            "{area}: {} of {} cases failed:\n{}",
            self.failures.len(),
            self.ran,
            self.failures.join("\n")
        );
    }
}

/// The expected exit code, then the message check.
pub fn expect(code: i32, want: i32, out: &str, fragment: &str) -> Option<String> {
    if code != want {
        return Some(format!("exit code {code}, expected {want}"));
    }
    unclear(out, fragment)
}

/// Runs `area(&env)` on both backends: `local::<area>` and `aws::<area>`.
macro_rules! both {
    ($($area:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $area() {
                    let env = $crate::Env::local().await;
                    $crate::$area::run(&env).await;
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $area() {
                    let env = $crate::Env::aws().await;
                    $crate::$area::run(&env).await;
                }
            )*
        }
    };
}

both!(imports, workbooks, cli, queues, stream, page);

/// Settings are refused before any storage is opened: one backend is enough (the AWS one would
/// fail the same way before connecting).
#[test]
fn settings() {
    settings::run();
}

/// Every area's case count, so the corpus does not shrink unnoticed.
#[test]
fn the_corpus_has_at_least_80_cases() {
    let n = imports::COUNT + workbooks::COUNT + cli::COUNT + queues::COUNT + stream::COUNT
        + page::COUNT
        + settings::COUNT;
    assert!(n >= 80, "{n} cases");
}

