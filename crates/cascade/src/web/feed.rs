//! `GET /c/{token}.ics`: the member's calendar feed, every upcoming charter they are confirmed
//! on, as one calendar ([`crate::mails::calendar_of`], like a confirmation's attachment). A bad link is the crew page's plain 403.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterStatus, CrewId, OfferStatus};

use tracing::Instrument;

use crate::crew::access::{member_of_token, Place};
use crate::html::{path_token, WebError};
use crate::mails::{calendar_of, Letterhead};
use crate::{Cascade, CascadeError};

const PAGE: &str = "calendar feed";

impl Cascade {
    /// The member's calendar feed: every upcoming charter they are confirmed on.
    pub(crate) async fn feed(
        &self,
        crew: &CrewId,
        now: DateTime<Utc>,
    ) -> Result<String, CascadeError> {
        let today = self.cfg.zone.today(now);
        let mut rows = Vec::new();
        for o in self.backend.offers.for_crew(crew).await? {
            if o.status != OfferStatus::Accepted || o.charter_date < today {
                continue;
            }
            let Some(c) = self.backend.charters.get(&o.charter_id).await? else {
                continue;
            };
            let aboard =
                c.captain_assigned.as_ref() == Some(crew) || c.crew_assigned.contains(crew);
            if c.status == CharterStatus::Cancelled || !aboard {
                continue;
            }
            let facts = self.facts(&c, crew).await?;
            rows.push((o, c, facts));
        }
        rows.sort_by_key(|(_, c, _)| c.charter_date);
        let lh = Letterhead::of(&self.cfg);
        let note = lh.calendar_note();
        let entries: Vec<crate::ics::Entry<'_>> = rows
            .iter()
            .map(|(o, c, f)| crate::ics::Entry {
                charter: &c.charter_id,
                crew,
                role: o.role,
                date: c.charter_date,
                facts: f,
                note: note.clone(),
            })
            .collect();
        Ok(calendar_of(&lh, &entries, now))
    }
}

/// `GET /c/{token}.ics`.
pub(super) async fn calendar_feed(
    State(cascade): State<Arc<Cascade>>,
    file: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, WebError> {
    let file = path_token(PAGE, file)?;
    let token = file.strip_suffix(".ics").ok_or(WebError::BadLink {
        page: PAGE,
        reason: None,
    })?;
    let now = cascade.clock.now();
    let (claims, _) = member_of_token(&cascade, token, Place::Calendar)
        .await
        .map_err(WebError::failed(PAGE))?
        .map_err(WebError::bad_link(PAGE))?;
    let span = tracing::info_span!("calendar_feed", crew_id = %claims.crew);
    let ics = async {
        cascade
            .feed(&claims.crew, now)
            .await
            .map_err(WebError::failed(PAGE))
    }
    .instrument(span)
    .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/calendar; charset=utf-8"),
        )],
        ics,
    ))
}
