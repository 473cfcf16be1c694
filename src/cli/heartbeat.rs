//! `dispatch run`'s heartbeats: each running part writes when it last ran and what it did (the
//! counters since the process started, and its backend requests by operation) every
//! [`BEAT_EVERY`] (three small writes every five minutes), and the sweep after
//! each pass, so
//! `dispatch status` and `doctor` can tell a quiet deployment from a stopped one.

use std::time::Duration;

use dispatch_core::metrics::{Counter, Snapshot};
use dispatch_core::ports::{part, Heartbeat};
use dispatch_core::Backend;
use tokio::sync::watch;

use super::run::Part;

/// How often the running parts beat.
pub const BEAT_EVERY: Duration = Duration::from_secs(300);

/// This process, as heartbeats name it.
pub fn me() -> String {
    format!("{}-{}", crate::app::hostname(), std::process::id())
}

/// Writes `part`'s beat; a failure is a warning (the next beat tries again).
pub async fn beat(backend: &Backend, part: &str, detail: serde_json::Value) {
    let hb = Heartbeat {
        part: part.to_string(),
        at: chrono::Utc::now(),
        by: me(),
        detail,
    };
    if let Err(e) = backend.heartbeats.beat(&hb).await {
        tracing::warn!(part, error = %e, "could not write the heartbeat; trying again at the next");
    }
}

/// What `part` did since `started` (and the process's backend requests since it started).
fn detail(part: &str, started: &Snapshot) -> serde_json::Value {
    let mut d = counters(part, started);
    if let Some(o) = d.as_object_mut() {
        o.insert(
            "requests".into(),
            dispatch_core::requests::Requests::now().to_json(),
        );
    }
    d
}

fn counters(part: &str, started: &Snapshot) -> serde_json::Value {
    let d = Snapshot::now().since(started);
    let counts = |cs: &[Counter]| {
        serde_json::Value::Object(
            cs.iter()
                .map(|c| (c.name().to_string(), d.get(*c).into()))
                .collect(),
        )
    };
    match part {
        part::CONSUMER => counts(&[
            Counter::RecordsProcessed,
            Counter::RecordsRetried,
            Counter::RecordsDeadLettered,
        ]),
        part::WORKERS => counts(&[
            Counter::JobsProcessed,
            Counter::JobsRetried,
            Counter::JobsDeadLettered,
            Counter::OffersSent,
            Counter::Escalations,
        ]),
        _ => serde_json::json!({}),
    }
}

/// Beats for each of `parts` at once and then every [`BEAT_EVERY`] until stopped.
pub async fn beat_every(backend: Backend, parts: Vec<Part>, mut stop: watch::Receiver<bool>) {
    let started = Snapshot::now();
    let names: Vec<&str> = parts
        .iter()
        .map(|p| match p {
            Part::Ingest => part::CONSUMER,
            Part::Workers => part::WORKERS,
            Part::Web => part::WEB,
        })
        .collect();
    let mut ticker = tokio::time::interval(BEAT_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        for name in &names {
            beat(&backend, name, detail(name, &started)).await;
        }
    }
}
