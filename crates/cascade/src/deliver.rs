//! The idempotent writes every effect is made of: a thread entry by id ([`note`]), a mail once
//! per key ([`send_once`]), an offer moved out of open ([`close`]); and how an effect went
//! ([`Applied`]). Doing any of them again after a crash, or twice at once, changes nothing more.

use dispatch_core::domain::{CharterId, Offer, OfferId, OfferStatus, ThreadEntry};
use dispatch_core::idempotency::{new_claim, run_once_uncertain, run_once_uncertain_claimed, Once};
use dispatch_core::ports::IdempotencyClaim;
use dispatch_core::ports::OfferTransition;
use dispatch_mailer::Mail;

use crate::action::Requeue;
use crate::keys::MailKey;
use crate::requeue;
use crate::service::{Cascade, CascadeError};

/// How an action went.
pub enum Applied {
    Done,
    /// The world moved under the plan (a conditional write lost): read again and replan.
    Conflict,
}

/// Writes a thread entry (the same id and time twice leaves one).
pub async fn note(cx: &Cascade, e: ThreadEntry) -> Result<(), CascadeError> {
    cx.backend.thread.append(&e).await?;
    Ok(())
}

/// Sends a mail once per key: under a claim of the key, so a concurrent copy waits; after a
/// failed or dead owner's attempt (whose outcome is unknown), only if the mail is not found
/// as already sent.
pub async fn send_once(cx: &Cascade, mail: Mail) -> Result<(), CascadeError> {
    send_offer_once(cx, mail, None, None).await
}

/// What a mail's claim is taken for: its key (the same key with another payload is a bug).
fn mail_payload(key: &str) -> serde_json::Value {
    serde_json::json!({ "key": key })
}

/// A claim of `offer`'s mail for this pass, written with the offer ([`dispatch_core::ports::OfferOpening`])
/// and used by [`send_offer_once`]: a request saved.
pub fn offer_mail_claim(cx: &Cascade, offer: &OfferId) -> IdempotencyClaim {
    let key = String::from(MailKey::offer(offer));
    new_claim(&key, &mail_payload(&key), cx.idem)
}

/// [`send_once`] for an offer's mail, putting link 0 of the offer's lapse timer (`timer`:
/// the charter and where its chain leads) on the queue first, under the same claim
/// ([`requeue::send_first_link`]): the offer's `offer_sent` note, written after the mail,
/// still says its timer exists. `claimed`: the mail's claim, already written with the offer
/// ([`offer_mail_claim`]).
pub async fn send_offer_once(
    cx: &Cascade,
    mail: Mail,
    timer: Option<(&CharterId, &Requeue)>,
    claimed: Option<&IdempotencyClaim>,
) -> Result<(), CascadeError> {
    let payload = mail_payload(&mail.key);
    let mailer = cx.mailer.clone();
    let key = mail.key.clone();
    let work = |claim: dispatch_core::idempotency::Claim| async move {
        if let Some((charter, rq)) = timer {
            requeue::send_first_link(cx, charter, rq, claim.taken_over).await?;
        }
        if claim.taken_over && mailer.already_sent(&mail).await? {
            tracing::info!(key = %mail.key, "mail already went out before its sender stopped; not sending again");
            return Ok::<_, CascadeError>(String::new());
        }
        Ok(mailer.send(&mail).await?)
    };
    let store = cx.backend.idempotency.as_ref();
    let outcome = match claimed.filter(|c| c.key == key) {
        Some(claimed) => {
            run_once_uncertain_claimed(store, claimed, &payload, cx.idem, work).await?
        }
        None => run_once_uncertain(store, &key, &payload, cx.idem, work).await?,
    };
    match outcome {
        Once::InProgress { until } => Err(CascadeError::Busy {
            what: "a mail".into(),
            until,
        }),
        Once::Ran(_) | Once::AlreadyDone(_) => Ok(()),
    }
}

/// Moves an open offer to `to`; `None` if it was no longer open.
pub async fn close(
    cx: &Cascade,
    charter: &CharterId,
    offer: &OfferId,
    to: OfferStatus,
) -> Result<Option<Offer>, CascadeError> {
    match cx
        .backend
        .offers
        .transition(charter, offer, OfferStatus::Open, to, cx.now())
        .await?
    {
        OfferTransition::Done(o) => Ok(Some(o)),
        _ => Ok(None),
    }
}
