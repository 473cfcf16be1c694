//! The "you are free that day" mail of `ops::unassign`, as an effect the planner plans
//! ([`crate::hand::plan_unassigned_tells`]) from the `unassigned-<crew>-<ms>` entry the command
//! leaves: sent under its key (`mail#unassigned#…#<ms>`), then noted
//! (`unassigned_told-<crew>-<ms>`), so a mail lost to an outage, or not sent where the process
//! sends no mail (the web function), goes out with the next reconcile, once.

use dispatch_core::domain::{CrewId, ThreadKind};

use crate::deliver::{note, send_once, Applied};
use crate::keys::EntryId;
use crate::mails::{self, Letterhead};
use crate::notes::entry;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::Snapshot;

/// Mails `crew`, whom ops took off at `at_ms`, that they are free that day (with a cancelling
/// calendar entry), then notes it. A member no longer on the roster is noted as not told.
pub async fn tell_unassigned(
    cx: &Cascade,
    snap: &Snapshot,
    crew: &CrewId,
    at_ms: i64,
) -> Result<Applied, CascadeError> {
    let Some(c) = &snap.charter else {
        return Ok(Applied::Conflict);
    };
    let member = match snap.member(crew) {
        Some(m) => Some(m.clone()),
        None => cx.backend.roster.get(crew).await?,
    };
    let name = snap.name(crew);
    let text = match &member {
        Some(m) => {
            send_once(cx, mails::unassigned(&Letterhead::of(&cx.cfg), c, m, at_ms)).await?;
            tracing::info!(crew_id = %crew, "told by mail they are off the charter");
            format!("{name} told by mail they are free that day")
        }
        None => format!("{name} not told they are off the charter: no longer in crew-roster"),
    };
    let e = entry(
        &c.charter_id,
        EntryId::unassigned_told(crew, at_ms),
        cx.now(),
        ThreadKind::Note,
        Some(crew),
        text,
    );
    note(cx, e).await?;
    Ok(Applied::Done)
}
