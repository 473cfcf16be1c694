//! Every mail the cascade sends, each a pure function of data: an offer, a confirmation (with its
//! calendar entry), the reminder the day before, "the charter is cancelled", "you are off the
//! charter" (both with a `METHOD:CANCEL` calendar entry), and the two mails to ops (nobody left to ask; a member booked twice). The
//! mails of what crew do on their own page are in `crew::mails`. Links, names
//! and the charter's facts come in; nothing is read or sent here. Phrases the mails share (the
//! office line, the ops board line) are written once, below.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    Charter, CharterDate, CharterId, CrewId, CrewMember, EmailAddress, Offer, Role,
};
use dispatch_core::zone::{format_date, format_date_long, BusinessZone};
use dispatch_mailer::{Attachment, Mail};

use crate::action::RevokeWhy;
use crate::ics;
use crate::keys::MailKey;
use crate::service::CascadeSettings;
use crate::words::{first_name, moved_reason, role_word, unfit_reason, CharterFacts};

/// Who the mails come from and what they all may say: the sender, ops' addresses, the office's
/// phone and the business's zone.
#[derive(Debug, Clone, Copy)]
pub struct Letterhead<'a> {
    pub from_name: &'a str,
    pub from: &'a EmailAddress,
    pub ops: &'a [EmailAddress],
    pub office_phone: Option<&'a str>,
    pub zone: &'a BusinessZone,
}

impl<'a> Letterhead<'a> {
    /// The letterhead of the cascade's settings.
    pub fn of(cfg: &'a CascadeSettings) -> Self {
        Self {
            from_name: &cfg.from_name,
            from: &cfg.from,
            ops: &cfg.ops,
            office_phone: cfg.office_phone.as_deref(),
            zone: &cfg.zone,
        }
    }

    /// `Questions? Call the office: …` and a newline, or nothing without a number.
    pub fn office_line(&self) -> String {
        self.office_phone
            .map(|p| format!("Questions? Call the office: {p}\n"))
            .unwrap_or_default()
    }

    /// The line a calendar entry's description ends with: `Office: …`, or nothing without a
    /// number.
    pub fn calendar_note(&self) -> String {
        self.office_phone
            .map(|p| format!("Office: {p}"))
            .unwrap_or_default()
    }

    pub(crate) fn mail(
        &self,
        key: MailKey,
        to: Vec<EmailAddress>,
        subject: String,
        text: String,
    ) -> Mail {
        Mail {
            key: key.into(),
            from_name: header_value(self.from_name),
            from: self.from.clone(),
            to,
            cc: vec![],
            subject: header_value(&subject),
            text,
            attachments: vec![],
        }
    }

    /// A mail to every ops address at once (the crew page's notices to ops).
    pub(crate) fn for_ops(&self, key: MailKey, subject: String, text: String) -> Mail {
        self.mail(key, self.ops.to_vec(), subject, text)
    }

    /// A mail to one ops address (`to`), its key naming the address.
    fn for_one_ops(&self, key: MailKey, to: &EmailAddress, subject: String, text: String) -> Mail {
        self.mail(key.to_ops(to), vec![to.clone()], subject, text)
    }
}

/// A value for a header line (subject, display name): every control character (a TAB or line
/// break in a vessel name the booking system wrote) becomes a space, so a mail of the cascade
/// can always be built; the mailer still refuses one that reaches it raw.
pub fn header_value(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The last line of every mail to ops: the person's own sign-in link.
/// `<vessel> on <date>`.
fn on(c: &Charter) -> String {
    format!("{} on {}", c.vessel_name, c.charter_date)
}

fn board_line(ops_link: &str) -> String {
    format!("Ops board (the next 30 days): {ops_link}\n")
}

/// An offer: what, when, and the link that answers it.
pub fn offer(
    lh: &Letterhead<'_>,
    c: &Charter,
    offer: &Offer,
    m: &CrewMember,
    facts: &CharterFacts,
    link: &str,
) -> Mail {
    let text = format!(
        "Hi {},\n\nYou are offered the {} place for {}.\n\n{}\nAccept or decline here (the offer lapses {}):\n{link}\n\n{}This link is personal: please do not forward it.\n",
        first_name(&m.name),
        role_word(offer.role).to_lowercase(),
        facts.title(),
        facts.mail_lines(offer.role),
        lh.zone.format_time(offer.expires_at),
        lh.office_line(),
    );
    lh.mail(
        MailKey::offer(&offer.offer_id),
        vec![m.email.clone()],
        format!("Charter offer: {} on {}", c.vessel_name, facts.date),
        text,
    )
}

/// Links a confirmation carries: the member's page and their calendar feed.
#[derive(Debug, Clone)]
pub struct PageLinks {
    pub page: String,
    pub feed: String,
}

/// The confirmation of an accepted offer, with the charter's calendar entry attached.
pub fn confirmation(
    lh: &Letterhead<'_>,
    c: &Charter,
    offer: &Offer,
    m: &CrewMember,
    facts: &CharterFacts,
    links: &PageLinks,
    now: DateTime<Utc>,
) -> Mail {
    let text = format!(
        "Hi {},\n\nYou are confirmed as {} for {}.\n\n{}\nYour page (upcoming charters, offers):\n{}\n\nAdd all your charters to your calendar (subscribe once):\n{}\n\n{}The calendar entry for this charter is attached.\n",
        first_name(&m.name),
        role_word(offer.role).to_lowercase(),
        facts.title(),
        facts.mail_lines(offer.role),
        links.page,
        links.feed,
        lh.office_line(),
    );
    let mut mail = lh.mail(
        MailKey::confirm(&offer.offer_id),
        vec![m.email.clone()],
        format!("Confirmed: {}", facts.title()),
        text,
    );
    mail.attachments.push(Attachment {
        filename: "charter.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
        bytes: calendar(lh, c, offer.role, &m.crew_id, facts, now).into_bytes(),
    });
    mail
}

/// One calendar with one entry: `crew`'s place on the charter.
pub fn calendar(
    lh: &Letterhead<'_>,
    c: &Charter,
    role: Role,
    crew: &CrewId,
    facts: &CharterFacts,
    now: DateTime<Utc>,
) -> String {
    let entry = ics::Entry {
        charter: &c.charter_id,
        crew,
        role,
        date: c.charter_date,
        facts,
        note: lh.calendar_note(),
    };
    calendar_of(lh, &[entry], now)
}

/// A calendar of `entries` under the business's name and zone: the confirmation's attachment
/// and the member's feed (`GET /c/{token}.ics`) are both made here.
pub fn calendar_of(lh: &Letterhead<'_>, entries: &[ics::Entry<'_>], now: DateTime<Utc>) -> String {
    ics::calendar(
        &format!("{} charters", lh.from_name),
        lh.zone.name(),
        entries,
        now,
    )
}

/// The reminder the day before.
pub fn reminder(
    lh: &Letterhead<'_>,
    charter: &CharterId,
    role: Role,
    m: &CrewMember,
    facts: &CharterFacts,
    page_link: &str,
) -> Mail {
    let text = format!(
        "Hi {},\n\nA reminder: tomorrow you are {} for {}.\n\n{}\nYour page:\n{page_link}\n\n{}",
        first_name(&m.name),
        role_word(role).to_lowercase(),
        facts.title(),
        facts.mail_lines(role),
        lh.office_line(),
    );
    lh.mail(
        MailKey::reminder(charter, &m.crew_id),
        vec![m.email.clone()],
        format!("Tomorrow: {}", facts.title()),
        text,
    )
}

/// The charter a member was confirmed for is cancelled (`vessel`: `None` once it was removed).
pub fn released(
    lh: &Letterhead<'_>,
    charter: &CharterId,
    m: &CrewMember,
    date: CharterDate,
    vessel: Option<&str>,
) -> Mail {
    let aboard = vessel.map(|v| format!(" aboard {v}")).unwrap_or_default();
    let mut mail = lh.mail(
        MailKey::release(charter, &m.crew_id),
        vec![m.email.clone()],
        format!("Charter cancelled: {}{aboard}", format_date(date)),
        format!(
            "Hi {},\n\nThe charter on {}{aboard} you were confirmed for is cancelled. You are free that day.\n",
            m.name,
            format_date_long(date)
        ),
    );
    // Stamped with the charter's day, not the clock: the same mail on every retry.
    let stamp = date.naive().and_time(chrono::NaiveTime::MIN).and_utc();
    mail.attachments.push(ics::cancellation_attachment(
        &format!("{} charters", lh.from_name),
        charter,
        &m.crew_id,
        date,
        vessel.unwrap_or("the charter"),
        stamp,
    ));
    mail
}

/// An open offer is no longer available: the member no longer fits the slot, or the charter
/// moved from the date it was made for (`why`). Says which, in the words of their page.
pub fn withdrawn(
    lh: &Letterhead<'_>,
    c: &Charter,
    offer: &Offer,
    m: &CrewMember,
    why: &RevokeWhy,
) -> Mail {
    let (reason, after) = match why {
        RevokeWhy::DateMoved { offered, now } => (
            moved_reason(*offered, *now),
            "If you are free on the new date you may get a new offer.\n".to_string(),
        ),
        RevokeWhy::Unfit(u) => (
            unfit_reason(u),
            "If that is a mistake, please call the office.\n".to_string(),
        ),
        RevokeWhy::ByHand { .. } => (
            "The office has filled this place by hand".to_string(),
            String::new(),
        ),
        other => (other.text(), String::new()),
    };
    lh.mail(
        MailKey::withdrawn(&offer.offer_id),
        vec![m.email.clone()],
        format!(
            "Offer withdrawn: {} on {}",
            c.vessel_name,
            format_date(offer.charter_date)
        ),
        format!(
            "Hi {},\n\n{reason}, so the {} offer for {} aboard {} is no longer available: there is nothing to answer.\n\n{after}{}",
            first_name(&m.name),
            role_word(offer.role).to_lowercase(),
            format_date_long(offer.charter_date),
            c.vessel_name,
            lh.office_line(),
        ),
    )
}

/// Ops took the member off the charter (at `at_ms`, which names the mail).
pub fn unassigned(lh: &Letterhead<'_>, c: &Charter, m: &CrewMember, at_ms: i64) -> Mail {
    let mut mail = lh.mail(
        MailKey::unassigned(&c.charter_id, &m.crew_id, at_ms),
        vec![m.email.clone()],
        format!("No longer on the charter of {}", c.charter_date),
        format!(
            "Hi {},\n\nYou are no longer on the charter on {} aboard {}. You are free that day.\n",
            m.name, c.charter_date, c.vessel_name
        ),
    );
    let stamp = chrono::DateTime::from_timestamp_millis(at_ms).unwrap_or_default();
    mail.attachments.push(ics::cancellation_attachment(
        &format!("{} charters", lh.from_name),
        &c.charter_id,
        &m.crew_id,
        c.charter_date,
        &c.vessel_name,
        stamp,
    ));
    mail
}

/// To one ops address `to`: nobody left to ask for a slot (`why`: the thread's words), what
/// they can do, and their own sign-in link to the board.
pub fn escalation(
    lh: &Letterhead<'_>,
    c: &Charter,
    role: Role,
    attempts: usize,
    why: &str,
    (to, ops_link): (&EmailAddress, &str),
) -> Mail {
    let id = &c.charter_id;
    lh.for_one_ops(
        MailKey::escalate(id, role, attempts),
        to,
        format!("Needs attention: {} on {} has no {role}", c.vessel_name, c.charter_date),
        format!(
            "Charter {id} ({} on {}): {why}.\n\nWhat you can do:\n  dispatch charter show {id}\n  dispatch charter assign {id} --{} MEMBER\n  dispatch charter reoffer {id} [--include MEMBER...]\n  dispatch charter cancel {id}\n\n{}",
            c.vessel_name,
            c.charter_date,
            if role == Role::Captain { "captain" } else { "crew" },
            board_line(ops_link),
        ),
    )
}

/// To one ops address `to`: the charter departs in under `hours` hours and is not fully staffed
/// (`why`: the thread's words), with their own sign-in link.
pub fn alert(
    lh: &Letterhead<'_>,
    c: &Charter,
    hours: u32,
    why: &str,
    (to, ops_link): (&EmailAddress, &str),
) -> Mail {
    let (id, board) = (&c.charter_id, board_line(ops_link));
    let text = format!(
        "Charter {id} ({}): {why}.\n\n  dispatch charter show {id}\n\n{board}",
        on(c)
    );
    let subject = format!("Departs in under {hours} h unstaffed: {}", on(c));
    lh.for_one_ops(MailKey::alert(id, hours), to, subject, text)
}

/// To one ops address `to`: an assigned member is booked on another charter that day (`why`:
/// the thread's words), with their own sign-in link.
pub fn conflict(
    lh: &Letterhead<'_>,
    c: &Charter,
    crew: &CrewId,
    why: &str,
    (to, ops_link): (&EmailAddress, &str),
) -> Mail {
    lh.for_one_ops(
        MailKey::conflict(&c.charter_id, crew),
        to,
        format!("Needs attention: {} double-booked", on(c)),
        format!(
            "Charter {} ({}): {why}.\n\n{}",
            c.charter_id,
            on(c),
            board_line(ops_link)
        ),
    )
}

#[cfg(test)]
#[path = "mails_tests.rs"]
mod tests;
