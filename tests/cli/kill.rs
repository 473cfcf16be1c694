//! `dispatch run` killed with SIGKILL (by its own pid) at random moments while charters are
//! being booked, then run once more: every charter gets exactly one first captain offer mail,
//! none is lost, nothing waits in a DLQ — within one sweep plus a minute of the last restart.
//! 1,000 charters and 5 kills on the embedded backend; 60 charters and 3 kills on moto.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use dispatch_cascade::offer_id_for;
use dispatch_core::domain::{CharterId, Role};
use dispatch_core::ports::QueueId;
use dispatch_core::Backend;

use crate::common::{Dispatch, Kind, Running, World};
use crate::{random_link_key, write_json, Rng};

both!(sigkill_during_a_charter_load_loses_nothing_and_sends_nothing_twice);

/// 1,000 charters and 5 kills on SQLite; 60 charters and 3 kills on moto (its throughput is low).
async fn sigkill_during_a_charter_load_loses_nothing_and_sends_nothing_twice(kind: &Kind) {
    // Production's redrive count (5), as `dispatch bootstrap` makes the queues.
    let world = World::with_receives(*kind, 5).await;
    let run = Dispatch::on(&world)
        .env("DISPATCH_SWEEP_INTERVAL_SECS", "10")
        .env("RUST_LOG", "warn,dispatch_mailer=info");
    let (run, charters, kills, seed) = match kind {
        Kind::Local => (run, 1000, 5, 0x5eed),
        // A key made for this test (never one kept in the repo).
        Kind::Aws => (
            run.env("DISPATCH_LINK_KEYS", random_link_key()),
            60,
            3,
            0xa115,
        ),
    };
    run.ok(&["bootstrap"]);
    scenario(&world.backend, &run, charters, kills, seed).await;
}

/// `dispatch run` (stream consumer and workers), its log to `log`.
fn start(run: &Dispatch, log: &Path) -> Running {
    let file = std::fs::File::create(log).unwrap();
    run.start_run("ingest,workers", Stdio::from(file))
}

fn dates(n: usize) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    (1..=n as u64)
        .map(|d| {
            (today + chrono::Days::new(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect()
}

/// Mail keys each process logged as written, counted over every run.
fn sent_counts(logs: &[PathBuf]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for line in text
            .lines()
            .filter(|l| l.contains("mail written to outbox"))
        {
            if let Some(key) = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| {
                    // JSON logs are flattened: fields sit beside the message.
                    v.get("key")
                        .or_else(|| v.get("fields").and_then(|f| f.get("key")))
                        .and_then(|k| k.as_str())
                        .map(str::to_string)
                })
            {
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    counts
}

async fn scenario(backend: &Backend, env: &Dispatch, charters: usize, kills: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    let days = dates(20);
    let roster: Vec<serde_json::Value> = (0..40)
        .map(|i| {
            serde_json::json!({
                "crew_id": format!("crew-k{i}"), "name": format!("Kim {i}"),
                "email": format!("k{i}@crew.example.com"), "captain_certified": i % 2 == 0,
                "available_dates": days, "certifications": ["deckhand"], "active": true
            })
        })
        .collect();
    write_json(&env.dir().join("roster.json"), &serde_json::json!(roster));
    env.ok(&["roster", "import", "roster.json"]);
    // The charters, in batches the booking system writes while dispatch runs and is killed.
    let mut ids = Vec::new();
    let batches = 10;
    for b in 0..batches {
        let batch: Vec<serde_json::Value> = (0..charters / batches)
            .map(|i| {
                let id = uuid::Uuid::new_v4().to_string();
                ids.push(CharterId::parse(&id).unwrap());
                serde_json::json!({
                    "charter_id": id, "created_at": format!("2026-11-01T10:{:02}:{:02}.{:03}Z", b, i % 60, i),
                    "charter_date": days[(b * 7 + i) % days.len()], "vessel_name": "Marlin",
                    "guest_count": 6, "reportable_revenue": "100", "tips": "0", "status": "booked"
                })
            })
            .collect();
        write_json(
            &env.dir().join(format!("batch{b}.json")),
            &serde_json::json!(batch),
        );
    }
    let mut logs = Vec::new();
    let mut next_batch = 0;
    for k in 0..kills {
        let log = env.dir().join(format!("run{k}.log"));
        let mut child = start(env, &log);
        logs.push(log);
        // Book while it runs, then kill it at a random moment.
        let until = Instant::now() + Duration::from_millis(300 + rng.below(2500));
        while Instant::now() < until {
            if next_batch < batches {
                env.ok(&["charter", "import", &format!("batch{next_batch}.json")]);
                next_batch += 1;
            } else {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        child.kill9();
    }
    while next_batch < batches {
        env.ok(&["charter", "import", &format!("batch{next_batch}.json")]);
        next_batch += 1;
    }
    // Once more, to the end: within one sweep (10 s here) plus a minute.
    let log = env.dir().join("final.log");
    let mut child = start(env, &log);
    logs.push(log);
    let outbox = dispatch_mailer::Outbox::new(env.dir().join("data/outbox"));
    let first_mail = |c: &CharterId| {
        outbox.file_for(&format!("mail#offer#{}", offer_id_for(c, Role::Captain, 0)))
    };
    // The promise is that nothing stays stuck: a claim of a killed run lapses and its job is done
    // within one sweep (10 s here) plus a minute. How fast the backlog drains depends on the
    // machine, so the window restarts whenever more charters got their mail; a stall of that long
    // (or 10 minutes in all) fails.
    let stall = Duration::from_secs(10 + 60);
    let give_up = Instant::now() + Duration::from_secs(600);
    let (mut deadline, mut last_missing) = (Instant::now() + stall, usize::MAX);
    loop {
        let missing = ids.iter().filter(|c| !first_mail(c).exists()).count();
        if missing == 0 {
            break;
        }
        if missing < last_missing {
            (deadline, last_missing) = ((Instant::now() + stall).min(give_up), missing);
        }
        if Instant::now() > deadline {
            child.kill9();
            let text = std::fs::read_to_string(logs.last().unwrap()).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            panic!(
                "{missing} of {} charters never got their first captain offer mail (no progress for {stall:?}); last log lines:\n{}",
                ids.len(),
                tail.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // Let it settle, then look: nothing in any DLQ, no mail written twice.
    let settle = Instant::now() + Duration::from_secs(30);
    loop {
        let mut busy = 0;
        for q in [QueueId::Cascade] {
            let d = backend.queues.depth(q).await.unwrap();
            busy += d.visible + d.in_flight;
        }
        if busy == 0 || Instant::now() > settle {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for q in QueueId::ALL.into_iter().filter(|q| q.is_dlq()) {
        let d = backend.queues.depth(q).await.unwrap();
        assert_eq!(
            d.visible + d.in_flight + d.delayed,
            0,
            "{q} holds messages: {d:?}"
        );
    }
    child.kill9();
    let counts = sent_counts(&logs);
    let logged = ids
        .iter()
        .filter(|c| {
            counts.contains_key(&format!("mail#offer#{}", offer_id_for(c, Role::Captain, 0)))
        })
        .count();
    // A process killed between the rename and its log line leaves a mail unlogged, never the reverse.
    assert!(
        logged + kills >= ids.len(),
        "only {logged} of {} first offers in the logs",
        ids.len()
    );
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "mails written more than once: {twice:?}");
    for c in &ids {
        let key = format!("mail#offer#{}", offer_id_for(c, Role::Captain, 0));
        assert!(first_mail(c).exists(), "{key}");
        // Exactly one captain offer so far for each (nobody answered, nothing lapsed yet).
        let offers = backend.offers.for_charter(c).await.unwrap();
        assert_eq!(offers.len(), 1, "charter {c}: {offers:?}");
    }
}
