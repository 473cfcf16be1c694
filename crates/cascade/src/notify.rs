//! The effects that tell people: an offer mailed, ops told nobody is left or someone is booked
//! twice, a member told the charter is cancelled. Each sends its mail once (by its key,
//! [`crate::deliver::send_once`]) and then notes it in the thread, so the note says the mail went.

use dispatch_core::domain::{
    CharterDate, CharterId, CrewId, EmailAddress, Offer, OfferId, OfferStatus, Role, ThreadKind,
};
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::IdempotencyClaim;

use crate::action::Requeue;
use crate::action::RevokeWhy;
use crate::deliver::{note, send_offer_once, send_once, Applied};
use crate::engine::Exclusion;
use crate::facts::facts;
use crate::keys::EntryId;
use crate::mails::{self, Letterhead};
use crate::notes::{self, entry};
use crate::requeue;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::Snapshot;

/// Mails an open offer, then notes it: the note last, so the thread says the mail went and its
/// lapse timer exists (armed before the plan ran, [`crate::requeue`], or, as `timer`, with the
/// mail: [`crate::deliver::send_offer_once`]).
pub async fn send_offer(
    cx: &Cascade,
    snap: &Snapshot,
    offer: &OfferId,
    timer: Option<&Requeue>,
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    // Read it as stored: a concurrent reconcile may have made it, for someone else.
    let Some(o) = cx.backend.offers.get(id, offer).await? else {
        return Ok(Applied::Conflict);
    };
    send_made_offer(cx, snap, &o, timer, None).await
}

/// [`send_offer`] of an offer as stored: read just now, or written by this same pass (its
/// `MakeOffer` stored it new, so it is what was planned; no read again), then with its
/// mail's claim (`claimed`, written with it).
pub async fn send_made_offer(
    cx: &Cascade,
    snap: &Snapshot,
    o: &Offer,
    timer: Option<&Requeue>,
    claimed: Option<&IdempotencyClaim>,
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    if o.status != OfferStatus::Open {
        return Ok(Applied::Conflict);
    }
    let Some(c) = &snap.charter else {
        return Ok(Applied::Conflict);
    };
    let member = match snap.member(&o.crew_id) {
        Some(m) => Some(m.clone()),
        None => cx.backend.roster.get(&o.crew_id).await?,
    };
    let name = member
        .as_ref()
        .map(|m| m.name.clone())
        .unwrap_or_else(|| o.crew_id.to_string());
    match &member {
        Some(m) => {
            let facts = facts(cx, c, &m.crew_id).await?;
            let link = cx.link_maker().offer(o, cx.now(), cx.cfg.link_ttl);
            let sent = send_offer_once(
                cx,
                mails::offer(&Letterhead::of(&cx.cfg), c, o, m, &facts, &link),
                timer.map(|rq| (id, rq)),
                claimed,
            )
            .await;
            if let Err(e @ (CascadeError::Mail(_) | CascadeError::Store(_))) = &sent {
                // Said where ops look (`charter show`, the board) while the mail is retried.
                let why = format!("offer mail to {name} not delivered: {e}");
                let undelivered = EntryId::undelivered(&o.offer_id);
                let entry = entry(
                    id,
                    undelivered,
                    o.created_at,
                    ThreadKind::Note,
                    Some(&o.crew_id),
                    why,
                );
                if let Err(n) = note(cx, entry).await {
                    tracing::debug!(error = %n, "could not note the undelivered offer mail");
                }
            }
            sent?
        }
        None => {
            tracing::error!(crew_id = %o.crew_id, "offered member is not in the roster; no mail sent");
            if let Some(rq) = timer {
                requeue::arm(cx, id, rq, 0).await?;
            }
        }
    }
    let lapses = cx.cfg.zone.format_time(o.expires_at);
    let text = notes::offer_sent(o.role, &name, &lapses);
    note(
        cx,
        entry(
            id,
            EntryId::sent(&o.offer_id),
            o.created_at,
            ThreadKind::OfferSent,
            Some(&o.crew_id),
            text,
        ),
    )
    .await?;
    metrics::incr(Counter::OffersSent);
    Ok(Applied::Done)
}

/// `to`'s own sign-in link for a mail to ops.
async fn ops_link(cx: &Cascade, to: &EmailAddress) -> Result<String, CascadeError> {
    cx.ops_sign_in_link(to).await.map_err(|e| match e {
        crate::board::access::LinkError::Cascade(e) => e,
        other => CascadeError::Other(other.to_string()),
    })
}

/// Nobody left for a slot: one mail to each ops address naming who was not asked and why, and the thread
/// says the charter needs attention.
pub async fn escalate(
    cx: &Cascade,
    snap: &Snapshot,
    role: Role,
    attempts: usize,
    excluded: &[(CrewId, Exclusion)],
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    let Some(c) = &snap.charter else {
        return Ok(Applied::Conflict);
    };
    let text = notes::escalated(role, excluded, |m| snap.name(m));
    tracing::warn!(role = %role, "cascade escalated to ops");
    if cx.cfg.ops.is_empty() {
        tracing::error!("no ops_emails configured: escalation recorded in the thread only");
    } else {
        for to in &cx.cfg.ops {
            let board = ops_link(cx, to).await?;
            let lh = Letterhead::of(&cx.cfg);
            let mail = mails::escalation(&lh, c, role, attempts, &text, (to, &board));
            send_once(cx, mail).await?;
        }
    }
    let ts = snap
        .offers
        .iter()
        .filter(|o| o.role == role)
        .map(|o| o.updated_at)
        .max()
        .unwrap_or_else(|| cx.now());
    note(
        cx,
        entry(
            id,
            EntryId::escalated(role, attempts),
            ts,
            ThreadKind::Escalated,
            None,
            text,
        ),
    )
    .await?;
    metrics::incr(Counter::Escalations);
    Ok(Applied::Done)
}

/// The charter departs in under `hours` hours and is not fully staffed: one mail to each ops
/// address, then the thread's `alerted-<hours>h` entry (written last: its presence says the
/// mails went).
pub async fn alert(cx: &Cascade, snap: &Snapshot, hours: u32) -> Result<Applied, CascadeError> {
    let Some(c) = &snap.charter else {
        return Ok(Applied::Conflict);
    };
    let text = notes::alerted(
        hours,
        c.captain_assigned.is_some(),
        c.crew_assigned.len(),
        cx.crew_needed(c),
    );
    tracing::warn!(hours, "charter departs soon unstaffed: alerting ops");
    if cx.cfg.ops.is_empty() {
        tracing::error!("no ops_emails configured: alert recorded in the thread only");
    }
    for to in &cx.cfg.ops {
        let board = ops_link(cx, to).await?;
        let mail = mails::alert(&Letterhead::of(&cx.cfg), c, hours, &text, (to, &board));
        send_once(cx, mail).await?;
    }
    let e = entry(
        &snap.charter_id,
        EntryId::alerted(hours),
        cx.now(),
        ThreadKind::Escalated,
        None,
        text,
    );
    note(cx, e).await?;
    Ok(Applied::Done)
}

/// An assigned member holds the day for another charter: tell ops and note it, once.
pub async fn report_conflict(
    cx: &Cascade,
    snap: &Snapshot,
    crew: &CrewId,
    other: &CharterId,
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    let Some(c) = &snap.charter else {
        return Ok(Applied::Conflict);
    };
    let text = notes::conflict(id, crew, &snap.name(crew), other);
    tracing::warn!(crew_id = %crew, other_charter = %other, "assigned member is booked on another charter that day");
    if !cx.cfg.ops.is_empty() {
        for to in &cx.cfg.ops {
            let board = ops_link(cx, to).await?;
            let mail = mails::conflict(&Letterhead::of(&cx.cfg), c, crew, &text, (to, &board));
            send_once(cx, mail).await?;
        }
    }
    note(
        cx,
        entry(
            id,
            EntryId::conflict(crew),
            cx.now(),
            ThreadKind::Escalated,
            Some(crew),
            text,
        ),
    )
    .await?;
    Ok(Applied::Done)
}

/// Tells a member who was confirmed that the charter is cancelled, and notes it.
pub async fn tell_released(
    cx: &Cascade,
    snap: &Snapshot,
    crew: &CrewId,
    date: CharterDate,
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    let member = match snap.member(crew) {
        Some(m) => Some(m.clone()),
        None => cx.backend.roster.get(crew).await?,
    };
    if let Some(m) = member {
        let vessel = snap.charter.as_ref().map(|c| c.vessel_name.as_str());
        send_once(
            cx,
            mails::released(&Letterhead::of(&cx.cfg), id, &m, date, vessel),
        )
        .await?;
    }
    let text = notes::released(&snap.name(crew));
    note(
        cx,
        entry(
            id,
            EntryId::released(crew),
            cx.now(),
            ThreadKind::Note,
            Some(crew),
            text,
        ),
    )
    .await?;
    Ok(Applied::Done)
}

/// Tells a member ops took off the charter at `at_ms` that they are free that day, once (its own
/// mail key), then notes it: the note last, so a failed mail is sent by the next reconcile. A
/// member no longer on the roster, or a removed charter, is only noted.
pub async fn tell_unassigned(
    cx: &Cascade,
    snap: &Snapshot,
    crew: &CrewId,
    at_ms: i64,
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    let member = match snap.member(crew) {
        Some(m) => Some(m.clone()),
        None => cx.backend.roster.get(crew).await?,
    };
    if let (Some(m), Some(c)) = (member, &snap.charter) {
        send_once(
            cx,
            mails::unassigned(&Letterhead::of(&cx.cfg), c, &m, at_ms),
        )
        .await?;
    }
    let text = notes::told_unassigned(&snap.name(crew));
    note(
        cx,
        entry(
            id,
            EntryId::unassigned_told(crew, at_ms),
            cx.now(),
            ThreadKind::Note,
            Some(crew),
            text,
        ),
    )
    .await?;
    Ok(Applied::Done)
}

/// Tells the member of an offer withdrawn for `why` (the member no longer fits the slot, or the
/// charter moved) that it is no longer available, once (its own mail key), then writes the
/// offer's `revoked-` entry: the entry last, so a missing one says the mail may not have gone.
pub async fn tell_withdrawn(
    cx: &Cascade,
    snap: &Snapshot,
    o: &Offer,
    why: &RevokeWhy,
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    let Some(c) = &snap.charter else {
        return Ok(Applied::Conflict);
    };
    let member = match snap.member(&o.crew_id) {
        Some(m) => Some(m.clone()),
        None => cx.backend.roster.get(&o.crew_id).await?,
    };
    match member {
        Some(m) => {
            send_once(
                cx,
                mails::withdrawn(&Letterhead::of(&cx.cfg), c, o, &m, why),
            )
            .await?
        }
        None => {
            tracing::warn!(crew_id = %o.crew_id, "withdrawn offer's member left the roster; no mail sent")
        }
    }
    let text = notes::revoked(o.role, why, &snap.name(&o.crew_id), |m| snap.name(m));
    note(cx, notes::closed(id, o, text)).await?;
    Ok(Applied::Done)
}
