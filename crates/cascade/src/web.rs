//! The crew page (axum). No JavaScript; readable on a phone.
//!
//! - `GET /o/{token}` and `GET /p/{token}`: the member's page — open offers with Accept and Decline
//!   buttons, upcoming assignments, available dates. GET and HEAD never change anything (mail
//!   scanners fetch links before the person sees them).
//! - `POST /o/{token}/accept`, `POST /o/{token}/decline`: work once; a second press says what
//!   already happened. Protected against cross-site requests: a per-token form guard, and
//!   `Origin` / `Sec-Fetch-Site` must not name another site.
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
use dispatch_core::domain::{CharterStatus, Offer, OfferStatus};

use crate::{Answer, Cascade};
use tracing::Instrument;
use crate::tokens::Scope;

#[derive(Clone)]
struct AppState {
    cascade: Arc<Cascade>,
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

fn esc(s: &str) -> String {
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

fn html_page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.5;color:#123}}\
         h1{{font-size:1.4rem}}section{{border:1px solid #cde;border-radius:.5rem;padding:.75rem 1rem;margin:.75rem 0}}\
         button{{font-size:1rem;padding:.6rem 1.2rem;margin:.25rem .5rem .25rem 0;border-radius:.4rem;border:1px solid #345;background:#fff}}\
         button.accept{{background:#1a6;color:#fff;border-color:#1a6}}.note{{background:#eef6ff;padding:.75rem 1rem;border-radius:.5rem}}\
         ul{{padding-left:1.2rem}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
}

fn invalid_link() -> Response {
    (
        StatusCode::FORBIDDEN,
        html_page("This link does not work", "<p>This link is not valid any more. It may have expired or been replaced by a newer one.</p><p>Ask the dispatcher to send you a new link.</p>"),
    )
        .into_response()
}

fn unavailable() -> Response {
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
fn path_token(p: Result<Path<String>, PathRejection>) -> Option<String> {
    p.ok().map(|Path(t)| t)
}

async fn page(State(st): State<AppState>, token: Result<Path<String>, PathRejection>) -> Response {
    let Some(token) = path_token(token) else {
        tracing::info!("crew page: link refused (not a token)");
        return invalid_link();
    };
    let claims = match st.cascade.links.verify(&token, Utc::now()) {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(reason = %e, "crew page: link refused");
            return invalid_link();
        }
    };
    match render(&st, &claims.crew, &token, None).await {
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
    _token: &str,
    note: Option<&str>,
) -> Result<Response, crate::CascadeError> {
    let c = &st.cascade;
    let Some(member) = c.backend.roster.get(crew).await? else {
        return Ok(invalid_link());
    };
    let now = Utc::now();
    let offers = c.backend.offers.for_crew(crew).await?;
    let today = now.date_naive();
    let mut open = String::new();
    let mut upcoming = String::new();
    for o in &offers {
        let Some(ch) = c.backend.charters.get(&o.charter_id).await? else {
            continue;
        };
        let what = format!(
            "<b>{}</b> aboard <b>{}</b> — {} ({} guests)",
            ch.charter_date,
            esc(&ch.vessel_name),
            o.role,
            ch.guest_count
        );
        if o.status == OfferStatus::Open
            && o.expires_at > now
            && !matches!(
                ch.status,
                CharterStatus::Cancelled | CharterStatus::Completed
            )
        {
            let offer_token = c.links.issue(
                crew,
                &Scope::Offer {
                    charter: o.charter_id.clone(),
                    offer: o.offer_id.clone(),
                },
                now,
                o.expires_at - now + chrono::Duration::hours(1),
            );
            let guard = c.links.form_guard(&offer_token);
            open.push_str(&format!(
                "<section id=\"offer-{id}\"><p>{what}</p><p>Answer by {} UTC.</p>\
                 <form method=\"post\" action=\"/o/{t}/accept\" style=\"display:inline\"><input type=\"hidden\" name=\"guard\" value=\"{g}\"><button class=\"accept\" type=\"submit\">Accept</button></form>\
                 <form method=\"post\" action=\"/o/{t}/decline\" style=\"display:inline\"><input type=\"hidden\" name=\"guard\" value=\"{g}\"><button type=\"submit\">Decline</button></form></section>",
                o.expires_at.format("%Y-%m-%d %H:%M"),
                id = o.offer_id,
                t = esc(&offer_token),
                g = esc(&guard)
            ));
        } else if o.status == OfferStatus::Accepted
            && ch.charter_date.naive() >= today
            && ch.status != CharterStatus::Cancelled
        {
            upcoming.push_str(&format!("<li>{what}</li>"));
        }
    }
    let dates: Vec<String> = member
        .available_dates
        .iter()
        .filter(|d| d.naive() >= today)
        .map(|d| d.to_string())
        .collect();
    let body = format!(
        "{note}<h2>Open offers</h2>{open}<h2>Your upcoming charters</h2>{upcoming}<h2>Dates you are available</h2><p>{dates}</p>\
         <p><small>This page is personal: please do not forward its link.</small></p>",
        note = note.map(|n| format!("<p class=\"note\" role=\"status\">{}</p>", esc(n))).unwrap_or_default(),
        open = if open.is_empty() { "<p>No open offers right now.</p>".to_string() } else { open },
        upcoming = if upcoming.is_empty() { "<p>None yet.</p>".to_string() } else { format!("<ul>{upcoming}</ul>") },
        dates = if dates.is_empty() { "none listed".to_string() } else { dates.join(", ") },
    );
    Ok(html_page(&format!("Hello, {}", member.name), &body).into_response())
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
    // `.instrument`, never `span.enter()` across an `.await`: an entered span stays current on
    // the thread while this task waits, and other requests' log lines would carry it.
    let answer = match action {
        Action::Accept => st.cascade.accept(&offer).instrument(span.clone()).await,
        Action::Decline => st.cascade.decline(&offer).instrument(span.clone()).await,
    };
    let note = match answer {
        Ok(Answer::Accepted { .. }) => "You are confirmed for this charter. Thank you!".to_string(),
        Ok(Answer::Declined) => "You declined this offer. We will ask someone else.".to_string(),
        Ok(Answer::SpotFilled) => "Sorry — this spot was just filled by someone else.".to_string(),
        Ok(Answer::AlreadyBooked) => {
            "You are already booked on that date, so this offer went to someone else.".to_string()
        }
        Ok(Answer::AlreadyAnswered(s)) => format!(
            "This offer was already {}.",
            match s {
                OfferStatus::Accepted => "accepted: you are confirmed",
                OfferStatus::Declined => "declined",
                OfferStatus::Lapsed => "past its deadline",
                OfferStatus::Revoked => "withdrawn",
                OfferStatus::Open => "answered",
            }
        ),
        Ok(Answer::CharterClosed) => "This charter was cancelled.".to_string(),
        Err(e) => {
            span.in_scope(|| tracing::error!(error = %e, "answer failed"));
            return unavailable();
        }
    };
    match render(&st, &offer.crew_id, &token, Some(&note)).await {
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
