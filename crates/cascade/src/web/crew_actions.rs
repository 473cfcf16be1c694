//! What crew do themselves on their page, over HTTP: `POST /p/{token}/cant-make-it`,
//! `POST /p/{token}/availability`, and the broken-link page's `POST /new-link`. Each POST is
//! guarded like Accept and Decline: the form guard bound to the page token (a forged POST
//! changes nothing and gets the plain 403), and no other site's `Origin`. The answer is the
//! member's page with a note saying what happened.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use dispatch_core::domain::{CharterDate, CharterId, CrewMember, OfferId};
use dispatch_core::zone::format_date;
use tracing::Instrument;

use super::crew::cross_site;
use crate::crew::access::{member_of_token, Place};
use crate::crew::availability::set_days;
use crate::crew::give_back::{cant_make_it, GiveBack};
use crate::crew::relink::request_new_link;
use axum::response::IntoResponse;

use crate::html::{path_token, BadLinkMarker, BadLinkPage, Message, WebError};
use crate::page::CrewPage;
use crate::tokens::Claims;
use crate::Cascade;

const ACTION: &str = "crew page: own change";

/// The page token of the path and its member, if the form guard and origin are right.
async fn guarded(
    cascade: &Cascade,
    token: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    guard: &str,
) -> Result<(Claims, CrewMember), WebError> {
    let token = path_token(ACTION, token)?;
    if cross_site(cascade, headers) || !cascade.links.check_form_guard(&token, guard) {
        return Err(WebError::Refused);
    }
    member_of_token(cascade, &token, Place::Page)
        .await
        .map_err(WebError::failed(ACTION))?
        .map_err(WebError::bad_link(ACTION))
}

/// The page again, with `note` on top.
async fn page_with(
    cascade: &Cascade,
    claims: &Claims,
    crew: &CrewMember,
    note: String,
) -> Result<CrewPage, WebError> {
    // Read the member again: the change may be theirs.
    let member = cascade
        .backend
        .roster
        .get(&crew.crew_id)
        .await
        .map_err(crate::CascadeError::from)
        .map_err(WebError::failed(ACTION))?
        .unwrap_or_else(|| crew.clone());
    Ok(cascade
        .crew_page(&member, None, Some(claims), cascade.clock.now())
        .await
        .map_err(WebError::failed(ACTION))?
        .with_note(note))
}

/// The "I can't make it" form.
#[derive(serde::Deserialize)]
pub(super) struct DropForm {
    #[serde(default)]
    guard: String,
    #[serde(default)]
    charter: String,
    #[serde(default)]
    offer: String,
    #[serde(default)]
    reason: String,
}

/// `POST /p/{token}/cant-make-it`.
pub(super) async fn cant_make_it_post(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<DropForm>,
) -> Result<CrewPage, WebError> {
    let (claims, member) = guarded(&cascade, token, &headers, &form.guard).await?;
    let (Ok(charter), Ok(offer)) = (CharterId::parse(&form.charter), OfferId::parse(&form.offer))
    else {
        return Err(WebError::Refused);
    };
    let span = tracing::info_span!("cant_make_it", charter_id = %charter, offer_id = %offer, crew_id = %member.crew_id);
    async {
        let outcome = cant_make_it(&cascade, &member, &charter, &offer, &form.reason)
            .await
            .map_err(WebError::failed(ACTION))?;
        let phone = cascade
            .cfg
            .office_phone
            .as_deref()
            .map(|p| format!(" at {p}"))
            .unwrap_or_default();
        let note = match outcome {
            GiveBack::Noted | GiveBack::AlreadyAsked => "Thank you for telling us. The office knows, and we are asking someone else: the place is still yours until someone takes it. We will e-mail you when you are released.".to_string(),
            GiveBack::TooLate => format!("It is too close to departure to change this here. Please call the office{phone} now; we have alerted them."),
            GiveBack::NotTheirs => "This charter is not on your list any more, so there is nothing to give back.".to_string(),
        };
        page_with(&cascade, &claims, &member, note).await
    }
    .instrument(span)
    .await
}

/// `POST /p/{token}/availability`: `guard` and one `d<YYYY-MM-DD>` field per day ticked.
pub(super) async fn availability_post(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<CrewPage, WebError> {
    let guard: String = form.get("guard").cloned().unwrap_or_default();
    let ticked = ticked_days(&form);
    let (claims, member) = guarded(&cascade, token, &headers, &guard).await?;
    let span = tracing::info_span!("availability", crew_id = %member.crew_id);
    async {
        let change = set_days(&cascade, &member, &ticked)
            .await
            .map_err(WebError::failed(ACTION))?;
        let mut note = if change.added.is_empty() && change.removed.is_empty() {
            "No change to your availability.".to_string()
        } else {
            format!(
                "Saved: {} day(s) added, {} day(s) taken away.",
                change.added.len(),
                change.removed.len()
            )
        };
        if !change.kept_booked.is_empty() {
            let days: Vec<String> = change.kept_booked.iter().map(|d| format_date(*d)).collect();
            note.push_str(&format!(
                " You are booked on {}, so {} stays: please call the office to change it.",
                days.join(", "),
                if days.len() == 1 {
                    "that day"
                } else {
                    "those days"
                }
            ));
        }
        page_with(&cascade, &claims, &member, note).await
    }
    .instrument(span)
    .await
}

/// The days a form ticked: its `d<YYYY-MM-DD>` fields.
fn ticked_days(form: &HashMap<String, String>) -> BTreeSet<CharterDate> {
    let mut out = BTreeSet::new();
    for k in form.keys() {
        if let Some(d) = k.strip_prefix('d').and_then(|d| CharterDate::parse(d).ok()) {
            out.insert(d);
        }
    }
    out
}

/// The "e-mail me a new link" form.
#[derive(serde::Deserialize)]
pub(super) struct NewLinkForm {
    #[serde(default)]
    email: String,
}

/// What `POST /new-link` answers, whatever the address.
const NEW_LINK_SENT: Message = Message {
    title: "Check your e-mail",
    paragraphs: &[
        "If that address belongs to one of our crew, a new link to your page is on its way. Links sent before stop working.",
        "Nothing arrived after a few minutes? Check the spam folder, or call the office.",
    ],
};

/// `POST /new-link`.
pub(super) async fn new_link_post(
    State(cascade): State<Arc<Cascade>>,
    headers: HeaderMap,
    Form(form): Form<NewLinkForm>,
) -> Result<Message, WebError> {
    if cross_site(&cascade, &headers) {
        return Err(WebError::Refused);
    }
    request_new_link(&cascade, &form.email)
        .await
        .map_err(WebError::failed("new link"))?;
    Ok(NEW_LINK_SENT)
}

/// Points a bad-link page's form at the public URL's path (a proxy may serve the page under
/// one).
pub(super) async fn bad_link_form(
    State(cascade): State<Arc<Cascade>>,
    res: axum::response::Response,
) -> axum::response::Response {
    if res.extensions().get::<BadLinkMarker>().is_none() {
        return res;
    }
    let action = cascade.link_maker().new_link_action();
    let mut fresh = (res.status(), BadLinkPage::new(action)).into_response();
    fresh.extensions_mut().insert(BadLinkMarker);
    fresh
}
