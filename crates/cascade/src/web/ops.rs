//! The ops board over HTTP (see [`crate::board`] for who may act):
//!
//! - `GET /ops/{token}`: a sign-in link shows "Sign in as …" and changes nothing (mail
//!   scanners fetch links); an older read-only link (scope `ops`) shows the board read-only.
//! - `POST /ops/{token}`: spends the link, opens the session (cookie, see `session`) and goes
//!   to the board.
//! - `GET /ops`: the board for the signed-in person; `GET /ops/roster`: who is free and who
//!   is booked on each day. Both refresh themselves (a `Refresh` header) unless `?still=1`.
//!
//! Any bad link or missing session gets the crew page's plain 403.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dispatch_core::domain::{CharterDate, CharterStatus, CrewMember};
use dispatch_core::zone::format_date;

use super::session::{same_site, set_cookie, signed_in};
use crate::board::access::Signed;
use crate::board::pages::{Day, Named, RosterPage, SignInPage, REFRESH_SECONDS};
use crate::html::{path_token, WebError};
use crate::ops_board::{OpsBoard, View};
use crate::Cascade;

const PAGE: &str = "ops board";

/// Days the roster view shows, today included.
const ROSTER_DAYS: usize = 14;

/// `GET /ops/{token}`.
pub(super) async fn link(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let token = path_token(PAGE, token)?;
    let now = cascade.clock.now();
    if let Ok((address, _)) = cascade.links.verify_ops_sign_in(&token, now) {
        return Ok(SignInPage {
            title: "Ops board: sign in",
            address: address.to_string(),
            action: cascade.link_maker().local_path(&format!("/ops/{token}")),
            guard: cascade.links.form_guard(&token),
        }
        .into_response());
    }
    cascade
        .links
        .verify_ops(&token, now)
        .map_err(WebError::bad_link(PAGE))?;
    Ok(refreshing(
        REFRESH_SECONDS,
        board_page(&cascade, None, REFRESH_SECONDS).await?,
    ))
}

/// The sign-in form's one field.
#[derive(serde::Deserialize)]
pub(super) struct GuardForm {
    #[serde(default)]
    guard: String,
}

/// `POST /ops/{token}`: sign in.
pub(super) async fn sign_in(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<GuardForm>,
) -> Result<Response, WebError> {
    let token = path_token(PAGE, token)?;
    same_site(&cascade, &headers)?;
    let (address, link) = cascade
        .links
        .verify_ops_sign_in(&token, cascade.clock.now())
        .map_err(WebError::bad_link(PAGE))?;
    if !cascade.links.check_form_guard(&token, &form.guard) {
        return Err(WebError::Refused);
    }
    let signed = cascade
        .ops_sign_in(&address, &link)
        .await
        .map_err(WebError::failed(PAGE))?
        .ok_or(WebError::BadLink {
            page: PAGE,
            reason: None,
        })?;
    let mut res = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, cascade.link_maker().local_path("/ops"))],
    )
        .into_response();
    if let Some(cookie) = set_cookie(&cascade, &signed) {
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(res)
}

/// `?still=1`: the person turned the refresh off.
#[derive(serde::Deserialize)]
pub(super) struct Still {
    #[serde(default)]
    still: Option<String>,
}

impl Still {
    fn seconds(&self) -> u32 {
        if self.still.is_some() {
            0
        } else {
            REFRESH_SECONDS
        }
    }
}

/// A page with a `Refresh` header every `seconds` (none for 0).
fn refreshing(seconds: u32, page: impl IntoResponse) -> Response {
    let mut res = page.into_response();
    if seconds > 0 {
        if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
            res.headers_mut().insert("refresh", v);
        }
    }
    res
}

/// `GET /ops`.
pub(super) async fn board(
    State(cascade): State<Arc<Cascade>>,
    headers: HeaderMap,
    Query(still): Query<Still>,
) -> Result<Response, WebError> {
    let signed = signed_in(&cascade, &headers, PAGE).await?;
    let page = board_page(&cascade, Some(&signed), still.seconds()).await?;
    Ok(refreshing(still.seconds(), page))
}

fn phones(roster: &[CrewMember]) -> HashMap<dispatch_core::domain::CrewId, String> {
    roster
        .iter()
        .filter_map(|m| Some((m.crew_id.clone(), m.phone.clone()?)))
        .collect()
}

async fn board_page(
    cascade: &Cascade,
    signed: Option<&Signed>,
    refresh: u32,
) -> Result<OpsBoard, WebError> {
    let now = cascade.clock.now();
    let zone = &cascade.cfg.zone;
    let today = zone.today(now);
    let board = cascade.board(today).await.map_err(WebError::failed(PAGE))?;
    let roster = roster(cascade).await?;
    let view = View {
        signed_in: signed.map(|s| s.address.to_string()),
        base: cascade.link_maker().local_path("/ops"),
        phones: phones(&roster),
        refresh,
    };
    Ok(crate::ops_board::page(zone, today, now, &board, &view))
}

async fn roster(cascade: &Cascade) -> Result<Vec<CrewMember>, WebError> {
    Ok(cascade
        .backend
        .roster
        .list()
        .await
        .map_err(|e| WebError::failed(PAGE)(e.into()))?
        .items)
}

/// `GET /ops/roster`: the next [`ROSTER_DAYS`] days: who is free (active, available, not on a
/// charter that day) and who is booked (on which vessel).
pub(super) async fn roster_view(
    State(cascade): State<Arc<Cascade>>,
    headers: HeaderMap,
    Query(still): Query<Still>,
) -> Result<Response, WebError> {
    signed_in(&cascade, &headers, PAGE).await?;
    let today = cascade.cfg.zone.today(cascade.clock.now());
    let board = cascade.board(today).await.map_err(WebError::failed(PAGE))?;
    let roster = roster(&cascade).await?;
    let named = |m: &CrewMember| Named::new(&m.name, m.phone.as_deref());
    let days = (0..ROSTER_DAYS as u64)
        .filter_map(|n| today.naive().checked_add_days(chrono::Days::new(n)))
        .map(CharterDate::from_naive)
        .map(|d| {
            let mut booked = Vec::new();
            let mut ids = Vec::new();
            for o in board
                .iter()
                .filter(|o| o.charter_date == d && o.status != CharterStatus::Cancelled)
            {
                for p in o.captain.iter().chain(o.crew.iter()) {
                    let who = roster.iter().find(|m| m.crew_id == p.crew_id);
                    let n = who.map_or_else(|| Named::new(&p.name, None), named);
                    booked.push((n, o.vessel.clone()));
                    ids.push(&p.crew_id);
                }
            }
            let free = roster
                .iter()
                .filter(|m| m.active && m.is_available(d) && !ids.contains(&&m.crew_id))
                .map(named)
                .collect();
            Day {
                date: format_date(d),
                free,
                booked,
            }
        })
        .collect();
    let page = RosterPage {
        title: "Roster by day",
        refresh: still.seconds(),
        board: cascade.link_maker().local_path("/ops"),
        days,
    };
    Ok(refreshing(still.seconds(), page))
}
