//! The member marks the days they are available for the next
//! [`crate::crew::view::AVAILABILITY_DAYS`] days on their page. The form sends the days ticked;
//! the change is the difference with the roster, written in one narrow update of
//! `available_dates` (never the rest of the item). A day they are booked on cannot be made
//! unavailable here (the page says to call the office). With an availability Sheet as the source
//! of truth ([`crate::service::AvailabilitySheet`]) the member's days are written there first
//! (the next sync reads them back; a failure changes nothing), then to the roster, so the page
//! shows them at once. Then the charters the change could matter to are reconciled: a day added
//! may bring an offer, a day taken away withdraws one.

use std::collections::BTreeSet;

use dispatch_core::domain::{
    CharterDate, CharterId, CharterStatus, CrewId, CrewMember, OfferStatus,
};

use crate::crew::view::window;
use crate::reconcile::reconcile;
use crate::requeue::Wake;
use crate::service::{Cascade, CascadeError};

/// What a change of availability did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvailabilityChange {
    pub added: Vec<CharterDate>,
    pub removed: Vec<CharterDate>,
    /// Booked days the form asked to take away: kept (call the office).
    pub kept_booked: Vec<CharterDate>,
}

/// The days of the window the member is on a charter (confirmed, not cancelled).
pub async fn booked_days(
    cx: &Cascade,
    m: &CrewMember,
    days: &[CharterDate],
) -> Result<BTreeSet<CharterDate>, CascadeError> {
    let mut out = BTreeSet::new();
    for o in cx.backend.offers.for_crew(&m.crew_id).await? {
        if o.status != OfferStatus::Accepted || !days.contains(&o.charter_date) {
            continue;
        }
        if let Some(c) = cx.backend.charters.get(&o.charter_id).await? {
            let aboard = c.captain_assigned.as_ref() == Some(&m.crew_id)
                || c.crew_assigned.contains(&m.crew_id);
            if aboard && c.status != CharterStatus::Cancelled {
                out.insert(c.charter_date);
            }
        }
    }
    Ok(out)
}

/// Sets `m`'s availability in the window from today to the days `ticked`.
pub async fn set_days(
    cx: &Cascade,
    m: &CrewMember,
    ticked: &BTreeSet<CharterDate>,
) -> Result<AvailabilityChange, CascadeError> {
    let today = cx.today();
    let days = window(today);
    let booked = booked_days(cx, m, &days).await?;
    let mut change = AvailabilityChange::default();
    for d in days {
        match (ticked.contains(&d), m.is_available(d)) {
            (true, false) => change.added.push(d),
            (false, true) if booked.contains(&d) => change.kept_booked.push(d),
            (false, true) => change.removed.push(d),
            _ => {}
        }
    }
    if change.added.is_empty() && change.removed.is_empty() {
        return Ok(change);
    }
    if let Some(sheet) = &cx.availability_sheet {
        let mut after = m.clone();
        after.available_dates.extend(change.added.iter().copied());
        for d in &change.removed {
            after.available_dates.remove(d);
        }
        sheet.write(&after).await?;
    }
    let Some(after) = cx
        .backend
        .roster
        .set_availability(&m.crew_id, &change.added, &change.removed)
        .await?
    else {
        return Ok(AvailabilityChange::default());
    };
    tracing::info!(crew_id = %m.crew_id, added = change.added.len(), removed = change.removed.len(), "availability changed on the crew page");
    if let Err(e) = reconcile_changed(cx, &after, &change).await {
        tracing::warn!(crew_id = %m.crew_id, error = %e, "reconcile after an availability change failed; the sweep will");
    }
    Ok(change)
}

/// The worker's half of a change queued by the web function (which holds no Google key):
/// writes `crew`'s availability as the roster has it now to the Sheet. `false`: no Sheet in
/// this process, or no such member (nothing written).
pub async fn to_sheet(cx: &Cascade, crew: &CrewId) -> Result<bool, CascadeError> {
    let Some(sheet) = &cx.availability_sheet else {
        tracing::warn!(crew_id = %crew, "no availability Sheet here: availability not written");
        return Ok(false);
    };
    let Some(m) = cx.backend.roster.get(crew).await? else {
        return Ok(false);
    };
    sheet.write(&m).await?;
    Ok(true)
}

/// Reconciles the charters the change could matter to: open charters on a day added, and the
/// charters of the member's open offers (a day taken away withdraws them). One at a time: a
/// member changes a few days.
async fn reconcile_changed(
    cx: &Cascade,
    m: &CrewMember,
    change: &AvailabilityChange,
) -> Result<(), CascadeError> {
    let mut todo: Vec<CharterId> = Vec::new();
    for d in &change.added {
        for c in cx.backend.charters.on_date(*d).await?.items {
            if c.status == CharterStatus::Booked && !todo.contains(&c.charter_id) {
                todo.push(c.charter_id);
            }
        }
    }
    for o in cx.backend.offers.for_crew(&m.crew_id).await? {
        if o.status == OfferStatus::Open && !todo.contains(&o.charter_id) {
            todo.push(o.charter_id);
        }
    }
    for id in todo {
        reconcile(cx, &id, None, Wake::Event).await?;
    }
    Ok(())
}
