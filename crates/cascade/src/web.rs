//! The web layer's router (axum): the crew page, the calendar feed and the ops board, with the
//! security headers every answer carries. The same router runs behind a Lambda function URL.
//! No JavaScript; readable on a phone.
//!
//! - `GET /o/{token}` and `GET /p/{token}`: the member's page ([`crate::page`]); `POST
//!   /o/{token}/accept` and `/decline` answer an offer ([`crew`]).
//! - `POST /p/{token}/cant-make-it` and `/availability`, and the bad-link page's `POST
//!   /new-link`: what crew do themselves ([`crew_actions`]).
//! - `GET /c/{token}.ics`: the member's calendar feed ([`feed`]).
//! - `GET /ops/{token}` (sign in, or an older read-only board), `POST /ops/{token}` (spend the
//!   link, open a session), `GET /ops` (the board), `GET /ops/roster` ([`ops`]); a charter's
//!   actions under `/ops/charters/{id}` ([`ops_actions`], session and CSRF in [`session`]).
//! - Any bad link gets the same plain 403 page and anything else the plain 404
//!   ([`crate::html`]).
//!
//! The router imports the handlers; the handlers import only [`crate::html`] and the pages, never
//! this module.

mod crew;
mod crew_actions;
mod feed;
mod ops;
mod ops_actions;
mod session;

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::html::WebError;
use crate::Cascade;

/// The crew page's router (the same one runs behind a Lambda function URL).
pub fn router(cascade: Arc<Cascade>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/o/{token}", get(crew::page))
        .route("/p/{token}", get(crew::page))
        .route("/o/{token}/accept", post(crew::accept))
        .route("/o/{token}/decline", post(crew::decline))
        .route(
            "/p/{token}/cant-make-it",
            post(crew_actions::cant_make_it_post),
        )
        .route(
            "/p/{token}/availability",
            post(crew_actions::availability_post),
        )
        .route("/new-link", post(crew_actions::new_link_post))
        .route("/c/{file}", get(feed::calendar_feed))
        .route("/ops", get(ops::board))
        .route("/ops/roster", get(ops::roster_view))
        .route("/ops/{token}", get(ops::link).post(ops::sign_in))
        .route("/ops/charters/{id}", get(ops_actions::charter))
        .route(
            "/ops/charters/{id}/cancel",
            get(ops_actions::confirm_cancel).post(ops_actions::cancel),
        )
        .route("/ops/charters/{id}/{action}", post(ops_actions::act))
        .fallback(|| async { WebError::NotFound })
        .layer(axum::middleware::map_response_with_state(
            cascade.clone(),
            crew_actions::bad_link_form,
        ))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(cascade)
}

/// Magic links must not leak through `Referer`, pages must not be cached, framed, sniffed or
/// indexed.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Crew pages, feeds and the board hold names and magic links: never in a search index.
    h.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    res
}
