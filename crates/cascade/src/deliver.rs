//! The idempotent writes every effect is made of: a thread entry by id ([`note`]), a mail once
//! per key ([`send_once`]), an offer moved out of open ([`close`]); and how an effect went
//! ([`Applied`]). Doing any of them again after a crash, or twice at once, changes nothing more.

use dispatch_core::domain::{CharterId, Offer, OfferId, OfferStatus, ThreadEntry};
use dispatch_core::idempotency::{run_once_uncertain, Once};
use dispatch_core::ports::OfferTransition;
use dispatch_mailer::Mail;

use crate::action::Requeue;
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
    send_offer_once(cx, mail, None).await
}

/// [`send_once`] for an offer's mail, putting link 0 of the offer's lapse timer (`timer`:
/// the charter and where its chain leads) on the queue first, under the same claim
/// ([`requeue::send_first_link`]): the offer's `offer_sent` note, written after the mail,
/// still says its timer exists.
pub async fn send_offer_once(
    cx: &Cascade,
    mail: Mail,
    timer: Option<(&CharterId, &Requeue)>,
) -> Result<(), CascadeError> {
    let payload = serde_json::json!({ "key": mail.key });
    let mailer = cx.mailer.clone();
    let outcome = run_once_uncertain(
        cx.backend.idempotency.as_ref(),
        &mail.key.clone(),
        &payload,
        cx.idem,
        |claim| async move {
            if let Some((charter, rq)) = timer {
                requeue::send_first_link(cx, charter, rq, claim.taken_over).await?;
            }
            if claim.taken_over && mailer.already_sent(&mail).await? {
                tracing::info!(key = %mail.key, "mail already went out before its sender stopped; not sending again");
                return Ok::<_, CascadeError>(String::new());
            }
            Ok(mailer.send(&mail).await?)
        },
    )
    .await?;
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
