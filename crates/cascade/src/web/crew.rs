//! The crew page over HTTP: `GET /o/{token}` and `GET /p/{token}` show the member's page
//! ([`crate::page`]); `POST /o/{token}/accept` and `/decline` answer an offer.
//!
//! GET and HEAD never change anything (mail scanners fetch links before the person sees them).
//! Answers work once; a second press says what already happened. POSTs are protected against
//! cross-site requests: a per-token form guard, and `Origin` / `Sec-Fetch-Site` must not name
//! another site.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap};
use dispatch_core::domain::OfferStatus;
use dispatch_core::zone::format_date;
use tracing::Instrument;

use crate::crew::access::{member_of_token, Place};
use crate::html::{path_token, WebError};
use crate::page::CrewPage;
use crate::tokens::Scope;
use crate::words::{moved_reason, role_word, unfit_reason};
use crate::{Answer, Cascade};

const PAGE: &str = "crew page";

/// `GET /o/{token}`, `GET /p/{token}`: the page, the link's offer first.
pub(super) async fn page(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
) -> Result<CrewPage, WebError> {
    let token = path_token(PAGE, token)?;
    let (claims, member) = member_of_token(&cascade, &token, Place::Page)
        .await
        .map_err(WebError::failed(PAGE))?
        .map_err(WebError::bad_link(PAGE))?;
    let focus = match &claims.scope {
        Scope::Offer { offer, .. } => Some(offer),
        _ => None,
    };
    let span = tracing::info_span!("crew_page", crew_id = %claims.crew);
    async {
        cascade
            .crew_page(&member, focus, Some(&claims), cascade.clock.now())
            .await
            .map_err(WebError::failed(PAGE))
    }
    .instrument(span)
    .await
}

/// The form's one field: the guard that ties it to its token.
#[derive(serde::Deserialize)]
pub(super) struct GuardForm {
    #[serde(default)]
    guard: String,
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{host}")
}

/// A POST from another site: `Sec-Fetch-Site: cross-site`, or an `Origin` naming another site.
pub(super) fn cross_site(cascade: &Cascade, headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return true;
    }
    // With `Referrer-Policy: no-referrer` browsers send `Origin: null` on our own forms, so only
    // a named other origin is refused; the per-token form guard does the rest.
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => false,
        Some(o) => o != origin_of(&cascade.cfg.public_url),
    }
}

enum Action {
    Accept,
    Decline,
}

/// What the page says after an answer. Every answer names the charter: `title` is
/// "Sat 5 Jun 2027 aboard Sea Breeze".
fn note(answer: &Answer, role: &str, title: &str) -> String {
    match answer {
        Answer::Accepted { .. } => format!(
            "You are confirmed as {role} for {title}. Thank you! A confirmation with a calendar entry is on its way by e-mail."
        ),
        Answer::Declined => format!("You declined the offer for {title}. We will ask someone else."),
        Answer::SpotFilled => format!("Sorry — the place on {title} was just filled by someone else."),
        Answer::AlreadyBooked => format!(
            "You are already booked on another charter that day, so the offer for {title} went to someone else."
        ),
        Answer::AlreadyAnswered(s) => format!(
            "The offer for {title} was already {}.",
            match s {
                OfferStatus::Accepted => "accepted: you are confirmed",
                OfferStatus::Declined => "declined",
                OfferStatus::Lapsed => "past its deadline",
                OfferStatus::Revoked => "withdrawn",
                OfferStatus::Open => "answered",
            }
        ),
        Answer::CharterClosed => format!("The charter on {title} was cancelled."),
        Answer::Unfit(why) => format!(
            "{}, so the offer for {title} was withdrawn. If that is a mistake, please call the office.",
            unfit_reason(why)
        ),
        Answer::DateMoved { offered, now } => format!(
            "{}, so the offer for {} was withdrawn. If you are free on the new date you may get a new offer.",
            moved_reason(*offered, *now),
            format_date(*offered)
        ),
    }
}

/// Answers the offer of `token`, then shows the page with what happened.
async fn act(
    cascade: Arc<Cascade>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    form: GuardForm,
    action: Action,
) -> Result<CrewPage, WebError> {
    const ACTION: &str = "crew page: action";
    let token = path_token(ACTION, token)?;
    if cross_site(&cascade, &headers) || !cascade.links.check_form_guard(&token, &form.guard) {
        return Err(WebError::Refused);
    }
    let (member, offer) = crate::answers::member_and_offer_of_token(&cascade, &token)
        .await
        .map_err(WebError::failed("crew page: reading offer"))?
        .map_err(WebError::bad_link(ACTION))?;
    let span = tracing::info_span!("answer", charter_id = %offer.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id);
    async {
        let answer = match action {
            Action::Accept => cascade.accept(&offer).await,
            Action::Decline => cascade.decline(&offer).await,
        }
        .map_err(WebError::failed("answer"))?;
        // The reply does not wait for the reconciles the answer queued ([`crate::answers`]): the
        // page is read once, with the member as read for the link.
        let claims = cascade.links.verify(&token, cascade.clock.now()).ok();
        let accepted = matches!(answer, Answer::Accepted { .. }).then_some(&offer);
        let page = cascade
            .crew_page_after(
                &member,
                Some(&offer.offer_id),
                claims.as_ref(),
                accepted,
                cascade.clock.now(),
            )
            .await
            .map_err(WebError::failed(PAGE))?;
        let title = page
            .focus_title()
            .unwrap_or_else(|| format!("the charter on {}", format_date(offer.charter_date)));
        let note = note(&answer, &role_word(offer.role).to_lowercase(), &title);
        Ok(page.with_note(note))
    }
    .instrument(span)
    .await
}

/// `POST /o/{token}/accept`.
pub(super) async fn accept(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<GuardForm>,
) -> Result<CrewPage, WebError> {
    act(cascade, token, headers, form, Action::Accept).await
}

/// `POST /o/{token}/decline`.
pub(super) async fn decline(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<GuardForm>,
) -> Result<CrewPage, WebError> {
    act(cascade, token, headers, form, Action::Decline).await
}

#[cfg(test)]
mod tests {
    use dispatch_core::domain::{CharterDate, Unfit};

    use super::*;

    #[test]
    fn a_refused_accept_says_why_in_plain_words() {
        let title = "Sat 5 Jun 2027 aboard Sea Breeze";
        assert_eq!(
            note(&Answer::Unfit(Unfit::NotCaptainCertified), "captain", title),
            "You are no longer listed as a certified captain, so the offer for Sat 5 Jun 2027 \
             aboard Sea Breeze was withdrawn. If that is a mistake, please call the office."
        );
        assert!(note(&Answer::Unfit(Unfit::Inactive), "deckhand", title)
            .starts_with("You are no longer listed as active crew, so the offer"));
        let moved = Answer::DateMoved {
            offered: CharterDate::parse("2027-06-05").unwrap(),
            now: CharterDate::parse("2027-06-12").unwrap(),
        };
        assert_eq!(
            note(&moved, "deckhand", title),
            "The charter moved from Sat 5 Jun 2027 to Sat 12 Jun 2027, so the offer for Sat 5 Jun \
             2027 was withdrawn. If you are free on the new date you may get a new offer."
        );
    }
}
