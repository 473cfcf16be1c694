//! "I can't make it", as the member asks it on their page: an accepted charter of theirs,
//! with an optional reason. Outside the cut-off (`drop_cutoff_hours` before departure) the
//! request is a `dropped-<offer>` thread entry that the planner reads ([`crate::crew::drop_plan`]),
//! followed by a reconcile: ops are told at once and the slot is offered to the next candidate
//! while the member stays on it. Inside the cut-off nothing changes: ops are alerted (a mail of
//! its own key) and the page gives the office's number. Asking twice changes nothing more.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    Charter, CharterId, CharterStatus, CrewMember, OfferId, OfferStatus, ThreadKind,
};

use crate::crew::drop_plan::aboard;
use crate::crew::mails;
use crate::deliver::{note, send_once};
use crate::keys::EntryId;
use crate::mails::Letterhead;
use crate::notes::entry;
use crate::reconcile::reconcile;
use crate::requeue::{self, Wake};
use crate::service::{Cascade, CascadeError};

/// The text of a `dropped-<offer>` entry, before `: <reason>`.
pub const DROP_TEXT: &str = "can't make it";

/// The longest reason kept (characters).
pub const MAX_REASON_CHARS: usize = 500;

/// What became of an "I can't make it".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveBack {
    /// Noted: the slot is being offered; the member stays on it until someone accepts.
    Noted,
    /// Asked before: nothing more was done.
    AlreadyAsked,
    /// Inside the cut-off: ops were alerted; the member should call the office.
    TooLate,
    /// Not an upcoming charter the member is confirmed on (any more).
    NotTheirs,
}

/// When the charter leaves: the vessel's start time on its date in the business's zone, or
/// the start of that day when the vessel has none.
pub fn departure(cx: &Cascade, c: &Charter) -> DateTime<Utc> {
    let start = cx
        .vessel(c)
        .and_then(|v| v.start())
        .unwrap_or(chrono::NaiveTime::MIN);
    cx.cfg
        .zone
        .at_local(c.charter_date.naive(), start)
        .unwrap_or_else(|| c.charter_date.naive().and_time(start).and_utc())
}

/// Whether "I can't make it" on `c` now means calling the office.
pub fn inside_cutoff(cx: &Cascade, c: &Charter, now: DateTime<Utc>) -> bool {
    now >= departure(cx, c) - cx.cfg.drop_cutoff
}

/// The reason as kept: trimmed, without control characters, at most [`MAX_REASON_CHARS`].
pub fn clean_reason(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_REASON_CHARS)
        .collect()
}

/// `m` can't make the charter of their accepted offer `offer` on `charter`.
pub async fn cant_make_it(
    cx: &Cascade,
    m: &CrewMember,
    charter: &CharterId,
    offer: &OfferId,
    reason: &str,
) -> Result<GiveBack, CascadeError> {
    let now = cx.now();
    let Some(o) = cx.backend.offers.get(charter, offer).await? else {
        return Ok(GiveBack::NotTheirs);
    };
    let Some(c) = cx.backend.charters.get(charter).await? else {
        return Ok(GiveBack::NotTheirs);
    };
    let upcoming = c.charter_date >= cx.cfg.zone.today(now)
        && !matches!(
            c.status,
            CharterStatus::Cancelled | CharterStatus::Completed
        );
    if o.crew_id != m.crew_id || o.status != OfferStatus::Accepted || !aboard(&c, &o) || !upcoming {
        return Ok(GiveBack::NotTheirs);
    }
    let reason = clean_reason(reason);
    let thread = cx.backend.thread.list(charter).await?;
    let has = |id: EntryId| thread.iter().any(|e| e.id == id.as_str());
    if has(EntryId::dropped(offer)) {
        return Ok(GiveBack::AlreadyAsked);
    }
    if inside_cutoff(cx, &c, now) {
        send_once(
            cx,
            mails::drop_late(&Letterhead::of(&cx.cfg), &c, &o, m, &reason),
        )
        .await?;
        if !has(EntryId::drop_late(offer)) {
            let e = entry(
                charter,
                EntryId::drop_late(offer),
                now,
                ThreadKind::Note,
                Some(&m.crew_id),
                format!("{} can't make it, inside the cut-off: ops alerted", m.name),
            );
            note(cx, e).await?;
        }
        tracing::info!(charter_id = %charter, crew_id = %m.crew_id, "can't make it inside the cut-off: ops alerted");
        return Ok(GiveBack::TooLate);
    }
    let e = entry(
        charter,
        EntryId::dropped(offer),
        now,
        ThreadKind::Note,
        Some(&m.crew_id),
        if reason.is_empty() {
            DROP_TEXT.to_string()
        } else {
            format!("{DROP_TEXT}: {reason}")
        },
    );
    note(cx, e).await?;
    tracing::info!(charter_id = %charter, crew_id = %m.crew_id, "can't make it: the slot is offered while they stay on it");
    if let Err(e) = reconcile(cx, charter, None, Wake::Event).await {
        tracing::warn!(charter_id = %charter, error = %e, "reconcile after a drop failed; queueing it");
        requeue::retry_later(cx, charter, offer).await;
    }
    Ok(GiveBack::Noted)
}
