//! Carrying out one planned [`Action`]: each is idempotent (conditional writes, mails under a
//! claim of their key, thread entries with fixed ids and times), so doing it again after a crash,
//! or twice at once, changes nothing more. The context is passed in (`cx`); the actions that
//! tell people are [`crate::notify`]'s and [`crate::confirm`]'s, the rest are here.

use dispatch_core::domain::{CharterStatus, Offer, OfferStatus, ThreadKind};
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{Hold, HoldOutcome, OfferOpening};

use crate::action::Action;
use crate::confirm;
use crate::crew::drop;
use crate::deliver::{close, note, Applied};
use crate::index;
use crate::keys::EntryId;
use crate::notes;
use crate::notify;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::Snapshot;

/// Stores a new offer with what `opening` takes along (see [`OfferOpening`]).
pub async fn make_offer(
    cx: &Cascade,
    offer: &Offer,
    opening: OfferOpening<'_>,
) -> Result<Applied, CascadeError> {
    let stored = cx.backend.offers.put_opening(offer, opening).await;
    if let (Some(claim), Err(_)) = (opening.mail_claim, &stored) {
        // Whether the transaction went through is unknown: its mail's claim is given up, so
        // the pass that mails the offer need not wait out its lease. (A refused transaction
        // wrote nothing; one refused on a retry after a lost answer did write it, and the
        // mail then waits for the claim's lease: rare, and a request saved on every conflict.)
        if let Err(e) = cx
            .backend
            .idempotency
            .release(&claim.key, &claim.owner)
            .await
        {
            tracing::debug!(error = %e, "could not give up the offer mail's claim; it lapses on its own");
        }
    }
    if stored? {
        tracing::info!(offer_id = %offer.offer_id, crew_id = %offer.crew_id, role = %offer.role, "offer made");
        Ok(Applied::Done)
    } else {
        // Made already, by an earlier try or a concurrent reconcile: plan from it.
        Ok(Applied::Conflict)
    }
}

/// Carries out `action`, planned from `snap`.
pub async fn apply(
    cx: &Cascade,
    snap: &Snapshot,
    action: &Action,
) -> Result<Applied, CascadeError> {
    let id = &snap.charter_id;
    match action {
        Action::Lapse { offer } => {
            let Some(o) = close(cx, id, offer, OfferStatus::Lapsed).await? else {
                return Ok(Applied::Conflict);
            };
            tracing::info!(offer_id = %o.offer_id, crew_id = %o.crew_id, "offer lapsed");
            note(
                cx,
                notes::closed(id, &o, notes::lapsed(o.role, &snap.name(&o.crew_id))),
            )
            .await?;
            metrics::incr(Counter::OffersLapsed);
            Ok(Applied::Done)
        }
        Action::Revoke { offer, why } => {
            let Some(o) = close(cx, id, offer, OfferStatus::Revoked).await? else {
                return Ok(Applied::Conflict);
            };
            tracing::info!(offer_id = %o.offer_id, crew_id = %o.crew_id, why = ?why, "offer withdrawn");
            if why.tells_member() {
                return notify::tell_withdrawn(cx, snap, &o, why).await;
            }
            let text = notes::revoked(o.role, why, &snap.name(&o.crew_id), |m| snap.name(m));
            note(cx, notes::closed(id, &o, text)).await?;
            Ok(Applied::Done)
        }
        Action::MakeOffer { offer } => make_offer(cx, offer, OfferOpening::default()).await,
        Action::SendOffer { offer } => notify::send_offer(cx, snap, offer, None).await,
        Action::TellWithdrawn { offer, why } => match snap.offer(offer) {
            Some(o) => notify::tell_withdrawn(cx, snap, o, why).await,
            None => Ok(Applied::Conflict),
        },
        Action::Confirm { offer } => match snap.offer(offer) {
            Some(o) => confirm::confirm(cx, snap, o).await,
            None => Ok(Applied::Conflict),
        },
        Action::NoteClosed { offer } => {
            let Some(o) = snap.offer(offer) else {
                return Ok(Applied::Conflict);
            };
            note(
                cx,
                notes::closed(id, o, notes::closed_text(o, &snap.name(&o.crew_id))),
            )
            .await?;
            Ok(Applied::Done)
        }
        Action::TakeHold { crew } => {
            let Some(c) = &snap.charter else {
                return Ok(Applied::Conflict);
            };
            let hold = Hold {
                crew_id: crew.clone(),
                date: c.charter_date,
                charter_id: id.clone(),
                taken_at: cx.now(),
            };
            match cx.backend.holds.take(&hold).await? {
                HoldOutcome::Taken => {
                    tracing::info!(crew_id = %crew, "took the day's hold of a member assigned by hand");
                    Ok(Applied::Done)
                }
                HoldOutcome::AlreadyHeld(h) if &h.charter_id == id => Ok(Applied::Done),
                HoldOutcome::AlreadyHeld(_) => Ok(Applied::Conflict),
            }
        }
        Action::ReportConflict { crew, other } => {
            notify::report_conflict(cx, snap, crew, other).await
        }
        Action::MarkStaffed => {
            let Some(c) = &snap.charter else {
                return Ok(Applied::Conflict);
            };
            if !cx
                .backend
                .charters
                .set_status_from(&c.key(), CharterStatus::Booked, CharterStatus::Staffed)
                .await?
            {
                return Ok(Applied::Conflict);
            }
            tracing::info!("charter staffed");
            let ts = snap
                .offers
                .iter()
                .filter(|o| o.status == OfferStatus::Accepted)
                .map(|o| o.updated_at)
                .max()
                .unwrap_or_else(|| cx.now());
            let e = notes::entry(
                id,
                EntryId::STAFFED,
                ts,
                ThreadKind::Staffed,
                None,
                notes::STAFFED.into(),
            );
            note(cx, e).await?;
            Ok(Applied::Done)
        }
        Action::Unstaff => {
            let Some(c) = &snap.charter else {
                return Ok(Applied::Conflict);
            };
            cx.backend
                .charters
                .set_status_from(&c.key(), CharterStatus::Staffed, CharterStatus::Booked)
                .await?;
            Ok(Applied::Done)
        }
        Action::Escalate {
            role,
            attempts,
            excluded,
        } => notify::escalate(cx, snap, *role, *attempts, excluded).await,
        Action::AlertOps { hours } => notify::alert(cx, snap, *hours).await,
        Action::ReleaseHold { crew, date } => {
            index::member_freed(cx, *date, id, || async {
                cx.backend.holds.release(crew, *date, id).await?;
                Ok(())
            })
            .await?;
            Ok(Applied::Done)
        }
        Action::ReleaseStrayHold { crew, date } => {
            // Read after the hold was seen: an accept puts hold and assignment in one
            // transaction, so a member it just assigned shows here and keeps the hold.
            let Some(c) = cx.backend.charters.get(id).await? else {
                return Ok(Applied::Conflict);
            };
            if c.captain_assigned.as_ref() == Some(crew) || c.crew_assigned.contains(crew) {
                return Ok(Applied::Conflict);
            }
            index::member_freed(cx, *date, id, || async {
                if cx.backend.holds.release(crew, *date, id).await? {
                    tracing::info!(crew_id = %crew, "released the hold of a member no longer on the charter");
                }
                Ok(())
            })
            .await?;
            Ok(Applied::Done)
        }
        Action::TellReleased { crew, date } => notify::tell_released(cx, snap, crew, *date).await,
        Action::TellDrop { offer } => drop::tell_ops(cx, snap, offer).await,
        Action::TellLetGo { offer } => drop::tell_let_go(cx, snap, offer).await,
        Action::TellUnassigned { crew, at_ms } => {
            notify::tell_unassigned(cx, snap, crew, *at_ms).await
        }
        Action::NoteCancelled => {
            let e = notes::entry(
                id,
                EntryId::CANCELLED,
                cx.now(),
                ThreadKind::Cancelled,
                None,
                notes::CANCELLED.into(),
            );
            note(cx, e).await?;
            tracing::info!("charter released");
            Ok(Applied::Done)
        }
    }
}
