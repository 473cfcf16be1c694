//! Every name the cascade gives to something it must not do twice: offer ids, thread-entry ids,
//! mail keys and queue-message keys.
//!
//! "Sends nothing twice" rests on these: a retried or concurrent step derives the same name from
//! the same state and finds its work already done. They are stored (thread entries, idempotency
//! records) and appear on the wire (Message-IDs, queue messages), so their text never changes:
//! the tests at the bottom pin every format byte for byte. One file, so a reader sees them all
//! and no two kinds can collide.

use std::borrow::Cow;
use std::fmt;

use chrono::Datelike;
use dispatch_core::domain::{
    CharterDate, CharterId, CrewId, EmailAddress, OfferId, OfferStatus, Role,
};
use sha2::{Digest, Sha256};

/// The `n`th offer for a slot: the same inputs give the same id, so a retried or concurrent
/// reconcile finds the offer already made instead of making another.
pub fn offer_id_for(charter: &CharterId, role: Role, n: usize) -> OfferId {
    let d = Sha256::new()
        .chain_update(format!("offer|{charter}|{}|{n}", role_key(role)))
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let id = uuid::Uuid::from_bytes(b).to_string();
    #[allow(clippy::expect_used)] // a UUID rendered by `uuid` is a valid offer id
    OfferId::parse(&id).expect("a UUID is an offer id")
}

/// `captain` or `crew-<slot>`: the slot's part of keys and entry ids.
pub fn role_key(role: Role) -> String {
    match role {
        Role::Captain => "captain".into(),
        Role::Crew { slot } => format!("crew-{slot}"),
    }
}

const STAFFED: &str = "staffed";
const CANCELLED: &str = "cancelled";
const CLEARED_PREFIX: &str = "reoffer-";
const BY_HAND_PREFIX: &str = "by_hand-";
const DROPPED_PREFIX: &str = "dropped-";
const UNASSIGNED_PREFIX: &str = "unassigned-";

/// The id of a thread entry: the record that an effect was done (the planner reads which ids a
/// charter's thread has).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(Cow<'static, str>);

impl EntryId {
    /// Every slot filled (`staffed`).
    pub const STAFFED: EntryId = EntryId(Cow::Borrowed(STAFFED));
    /// The cancellation noted, once all else was done (`cancelled`).
    pub const CANCELLED: EntryId = EntryId(Cow::Borrowed(CANCELLED));
    /// The prefix of [`EntryId::cleared`] entries.
    pub const CLEARED_PREFIX: &'static str = CLEARED_PREFIX;

    fn owned(s: String) -> Self {
        Self(Cow::Owned(s))
    }
    /// An offer mailed and its lapse timer armed (`offer_sent-<offer>`).
    pub fn sent(o: &OfferId) -> Self {
        Self::owned(format!("offer_sent-{o}"))
    }
    /// The last failure to mail an offer (`undelivered-<offer>`, at the offer's making: each
    /// failure writes over it), what `charter show` and the board say while it retries.
    pub fn undelivered(o: &OfferId) -> Self {
        Self::owned(format!("undelivered-{o}"))
    }
    /// An offer closed (`accepted-`, `declined-`, `lapsed-` or `revoked-<offer>`).
    pub fn closed(status: OfferStatus, o: &OfferId) -> Self {
        let kind = match status {
            OfferStatus::Accepted => "accepted",
            OfferStatus::Declined => "declined",
            OfferStatus::Lapsed => "lapsed",
            _ => "revoked",
        };
        Self::owned(format!("{kind}-{o}"))
    }
    /// The confirmation of an accepted offer mailed (`confirmed-<offer>`).
    pub fn confirmed(o: &OfferId) -> Self {
        Self::owned(format!("confirmed-{o}"))
    }
    /// Nobody left for a slot after `attempts` offers (`escalated-<slot>-<attempts>`).
    pub fn escalated(role: Role, attempts: usize) -> Self {
        Self::owned(format!("escalated-{}-{attempts}", role_key(role)))
    }
    /// Ops told the charter departs in under `hours` hours and is not fully staffed
    /// (`alerted-<hours>h`): once per threshold of `alert_before_hours`.
    pub fn alerted(hours: u32) -> Self {
        Self::owned(format!("alerted-{hours}h"))
    }
    /// An assigned member is booked elsewhere that day (`conflict-<crew>`).
    pub fn conflict(c: &CrewId) -> Self {
        Self::owned(format!("conflict-{c}"))
    }
    /// A confirmed member told of the cancellation (`released-<crew>`).
    pub fn released(c: &CrewId) -> Self {
        Self::owned(format!("released-{c}"))
    }
    /// Ops cleared `c` to be asked again, at `at_ms` (`reoffer-<crew>-<ms>`).
    pub fn cleared(c: &CrewId, at_ms: i64) -> Self {
        Self::owned(format!("{CLEARED_PREFIX}{c}-{at_ms}"))
    }
    /// Who gave an ops command and what it did (`acted-<what>-<at_ms>`): the thread's record
    /// of the person (an ops address, or the CLI).
    pub fn acted(what: &str, at_ms: i64) -> Self {
        Self::owned(format!("acted-{what}-{at_ms}"))
    }
    /// Ops took `c` off the charter, at `at_ms` (`unassigned-<crew>-<ms>`): also the order to
    /// tell them, which the planner reads back ([`Unassigned::parse`]) until
    /// [`EntryId::unassigned_told`] of it is noted.
    pub fn unassigned(c: &CrewId, at_ms: i64) -> Self {
        Self::owned(format!("{UNASSIGNED_PREFIX}{c}-{at_ms}"))
    }
    /// The member taken off at `at_ms` was told so by mail (`unassigned_told-<crew>-<ms>`).
    pub fn unassigned_told(c: &CrewId, at_ms: i64) -> Self {
        Self::owned(format!("unassigned_told-{c}-{at_ms}"))
    }
    /// Ops put `crew` on the slot of `offer` by hand (`by_hand-<offer>-<crew>`): the order the
    /// planner reads (see [`HandOrder`]); it also stands for the offer's `offer_sent` entry, as
    /// a hand offer is never mailed.
    pub fn by_hand(offer: &OfferId, crew: &CrewId) -> Self {
        Self::owned(format!("{BY_HAND_PREFIX}{offer}-{crew}"))
    }

    /// The member of accepted offer `o` said "I can't make it" (`dropped-<offer>`): the slot
    /// is offered to the next candidate while they stay on it. Read back by [`dropped_offer`].
    pub fn dropped(o: &OfferId) -> Self {
        Self::owned(format!("{DROPPED_PREFIX}{o}"))
    }
    /// Ops told of the drop of offer `o` (`drop_told-<offer>`).
    pub fn drop_told(o: &OfferId) -> Self {
        Self::owned(format!("drop_told-{o}"))
    }
    /// A replacement took the slot of dropped offer `o`: its member is off the charter
    /// (`let_go-<offer>`).
    pub fn let_go(o: &OfferId) -> Self {
        Self::owned(format!("let_go-{o}"))
    }
    /// The member of dropped offer `o` told they are released (`let_go_told-<offer>`).
    pub fn let_go_told(o: &OfferId) -> Self {
        Self::owned(format!("let_go_told-{o}"))
    }
    /// "I can't make it" inside the cut-off: ops alerted instead (`drop_late-<offer>`).
    pub fn drop_late(o: &OfferId) -> Self {
        Self::owned(format!("drop_late-{o}"))
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The accepted offer a `dropped-<offer>` entry names, if `entry_id` is one.
pub fn dropped_offer(entry_id: &str) -> Option<OfferId> {
    OfferId::parse(entry_id.strip_prefix(DROPPED_PREFIX)?).ok()
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<EntryId> for String {
    fn from(e: EntryId) -> String {
        e.0.into_owned()
    }
}

/// An ops order to put a member on a slot by hand, read back from its thread-entry id
/// ([`EntryId::by_hand`]): the offer id names the slot and attempt it was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOrder {
    pub offer: OfferId,
    pub crew: CrewId,
}

impl HandOrder {
    /// The order an entry id records, if it is one.
    pub fn parse(entry_id: &str) -> Option<Self> {
        let rest = entry_id.strip_prefix(BY_HAND_PREFIX)?;
        // An offer id is a UUID: 36 characters, then `-`, then the member.
        let (offer, crew) = (rest.get(..36)?, rest.get(37..)?);
        if rest.as_bytes().get(36) != Some(&b'-') {
            return None;
        }
        Some(Self {
            offer: OfferId::parse(offer).ok()?,
            crew: CrewId::parse(crew).ok()?,
        })
    }
}

/// Ops took a member off the charter, read back from the thread-entry id
/// ([`EntryId::unassigned`]): the member is to be told, once, that they are free that day.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unassigned {
    pub crew: CrewId,
    /// When ops took them off (milliseconds): it names the mail and the `told` entry.
    pub at_ms: i64,
}

impl Unassigned {
    /// What an entry id records, if it is an `unassigned-<crew>-<ms>` entry (a crew id may
    /// hold `-`: the time is after the last one).
    pub fn parse(entry_id: &str) -> Option<Self> {
        let rest = entry_id.strip_prefix(UNASSIGNED_PREFIX)?;
        let (crew, ms) = rest.rsplit_once('-')?;
        Some(Self {
            crew: CrewId::parse(crew).ok()?,
            at_ms: ms.parse().ok()?,
        })
    }
}

/// The key of a mail: its idempotency record and its outbox file / Message-ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailKey(String);

impl MailKey {
    /// An offer (`mail#offer#<offer>`).
    pub fn offer(o: &OfferId) -> Self {
        Self(format!("mail#offer#{o}"))
    }
    /// An open offer withdrawn because the member no longer fits the slot or the charter moved
    /// (`mail#withdrawn#<offer>`).
    pub fn withdrawn(o: &OfferId) -> Self {
        Self(format!("mail#withdrawn#{o}"))
    }
    /// The confirmation of an accepted offer (`mail#confirm#<offer>`).
    pub fn confirm(o: &OfferId) -> Self {
        Self(format!("mail#confirm#{o}"))
    }
    /// The reminder the day before (`mail#reminder#<charter>#<crew>`).
    pub fn reminder(charter: &CharterId, crew: &CrewId) -> Self {
        Self(format!("mail#reminder#{charter}#{crew}"))
    }
    /// The charter is cancelled (`mail#release#<charter>#<crew>`).
    pub fn release(charter: &CharterId, crew: &CrewId) -> Self {
        Self(format!("mail#release#{charter}#{crew}"))
    }
    /// Taken off by ops at `at_ms` (`mail#unassigned#<charter>#<crew>#<ms>`).
    pub fn unassigned(charter: &CharterId, crew: &CrewId, at_ms: i64) -> Self {
        Self(format!("mail#unassigned#{charter}#{crew}#{at_ms}"))
    }
    /// Nobody left for a slot (`mail#escalate#<charter>#<slot>#<attempts>`).
    pub fn escalate(charter: &CharterId, role: Role, attempts: usize) -> Self {
        Self(format!(
            "mail#escalate#{charter}#{}#{attempts}",
            role_key(role)
        ))
    }
    /// To ops: the charter departs in under `hours` hours unstaffed
    /// (`mail#alert#<charter>#<hours>h`).
    pub fn alert(charter: &CharterId, hours: u32) -> Self {
        Self(format!("mail#alert#{charter}#{hours}h"))
    }
    /// The copy of a mail to ops for one address (`<key>#to#<address>`): each carries that
    /// person's own sign-in link.
    pub fn to_ops(self, address: &EmailAddress) -> Self {
        Self(format!(
            "{}#to#{}",
            self.0,
            address.as_str().to_ascii_lowercase()
        ))
    }
    /// An assigned member booked elsewhere that day (`mail#conflict#<charter>#<crew>`).
    pub fn conflict(charter: &CharterId, crew: &CrewId) -> Self {
        Self(format!("mail#conflict#{charter}#{crew}"))
    }

    /// A fresh link to the member's page, issued at `at_secs` (`mail#page_link#<crew>#<secs>`).
    pub fn page_link(crew: &CrewId, at_secs: i64) -> Self {
        Self(format!("mail#page_link#{crew}#{at_secs}"))
    }
    /// To ops: the member of offer `o` can't make it (`mail#drop#<offer>`).
    pub fn dropped(o: &OfferId) -> Self {
        Self(format!("mail#drop#{o}"))
    }
    /// To ops: "I can't make it" inside the cut-off (`mail#drop_late#<offer>`).
    pub fn drop_late(o: &OfferId) -> Self {
        Self(format!("mail#drop_late#{o}"))
    }
    /// To the member of dropped offer `o`: released, with a cancelling calendar entry
    /// (`mail#let_go#<offer>`).
    pub fn let_go(o: &OfferId) -> Self {
        Self(format!("mail#let_go#{o}"))
    }
    /// To ops: licences and certifications running out soon, once per ISO week
    /// (`mail#expiring#<YYYY>-W<ww>`).
    pub fn expiring(today: CharterDate) -> Self {
        let w = today.naive().iso_week();
        Self(format!("mail#expiring#{}-W{:02}", w.year(), w.week()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<MailKey> for String {
    fn from(k: MailKey) -> String {
        k.0
    }
}

/// The key of a message the cascade puts on its own queue (its idempotency record is
/// [`dispatch_core::records::enqueue_key`] of it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobKey(String);

impl JobKey {
    /// Link `link` of the lapse timer chained toward `offer`'s deadline
    /// (`offer_timeout#<offer>#<link>`).
    pub fn lapse_timer(offer: &OfferId, link: u32) -> Self {
        Self(format!("offer_timeout#{offer}#{link}"))
    }
    /// The sweep's look at the roster for what runs out soon, once per day
    /// (`expiry_check#<YYYY-MM-DD>`): the roster is read at most once a day for it.
    pub fn expiry_check(today: CharterDate) -> Self {
        Self(format!("expiry_check#{today}"))
    }
    /// The reconcile after an answer to `offer`, run by the worker (`answered#<offer>`).
    pub fn answered(offer: &OfferId) -> Self {
        Self(format!("answered#{offer}"))
    }
    /// Link `link` of the timer toward the moment `charter` departs in under `hours` hours
    /// (`alert_timer#<charter>#<hours>h#<link>`).
    pub fn alert_timer(charter: &CharterId, hours: u32, link: u32) -> Self {
        Self(format!("alert_timer#{charter}#{hours}h#{link}"))
    }
    /// A reconcile queued after the one following an answer failed
    /// (`reconcile#<charter>#<offer>`).
    pub fn retry_reconcile(charter: &CharterId, offer: &OfferId) -> Self {
        Self(format!("reconcile#{charter}#{offer}"))
    }
    /// The rest of a hand action's reconcile, left to the worker (the web function sends no
    /// mail; or an outage) by the action of `at_ms` (`reconcile#<charter>#hand#<ms>`).
    pub fn hand_reconcile(charter: &CharterId, at_ms: i64) -> Self {
        Self(format!("reconcile#{charter}#hand#{at_ms}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<JobKey> for String {
    fn from(k: JobKey) -> String {
        k.0
    }
}

/// The thread-entry ids as plain strings, under their old path (`plan::ids`), for code that
/// compares them with stored ids.
pub mod ids {
    use dispatch_core::domain::{CrewId, OfferId, OfferStatus, Role};

    use super::EntryId;

    pub fn sent(o: &OfferId) -> String {
        EntryId::sent(o).into()
    }
    pub fn closed(status: OfferStatus, o: &OfferId) -> String {
        EntryId::closed(status, o).into()
    }
    pub fn confirmed(o: &OfferId) -> String {
        EntryId::confirmed(o).into()
    }
    pub fn escalated(role: Role, attempts: usize) -> String {
        EntryId::escalated(role, attempts).into()
    }
    pub fn conflict(c: &CrewId) -> String {
        EntryId::conflict(c).into()
    }
    pub fn released(c: &CrewId) -> String {
        EntryId::released(c).into()
    }
    /// Ops cleared `c` to be asked again (`dispatch charter reoffer`), at `at_ms`.
    pub fn cleared(c: &CrewId, at_ms: i64) -> String {
        EntryId::cleared(c, at_ms).into()
    }
    /// The prefix of [`cleared`] entries.
    pub const CLEARED_PREFIX: &str = super::CLEARED_PREFIX;
    pub const STAFFED: &str = super::STAFFED;
    pub const CANCELLED: &str = super::CANCELLED;
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
