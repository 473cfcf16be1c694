//! `dispatch status [--json]`: one screen saying whether the deployment is alive and what it is
//! doing: each part's last heartbeat (consumer, workers, sweep, crew page) and what it did, each
//! queue's depth (dead-letter queues included), and the charters waiting in the index of
//! unsettled charters. `doctor` shares the sweep's verdict ([`sweep_health`]).

use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::config::BackendKind;
use dispatch_core::ports::{part, Heartbeat, QueueId};
use dispatch_core::{Backend, Settings};
use serde_json::json;

/// Sweeps that may be missed before the sweep counts as stopped.
pub const MISSED_SWEEPS: u32 = 3;

/// What the sweep's heartbeat says.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepHealth {
    /// A sweep completed within the last [`MISSED_SWEEPS`] periods.
    Running { at: DateTime<Utc> },
    /// Sweeps ran, but none completed for [`MISSED_SWEEPS`] periods.
    Stopped { at: DateTime<Utc>, period: Duration },
    /// No sweep ever completed (a fresh bootstrap).
    NeverRan,
    /// `DISPATCH_SWEEP_INTERVAL_SECS=0` on the embedded backend.
    Off,
}

/// The sweep's period: the setting, or on AWS the scheduler's minute when it is off here.
fn sweep_period(settings: &Settings) -> Option<Duration> {
    match (settings.sweep_interval(), settings.backend) {
        (Some(p), _) => Some(p),
        (None, BackendKind::Aws) => Some(Duration::from_secs(60)),
        (None, BackendKind::Local) => None,
    }
}

/// The verdict on the sweep from its last heartbeat.
pub fn sweep_health(settings: &Settings, beats: &[Heartbeat], now: DateTime<Utc>) -> SweepHealth {
    let Some(period) = sweep_period(settings) else {
        return SweepHealth::Off;
    };
    match beats.iter().find(|b| b.part == part::SWEEP) {
        None => SweepHealth::NeverRan,
        Some(b) => {
            let late =
                chrono::Duration::from_std(period * MISSED_SWEEPS).unwrap_or(chrono::Duration::MAX);
            if now - b.at > late {
                SweepHealth::Stopped { at: b.at, period }
            } else {
                SweepHealth::Running { at: b.at }
            }
        }
    }
}

/// `3 min 5 s ago`.
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - at).num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min {} s ago", s / 60, s % 60),
        3600..=86399 => format!("{} h {} min ago", s / 3600, (s % 3600) / 60),
        _ => format!("{} days ago", s / 86400),
    }
}

/// The sweep's verdict as one `doctor`/`status` line: `Ok(line)`, or `Err(line)` when it fails.
pub fn sweep_line(health: &SweepHealth, now: DateTime<Utc>) -> Result<String, String> {
    match health {
        SweepHealth::Running { at } => Ok(format!("sweep: last completed {}", ago(*at, now))),
        SweepHealth::Stopped { at, period } => Err(format!(
            "sweep: none completed for {MISSED_SWEEPS} sweep intervals ({} s each); the last \
             {}: lapsed offers are not moving on. Is `dispatch run` running (systemctl status \
             dispatch), or on AWS the SweepSchedule and the worker function?",
            period.as_secs(),
            ago(*at, now)
        )),
        SweepHealth::NeverRan => Ok(
            "sweep: never ran (a fresh deployment; start `dispatch run`, or on AWS wait for the \
             SweepSchedule)"
                .into(),
        ),
        SweepHealth::Off => Ok(
            "sweep: off (DISPATCH_SWEEP_INTERVAL_SECS=0): nothing looks again at a charter whose \
             timer was lost"
                .into(),
        ),
    }
}

pub async fn status(
    settings: &Settings,
    backend: &Backend,
    as_json: bool,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let beats = backend.heartbeats.all().await?;
    let health = sweep_health(settings, &beats, now);
    let sweep = sweep_line(&health, now);
    let mut queues = Vec::new();
    for q in QueueId::ALL {
        let d = backend.queues.depth(q).await?;
        queues.push((q, d));
    }
    let unsettled = backend.charters.unsettled().await?;
    let mut unsettled_ids: Vec<String> = unsettled
        .iter()
        .map(|u| u.key.charter_id.to_string())
        .collect();
    unsettled_ids.sort();
    unsettled_ids.dedup();
    let undelivered = undelivered_lines(settings, backend, &unsettled_ids).await;
    if as_json {
        let parts: serde_json::Map<String, serde_json::Value> = part::ALL
            .iter()
            .map(|p| {
                let v = match beats.iter().find(|b| b.part == *p) {
                    Some(b) => json!({
                        "last_beat": b.at.to_rfc3339(),
                        "seconds_ago": (now - b.at).num_seconds(),
                        "by": b.by,
                        "did": b.detail,
                    }),
                    None => serde_json::Value::Null,
                };
                (p.to_string(), v)
            })
            .collect();
        let queues: serde_json::Map<String, serde_json::Value> = queues
            .iter()
            .map(|(q, d)| {
                (
                    q.base_name().to_string(),
                    json!({"visible": d.visible, "in_flight": d.in_flight, "delayed": d.delayed}),
                )
            })
            .collect();
        let out = json!({
            "at": now.to_rfc3339(),
            "backend": backend.admin.describe(),
            "parts": parts,
            "sweep": {
                "ok": sweep.is_ok(),
                "says": match &sweep { Ok(l) | Err(l) => l },
            },
            "queues": queues,
            "unsettled_charters": unsettled_ids.len(),
            "offers_not_delivered": undelivered,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{} at {}", backend.admin.describe(), now.to_rfc3339());
        println!("parts (last heartbeat):");
        for p in part::ALL {
            match beats.iter().find(|b| b.part == p) {
                Some(b) => println!("  {p:<9} {} by {}: {}", ago(b.at, now), b.by, b.detail),
                None => println!("  {p:<9} never"),
            }
        }
        match &sweep {
            Ok(l) => println!("  ok    {l}"),
            Err(l) => println!("  FAIL  {l}"),
        }
        println!("queues (visible / in flight / delayed):");
        for (q, d) in &queues {
            println!(
                "  {:<16} {} / {} / {}",
                q.base_name(),
                d.visible,
                d.in_flight,
                d.delayed
            );
        }
        println!(
            "charters the sweep still looks at (offers open, or not yet staffed): {}",
            unsettled_ids.len()
        );
        println!("offers not delivered yet: {}", undelivered.len());
        for l in &undelivered {
            println!("  {l}");
        }
    }
    Ok(if sweep.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The most unsettled charters `status` looks into for offers whose mail has not gone out.
const UNDELIVERED_SCAN: usize = 200;

/// One line per open offer whose mail has not gone out, among the unsettled charters: the
/// charter, the member, since when and the last error. A charter that cannot be read is skipped
/// (`charter show` explains it).
async fn undelivered_lines(settings: &Settings, backend: &Backend, ids: &[String]) -> Vec<String> {
    use super::charter::undelivered;
    let Ok(cascade) = crate::app::cascade(settings, backend) else {
        return Vec::new();
    };
    let zone = settings.zone();
    let mut out = Vec::new();
    for raw in ids.iter().take(UNDELIVERED_SCAN) {
        let Ok(id) = dispatch_core::domain::CharterId::parse(raw) else {
            continue;
        };
        let Ok(Some(o)) = cascade.overview(&id).await else {
            continue;
        };
        if !undelivered::any(&o) {
            continue;
        }
        let thread = backend.thread.list(&id).await.unwrap_or_default();
        let errors = undelivered::last_errors(&thread);
        for w in &o.waiting {
            if let Some(n) = undelivered::note(&zone, w, errors.get(&w.who.crew_id)) {
                out.push(format!(
                    "charter {id}: offer to {} ({}) {n}",
                    w.who.name, w.role
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(at: DateTime<Utc>) -> Vec<Heartbeat> {
        vec![Heartbeat {
            part: part::SWEEP.into(),
            at,
            by: "host-1".into(),
            detail: json!({}),
        }]
    }

    #[test]
    fn the_sweep_is_stopped_after_three_missed_intervals_and_never_ran_is_not_a_failure() {
        let s = Settings::default(); // 60 s
        let now = Utc::now();
        let h = sweep_health(&s, &beat(now - chrono::Duration::seconds(170)), now);
        assert!(matches!(h, SweepHealth::Running { .. }));
        let h = sweep_health(&s, &beat(now - chrono::Duration::seconds(181)), now);
        assert!(matches!(h, SweepHealth::Stopped { .. }));
        assert!(sweep_line(&h, now).unwrap_err().contains("dispatch run"));
        assert_eq!(sweep_health(&s, &[], now), SweepHealth::NeverRan);
        assert!(sweep_line(&SweepHealth::NeverRan, now)
            .unwrap()
            .contains("never ran"));
        let off = Settings {
            sweep_interval_secs: 0,
            ..Settings::default()
        };
        assert_eq!(sweep_health(&off, &[], now), SweepHealth::Off);
    }
}
