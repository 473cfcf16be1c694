//! A charter's actions on the ops board: `GET /ops/charters/{id}` (who is on it, the Assign
//! lists, Unassign, Re-offer, a link to Cancel), `GET /ops/charters/{id}/cancel` (the
//! confirmation step) and the POSTs `assign`, `unassign`, `reoffer`, `cancel`. Every POST
//! passes `session::acting` (same site, a live session, its CSRF field) before anything
//! changes, then calls the same `crate::ops` function as the CLI, with the person's address
//! as [`By::Board`]; the answer says what changed, or why it was refused (409, nothing changed).

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dispatch_core::domain::{CharterId, CharterStatus, CrewId, OfferStatus};

use tracing::Instrument;

use super::session::{acting, signed_in};
use crate::board::access::Signed;
use crate::board::choices::choices;
use crate::board::pages::{AssignForm, CharterPage, ConfirmPage, DonePage, Named, OnBoard, Pick};
use crate::hand::SlotKind;
use crate::html::WebError;
use crate::ops::{self, By, Done, OpsError};
use crate::{snapshot, Cascade};

const PAGE: &str = "ops action";

fn charter_id(p: Result<Path<String>, PathRejection>) -> Result<CharterId, WebError> {
    p.ok()
        .and_then(|Path(s)| CharterId::parse(&s).ok())
        .ok_or(WebError::NotFound)
}

fn base(cascade: &Cascade, id: &CharterId) -> String {
    cascade
        .link_maker()
        .local_path(&format!("/ops/charters/{id}"))
}

/// `GET /ops/charters/{id}`.
pub(super) async fn charter(
    State(cascade): State<Arc<Cascade>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<CharterPage, WebError> {
    let signed = signed_in(&cascade, &headers, PAGE).await?;
    let id = charter_id(id)?;
    let failed = WebError::failed(PAGE);
    let snap = snapshot::read(&cascade, &id, None, None)
        .await
        .map_err(WebError::failed(PAGE))?;
    let (Some(c), Some(o)) = (
        snap.charter.clone(),
        cascade.overview(&id).await.map_err(failed)?,
    ) else {
        return Err(WebError::NotFound);
    };
    let zone = &cascade.cfg.zone;
    let named = |m: &CrewId| {
        let p = snap.member(m);
        Named::new(&snap.name(m), p.and_then(|p| p.phone.as_deref()))
    };
    let mut on_board: Vec<OnBoard> = Vec::new();
    for (m, role) in c
        .captain_assigned
        .iter()
        .map(|m| (m, "Captain".to_string()))
        .chain(c.crew_assigned.iter().map(|m| (m, "Crew".to_string())))
    {
        on_board.push(OnBoard {
            crew_id: m.to_string(),
            role,
            who: named(m),
        });
    }
    let held = |m: &CrewId| snap.holds.get(m).map(|h| h.charter_id.clone());
    let mut assign = Vec::new();
    let open_slots = [
        (
            c.captain_assigned.is_none(),
            SlotKind::Captain,
            "captain",
            "Assign a captain",
        ),
        (
            (c.crew_assigned.len() as u32) < o.crew_needed,
            SlotKind::Crew,
            "crew",
            "Assign crew",
        ),
    ];
    for (open, kind, role, label) in open_slots {
        if !open {
            continue;
        }
        let options = choices(&c, &snap.roster, cascade.vessel(&c), kind, held)
            .into_iter()
            .map(|ch| Pick {
                crew_id: ch.crew_id.to_string(),
                who: Named::new(&ch.name, ch.phone.as_deref()),
                why_not: ch.why_not,
                overridable: ch.overridable,
            })
            .collect();
        assign.push(AssignForm {
            role,
            label: label.to_string(),
            options,
        });
    }
    let mut reoffer: Vec<(String, String)> = snap
        .offers
        .iter()
        .filter(|x| matches!(x.status, OfferStatus::Declined | OfferStatus::Lapsed))
        .map(|x| (x.crew_id.to_string(), snap.name(&x.crew_id)))
        .collect();
    reoffer.sort();
    reoffer.dedup();
    Ok(CharterPage {
        title: format!("{} · {}", o.vessel, zone_date(o.charter_date)),
        signed_in: signed.address.to_string(),
        board: cascade.link_maker().local_path("/ops"),
        summary: format!(
            "{} guests · crew {} of {} needed",
            o.guest_count,
            o.crew.len(),
            o.crew_needed
        ),
        status: o.status.as_str().to_string(),
        why: o.attention.clone(),
        on_board,
        waiting: o
            .waiting
            .iter()
            .map(|w| {
                (
                    named(&w.who.crew_id),
                    w.role.clone(),
                    zone.format_time(w.until),
                )
            })
            .collect(),
        assign,
        reoffer,
        open: !matches!(
            c.status,
            CharterStatus::Cancelled | CharterStatus::Completed
        ),
        base: base(&cascade, &id),
        csrf: cascade.ops_csrf(&signed),
    })
}

fn zone_date(d: dispatch_core::domain::CharterDate) -> String {
    dispatch_core::zone::format_date(d)
}

/// The fields of an action's form.
#[derive(serde::Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    anyway: String,
    #[serde(default)]
    confirm: String,
}

/// What an action came to, as a page.
fn answer(
    cascade: &Cascade,
    id: &CharterId,
    done: Result<Done, OpsError>,
) -> Result<Response, WebError> {
    let back = base(cascade, id);
    let board = cascade.link_maker().local_path("/ops");
    match done {
        Ok(d) => {
            let mut lines = vec![d.summary];
            lines.extend(d.changes);
            Ok(DonePage {
                title: "Done",
                lines,
                refused: false,
                back,
                board,
            }
            .into_response())
        }
        Err(OpsError::Cascade(e)) => Err(WebError::failed(PAGE)(e)),
        Err(e) => Ok((
            StatusCode::CONFLICT,
            DonePage {
                title: "Not done",
                lines: vec![e.to_string()],
                refused: true,
                back,
                board,
            },
        )
            .into_response()),
    }
}

fn member(form: &ActionForm) -> Option<CrewId> {
    CrewId::parse(&form.member).ok()
}

/// `POST /ops/charters/{id}/{action}` for `assign`, `unassign` and `reoffer`.
pub(super) async fn act(
    State(cascade): State<Arc<Cascade>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    let signed = acting(&cascade, &headers, &form.csrf, PAGE).await?;
    let (id, action) = path
        .ok()
        .and_then(|Path((id, a))| Some((CharterId::parse(&id).ok()?, a)))
        .ok_or(WebError::NotFound)?;
    let span = tracing::info_span!("ops_action", charter_id = %id, action = %action);
    run(&cascade, &id, &action, &signed, &form)
        .instrument(span)
        .await
}

/// `POST /ops/charters/{id}/cancel` (after the confirmation step).
pub(super) async fn cancel(
    State(cascade): State<Arc<Cascade>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    let signed = acting(&cascade, &headers, &form.csrf, PAGE).await?;
    let id = charter_id(id)?;
    let span = tracing::info_span!("ops_action", charter_id = %id, action = "cancel");
    run(&cascade, &id, "cancel", &signed, &form)
        .instrument(span)
        .await
}

/// Carries out `action` for `signed` through the same functions as the CLI.
async fn run(
    cx: &Cascade,
    id: &CharterId,
    action: &str,
    signed: &Signed,
    form: &ActionForm,
) -> Result<Response, WebError> {
    let by = By::Board(signed.address.clone());
    let pick = || member(form).ok_or_else(|| OpsError::Refused("choose a member first".into()));
    let done = match action {
        "assign" => {
            let kind = if form.role == "captain" {
                SlotKind::Captain
            } else {
                SlotKind::Crew
            };
            match pick() {
                Ok(m) => ops::assign(cx, id, &m, kind, Some(form.anyway.as_str()), &by).await,
                Err(e) => Err(e),
            }
        }
        "unassign" => match pick() {
            Ok(m) => ops::unassign(cx, id, &m, &by).await,
            Err(e) => Err(e),
        },
        "reoffer" => {
            let include: Vec<CrewId> = member(form).into_iter().collect();
            ops::reoffer(cx, id, &include, &by).await
        }
        "cancel" if form.confirm == "yes" => ops::cancel(cx, id, &by).await,
        "cancel" => Err(OpsError::Refused("confirm the cancellation first".into())),
        _ => return Err(WebError::NotFound),
    };
    answer(cx, id, done)
}

/// `GET /ops/charters/{id}/cancel`: the confirmation step (changes nothing).
pub(super) async fn confirm_cancel(
    State(cascade): State<Arc<Cascade>>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<ConfirmPage, WebError> {
    let signed = signed_in(&cascade, &headers, PAGE).await?;
    let id = charter_id(id)?;
    let c = cascade
        .backend
        .charters
        .get(&id)
        .await
        .map_err(|e| WebError::failed(PAGE)(e.into()))?
        .ok_or(WebError::NotFound)?;
    Ok(ConfirmPage {
        title: "Cancel this charter?",
        summary: format!("{} on {}", c.vessel_name, zone_date(c.charter_date)),
        action: format!("{}/cancel", base(&cascade, &id)),
        back: base(&cascade, &id),
        csrf: cascade.ops_csrf(&signed),
    })
}
