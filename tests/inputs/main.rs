//! The bad-input corpus: files, settings, command lines, queue bodies, stream records and crew
//! page requests a hostile or careless user would send, one case a row (see `inputs/*.rs`), each
//! with the exit code or status it must get and a fragment of the message that must say what is
//! wrong. Where storage is involved every case runs on both backends (`local::*` on SQLite,
//! `aws::*` on moto), and a case passes only if the message is clear (the fragment is there; no
//! panic, no stack trace, no `X: X` repeat) **and** nothing good was lost: what was stored before
//! is read back unchanged, and the good rows of the same input are stored.
//!
//! A failing case names itself; all cases of an area run before the test fails.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod cli;
mod imports;
mod page;
mod queues;
mod settings;
mod stream;
mod workbooks;

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use crate::common::{Dispatch, Fixture, Kind, World};

/// A test world the `dispatch` binary reaches too (its data folder; on moto its prefix and
/// endpoints), its queues redriving after production's 5 receives.
pub struct Env(World);

impl Deref for Env {
    type Target = World;
    fn deref(&self) -> &World {
        &self.0
    }
}

impl Fixture for Env {
    fn make(kind: Kind) -> Pin<Box<dyn Future<Output = Self> + Send>> {
        Box::pin(async move { Env(World::with_receives(kind, 5).await) })
    }
}

impl Env {
    /// A world on the embedded backend.
    pub async fn local() -> Self {
        Self::make(Kind::Local).await
    }

    /// Runs `dispatch` against this world (with the corpus's link key and `env` on top of the
    /// scrubbed environment); returns (exit code, stdout + stderr).
    pub fn dispatch(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        Dispatch::on(self)
            .env("DISPATCH_LINK_KEYS", LINK_KEY)
            .envs(env)
            .code_and_text(args)
    }
}

/// A magic-link key for the binary on AWS (the embedded backend makes its own).
pub const LINK_KEY: &str = "in1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Whether a message is clear: the fragment is in it, and no panic, backtrace or repeated cause.
pub fn unclear(out: &str, fragment: &str) -> Option<String> {
    if !out.contains(fragment) {
        return Some(format!("the message lacks `{fragment}`"));
    }
    for bad in [
        "panicked",
        "RUST_BACKTRACE",
        "stack backtrace",
        "memory allocation",
    ] {
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
            self.failures
                .push(format!("case `{case}`: {p}\n--- output ---\n{out}\n"));
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

// Each area's `run(&env)` on both backends: `local::<area>` and `aws::<area>`.
both!(
    imports => super::imports::run,
    workbooks => super::workbooks::run,
    cli => super::cli::run,
    queues => super::queues::run,
    stream => super::stream::run,
    page => super::page::run,
);

/// Settings are refused before any storage is opened: one backend is enough (the AWS one would
/// fail the same way before connecting).
#[test]
fn settings() {
    settings::run();
}

/// Every area's case count, so the corpus does not shrink unnoticed.
#[test]
fn the_corpus_has_at_least_80_cases() {
    let n = imports::COUNT
        + workbooks::COUNT
        + cli::COUNT
        + queues::COUNT
        + stream::COUNT
        + page::COUNT
        + settings::COUNT;
    assert!(n >= 80, "{n} cases");
}
