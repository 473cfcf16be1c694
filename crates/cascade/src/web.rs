//! The crew page (axum). No JavaScript; readable on a phone.
//!
//! - `GET /o/{token}` and `GET /p/{token}`: the member's page ([`crate::page`]) — the offer of
//!   the link first and alone, with Accept and Decline, then the other open offers, upcoming
//!   charters, withdrawn offers, available dates. GET and HEAD never change anything (mail
//!   scanners fetch links before the person sees them).
//! - `GET /c/{token}.ics`: the member's calendar feed (RFC 5545) of their upcoming charters.
//! - `POST /o/{token}/accept`, `POST /o/{token}/decline`: work once; a second press says what
//!   already happened. Protected against cross-site requests: a per-token form guard, and
//!   `Origin` / `Sec-Fetch-Site` must not name another site.
//! - `GET /ops/{token}`: the ops board ([`crate::ops_board`]), for a link of scope `ops`.
//! - Any bad link (tampered, truncated, expired, revoked, wrong scope, unknown) gets the same plain
//!   403 page; the log says why, never the token.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use dispatch_core::domain::{Offer, OfferStatus};

use tracing::Instrument;

use crate::{Answer, Cascade};
use crate::tokens::Scope;

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) cascade: Arc<Cascade>,
    origin: String,
}

/// The crew page's router (the same one runs behind a Lambda function URL).
pub fn router(cascade: Arc<Cascade>) -> Router {
    let origin = origin_of(&cascade.cfg.public_url);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/o/{token}", get(page))
        .route("/p/{token}", get(page))
        .route("/o/{token}/accept", post(accept))
        .route("/o/{token}/decline", post(decline))
        .route("/c/{file}", get(calendar_feed))
        .route("/ops/{token}", get(crate::ops_board::board))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                html_page("Not found", "<p>There is nothing here.</p>"),
            )
        })
        .layer(axum::middleware::map_response(security_headers))
        .with_state(AppState { cascade, origin })
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{host}")
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    res
}

/// Escapes text for HTML.
pub(crate) fn esc(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

pub(crate) fn html_page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.5;color:#123}}\
         h1{{font-size:1.4rem}}section{{border:1px solid #cde;border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}}\
         button{{font-size:1rem;padding:.6rem 1.2rem;margin:.25rem .5rem .25rem 0;border-radius:.4rem;border:1px solid #345;background:#fff}}\
         button.accept{{background:#1a6;color:#fff;border-color:#1a6}}.note{{background:#eef6ff;padding:.75rem 1rem;border-radius:.5rem}}\
         ul{{padding-left:1.2rem}}h2{{font-size:1.1rem;margin-top:1.5rem}}.focus{{border:2px solid #1a6;background:#f3fbf6}}.focus h2{{margin-top:0}}\
         .details{{margin:.2rem 0;color:#345}}li.charter{{margin-bottom:.75rem}}li.charter p{{margin:.1rem 0}}a{{color:#146}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
}

pub(crate) fn invalid_link() -> Response {
    (
        StatusCode::FORBIDDEN,
        html_page("This link does not work", "<p>This link is not valid any more. It may have expired or been replaced by a newer one.</p><p>Ask the dispatcher to send you a new link.</p>"),
    )
        .into_response()
}

pub(crate) fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        html_page(
            "Please try again",
            "<p>Something went wrong on our side. Please try again in a minute.</p>",
        ),
    )
        .into_response()
}

/// The token of the path; one that is not even text (`%FF`) is a bad link like any other.
pub(crate) fn path_token(p: Result<Path<String>, PathRejection>) -> Option<String> {
    p.ok().map(|Path(t)| t)
}

async fn page(State(st): State<AppState>, token: Result<Path<String>, PathRejection>) -> Response {
    let Some(token) = path_token(token) else {
        tracing::info!("crew page: link refused (not a token)");
        return invalid_link();
    };
    let claims = match st.cascade.links.verify_member(&token, Utc::now()) {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(reason = %e, "crew page: link refused");
            return invalid_link();
        }
    };
    let focus = match &claims.scope {
        Scope::Offer { offer, .. } => Some(offer.clone()),
        _ => None,
    };
    match render(&st, &claims.crew, focus.as_ref(), None).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(crew_id = %claims.crew, error = %e, "crew page failed");
            unavailable()
        }
    }
}

async fn render(
    st: &AppState,
    crew: &dispatch_core::domain::CrewId,
    focus: Option<&dispatch_core::domain::OfferId>,
    note: Option<&str>,
) -> Result<Response, crate::CascadeError> {
    let c = &st.cascade;
    let Some(member) = c.backend.roster.get(crew).await? else {
        return Ok(invalid_link());
    };
    let page = c.page_body(&member, focus, Utc::now()).await?;
    let body = format!(
        "{}{page}",
        note.map(|n| format!("<p class=\"note\" role=\"status\">{}</p>", esc(n)))
            .unwrap_or_default()
    );
    Ok(html_page(&format!("Hello, {}", crate::words::first_name(&member.name)), &body).into_response())
}

/// `GET /c/{token}.ics`: the member's calendar feed. A bad link is the same plain 403.
async fn calendar_feed(State(st): State<AppState>, file: Result<Path<String>, PathRejection>) -> Response {
    let Some(token) = path_token(file).and_then(|f| f.strip_suffix(".ics").map(str::to_string)) else {
        return invalid_link();
    };
    let claims = match st.cascade.links.verify(&token, Utc::now()) {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(reason = %e, "calendar feed: link refused");
            return invalid_link();
        }
    };
    match st.cascade.feed(&claims.crew, Utc::now()).await {
        Ok(ics) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"))],
            ics,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(crew_id = %claims.crew, error = %e, "calendar feed failed");
            unavailable()
        }
    }
}

#[derive(serde::Deserialize)]
struct GuardForm {
    #[serde(default)]
    guard: String,
}

fn cross_site(st: &AppState, headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return true;
    }
    // With `Referrer-Policy: no-referrer` browsers send `Origin: null` on our own forms, so only
    // a named other origin is refused; the per-token form guard does the rest.
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None | Some("null") => false,
        Some(o) => o != st.origin,
    }
}

enum Action {
    Accept,
    Decline,
}

async fn act(
    st: AppState,
    token: String,
    headers: HeaderMap,
    form: GuardForm,
    action: Action,
) -> Response {
    if cross_site(&st, &headers) || !st.cascade.links.check_form_guard(&token, &form.guard) {
        tracing::warn!("crew page: cross-site or unguarded POST refused");
        return (
            StatusCode::FORBIDDEN,
            html_page(
                "Request refused",
                "<p>Please use the buttons on your own page.</p>",
            ),
        )
            .into_response();
    }
    let offer: Offer = match st.cascade.offer_of_token(&token).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            tracing::info!(reason = %e, "crew page: action link refused");
            return invalid_link();
        }
        Err(e) => {
            tracing::error!(error = %e, "crew page: reading offer failed");
            return unavailable();
        }
    };
    let span = tracing::info_span!("answer", charter_id = %offer.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id);
    let answer = async {
        match action {
            Action::Accept => st.cascade.accept(&offer).await,
            Action::Decline => st.cascade.decline(&offer).await,
        }
    }
    .instrument(span.clone())
    .await;
    // Every answer names the charter: "Sat 5 Jun 2027 aboard Sea Breeze".
    let title = match st.cascade.backend.charters.get(&offer.charter_id).await {
        Ok(Some(c)) => format!("{} aboard {}", dispatch_core::zone::format_date(c.charter_date), c.vessel_name),
        _ => format!("the charter on {}", dispatch_core::zone::format_date(offer.charter_date)),
    };
    let role = crate::words::role_word(offer.role).to_lowercase();
    let note = match answer {
        Ok(Answer::Accepted { .. }) => format!("You are confirmed as {role} for {title}. Thank you! A confirmation with a calendar entry is on its way by e-mail."),
        Ok(Answer::Declined) => format!("You declined the offer for {title}. We will ask someone else."),
        Ok(Answer::SpotFilled) => format!("Sorry — the place on {title} was just filled by someone else."),
        Ok(Answer::AlreadyBooked) => {
            format!("You are already booked on another charter that day, so the offer for {title} went to someone else.")
        }
        Ok(Answer::AlreadyAnswered(s)) => format!(
            "The offer for {title} was already {}.",
            match s {
                OfferStatus::Accepted => "accepted: you are confirmed",
                OfferStatus::Declined => "declined",
                OfferStatus::Lapsed => "past its deadline",
                OfferStatus::Revoked => "withdrawn",
                OfferStatus::Open => "answered",
            }
        ),
        Ok(Answer::CharterClosed) => format!("The charter on {title} was cancelled."),
        Err(e) => {
            span.in_scope(|| tracing::error!(error = %e, "answer failed"));
            return unavailable();
        }
    };
    match render(&st, &offer.crew_id, Some(&offer.offer_id), Some(&note)).await {
        Ok(r) => r,
        Err(_) => unavailable(),
    }
}

async fn accept(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<GuardForm>,
) -> Response {
    let Some(token) = path_token(token) else {
        return invalid_link();
    };
    act(st, token, headers, form, Action::Accept).await
}

async fn decline(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<GuardForm>,
) -> Response {
    let Some(token) = path_token(token) else {
        return invalid_link();
    };
    act(st, token, headers, form, Action::Decline).await
}
