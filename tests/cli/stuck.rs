//! Nothing stuck, whatever the charter's date: three `dispatch run` processes share one stack
//! (one SQLite file, or one moto stack), charters are dated years ahead (far beyond any date
//! window a sweep might read), captains answer through any process's crew page (accept, decline,
//! or let the offer lapse), and one process is killed with SIGKILL at random moments and
//! restarted. Every offer must be answered or lapse within its deadline plus one visibility
//! timeout, and every charter must end staffed or escalated.
//!
//! Run it many times in a row with `STUCK_RUNS=20 cargo nextest run --test cli stuck::local`
//! (`STUCK_SEED` picks the first seed; `STUCK_KEEP=1` keeps the folder with the processes' logs).

mod page;

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;
use dispatch_core::domain::{CharterId, OfferStatus, Role};
use dispatch_core::Backend;

use crate::common::{Dispatch, Kind, Running, World};
use crate::{random_link_key, write_json, Rng};
use page::{answer, free_port, token_in};

/// How long an offer stays open in this test: on the embedded backend, and on moto, whose
/// requests are slow enough under load that a shorter window could close before its mail is out
/// (the cascade then withdraws the unsent offer and asks again: correct, but it never lapses).
const OFFER_TIMEOUT_S: u64 = 6;
const AWS_OFFER_TIMEOUT_S: u64 = 20;
/// The sweep's interval in this test.
const SWEEP_S: u64 = 5;
/// The workers' visibility timeout (their default: a killed worker's message comes back then).
const VISIBILITY_S: i64 = 60;
/// Time to notice and carry out a lapse once it is due (a poll, a reconcile on a busy moto).
const SLACK_S: i64 = 15;
/// Captains on the roster: a charter nobody accepts lapses through all of them, then escalates.
const CAPTAINS: usize = 4;

both!(three_processes_and_sigkill_leave_no_offer_open_past_its_deadline);

/// 24 charters on SQLite; 12 on moto, whose offers stay open longer.
async fn three_processes_and_sigkill_leave_no_offer_open_past_its_deadline(kind: &Kind) {
    for run in 0..runs() {
        // Production's redrive count (5), as `dispatch bootstrap` makes the queues.
        let mut world = World::with_receives(*kind, 5).await;
        if std::env::var_os("STUCK_KEEP").is_some() {
            world.dir.disable_cleanup(true);
        }
        let (offer_timeout_s, charters) = match kind {
            Kind::Local => (OFFER_TIMEOUT_S, 24),
            Kind::Aws => (AWS_OFFER_TIMEOUT_S, 12),
        };
        let mut dispatch = Dispatch::on(&world)
            .env("DISPATCH_SWEEP_INTERVAL_SECS", SWEEP_S.to_string())
            .env("DISPATCH_OFFER_TIMEOUT_SECS", offer_timeout_s.to_string())
            .env("DISPATCH_OPS_EMAILS", "ops@charter.example.com")
            .env(
                "RUST_LOG",
                "warn,dispatch_mailer=info,dispatch_cascade=info",
            );
        if *kind == Kind::Aws {
            // A key made for this test (never one kept in the repo).
            dispatch = dispatch.env("DISPATCH_LINK_KEYS", random_link_key());
        }
        dispatch.ok(&["bootstrap"]);
        let seed = first_seed() + run;
        scenario(&world.backend, &dispatch, offer_timeout_s, charters, seed).await;
    }
}

/// `dispatch run` (everything: stream, workers, sweep, crew page on `port`), its log to `log`;
/// killed by its pid when dropped, so a failing scenario leaves nothing running.
fn start(dispatch: &Dispatch, port: u16, log: &Path) -> Running {
    let file = std::fs::File::create(log).unwrap();
    dispatch
        .clone()
        .env("DISPATCH_LISTEN", format!("127.0.0.1:{port}"))
        .env("DISPATCH_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .start(&["run"], Stdio::null(), Stdio::from(file))
}

/// How one charter ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Staffed,
    Escalated,
}

async fn end_of(backend: &Backend, id: &CharterId) -> Option<End> {
    let c = backend.charters.get(id).await.ok()??;
    if c.captain_assigned.is_some() {
        return Some(End::Staffed);
    }
    let thread = backend.thread.list(id).await.ok()?;
    thread
        .iter()
        .any(|e| e.kind == dispatch_core::domain::ThreadKind::Escalated)
        .then_some(End::Escalated)
}

async fn scenario(
    backend: &Backend,
    dispatch: &Dispatch,
    offer_timeout_s: u64,
    charters: usize,
    seed: u64,
) {
    let mut rng = Rng(seed | 1);
    // Years ahead: beyond any horizon a sweep could read by date.
    let base = Utc::now().date_naive() + chrono::Days::new(3 * 365 + rng.below(200));
    let days: Vec<String> = (0..6)
        .map(|d| (base + chrono::Days::new(d)).format("%Y-%m-%d").to_string())
        .collect();
    let roster: Vec<serde_json::Value> = (0..CAPTAINS)
        .map(|i| {
            serde_json::json!({
                "crew_id": format!("crew-s{i}"), "name": format!("Sam {i}"),
                "email": format!("s{i}@crew.example.com"), "captain_certified": true,
                "available_dates": days, "certifications": [], "active": true
            })
        })
        .collect();
    write_json(
        &dispatch.dir().join("roster.json"),
        &serde_json::json!(roster),
    );
    dispatch.ok(&["roster", "import", "roster.json"]);
    let ids: Vec<CharterId> = (0..charters)
        .map(|_| CharterId::parse(&uuid::Uuid::new_v4().to_string()).unwrap())
        .collect();
    let rows: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            // No crew slot is asked for: the captain's cascade is the one under test.
            serde_json::json!({
                "charter_id": id.to_string(), "created_at": format!("2026-11-01T10:00:{:02}.{:03}Z", i % 60, i),
                "charter_date": days[i % days.len()], "vessel_name": "Marlin", "crew_needed": 0,
                "guest_count": 4, "reportable_revenue": "100", "tips": "0", "status": "booked"
            })
        })
        .collect();
    write_json(
        &dispatch.dir().join("charters.json"),
        &serde_json::json!(rows),
    );

    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut logs = Vec::new();
    // The processes, each killed (by pid) when `procs` is dropped, also when an assertion fails.
    let mut procs: Vec<Running> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let log = dispatch.dir().join(format!("p{i}-0.log"));
            logs.push(log.clone());
            start(dispatch, *p, &log)
        })
        .collect();
    dispatch.ok(&["charter", "import", "charters.json"]);

    let outbox = dispatch_mailer::Outbox::new(dispatch.dir().join("data/outbox"));
    // What the test decided for each offer it saw: answer it (accept or decline) or let it lapse.
    let mut decided: HashMap<String, u64> = HashMap::new();
    let started = Instant::now();
    let mut next_kill = started + Duration::from_millis(2_000 + rng.below(8_000));
    let mut kills = 0;
    let give_up = started
        + Duration::from_secs(CAPTAINS as u64 * offer_timeout_s * 4 + VISIBILITY_S as u64 + 120);
    let mut worst_overdue = chrono::Duration::zero();
    loop {
        let now = Utc::now();
        let mut settled = 0;
        for id in &ids {
            if end_of(backend, id).await.is_some() {
                settled += 1;
                continue;
            }
            for o in backend.offers.for_charter(id).await.unwrap() {
                if o.status != OfferStatus::Open {
                    continue;
                }
                let overdue = now - o.expires_at;
                worst_overdue = worst_overdue.max(overdue);
                assert!(
                    overdue <= chrono::Duration::seconds(VISIBILITY_S + SLACK_S),
                    "charter {id}: offer {} to {} still open {}s after its deadline (seed {seed:#x}); logs in {}",
                    o.offer_id,
                    o.crew_id,
                    overdue.num_seconds(),
                    dispatch.dir().display()
                );
                let choice = *decided
                    .entry(o.offer_id.to_string())
                    .or_insert_with(|| rng.below(3));
                // 0: let it lapse; 1: decline; 2: accept (only the last captain accepts, now
                // and then, so most charters see lapses and declines first).
                if choice == 0 {
                    continue;
                }
                let Some(token) = token_in(&outbox.file_for(&format!("mail#offer#{}", o.offer_id)))
                else {
                    continue;
                };
                let port = ports[rng.below(ports.len() as u64) as usize];
                if answer(port, &token, choice == 2 && rng.below(2) == 0) {
                    decided.insert(o.offer_id.to_string(), 0);
                }
            }
        }
        if settled == ids.len() {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "{} of {} charters neither staffed nor escalated after {:?} (seed {seed:#x}); logs in {}",
            ids.len() - settled,
            ids.len(),
            started.elapsed(),
            dispatch.dir().display()
        );
        if Instant::now() > next_kill && kills < 4 {
            let victim = rng.below(procs.len() as u64) as usize;
            procs[victim].kill9();
            kills += 1;
            let log = dispatch.dir().join(format!("p{victim}-{kills}.log"));
            logs.push(log.clone());
            procs[victim] = start(dispatch, ports[victim], &log);
            next_kill = Instant::now() + Duration::from_millis(1_000 + rng.below(9_000));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(procs);
    // No member double-booked: a captain holds at most one charter a day.
    let mut booked: HashMap<(String, String), usize> = HashMap::new();
    for id in &ids {
        let c = backend.charters.get(id).await.unwrap().unwrap();
        if let Some(m) = &c.captain_assigned {
            *booked
                .entry((m.to_string(), c.charter_date.to_string()))
                .or_default() += 1;
        }
        let offers = backend.offers.for_charter(id).await.unwrap();
        let accepted = offers
            .iter()
            .filter(|o| o.status == OfferStatus::Accepted && o.role == Role::Captain)
            .count();
        assert!(accepted <= 1, "charter {id}: {accepted} captains accepted");
    }
    assert!(
        booked.values().all(|n| *n == 1),
        "a captain booked twice on one day: {booked:?}"
    );
    eprintln!(
        "{} charters settled in {:?} with {kills} kills; worst overdue open offer {}s",
        ids.len(),
        started.elapsed(),
        worst_overdue.num_seconds()
    );
}

fn runs() -> u64 {
    std::env::var("STUCK_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1)
}

fn first_seed() -> u64 {
    std::env::var("STUCK_SEED")
        .ok()
        .and_then(|r| u64::from_str_radix(r.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x57ac)
}
