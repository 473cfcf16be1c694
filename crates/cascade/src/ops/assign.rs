//! `assign`: put a member on a slot by hand. It fills a free slot first; a slot with someone
//! else's open offer is taken only when no slot is free, and that offer is withdrawn (the
//! member is told, once, by the withdrawal mail). A member who is inactive, not certified for
//! the role or not available that day is refused unless ops say why they assign anyway (the
//! reason goes into the thread); one booked on another charter that day is always refused.
//!
//! Ops leave an order in the thread (`by_hand-…`) which the planner reads ([`crate::hand`]): it
//! withdraws the slot's other open offer and makes an offer to the member, never mailed; then
//! the accept transaction runs on it, so the crew-day hold is taken exactly as an accept takes
//! it.

use dispatch_core::domain::{
    Charter, CharterId, CrewId, CrewMember, Offer, OfferStatus, ThreadKind,
};
use dispatch_core::ports::{AcceptOutcome, AcceptRequest, OfferTransition};

use super::changes::{offer_changes, offers, record, By};
use super::settle::settle;
use super::{
    booked_elsewhere, member_named, open_charter, refused, Done, OpsError, NOTHING_TO_OFFER,
};
use crate::deliver::note;
use crate::hand::{self, fitness, Fitness, SlotKind};
use crate::keys::EntryId;
use crate::notes::{self, entry};
use crate::reconcile::reconcile;
use crate::requeue::Wake;
use crate::service::Cascade;
use crate::snapshot;

/// Tries of an assignment whose slot moved on while ops gave the order.
const ASSIGN_TRIES: usize = 3;

/// Puts `member` on the charter as captain or crew (see the module docs). `anyway`: why ops
/// assign a member who is inactive, not certified or not available that day.
pub async fn assign(
    cx: &Cascade,
    id: &CharterId,
    member: &CrewId,
    kind: SlotKind,
    anyway: Option<&str>,
    by: &By,
) -> Result<Done, OpsError> {
    let m = member_named(cx, member).await?;
    let anyway = anyway.map(str::trim).filter(|w| !w.is_empty());
    let before = offers(cx, id).await?;
    for _ in 0..ASSIGN_TRIES {
        let c = open_charter(cx, id, NOTHING_TO_OFFER).await?;
        let held = cx
            .backend
            .holds
            .get(member, c.charter_date)
            .await?
            .map(|h| h.charter_id);
        if let Some(other) = held.as_ref().filter(|h| *h != id) {
            return Err(booked_elsewhere(&m, &c, other));
        }
        match fitness(&c, &m, cx.vessel(&c), kind, held) {
            Fitness::Fit => {}
            Fitness::Never(why) => return Err(OpsError::Refused(format!("{} is {why}", m.name))),
            Fitness::Unfit(u) if anyway.is_none() => {
                let what = if u.is_papers() {
                    format!("{} cannot take it ({})", m.name, u.text())
                } else {
                    format!("{} is {}", m.name, u.text())
                };
                return Err(OpsError::Refused(format!(
                    "{what} on {}: not assigned. To assign anyway, give the reason (--anyway \"why\")",
                    c.charter_date
                )));
            }
            Fitness::Unfit(_) => {}
        }
        let snap = snapshot::read(cx, id, None, None).await?;
        let state = snapshot::state(cx, &snap);
        let (role, own) =
            hand::choose(&state, &c, &m, kind).map_err(|r| refused(r, id, &m, &snap))?;
        let offer = match own {
            // Their own open offer for the slot: accepted as it is.
            Some(o) => o.clone(),
            None => {
                let ordered = hand::order_offer_id(&state, role);
                let text = notes::by_hand_order(role, &m.name);
                let order = entry(
                    id,
                    EntryId::by_hand(&ordered, member),
                    cx.now(),
                    ThreadKind::OfferSent,
                    Some(member),
                    text,
                );
                note(cx, order).await?;
                // The order's offer is made before any mail goes out; a stop after it (a mail
                // this process leaves to the worker) is finished by the settle below.
                match reconcile(cx, id, None, Wake::Event).await {
                    Ok(_) => {}
                    Err(e) if e.is_retryable() => {}
                    Err(e) => return Err(e.into()),
                }
                match cx.backend.offers.get(id, &ordered).await? {
                    Some(o) if &o.crew_id == member && o.status == OfferStatus::Open => o,
                    // The slot moved on meanwhile (its next offer went to someone else): again.
                    _ => continue,
                }
            }
        };
        let mut done = accept_by_hand(cx, &c, &m, offer).await?;
        let what = match anyway {
            Some(why) => format!("{} anyway: {why}", done.summary),
            None => done.summary.clone(),
        };
        record(cx, id, by, "assign", Some(member), &what).await?;
        let after = offers(cx, id).await?;
        let queued = std::mem::take(&mut done.changes);
        done.changes = offer_changes(&before, &after, |c| snap.name(c));
        if let Some(why) = anyway {
            done.changes
                .push(format!("assigned anyway: {why} (recorded in the thread)"));
        }
        done.changes.extend(queued);
        return Ok(done);
    }
    Err(OpsError::Refused(format!(
        "charter {id} kept changing while assigning; run the command again"
    )))
}

/// The accept transaction on the offer ops put the member on, as a member's accept runs it.
async fn accept_by_hand(
    cx: &Cascade,
    c: &Charter,
    m: &CrewMember,
    offer: Offer,
) -> Result<Done, OpsError> {
    let id = &c.charter_id;
    let (member, role) = (&m.crew_id, offer.role);
    let req = AcceptRequest {
        offer: offer.clone(),
        charter_key: c.key(),
        crew_needed: cx.crew_needed(c),
        at: cx.now(),
    };
    let refused = match cx.backend.staffing.accept(&req).await? {
        AcceptOutcome::Accepted(_) => {
            tracing::info!(charter_id = %id, crew_id = %member, role = %role, "assigned by hand");
            let text = notes::by_hand_accepted(role, &m.name);
            let e = entry(id, EntryId::closed(OfferStatus::Accepted, &offer.offer_id), cx.now(), ThreadKind::Accepted, Some(member), text);
            note(cx, e).await?;
            let mut queued = Vec::new();
            let reconciled = settle(cx, id, &mut queued).await?;
            return Ok(Done {
                summary: format!("{} is {role} on charter {id} ({} on {})", m.name, c.vessel_name, c.charter_date),
                reconciled,
                changes: queued,
            });
        }
        AcceptOutcome::AlreadyBooked(h) => booked_elsewhere(m, c, &h.charter_id),
        AcceptOutcome::CharterClosed => OpsError::Refused(format!("charter {id} was just cancelled")),
        AcceptOutcome::SpotFilled | AcceptOutcome::OfferNotOpen(_) => OpsError::Refused(format!(
            "charter {id} changed meanwhile (the slot was just filled): see `dispatch charter show {id}`"
        )),
        AcceptOutcome::DateMoved { now, .. } => OpsError::Refused(format!(
            "charter {id} just moved to {now}: see `dispatch charter show {id}` and assign again"
        )),
        // Ops assign without the roster check (`accept`): not reached.
        AcceptOutcome::Unfit(why) => OpsError::Refused(format!("{} is {why}", m.name)),
    };
    // The offer made for this assignment must not stay open (nor be mailed).
    withdraw(cx, &offer, &m.name, "nobody").await?;
    settle(cx, id, &mut Vec::new()).await?;
    Err(refused)
}

/// Withdraws an open offer because ops assigned `by_hand` instead.
async fn withdraw(cx: &Cascade, o: &Offer, name: &str, by_hand: &str) -> Result<(), OpsError> {
    let now = cx.now();
    if let OfferTransition::Done(o) = cx
        .backend
        .offers
        .transition(
            &o.charter_id,
            &o.offer_id,
            OfferStatus::Open,
            OfferStatus::Revoked,
            now,
        )
        .await?
    {
        let text = notes::by_hand_withdrawn(o.role, name, by_hand);
        note(cx, notes::closed(&o.charter_id, &o, text)).await?;
    }
    Ok(())
}
