//! The effects of "I can't make it" ([`crate::crew::drop_plan`] plans them): ops told of a drop,
//! the member told once released; and the swap a replacement's accept makes
//! ([`make_room`]): when the accept transaction finds the slot filled by a member who dropped,
//! they come off it and the transaction runs again for the replacement.

use dispatch_core::domain::{unfit, CharterId, Offer, OfferId, OfferStatus, ThreadKind};

use crate::crew::drop_plan::aboard;
use crate::crew::mails;
use crate::deliver::{note, send_once, Applied};
use crate::engine;
use crate::keys::{dropped_offer, EntryId};
use crate::mails::Letterhead;
use crate::notes::entry;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::Snapshot;

/// The reason the member gave (the text of their `dropped-<offer>` entry), if any.
async fn reason(cx: &Cascade, o: &Offer) -> Result<String, CascadeError> {
    let id = EntryId::dropped(&o.offer_id);
    Ok(cx
        .backend
        .thread
        .list(&o.charter_id)
        .await?
        .into_iter()
        .find(|e| e.id == id.as_str())
        .and_then(|e| e.text.split_once(": ").map(|(_, r)| r.to_string()))
        .unwrap_or_default())
}

/// Mails ops that the member of `offer` can't make it, then notes it (`drop_told-<offer>`).
pub async fn tell_ops(
    cx: &Cascade,
    snap: &Snapshot,
    offer: &OfferId,
) -> Result<Applied, CascadeError> {
    let (Some(c), Some(o)) = (&snap.charter, snap.offer(offer)) else {
        return Ok(Applied::Conflict);
    };
    let why = reason(cx, o).await?;
    let name = snap.name(&o.crew_id);
    if let Some(m) = snap.member(&o.crew_id) {
        send_once(cx, mails::dropped(&Letterhead::of(&cx.cfg), c, o, m, &why)).await?;
    }
    let e = entry(
        &c.charter_id,
        EntryId::drop_told(offer),
        cx.now(),
        ThreadKind::Note,
        Some(&o.crew_id),
        format!(
            "ops told that {name} can't make it; the {} slot is offered to the next candidate",
            o.role
        ),
    );
    note(cx, e).await?;
    Ok(Applied::Done)
}

/// Mails the member of dropped offer `offer` that they are released, with a `METHOD:CANCEL`
/// calendar entry, then notes it (`let_go_told-<offer>`).
pub async fn tell_let_go(
    cx: &Cascade,
    snap: &Snapshot,
    offer: &OfferId,
) -> Result<Applied, CascadeError> {
    let (Some(c), Some(o)) = (&snap.charter, snap.offer(offer)) else {
        return Ok(Applied::Conflict);
    };
    let member = match snap.member(&o.crew_id) {
        Some(m) => Some(m.clone()),
        None => cx.backend.roster.get(&o.crew_id).await?,
    };
    if let Some(m) = &member {
        send_once(
            cx,
            mails::let_go(&Letterhead::of(&cx.cfg), c, o, m, cx.now()),
        )
        .await?;
    }
    let e = entry(
        &c.charter_id,
        EntryId::let_go_told(offer),
        cx.now(),
        ThreadKind::Note,
        Some(&o.crew_id),
        format!("{} told they are released", snap.name(&o.crew_id)),
    );
    note(cx, e).await?;
    Ok(Applied::Done)
}

/// After a replacement's accept of `offer` found its slot filled: if it is held by a member who
/// said "I can't make it", and the replacement may take it (on the roster's rules, not booked
/// elsewhere that day), that member comes off the charter (`let_go-<their offer>` noted first,
/// so their notice follows whatever happens next) and `true` says to run the accept again.
/// Only a filled slot pays for these reads: a plain race for a slot reads the thread once more.
pub async fn make_room(
    cx: &Cascade,
    charter: &CharterId,
    offer: &Offer,
) -> Result<bool, CascadeError> {
    let Some(c) = cx.backend.charters.get(charter).await? else {
        return Ok(false);
    };
    if offer.charter_date != c.charter_date {
        return Ok(false);
    }
    let thread = cx.backend.thread.list(&c.charter_id).await?;
    let mut dropper = None;
    for id in thread.iter().filter_map(|e| dropped_offer(&e.id)) {
        if let Some(d) = cx.backend.offers.get(&c.charter_id, &id).await? {
            if d.status == OfferStatus::Accepted && d.role == offer.role && aboard(&c, &d) {
                dropper = Some(d);
                break;
            }
        }
    }
    let Some(d) = dropper else {
        return Ok(false);
    };
    // Only make room for someone who can take it: the accept checks again, in its transaction.
    let member = cx.backend.roster.get(&offer.crew_id).await?;
    let needs = engine::needs(offer.role, &c, cx.vessel(&c));
    if unfit(member.as_ref(), &needs, c.charter_date).is_some() {
        return Ok(false);
    }
    if let Some(h) = cx.backend.holds.get(&offer.crew_id, c.charter_date).await? {
        if h.charter_id != c.charter_id {
            return Ok(false);
        }
    }
    let now = cx.now();
    let e = entry(
        &c.charter_id,
        EntryId::let_go(&d.offer_id),
        now,
        ThreadKind::Note,
        Some(&d.crew_id),
        format!(
            "{} released from the {} slot: {} is taking it",
            d.crew_id, d.role, offer.crew_id
        ),
    );
    note(cx, e).await?;
    cx.backend.charters.unassign(&c.key(), &d.crew_id).await?;
    tracing::info!(charter_id = %c.charter_id, crew_id = %d.crew_id, replacement = %offer.crew_id, "member who can't make it released for a replacement");
    Ok(true)
}
