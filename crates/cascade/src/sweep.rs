//! The sweep: every unsettled charter in the horizon (today to +60 days, read through the date
//! index one day at a time, never a Scan) is reconciled, so a lost message, a crash or an
//! outage leaves nothing stuck for longer than one sweep after it ends.
//!
//! Booked charters are always reconciled (their offers lapse with time). A staffed or cancelled
//! charter is skipped once a reconcile has found it settled, until it changes: the sweep keeps a
//! `settled#<charter>#<fingerprint>` record ([`keys::settled`]), and the fingerprint covers what
//! the plan reads from the charter (status, captain, crew, crew needed, date, vessel, guests).

use chrono::{DateTime, Utc};
use dispatch_core::domain::{Charter, CharterDate, CharterId, CharterStatus, CrewMember};
use futures::stream::{self, StreamExt};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::keys;
use crate::reconcile::reconcile;
use crate::requeue::Wake;
use crate::service::{Cascade, CascadeError};

/// How a sweep went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Charters in the horizon.
    pub charters: usize,
    /// Charters reconciled (the rest were settled or completed).
    pub reconciled: usize,
    /// Charters a reconcile moved (it did something).
    pub moved: usize,
    /// Charters whose reconcile failed (they are tried again next sweep).
    pub failed: usize,
}

/// Charters reconciled at once by a sweep.
const SWEEP_CONCURRENCY: usize = 4;

fn fingerprint(c: &Charter) -> String {
    let crew: Vec<&str> = c.crew_assigned.iter().map(|m| m.as_str()).collect();
    let text = format!(
        "{}|{}|{}|{}|{:?}|{}|{}|{}",
        c.status.as_str(),
        c.captain_assigned
            .as_ref()
            .map(|m| m.as_str())
            .unwrap_or("-"),
        crew.join(","),
        c.charter_date,
        c.crew_needed,
        c.guest_count,
        c.vessel_name,
        c.created_at
    );
    let d = Sha256::digest(text.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn settled_key(c: &Charter) -> String {
    keys::settled(&c.charter_id, &fingerprint(c))
}

/// Reconciles every unsettled charter dated from `today` for `days` days.
pub async fn sweep(
    cx: &Cascade,
    today: CharterDate,
    days: u32,
) -> Result<SweepReport, CascadeError> {
    let span = tracing::info_span!("sweep", from = %today, days);
    sweep_inner(cx, today, days).instrument(span).await
}

async fn sweep_inner(
    cx: &Cascade,
    today: CharterDate,
    days: u32,
) -> Result<SweepReport, CascadeError> {
    let dates: Vec<CharterDate> = (0..days)
        .filter_map(|d| {
            today
                .naive()
                .checked_add_days(chrono::Days::new(u64::from(d)))
        })
        .map(CharterDate::from_naive)
        .collect();
    let listings: Vec<_> = stream::iter(dates)
        .map(|d| cx.backend.charters.on_date(d))
        .buffered(8)
        .collect()
        .await;
    let mut charters = Vec::new();
    for l in listings {
        charters.extend(l?.items);
    }
    let mut report = SweepReport {
        charters: charters.len(),
        ..SweepReport::default()
    };
    let mut todo = Vec::new();
    for c in charters {
        match c.status {
            CharterStatus::Completed => {}
            CharterStatus::Booked => todo.push(c),
            CharterStatus::Staffed | CharterStatus::Cancelled => {
                let settled = cx
                    .backend
                    .idempotency
                    .get(&settled_key(&c))
                    .await?
                    .is_some_and(|r| r.expires_at > cx.now());
                if !settled {
                    todo.push(c);
                }
            }
        }
    }
    let now = cx.now();
    let results: Vec<_> = stream::iter(todo)
        .map(|c| async move { (reconcile(cx, &c.charter_id, None, Wake::Event).await, c) })
        .buffer_unordered(SWEEP_CONCURRENCY)
        .collect()
        .await;
    for (result, c) in results {
        report.reconciled += 1;
        match result {
            Ok(r) => {
                if r.actions > 0 {
                    report.moved += 1;
                    let waited = r.since.map(|s| (now - s).num_seconds().max(0));
                    tracing::info!(charter_id = %c.charter_id, actions = r.actions, stuck_for_s = waited, "sweep moved a charter");
                }
                if matches!(
                    r.status,
                    Some(CharterStatus::Staffed | CharterStatus::Cancelled)
                ) {
                    mark_settled(cx, &c.charter_id, now).await;
                }
            }
            Err(e) => {
                report.failed += 1;
                tracing::warn!(charter_id = %c.charter_id, error = %e, "sweep could not reconcile a charter; next sweep tries again");
            }
        }
    }
    Ok(report)
}

/// After a roster change: reconciles the booked (unstaffed) charters from `today` for `days`
/// on the dates any of `members` is available, the charters the change could help (an
/// escalated charter is offered to a member just added or made available).
pub async fn reconcile_for_roster(
    cx: &Cascade,
    members: &[CrewMember],
    today: CharterDate,
    days: u32,
) -> Result<SweepReport, CascadeError> {
    let span = tracing::info_span!("roster_change", members = members.len());
    async {
        let end = today.naive().checked_add_days(chrono::Days::new(u64::from(days)));
        let mut dates: Vec<CharterDate> = members
            .iter()
            .filter(|m| m.active)
            .flat_map(|m| m.available_dates.iter().copied())
            .filter(|d| *d >= today && end.is_none_or(|e| d.naive() < e))
            .collect();
        dates.sort();
        dates.dedup();
        let mut report = SweepReport::default();
        let listings: Vec<_> = stream::iter(dates)
            .map(|d| cx.backend.charters.on_date(d))
            .buffered(8)
            .collect()
            .await;
        let mut todo = Vec::new();
        for l in listings {
            for c in l?.items {
                report.charters += 1;
                if c.status == CharterStatus::Booked && !todo.contains(&c.charter_id) {
                    todo.push(c.charter_id);
                }
            }
        }
        let results: Vec<_> = stream::iter(todo)
            .map(|id| async move { (reconcile(cx, &id, None, Wake::Event).await, id) })
            .buffer_unordered(SWEEP_CONCURRENCY)
            .collect()
            .await;
        for (r, id) in results {
            report.reconciled += 1;
            match r {
                Ok(r) if r.actions > 0 => report.moved += 1,
                Ok(_) => {}
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(charter_id = %id, error = %e, "could not reconcile after the roster change; the sweep will");
                }
            }
        }
        Ok(report)
    }
    .instrument(span)
    .await
}

/// Records that a staffed or cancelled charter, as it is now, needs nothing more.
async fn mark_settled(cx: &Cascade, id: &CharterId, now: DateTime<Utc>) {
    let Ok(Some(c)) = cx.backend.charters.get(id).await else {
        return;
    };
    let key = settled_key(&c);
    let expires = now + chrono::Duration::days(90);
    if let Err(e) = cx
        .backend
        .idempotency
        .complete(&key, "sweep", "", None, expires)
        .await
    {
        tracing::debug!(charter_id = %id, error = %e, "could not record the charter as settled");
    }
}
