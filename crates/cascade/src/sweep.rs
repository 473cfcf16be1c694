//! The sweep: every charter in the sparse index of unsettled charters (one Query, whatever the
//! charters' dates) is reconciled, so a lost message, a crash or an outage leaves nothing stuck
//! for longer than one sweep after it ends. Reconcile keeps the index true: a charter goes in
//! before any action on it and comes out once nothing is left to do or wait for (no planned
//! action, no open offer). A charter whose index write failed is still found: that write comes
//! first, and its failure fails the reconcile, whose trigger (a queue job, a stream record) is
//! tried again.
//!
//! `charter reconcile --all` reads a window of dates instead ([`reconcile_dates`]):
//! it is how charters booked before the index existed get into it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use dispatch_core::domain::{CharterDate, CharterId, CharterStatus, CrewMember, OfferStatus};
use dispatch_core::ports::{part, Heartbeat, IdempotencyStatus, UnsettledCharter};
use futures::stream::{self, StreamExt};
use tracing::Instrument;

use dispatch_core::idempotency::{run_once, Once};

use crate::deliver::send_once;
use crate::expiry::{expiring, expiry_mail};
use crate::keys::JobKey;
use crate::mails::Letterhead;
use crate::reconcile::reconcile_with_roster;
use crate::requeue::Wake;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::DayReads;

/// How a sweep went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Charters looked at (in the index, or in the window of dates).
    pub charters: usize,
    /// Charters reconciled.
    pub reconciled: usize,
    /// Charters a reconcile moved (it did something).
    pub moved: usize,
    /// Charters whose reconcile failed (they are tried again next sweep).
    pub failed: usize,
    /// Charters that came out of the index (nothing left to do or wait for).
    pub settled: usize,
    /// Charters another owner was working on (a mail in progress elsewhere): left to it.
    pub busy: usize,
}

/// Charters reconciled at once by a sweep.
pub(crate) const SWEEP_CONCURRENCY: usize = 4;

/// Reconciles every charter in the index of unsettled charters.
pub async fn sweep(cx: &Cascade) -> Result<SweepReport, CascadeError> {
    let span = tracing::info_span!("sweep");
    let report = sweep_inner(cx).instrument(span).await?;
    // The sweep's heartbeat (`dispatch status`, and `doctor` fails when it stops): on Lambda the
    // scheduler's job lands here too. A failed write is a warning; the next sweep writes again.
    let beat = Heartbeat::now(
        part::SWEEP,
        cx.now(),
        serde_json::json!({
            "charters": report.charters, "reconciled": report.reconciled, "moved": report.moved,
            "settled": report.settled, "failed": report.failed,
        }),
    );
    if let Err(e) = cx.backend.heartbeats.beat(&beat).await {
        tracing::warn!(error = %e, "could not write the sweep's heartbeat");
    }
    // Not the sweep's failure: the next sweep tries again.
    if let Err(e) = expiry_check(cx).await {
        tracing::warn!(error = %e, "could not look for expiring licences and certifications; next sweep tries again");
    }
    Ok(report)
}

/// Once a day, whichever process sweeps first: reads the roster and, when captain's licences or
/// certifications run out within 30 days, mails ops — once per ISO week ([`MailKey::expiring`]),
/// whatever the processes and retries. Returns how many papers run out (`None`: already looked
/// today).
///
/// [`MailKey::expiring`]: crate::keys::MailKey::expiring
pub async fn expiry_check(cx: &Cascade) -> Result<Option<usize>, CascadeError> {
    let today = cx.today();
    let key = JobKey::expiry_check(today);
    // A read first: most sweeps of the day find it done, and a read costs less than a claim.
    let done = cx.backend.idempotency.get(key.as_str()).await?;
    if done.is_some_and(|r| {
        r.status == IdempotencyStatus::Completed && r.expires_at > chrono::Utc::now()
    }) {
        return Ok(None);
    }
    let payload = serde_json::json!({ "day": today.to_string() });
    let outcome = run_once(
        cx.backend.idempotency.as_ref(),
        key.as_str(),
        &payload,
        cx.idem,
        || async move {
            let roster = cx.backend.roster.list().await?.items;
            let items = expiring(&roster, today);
            if let Some(mail) = expiry_mail(&Letterhead::of(&cx.cfg), today, &items) {
                send_once(cx, mail).await?;
                tracing::info!(
                    expiring = items.len(),
                    "ops told of expiring licences and certifications"
                );
            }
            Ok::<_, CascadeError>(items.len())
        },
    )
    .await?;
    Ok(match outcome {
        Once::Ran(n) => Some(n),
        Once::AlreadyDone(_) | Once::InProgress { .. } => None,
    })
}

async fn sweep_inner(cx: &Cascade) -> Result<SweepReport, CascadeError> {
    let started = Instant::now();
    let entries = cx.backend.charters.unsettled().await?;
    // Several versions of one charter may carry marks: one reconcile per charter id.
    let mut by_id: BTreeMap<CharterId, Vec<UnsettledCharter>> = BTreeMap::new();
    for e in entries {
        by_id.entry(e.key.charter_id.clone()).or_default().push(e);
    }
    let mut report = SweepReport {
        charters: by_id.len(),
        ..SweepReport::default()
    };
    let now = cx.now();
    // One read of the roster for every charter of this sweep (none when there is nothing to do).
    let roster: Arc<[CrewMember]> = match by_id.is_empty() {
        true => Arc::from(Vec::new()),
        false => Arc::from(cx.backend.roster.list().await?.items),
    };
    let results: Vec<_> = stream::iter(by_id)
        .map(|(id, marks)| {
            let roster = roster.clone();
            async move {
                (
                    reconcile_with_roster(cx, &id, roster, None, Wake::Event).await,
                    id,
                    marks,
                )
            }
        })
        .buffer_unordered(SWEEP_CONCURRENCY)
        .collect()
        .await;
    for (result, id, marks) in results {
        report.reconciled += 1;
        match result {
            Ok(r) => {
                if r.actions > 0 {
                    report.moved += 1;
                    // Stuck since its last change or since it was last put in the index, whichever
                    // is later: not since it was booked (a charter imported a minute ago and
                    // booked two weeks ago has not been stuck for two weeks).
                    let marked = marks.iter().filter_map(UnsettledCharter::since).max();
                    let from = match (r.since, marked) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    let waited = from.map(|s| (now - s).num_seconds().max(0));
                    tracing::info!(charter_id = %id, actions = r.actions, stuck_for_s = waited, "sweep moved a charter");
                }
                if r.settled {
                    report.settled += 1;
                    // The reconcile took the newest version out; older versions' marks
                    // (and a mark it could not clear) go here, each under the mark read.
                    for m in &marks {
                        if let Err(e) = cx.backend.charters.clear_unsettled(&m.key, &m.mark).await {
                            tracing::debug!(charter_id = %id, error = %e, "could not take a settled charter out of the index");
                        }
                    }
                }
            }
            // Someone else (a worker, the stream) is mailing for this charter right now: the
            // expected overlap of a healthy start, not a failure.
            Err(e @ CascadeError::Busy { .. }) => {
                report.busy += 1;
                tracing::debug!(charter_id = %id, error = %e, "sweep left a charter to its other owner; next sweep looks again");
            }
            Err(e) => {
                report.failed += 1;
                tracing::warn!(charter_id = %id, error = %e, "sweep could not reconcile a charter; next sweep tries again");
            }
        }
    }
    tracing::info!(
        charters = report.charters,
        reconciled = report.reconciled,
        moved = report.moved,
        settled = report.settled,
        busy = report.busy,
        failed = report.failed,
        took_ms = started.elapsed().as_millis() as u64,
        "sweep done"
    );
    Ok(report)
}

/// Reconciles every open charter dated from `today` for `days` days (read through the date
/// index, a Query per day): `charter reconcile --all`, and how charters booked before the
/// index of unsettled charters existed get into it.
pub async fn reconcile_dates(
    cx: &Cascade,
    today: CharterDate,
    days: u32,
) -> Result<SweepReport, CascadeError> {
    let span = tracing::info_span!("reconcile_dates", from = %today, days);
    async {
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
        let mut todo = Vec::new();
        let mut report = SweepReport::default();
        for l in listings {
            for c in l?.items {
                report.charters += 1;
                if c.status != CharterStatus::Completed {
                    todo.push(c.charter_id);
                }
            }
        }
        let roster: Arc<[CrewMember]> = cx.backend.roster.list().await?.items.into();
        reconcile_shared(cx, todo, roster, None, &mut report, "a sweep of dates").await;
        Ok(report)
    }
    .instrument(span)
    .await
}

/// After a roster change: reconciles the booked (unstaffed) charters from `today` for `days`
/// on the dates any of `members` is available, the charters the change could help (an
/// escalated charter is offered to a member just added or made available), and the charters
/// where any of them has an open offer (withdrawn if they no longer fit the slot).
pub async fn reconcile_for_roster(
    cx: &Cascade,
    members: &[CrewMember],
    today: CharterDate,
    days: u32,
) -> Result<SweepReport, CascadeError> {
    let span = tracing::info_span!("roster_change", members = members.len());
    async {
        let end = today
            .naive()
            .checked_add_days(chrono::Days::new(u64::from(days)));
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
        let offered: Vec<_> = stream::iter(members)
            .map(|m| cx.backend.offers.for_crew(&m.crew_id))
            .buffered(8)
            .collect()
            .await;
        for offers in offered {
            for o in offers? {
                if o.status == OfferStatus::Open && !todo.contains(&o.charter_id) {
                    todo.push(o.charter_id);
                }
            }
        }
        let roster: Arc<[CrewMember]> = cx.backend.roster.list().await?.items.into();
        reconcile_shared(cx, todo, roster, None, &mut report, "the roster change").await;
        Ok(report)
    }
    .instrument(span)
    .await
}

/// Reconciles `ids` with one shared `roster` (and `day`, when they are all of one date: its
/// holds and counts read once), [`SWEEP_CONCURRENCY`] at a time, adding what happened to
/// `report`. A failure is logged, naming what the reconcile came `after`, and left to the next
/// sweep.
pub(crate) async fn reconcile_shared(
    cx: &Cascade,
    ids: Vec<CharterId>,
    roster: Arc<[CrewMember]>,
    day: Option<Arc<DayReads>>,
    report: &mut SweepReport,
    after: &'static str,
) {
    let results: Vec<_> = stream::iter(ids)
        .map(|id| {
            let (roster, day) = (roster.clone(), day.clone());
            async move {
                (
                    reconcile_with_roster(cx, &id, roster, day, Wake::Event).await,
                    id,
                )
            }
        })
        .buffer_unordered(SWEEP_CONCURRENCY)
        .collect()
        .await;
    for (r, id) in results {
        report.reconciled += 1;
        match r {
            Ok(r) => {
                report.moved += usize::from(r.actions > 0);
                report.settled += usize::from(r.settled);
            }
            Err(e) => {
                report.failed += 1;
                tracing::warn!(charter_id = %id, error = %e, after, "could not reconcile a charter; the next sweep will");
            }
        }
    }
}
