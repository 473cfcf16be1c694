//! A member's answer to an offer. Accept is one transaction, decline one conditional write; then
//! the charter is reconciled, which makes the next offer, withdraws what can no longer stand and
//! marks the charter staffed. (The offer mail is [`crate::mails::offer`], its link
//! [`crate::links`].)

use dispatch_core::domain::{CharterDate, Offer, OfferStatus, ThreadKind, Unfit};
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{AcceptOutcome, AcceptRequest, OfferTransition};

use crate::deliver::note;
use crate::engine;
use crate::keys::EntryId;
use crate::notes::{self, entry};
use crate::reconcile::reconcile;
use crate::requeue::{self, Wake};
use crate::service::{Cascade, CascadeError};
use crate::slots::is_filled;
use crate::tokens::TokenError;

/// What a member's answer did, as the page tells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accepted {
        staffed: bool,
    },
    Declined,
    /// Someone else took the slot first.
    SpotFilled,
    /// They are already booked on that date.
    AlreadyBooked,
    /// The offer had been answered, lapsed or was withdrawn.
    AlreadyAnswered(OfferStatus),
    CharterClosed,
    /// The roster no longer lists them as fit for the slot: the offer is withdrawn.
    Unfit(Unfit),
    /// The charter moved from the date the offer was made for: the offer is withdrawn.
    DateMoved {
        offered: CharterDate,
        now: CharterDate,
    },
}

/// Resolves an offer token to its offer, checking it belongs to the token's member.
pub async fn offer_of_token(
    cx: &Cascade,
    token: &str,
) -> Result<Result<Offer, TokenError>, CascadeError> {
    let (claims, charter, offer) = match cx.links.verify_offer(token, cx.now()) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    // A revoked link answers nothing ([`crate::crew::access`]).
    match cx.backend.roster.get(&claims.crew).await? {
        Some(m) => {
            if let Err(e) = claims.check_not_revoked(m.links_not_before) {
                return Ok(Err(e));
            }
        }
        None => return Ok(Err(TokenError::NoSuchMember)),
    }
    match cx.backend.offers.get(&charter, &offer).await? {
        Some(o) if o.crew_id == claims.crew => Ok(Ok(o)),
        _ => Ok(Err(TokenError::WrongScope)),
    }
}

/// The member accepts an offer. The transaction checks them against the roster (active,
/// certified for the slot, available that day) and the charter's date against the offer's; a
/// refusal is followed by the reconcile that withdraws the offer and asks the next candidate.
pub async fn accept(cx: &Cascade, offer: &Offer) -> Result<Answer, CascadeError> {
    let Some(c) = cx.backend.charters.get(&offer.charter_id).await? else {
        return Ok(Answer::CharterClosed);
    };
    let now = cx.now();
    let req = AcceptRequest {
        offer: offer.clone(),
        charter_key: c.key(),
        crew_needed: cx.crew_needed(&c),
        at: now,
    };
    let needs = engine::needs(offer.role, &c, cx.vessel(&c));
    let mut outcome = cx.backend.staffing.accept_as(&req, Some(&needs)).await?;
    // The slot is held by a member who can't make it: they come off it for this replacement,
    // and the accept runs again.
    if matches!(outcome, AcceptOutcome::SpotFilled)
        && crate::crew::drop::make_room(cx, &c.charter_id, offer).await?
    {
        outcome = cx.backend.staffing.accept_as(&req, Some(&needs)).await?;
    }
    let answer = match outcome {
        AcceptOutcome::Accepted(after) => {
            tracing::info!(charter_id = %c.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id, "offer accepted");
            metrics::incr(Counter::OffersAccepted);
            let name = cx
                .backend
                .roster
                .get(&offer.crew_id)
                .await
                .ok()
                .flatten()
                .map(|m| m.name)
                .unwrap_or_else(|| offer.crew_id.to_string());
            let e = entry(
                &c.charter_id,
                EntryId::closed(OfferStatus::Accepted, &offer.offer_id),
                now,
                ThreadKind::Accepted,
                Some(&offer.crew_id),
                notes::accepted(offer.role, &name),
            );
            // The reconcile below writes it if this fails.
            if let Err(e) = note(cx, e).await {
                tracing::warn!(error = %e, "could not note the accept; reconcile will");
            }
            Answer::Accepted {
                staffed: is_filled(&after, cx.vessel(&after)),
            }
        }
        AcceptOutcome::SpotFilled => Answer::SpotFilled,
        AcceptOutcome::AlreadyBooked(_) => Answer::AlreadyBooked,
        AcceptOutcome::OfferNotOpen(s) => return Ok(Answer::AlreadyAnswered(s)),
        AcceptOutcome::CharterClosed => Answer::CharterClosed,
        AcceptOutcome::Unfit(why) => {
            tracing::info!(charter_id = %c.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id, why = %why, "accept refused: the member no longer fits the slot");
            Answer::Unfit(why)
        }
        AcceptOutcome::DateMoved { offered, now } => {
            tracing::info!(charter_id = %c.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id, %offered, %now, "accept refused: the charter moved");
            Answer::DateMoved { offered, now }
        }
    };
    follow_up(cx, offer).await;
    if matches!(answer, Answer::Accepted { .. }) {
        withdraw_same_day(cx, offer).await;
    }
    Ok(answer)
}

/// The member is now booked that day: their open offers for other charters on the same
/// date are withdrawn at once (a reconcile of each of those charters revokes them),
/// instead of staying open until they lapse. A failure here is healed by the sweep.
async fn withdraw_same_day(cx: &Cascade, accepted: &Offer) {
    let offers = match cx.backend.offers.for_crew(&accepted.crew_id).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(crew_id = %accepted.crew_id, error = %e, "could not read the member's other offers; the sweep withdraws them");
            return;
        }
    };
    let mut others: Vec<_> = offers
        .iter()
        .filter(|o| {
            o.status == OfferStatus::Open
                && o.charter_date == accepted.charter_date
                && o.charter_id != accepted.charter_id
        })
        .map(|o| o.charter_id.clone())
        .collect();
    others.sort();
    others.dedup();
    for other in others {
        if let Err(e) = reconcile(cx, &other, None, Wake::Event).await {
            tracing::warn!(charter_id = %other, error = %e, "could not withdraw a same-day offer now; the sweep will");
        }
    }
}

/// The member declines an offer; the next candidate is asked.
pub async fn decline(cx: &Cascade, offer: &Offer) -> Result<Answer, CascadeError> {
    match cx
        .backend
        .offers
        .transition(
            &offer.charter_id,
            &offer.offer_id,
            OfferStatus::Open,
            OfferStatus::Declined,
            cx.now(),
        )
        .await?
    {
        OfferTransition::Done(o) => {
            tracing::info!(charter_id = %o.charter_id, offer_id = %o.offer_id, crew_id = %o.crew_id, "offer declined");
            follow_up(cx, &o).await;
            Ok(Answer::Declined)
        }
        OfferTransition::Conflict(o) => Ok(Answer::AlreadyAnswered(o.status)),
        OfferTransition::NotFound => Ok(Answer::CharterClosed),
    }
}

/// After an answer: reconcile the charter now; if that fails (an outage), leave a reconcile
/// on the queue ([`requeue::retry_later`]).
async fn follow_up(cx: &Cascade, offer: &Offer) {
    let Err(e) = reconcile(cx, &offer.charter_id, None, Wake::Event).await else {
        return;
    };
    tracing::warn!(charter_id = %offer.charter_id, error = %e, "reconcile after an answer failed; queueing it");
    requeue::retry_later(cx, &offer.charter_id, &offer.offer_id).await;
}
