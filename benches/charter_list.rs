//! `dispatch charter list` over a 60-day range of 2,000 charters on the embedded backend (issue
//! 20: under a second), run as ops run it: the `dispatch` binary, a fresh process each time,
//! its output to a pipe. Each charter has two offers (one lapsed, one open), a thread of three
//! entries, and half of them a captain; 80 members on the roster. Also checks that a range
//! over 400 days is refused. It reports wall time and the process's CPU time (user + system,
//! from `/proc`: on a shared machine the wall time also counts waiting for a core).
//!
//! Run: `cargo bench --bench charter_list` (also in `./scripts/bench`). `LIST_CHARTERS=N` and
//! `LIST_DAYS=D` change the size; `LIST_RUNS` the runs (median reported).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use dispatch_core::domain::*;

#[path = "common/mod.rs"]
mod common;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn seed(dir: &std::path::Path, n: usize, days: usize) -> (CharterDate, CharterDate) {
    let local = dispatch_core::local::Local::open_path(&dir.join("dispatch.sqlite3"), "", 5)
        .expect("opening the bench database");
    let backend = local.backend();
    backend.admin.bootstrap().await.expect("bootstrap");
    let today = Utc::now().date_naive();
    let dates: Vec<CharterDate> = (1..=days as u64)
        .map(|d| CharterDate::from_naive(today + chrono::Days::new(d)))
        .collect();
    let roster: Vec<CrewMember> = (0..80)
        .map(|i| {
            let mut m = common::member(
                &format!("crew{i}"),
                format!("Member {i}"),
                i % 2 == 0,
                dates.iter().copied(),
                &["deckhand"],
            );
            m.phone = Some(format!("+1555000{i:04}"));
            m
        })
        .collect();
    backend.roster.upsert_batch(&roster).await.unwrap();
    let now = Utc::now();
    for i in 0..n {
        let date = dates[i % dates.len()];
        let captain = (i % 2 == 0).then(|| roster[(i * 2) % 80].crew_id.clone());
        let c = Charter {
            charter_id: CharterId::new_random(),
            created_at: now.to_rfc3339(),
            charter_date: date,
            vessel_name: format!("Vessel {}", i % 7),
            captain_assigned: captain,
            crew_assigned: vec![],
            guest_count: 10,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: Some(1),
        };
        backend.charters.insert(&c).await.unwrap();
        for (k, status) in [(0u8, OfferStatus::Lapsed), (1, OfferStatus::Open)] {
            let o = Offer {
                offer_id: OfferId::parse(&uuid::Uuid::new_v4().to_string()).unwrap(),
                charter_id: c.charter_id.clone(),
                charter_date: date,
                crew_id: roster[(i + usize::from(k) * 3 + 1) % 80].crew_id.clone(),
                role: Role::Crew { slot: 0 },
                status,
                created_at: now,
                expires_at: now + chrono::Duration::hours(2),
                updated_at: now,
            };
            backend.offers.put(&o).await.unwrap();
        }
        for k in 0..3 {
            let e = ThreadEntry::new(
                c.charter_id.clone(),
                ThreadKind::Note,
                None,
                format!("note {k}"),
            );
            backend.thread.append(&e).await.unwrap();
        }
    }
    (dates[0], dates[dates.len() - 1])
}

/// CPU seconds (user + system) of this process's waited-for children, from `/proc`.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(13).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(14).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// One `dispatch charter list ARGS`: wall time, success, lines printed, CPU seconds.
fn list(dir: &std::path::Path, args: &[&str]) -> (Duration, bool, usize, f64) {
    let cpu = children_cpu();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dispatch"))
        .args(["charter", "list"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DISPATCH_BACKEND", "local")
        .env("DISPATCH_DATA_DIR", dir)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("running dispatch");
    let wall = t.elapsed();
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    if !out.status.success() {
        eprintln!(
            "charter list {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    (wall, out.status.success(), lines, children_cpu() - cpu)
}

#[tokio::main]
async fn main() {
    let n = env_or("LIST_CHARTERS", 2000);
    let days = env_or("LIST_DAYS", 60);
    let runs = env_or("LIST_RUNS", 5);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let (from, to) = seed(dir.path(), n, days).await;
    eprintln!("seeded {n} charters over {days} days in {:?}", t.elapsed());
    let (from_s, to_s) = (from.to_string(), to.to_string());
    let range = ["--from", from_s.as_str(), "--to", to_s.as_str()];
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..runs {
        let (wall, ok, lines, cpu) = list(dir.path(), &range);
        assert!(ok, "charter list failed");
        assert!(
            lines > n,
            "charter list printed {lines} lines for {n} charters"
        );
        walls.push(wall);
        cpus.push(cpu);
    }
    walls.sort();
    cpus.sort_by(f64::total_cmp);
    let json = list(dir.path(), &[&range[..], &["--json"]].concat());
    assert!(json.1, "charter list --json failed");
    let far = (to.naive() + chrono::Days::new(400)).to_string();
    let refused = list(
        dir.path(),
        &["--from", from_s.as_str(), "--to", far.as_str()],
    );
    assert!(!refused.1, "a range over 400 days was not refused");
    println!(
        "charter list, embedded: {n} charters over {days} days: wall median {:.3} s (min {:.3}, max {:.3}), CPU median {:.3} s ({runs} runs, a process each); --json {:.3} s; over 400 days refused",
        walls[walls.len() / 2].as_secs_f64(),
        walls[0].as_secs_f64(),
        walls[walls.len() - 1].as_secs_f64(),
        cpus[cpus.len() / 2],
        json.0.as_secs_f64(),
    );
}
