//! A member's answer to an offer. Accept is one transaction, decline one conditional write; the
//! answer is then decided and replied, and one job on the cascade queue asks the worker to
//! reconcile the charter (the next offer, withdrawing what can no longer stand, marking it
//! staffed) and, after an accept, the member's other charters that day. The reply never waits
//! for those reconciles. (The offer mail is [`crate::mails::offer`], its link [`crate::links`].)

use dispatch_core::domain::{
    CharterDate, CharterId, CrewId, CrewMember, Offer, OfferStatus, Unfit,
};
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{AcceptOutcome, AcceptRequest, OfferTransition};

use crate::engine;
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
    Ok(member_and_offer_of_token(cx, token).await?.map(|(_, o)| o))
}

/// [`offer_of_token`] with the member as read for the check.
pub async fn member_and_offer_of_token(
    cx: &Cascade,
    token: &str,
) -> Result<Result<(CrewMember, Offer), TokenError>, CascadeError> {
    let (claims, charter, offer) = match cx.links.verify_offer(token, cx.now()) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    // A revoked link answers nothing ([`crate::crew::access`]).
    let member = match cx.backend.roster.get(&claims.crew).await? {
        Some(m) => {
            if let Err(e) = claims.check_not_revoked(m.links_not_before) {
                return Ok(Err(e));
            }
            m
        }
        None => return Ok(Err(TokenError::NoSuchMember)),
    };
    match cx.backend.offers.get(&charter, &offer).await? {
        Some(o) if o.crew_id == claims.crew => Ok(Ok((member, o))),
        _ => Ok(Err(TokenError::WrongScope)),
    }
}

/// The member accepts an offer. The transaction checks them against the roster (active,
/// certified for the slot, available that day) and the charter's date against the offer's; a
/// refusal is followed by the reconcile that withdraws the offer and asks the next candidate.
/// An offer already answered (as read with its token: a second press of Accept) says so at once.
pub async fn accept(cx: &Cascade, offer: &Offer) -> Result<Answer, CascadeError> {
    if offer.status != OfferStatus::Open {
        return Ok(Answer::AlreadyAnswered(offer.status));
    }
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
            // The thread's `accepted-<offer>` entry is the queued reconcile's (a closed offer
            // not yet noted): nothing more to read or write before the reply.
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
    let same_day = matches!(answer, Answer::Accepted { .. });
    follow_up(cx, offer, same_day).await;
    Ok(answer)
}

/// The member is now booked that day: their open offers for other charters on the same
/// date are withdrawn (a reconcile of each of those charters revokes them), instead of
/// staying open until they lapse. Run by the worker after an accept ([`crate::jobs`]), or
/// inline when the queue could not take the job. Returns how many charters it reconciled.
pub async fn withdraw_same_day(
    cx: &Cascade,
    crew: &CrewId,
    date: CharterDate,
    accepted: &CharterId,
) -> Result<usize, CascadeError> {
    let offers = cx.backend.offers.for_crew(crew).await?;
    let mut others: Vec<_> = offers
        .iter()
        .filter(|o| {
            o.status == OfferStatus::Open && o.charter_date == date && &o.charter_id != accepted
        })
        .map(|o| o.charter_id.clone())
        .collect();
    others.sort();
    others.dedup();
    let mut failed = None;
    for other in &others {
        if let Err(e) = reconcile(cx, other, None, Wake::Event).await {
            tracing::warn!(charter_id = %other, error = %e, "could not withdraw a same-day offer now; the job is retried and the sweep is the net");
            failed = Some(e);
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(others.len()),
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
            follow_up(cx, &o, false).await;
            Ok(Answer::Declined)
        }
        OfferTransition::Conflict(o) => Ok(Answer::AlreadyAnswered(o.status)),
        OfferTransition::NotFound => Ok(Answer::CharterClosed),
    }
}

/// After an answer: the reply does not wait for the reconciles. One job on the cascade queue
/// asks the worker to reconcile the charter (and, after an accept, the member's other charters
/// that day, [`withdraw_same_day`]); if the queue refuses it, they run here instead, and if that
/// fails too a plain reconcile is left on the queue ([`requeue::retry_later`]), the sweep the net.
async fn follow_up(cx: &Cascade, offer: &Offer, same_day: bool) {
    let Err(e) = requeue::after_answer(cx, offer, same_day).await else {
        return;
    };
    tracing::warn!(charter_id = %offer.charter_id, offer_id = %offer.offer_id, error = %e, "could not queue the reconcile after an answer; running it now");
    if let Err(e) = reconcile(cx, &offer.charter_id, None, Wake::Event).await {
        tracing::warn!(charter_id = %offer.charter_id, error = %e, "reconcile after an answer failed; queueing it");
        requeue::retry_later(cx, &offer.charter_id, &offer.offer_id).await;
    }
    if same_day {
        // Failures are logged there; the sweep withdraws what is left.
        let _ = withdraw_same_day(cx, &offer.crew_id, offer.charter_date, &offer.charter_id).await;
    }
}
