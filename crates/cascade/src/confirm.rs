//! What a member gets after saying yes: a confirmation mail naming the charter, with an `.ics`
//! calendar entry and a lasting link to their page (and its calendar feed); and a reminder the
//! day before. Both go out once per member and charter (their mail keys), whoever asks.
//!
//! The confirmation is planned like every other effect (an accepted offer whose thread has no
//! `confirmed-<offer>` entry), so a mail outage only delays it to the next reconcile or sweep.
//! Reminders are a scheduled job (`reminders`): the sweep in `dispatch run`, an EventBridge
//! schedule on AWS. The mails themselves are [`crate::mails`]'s.

use chrono::{DateTime, Timelike, Utc};
use dispatch_core::domain::{CharterDate, CharterStatus, CrewId, Offer, Role, ThreadKind};

use crate::deliver::{note, send_once, Applied};
use crate::facts::facts;
use crate::keys::EntryId;
use crate::mails::{self, Letterhead, PageLinks};
use crate::notes::{self, entry};
use crate::service::{Cascade, CascadeError};
use crate::snapshot::Snapshot;

/// How long the lasting link to a member's page (and calendar feed) works (old path).
pub use crate::links::PAGE_LINK_DAYS;

/// Reminders for tomorrow's charters go out from this local hour on.
pub const REMINDER_HOUR: u32 = 9;

/// Thread entry id of a sent confirmation (old path of [`EntryId::confirmed`]).
pub fn confirmed_id(o: &dispatch_core::domain::OfferId) -> String {
    EntryId::confirmed(o).into()
}

/// The member's page and calendar feed links, as mailed now.
fn page_links(cx: &Cascade, crew: &CrewId) -> PageLinks {
    let links = cx.link_maker();
    PageLinks {
        page: links.page(crew, cx.now()),
        feed: links.feed(crew, cx.now()),
    }
}

/// The confirmation of an accepted offer: mail with the calendar entry, then the note.
pub async fn confirm(
    cx: &Cascade,
    snap: &Snapshot,
    offer: &Offer,
) -> Result<Applied, CascadeError> {
    let Some(c) = &snap.charter else {
        return Ok(Applied::Conflict);
    };
    let member = match snap.member(&offer.crew_id) {
        Some(m) => Some(m.clone()),
        None => cx.backend.roster.get(&offer.crew_id).await?,
    };
    if let Some(m) = member {
        let facts = facts(cx, c, &m.crew_id).await?;
        let links = page_links(cx, &m.crew_id);
        let mail = mails::confirmation(
            &Letterhead::of(&cx.cfg),
            c,
            offer,
            &m,
            &facts,
            &links,
            cx.now(),
        );
        send_once(cx, mail).await?;
    }
    let text = notes::confirmed(&snap.name(&offer.crew_id));
    let e = entry(
        &snap.charter_id,
        EntryId::confirmed(&offer.offer_id),
        offer.updated_at,
        ThreadKind::Note,
        Some(&offer.crew_id),
        text,
    );
    note(cx, e).await?;
    Ok(Applied::Done)
}

/// Reminds everyone aboard tomorrow's charters, from [`REMINDER_HOUR`] local time the day
/// before; each member once per charter. Returns the reminders sent or found sent.
pub async fn send_reminders(cx: &Cascade, now: DateTime<Utc>) -> Result<usize, CascadeError> {
    let zone = &cx.cfg.zone;
    let local_hour = zone
        .format_clock(now)
        .split(':')
        .next()
        .and_then(|h| h.parse::<u32>().ok())
        .unwrap_or_else(|| now.hour());
    if local_hour < REMINDER_HOUR {
        return Ok(0);
    }
    let Some(tomorrow) = zone.today(now).naive().succ_opt() else {
        return Ok(0);
    };
    let charters = cx
        .backend
        .charters
        .on_date(CharterDate::from_naive(tomorrow))
        .await?
        .items;
    let mut sent = 0;
    for c in charters
        .iter()
        .filter(|c| matches!(c.status, CharterStatus::Booked | CharterStatus::Staffed))
    {
        let aboard: Vec<(CrewId, Role)> = c
            .captain_assigned
            .iter()
            .map(|m| (m.clone(), Role::Captain))
            .chain(
                c.crew_assigned
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m.clone(), Role::Crew { slot: i as u32 })),
            )
            .collect();
        for (crew, role) in aboard {
            let Some(m) = cx.backend.roster.get(&crew).await? else {
                continue;
            };
            let facts = facts(cx, c, &crew).await?;
            let page = cx.link_maker().page(&crew, cx.now());
            send_once(
                cx,
                mails::reminder(
                    &Letterhead::of(&cx.cfg),
                    &c.charter_id,
                    role,
                    &m,
                    &facts,
                    &page,
                ),
            )
            .await?;
            sent += 1;
        }
    }
    Ok(sent)
}
