//! What a member gets after saying yes: a confirmation mail naming the charter, with an `.ics`
//! calendar entry and a lasting link to their page (and its calendar feed); and a reminder the
//! day before. Both go out once per member and charter (their mail keys), whoever asks.
//!
//! The confirmation is planned like every other effect (an accepted offer whose thread has no
//! `confirmed-<offer>` entry), so a mail outage only delays it to the next reconcile or sweep.
//! Reminders are a scheduled job (`reminders`): the sweep in `dispatch run`, an EventBridge
//! schedule on AWS.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use dispatch_core::domain::{Charter, CharterStatus, CrewId, CrewMember, Offer, Role, ThreadKind};
use dispatch_mailer::{Attachment, Mail};

use crate::effects::entry;
use crate::ics;
use crate::reconcile::{Applied, Cascade, CascadeError, Snapshot};
use crate::tokens::Scope;
use crate::words::{role_word, CharterFacts};

/// How long the lasting link to a member's page (and calendar feed) works.
pub const PAGE_LINK_DAYS: i64 = 365;

/// Reminders for tomorrow's charters go out from this local hour on.
pub const REMINDER_HOUR: u32 = 9;

/// Thread entry id of a sent confirmation.
pub fn confirmed_id(o: &dispatch_core::domain::OfferId) -> String {
    format!("confirmed-{o}")
}

impl Cascade {
    /// Full names of these members, from the roster (members who left are missing).
    pub async fn names_of(&self, ids: &[CrewId]) -> Result<HashMap<CrewId, String>, CascadeError> {
        let mut out = HashMap::new();
        for id in ids {
            if out.contains_key(id) {
                continue;
            }
            if let Some(m) = self.backend.roster.get(id).await? {
                out.insert(id.clone(), m.name);
            }
        }
        Ok(out)
    }

    /// What `reader` needs to know about a charter (reads the names of the others aboard).
    pub async fn facts(&self, c: &Charter, reader: &CrewId) -> Result<CharterFacts, CascadeError> {
        let aboard: Vec<CrewId> = c
            .captain_assigned
            .iter()
            .chain(c.crew_assigned.iter())
            .cloned()
            .collect();
        let names = self.names_of(&aboard).await?;
        Ok(CharterFacts::of(
            c,
            self.vessel(c),
            &self.cfg.zone,
            reader,
            |m| names.get(m).cloned(),
        ))
    }

    fn page_token(&self, crew: &CrewId) -> String {
        self.links.issue(
            crew,
            &Scope::Page,
            self.now(),
            Duration::days(PAGE_LINK_DAYS),
        )
    }

    /// A lasting link to the member's page.
    pub fn page_link(&self, crew: &CrewId) -> String {
        format!(
            "{}/p/{}",
            self.cfg.public_url.trim_end_matches('/'),
            self.page_token(crew)
        )
    }

    /// The member's calendar feed (subscribe once; it follows every assignment).
    pub fn feed_link(&self, crew: &CrewId) -> String {
        format!(
            "{}/c/{}.ics",
            self.cfg.public_url.trim_end_matches('/'),
            self.page_token(crew)
        )
    }

    fn office_line(&self) -> String {
        self.cfg
            .office_phone
            .as_ref()
            .map(|p| format!("Questions? Call the office: {p}\n"))
            .unwrap_or_default()
    }

    /// One calendar with one entry.
    pub(crate) fn ics_for(
        &self,
        c: &Charter,
        role: Role,
        crew: &CrewId,
        facts: &CharterFacts,
    ) -> String {
        let note = self
            .cfg
            .office_phone
            .as_ref()
            .map(|p| format!("Office: {p}"))
            .unwrap_or_default();
        ics::calendar(
            &format!("{} charters", self.cfg.from_name),
            self.cfg.zone.name(),
            &[ics::Entry {
                charter: &c.charter_id,
                crew,
                role,
                date: c.charter_date,
                facts,
                note,
            }],
            self.now(),
        )
    }

    /// The confirmation of an accepted offer: mail with the calendar entry, then the note.
    pub(crate) async fn confirm(
        &self,
        snap: &Snapshot,
        offer: &Offer,
    ) -> Result<Applied, CascadeError> {
        let Some(c) = &snap.charter else {
            return Ok(Applied::Conflict);
        };
        let member = match snap.member(&offer.crew_id) {
            Some(m) => Some(m.clone()),
            None => self.backend.roster.get(&offer.crew_id).await?,
        };
        if let Some(m) = member {
            let facts = self.facts(c, &m.crew_id).await?;
            self.send_once(self.confirmation_mail(c, offer, &m, &facts))
                .await?;
        }
        self.note(entry(
            &snap.charter_id,
            confirmed_id(&offer.offer_id),
            offer.updated_at,
            ThreadKind::Note,
            Some(&offer.crew_id),
            format!(
                "confirmation with calendar entry sent to {}",
                snap.name(&offer.crew_id)
            ),
        ))
        .await?;
        Ok(Applied::Done)
    }

    fn confirmation_mail(
        &self,
        c: &Charter,
        offer: &Offer,
        m: &CrewMember,
        facts: &CharterFacts,
    ) -> Mail {
        let text = format!(
            "Hi {},\n\nYou are confirmed as {} for {}.\n\n{}\nYour page (upcoming charters, offers):\n{}\n\nAdd all your charters to your calendar (subscribe once):\n{}\n\n{}The calendar entry for this charter is attached.\n",
            crate::words::first_name(&m.name),
            role_word(offer.role).to_lowercase(),
            facts.title(),
            facts.mail_lines(offer.role),
            self.page_link(&m.crew_id),
            self.feed_link(&m.crew_id),
            self.office_line(),
        );
        Mail {
            key: format!("mail#confirm#{}", offer.offer_id),
            from_name: self.cfg.from_name.clone(),
            from: self.cfg.from.clone(),
            to: vec![m.email.clone()],
            cc: vec![],
            subject: format!("Confirmed: {}", facts.title()),
            text,
            attachments: vec![Attachment {
                filename: "charter.ics".into(),
                content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
                bytes: self.ics_for(c, offer.role, &m.crew_id, facts).into_bytes(),
            }],
        }
    }

    /// Reminds everyone aboard tomorrow's charters, from [`REMINDER_HOUR`] local time the day
    /// before; each member once per charter. Returns the reminders sent or found sent.
    pub async fn send_reminders(&self, now: DateTime<Utc>) -> Result<usize, CascadeError> {
        let zone = &self.cfg.zone;
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
        let charters = self
            .backend
            .charters
            .on_date(dispatch_core::domain::CharterDate::from_naive(tomorrow))
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
                let Some(m) = self.backend.roster.get(&crew).await? else {
                    continue;
                };
                let facts = self.facts(c, &crew).await?;
                let text = format!(
                    "Hi {},\n\nA reminder: tomorrow you are {} for {}.\n\n{}\nYour page:\n{}\n\n{}",
                    crate::words::first_name(&m.name),
                    role_word(role).to_lowercase(),
                    facts.title(),
                    facts.mail_lines(role),
                    self.page_link(&crew),
                    self.office_line(),
                );
                self.send_once(Mail {
                    key: format!("mail#reminder#{}#{crew}", c.charter_id),
                    from_name: self.cfg.from_name.clone(),
                    from: self.cfg.from.clone(),
                    to: vec![m.email.clone()],
                    cc: vec![],
                    subject: format!("Tomorrow: {}", facts.title()),
                    text,
                    attachments: vec![],
                })
                .await?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}
