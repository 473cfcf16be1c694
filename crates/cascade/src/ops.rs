//! What ops do by hand after a phone call, each a thin step followed by a reconcile, which does
//! the rest (the next offer, withdrawals, staffing, releases):
//!
//! - [`assign`]: put a member on a slot. Ops leave an order in the thread (`by_hand-…`) which
//!   the planner reads ([`crate::hand`]): it withdraws the slot's other open offer and makes an
//!   offer to the member, never mailed; then the accept transaction runs on it, so the
//!   crew-day hold is taken exactly as an accept takes it and a member booked that day is
//!   refused.
//! - [`unassign`]: take a member off; reconcile releases their hold and offers the slot.
//! - [`cancel`]: status `cancelled`; reconcile withdraws offers, releases holds, tells crew.
//! - [`reoffer`]: clear "already asked" for some members (a `reoffer-` thread entry the
//!   planner reads), so an escalated charter is offered again.

use dispatch_core::domain::{
    Charter, CharterId, CharterStatus, CrewId, CrewMember, Offer, OfferStatus, ThreadKind,
};
use dispatch_core::ports::{AcceptOutcome, AcceptRequest, OfferTransition};

use crate::deliver::{note, send_once};
use crate::hand::{self, Refusal};
use crate::keys::EntryId;
use crate::mails::{self, Letterhead};
use crate::notes::{self, entry};
use crate::reconcile::{reconcile, Reconciled};
use crate::requeue::Wake;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::{self, Snapshot};

pub use crate::hand::SlotKind;

/// An ops command could not be done.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("no charter {0} in crew-dispatch (check the id and DISPATCH_PREFIX; `dispatch charter list` shows them)")]
    NoCharter(CharterId),
    #[error("no member `{0}` in crew-roster (use the crew id, e.g. from `dispatch charter show`)")]
    NoMember(CrewId),
    /// Refused, with what to do instead.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Cascade(#[from] CascadeError),
}

impl From<dispatch_core::StoreError> for OpsError {
    fn from(e: dispatch_core::StoreError) -> Self {
        Self::Cascade(e.into())
    }
}

/// What an ops command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// One line for the operator.
    pub summary: String,
    /// The reconcile that followed.
    pub reconciled: Reconciled,
}

/// Tries of an assignment whose slot moved on while ops gave the order.
const ASSIGN_TRIES: usize = 3;

async fn open_charter(cx: &Cascade, id: &CharterId) -> Result<Charter, OpsError> {
    let c = cx
        .backend
        .charters
        .get(id)
        .await?
        .ok_or_else(|| OpsError::NoCharter(id.clone()))?;
    if matches!(
        c.status,
        CharterStatus::Cancelled | CharterStatus::Completed
    ) {
        return Err(OpsError::Refused(format!(
            "charter {id} is {}: nothing can be assigned or offered",
            c.status.as_str()
        )));
    }
    Ok(c)
}

async fn member_named(cx: &Cascade, m: &CrewId) -> Result<CrewMember, OpsError> {
    cx.backend
        .roster
        .get(m)
        .await?
        .ok_or_else(|| OpsError::NoMember(m.clone()))
}

fn refused(r: Refusal, id: &CharterId, m: &CrewMember, snap: &Snapshot) -> OpsError {
    OpsError::Refused(match r {
        Refusal::CaptainTaken(cap) => format!(
            "charter {id} already has {} as captain: run `dispatch charter unassign {id} {cap}` first",
            snap.name(&cap)
        ),
        Refusal::NotCaptainCertified => format!(
            "{} is not captain certified in crew-roster: update the roster (captain_certified) first",
            m.name
        ),
        Refusal::CrewFull { needed } => format!(
            "all {needed} crew slots of charter {id} are filled: run `dispatch charter unassign {id} MEMBER` first"
        ),
    })
}

/// Puts `member` on the charter as captain or crew (see the module docs).
pub async fn assign(
    cx: &Cascade,
    id: &CharterId,
    member: &CrewId,
    kind: SlotKind,
) -> Result<Done, OpsError> {
    let m = member_named(cx, member).await?;
    for _ in 0..ASSIGN_TRIES {
        let c = open_charter(cx, id).await?;
        if c.captain_assigned.as_ref() == Some(member) || c.crew_assigned.contains(member) {
            return Err(OpsError::Refused(format!(
                "{} is already on charter {id}",
                m.name
            )));
        }
        if let Some(h) = cx.backend.holds.get(member, c.charter_date).await? {
            if &h.charter_id != id {
                return Err(booked_elsewhere(&m, &c, &h.charter_id));
            }
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
                match reconcile(cx, id, None, Wake::Event).await {
                    Ok(_) | Err(CascadeError::Busy { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                match cx.backend.offers.get(id, &ordered).await? {
                    Some(o) if &o.crew_id == member && o.status == OfferStatus::Open => o,
                    // The slot moved on meanwhile (its next offer went to someone else): again.
                    _ => continue,
                }
            }
        };
        return accept_by_hand(cx, &c, &m, offer).await;
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
            let reconciled = reconcile(cx, id, None, Wake::Event).await?;
            return Ok(Done {
                summary: format!("{} is {role} on charter {id} ({} on {})", m.name, c.vessel_name, c.charter_date),
                reconciled,
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
    reconcile(cx, id, None, Wake::Event).await?;
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

/// Takes `member` off the charter; reconcile releases their hold and offers the slot again.
pub async fn unassign(cx: &Cascade, id: &CharterId, member: &CrewId) -> Result<Done, OpsError> {
    let c = cx
        .backend
        .charters
        .get(id)
        .await?
        .ok_or_else(|| OpsError::NoCharter(id.clone()))?;
    let name = cx
        .backend
        .roster
        .get(member)
        .await?
        .map(|m| m.name)
        .unwrap_or_else(|| member.to_string());
    let role = if c.captain_assigned.as_ref() == Some(member) {
        "captain"
    } else if c.crew_assigned.contains(member) {
        "crew"
    } else {
        return Err(OpsError::Refused(format!(
            "{name} is not on charter {id}: see `dispatch charter show {id}`"
        )));
    };
    cx.backend.charters.unassign(&c.key(), member).await?;
    let now = cx.now();
    let at = now.timestamp_millis();
    tracing::info!(charter_id = %id, crew_id = %member, "unassigned by hand");
    let e = entry(
        id,
        EntryId::unassigned(member, at),
        now,
        ThreadKind::Note,
        Some(member),
        notes::unassigned(&name, role),
    );
    note(cx, e).await?;
    if let Some(m) = cx.backend.roster.get(member).await? {
        send_once(cx, mails::unassigned(&Letterhead::of(&cx.cfg), &c, &m, at)).await?;
    }
    let reconciled = reconcile(cx, id, None, Wake::Event).await?;
    Ok(Done {
        summary: format!("{name} is off charter {id}; the {role} slot is open again"),
        reconciled,
    })
}

/// Cancels the charter; reconcile withdraws its offers, releases holds and tells the crew.
pub async fn cancel(cx: &Cascade, id: &CharterId) -> Result<Done, OpsError> {
    let c = cx
        .backend
        .charters
        .get(id)
        .await?
        .ok_or_else(|| OpsError::NoCharter(id.clone()))?;
    match c.status {
        CharterStatus::Completed => {
            return Err(OpsError::Refused(format!(
                "charter {id} is completed: a completed charter is not cancelled"
            )))
        }
        CharterStatus::Cancelled => {}
        _ => {
            cx.backend
                .charters
                .set_status(&c.key(), CharterStatus::Cancelled)
                .await?;
            tracing::info!(charter_id = %id, "cancelled by hand");
        }
    }
    let reconciled = reconcile(cx, id, None, Wake::Event).await?;
    Ok(Done {
        summary: format!(
            "charter {id} ({} on {}) is cancelled",
            c.vessel_name, c.charter_date
        ),
        reconciled,
    })
}

/// Clears "already asked" for `include` (or, if empty, everyone who let an offer of this
/// charter lapse), then reconciles: they can be offered the open slots again.
pub async fn reoffer(cx: &Cascade, id: &CharterId, include: &[CrewId]) -> Result<Done, OpsError> {
    let c = open_charter(cx, id).await?;
    let offers = cx.backend.offers.for_charter(id).await?;
    let mut who: Vec<CrewId> = if include.is_empty() {
        offers
            .iter()
            .filter(|o| o.status == OfferStatus::Lapsed)
            .map(|o| o.crew_id.clone())
            .collect()
    } else {
        include.to_vec()
    };
    who.sort();
    who.dedup();
    if who.is_empty() {
        return Err(OpsError::Refused(format!(
            "nobody let an offer of charter {id} lapse: name the members to ask again with --include MEMBER"
        )));
    }
    let mut names = Vec::new();
    let now = cx.now();
    for m in &who {
        let member = member_named(cx, m).await?;
        if c.captain_assigned.as_ref() == Some(m) || c.crew_assigned.contains(m) {
            return Err(OpsError::Refused(format!(
                "{} is already on charter {id}",
                member.name
            )));
        }
        let e = entry(
            id,
            EntryId::cleared(m, now.timestamp_millis()),
            now,
            ThreadKind::Note,
            Some(m),
            notes::cleared(&member.name),
        );
        note(cx, e).await?;
        names.push(member.name);
    }
    tracing::info!(charter_id = %id, members = who.len(), "cleared to be asked again");
    let reconciled = reconcile(cx, id, None, Wake::Event).await?;
    Ok(Done {
        summary: format!("charter {id}: {} may be asked again", names.join(", ")),
        reconciled,
    })
}

fn booked_elsewhere(m: &CrewMember, c: &Charter, other: &CharterId) -> OpsError {
    OpsError::Refused(format!(
        "{} is already booked on charter {other} on {}: run `dispatch charter unassign {other} {}` first, or pick someone else",
        m.name, c.charter_date, m.crew_id
    ))
}
