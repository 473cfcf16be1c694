//! `dispatch roster import` at scale (#25 item 7): 50,000 members over 5,000 booked charters on
//! the embedded backend. The import reads the roster as it was, upserts the members and
//! reconciles only the charters whose candidates changed ([`reconcile_for_import`]). Prints the
//! wall time and the process's peak resident memory (`VmHWM`) of a first import (every member
//! new: every charter's candidates change), then of a re-import with 1% of the members changed.
//!
//! Run: `cargo bench --bench roster_import` (`ROSTER_BENCH_MEMBERS`, `ROSTER_BENCH_CHARTERS`;
//! goal: under 60 s and 200 MB).
//!
//! [`reconcile_for_import`]: dispatch_cascade::roster_change::reconcile_for_import

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use dispatch_cascade::tokens::{LinkKey, MagicLinks};
use dispatch_cascade::Cascade;
use dispatch_core::clock::SystemClock;
use dispatch_core::domain::*;

#[path = "common/mod.rs"]
mod common;

const DAYS: u64 = 50;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident memory of this process so far, in MB (`VmHWM` of /proc/self/status).
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn day(n: u64) -> CharterDate {
    CharterDate::from_naive(Utc::now().date_naive() + chrono::Days::new(1 + n))
}

fn member(i: usize, salt: usize) -> CrewMember {
    // Five days each, spread over the window; every fourth a captain.
    let dates = (0..5u64).map(|k| day((i as u64 * 7 + k * 11 + salt as u64) % DAYS));
    common::member(
        &format!("m-{i:06}"),
        format!("Member {i}"),
        i.is_multiple_of(4),
        dates,
        &["deckhand"],
    )
}

fn charter(i: usize) -> Charter {
    common::charter(day(i as u64 % DAYS), 6, 1)
}

async fn import(cascade: &Cascade, members: &[CrewMember], what: &str) {
    let t0 = Instant::now();
    let b = &cascade.backend;
    let before = b.roster.list().await.expect("roster").items;
    b.roster.upsert_batch(members).await.expect("upsert");
    let today = cascade.today();
    let r = cascade
        .reconcile_for_import(&before, members, today)
        .await
        .expect("reconcile");
    println!(
        "{what:<28} {:>6} members: {:>6.1} s, peak RSS {:>6.0} MB; {} charters reconciled ({} moved, {} failed)",
        members.len(),
        t0.elapsed().as_secs_f64(),
        peak_mb(),
        r.reconciled,
        r.moved,
        r.failed
    );
}

#[tokio::main]
async fn main() {
    let n_members = env("ROSTER_BENCH_MEMBERS", 50_000);
    let n_charters = env("ROSTER_BENCH_CHARTERS", 5_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dispatch_core::local::Local::open_path(&dir.path().join("bench.sqlite3"), "", 5)
        .expect("sqlite");
    let backend = local.backend();
    backend.admin.bootstrap().await.expect("bootstrap");
    let cascade = Cascade {
        backend: backend.clone(),
        mailer: Arc::new(dispatch_mailer::Outbox::new(dir.path().join("outbox"))),
        links: MagicLinks::new(vec![LinkKey::new("bench", vec![7; 32]).expect("key")])
            .expect("links"),
        cfg: common::settings("http://127.0.0.1:9", Duration::from_secs(3600)),
        idem: Default::default(),
        clock: Arc::new(SystemClock),
        availability_sheet: None,
    };
    for i in 0..n_charters {
        backend.charters.insert(&charter(i)).await.expect("charter");
    }
    println!("roster import: {n_charters} booked charters over {DAYS} days, before any import: peak RSS {:.0} MB", peak_mb());
    let members: Vec<CrewMember> = (0..n_members).map(|i| member(i, 0)).collect();
    import(&cascade, &members, "first import (all new)").await;
    // `dispatch roster import` holds one file's members, not two.
    drop(members);
    // Again, 1% of the members with their days moved.
    let again: Vec<CrewMember> = (0..n_members)
        .map(|i| member(i, usize::from(i.is_multiple_of(100))))
        .collect();
    import(&cascade, &again, "re-import, 1% changed").await;
}
