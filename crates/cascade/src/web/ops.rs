//! `GET /ops/{token}`: the ops board ([`crate::ops_board`]) for a link of scope `ops`. Any bad
//! link gets the crew page's plain 403.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};

use crate::html::{path_token, WebError};
use crate::ops_board::OpsBoard;
use crate::Cascade;

const PAGE: &str = "ops board";

/// `GET /ops/{token}`.
pub(super) async fn board(
    State(cascade): State<Arc<Cascade>>,
    token: Result<Path<String>, PathRejection>,
) -> Result<OpsBoard, WebError> {
    let token = path_token(PAGE, token)?;
    let now = cascade.clock.now();
    cascade
        .links
        .verify_ops(&token, now)
        .map_err(WebError::bad_link(PAGE))?;
    let zone = &cascade.cfg.zone;
    let today = zone.today(now);
    let board = cascade.board(today).await.map_err(WebError::failed(PAGE))?;
    Ok(crate::ops_board::page(zone, today, now, &board))
}
