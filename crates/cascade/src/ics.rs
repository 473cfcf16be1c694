//! Calendar entries (RFC 5545 `text/calendar`): the confirmation mail's attachment and the
//! member's feed (`GET /c/{token}.ics`). Pure: built with the `icalendar` crate, which escapes
//! text, folds lines at 75 octets and ends them in CRLF.
//!
//! Times are written in UTC (`DTSTART:20270605T153000Z`), which every client shows in its own
//! zone and which needs no `VTIMEZONE` block; a charter without a start time is an all-day
//! entry on its local date.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterId, CrewId, Role};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use crate::words::{role_word, CharterFacts};

/// One calendar entry: a member's place on a charter.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub charter: &'a CharterId,
    pub crew: &'a CrewId,
    pub role: Role,
    pub date: dispatch_core::domain::CharterDate,
    pub facts: &'a CharterFacts,
    /// Extra lines for the description (office phone, page link).
    pub note: String,
}

/// Text without control characters (a line break stays: the crate escapes it as `\n`).
fn text(s: &str) -> String {
    s.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// The UID of `crew`'s entry for `charter`: the same in the confirmation, the feed and the
/// cancellation, so a calendar replaces or removes the one entry.
pub fn uid(charter: &CharterId, crew: &CrewId) -> String {
    format!("{charter}-{crew}@crew-dispatch")
}

fn event(e: &Entry<'_>, now: DateTime<Utc>) -> Event {
    let mut ev = Event::new();
    ev.uid(&uid(e.charter, e.crew)).timestamp(now);
    match (e.facts.start_at, e.facts.end_at) {
        (Some(start), Some(end)) => ev.starts(start).ends(end),
        _ => {
            let day = e.date.naive();
            ev.starts(day).ends(day.succ_opt().unwrap_or(day))
        }
    };
    ev.summary(&text(&format!(
        "{} aboard {}",
        role_word(e.role),
        e.facts.vessel
    )));
    if let Some(m) = &e.facts.meeting_point {
        ev.location(&text(m));
    }
    let mut desc = format!("{} guests.", e.facts.guests);
    if let Some(s) = &e.facts.start {
        desc.push_str(&format!(" Report at {s}."));
    }
    if !e.facts.aboard.is_empty() {
        desc.push_str(&format!(" Aboard: {}.", e.facts.aboard.join(", ")));
    }
    if !e.note.is_empty() {
        desc.push('\n');
        desc.push_str(&e.note);
    }
    ev.description(&text(&desc))
        .status(EventStatus::Confirmed)
        .add_property("TRANSP", "OPAQUE")
        .done()
}

/// A calendar with these entries. `name` is the calendar's display name.
pub fn calendar(name: &str, zone: &str, entries: &[Entry<'_>], now: DateTime<Utc>) -> String {
    let mut cal = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//crew-dispatch//crew page//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", &text(name)),
        ("X-WR-TIMEZONE", &text(zone)),
    ] {
        cal.append_property(Property::new(key, value));
    }
    cal.extend(entries.iter().map(|e| event(e, now)));
    cal.to_string()
}

/// A `METHOD:CANCEL` calendar removing `crew`'s entry for `charter` (same UID, a higher
/// `SEQUENCE`, `STATUS:CANCELLED`): attached to "you are off the charter" mails.
pub fn cancellation(
    name: &str,
    charter: &CharterId,
    crew: &CrewId,
    date: dispatch_core::domain::CharterDate,
    vessel: &str,
    now: DateTime<Utc>,
) -> String {
    let mut cal = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//crew-dispatch//crew page//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "CANCEL"),
        ("X-WR-CALNAME", &text(name)),
    ] {
        cal.append_property(Property::new(key, value));
    }
    let day = date.naive();
    let ev = Event::new()
        .uid(&uid(charter, crew))
        .timestamp(now)
        .starts(day)
        .ends(day.succ_opt().unwrap_or(day))
        .summary(&text(&format!("Cancelled: aboard {vessel}")))
        .status(EventStatus::Cancelled)
        .add_property("SEQUENCE", "1")
        .done();
    cal.push(ev);
    cal.to_string()
}

/// [`cancellation`] as a mail attachment (`cancel.ics`, `method=CANCEL`).
pub fn cancellation_attachment(
    name: &str,
    charter: &CharterId,
    crew: &CrewId,
    date: dispatch_core::domain::CharterDate,
    vessel: &str,
    now: DateTime<Utc>,
) -> dispatch_mailer::Attachment {
    dispatch_mailer::Attachment {
        filename: "cancel.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=CANCEL".into(),
        bytes: cancellation(name, charter, crew, date, vessel, now).into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use dispatch_core::domain::CharterDate;
    use icalendar::{CalendarComponent, CalendarDateTime, DatePerhapsTime};

    use super::*;

    fn facts(start: Option<DateTime<Utc>>) -> CharterFacts {
        CharterFacts {
            date: "Sat 5 Jun 2027".into(),
            date_long: "Saturday 5 June 2027".into(),
            vessel: "Sea; Breeze, II".into(),
            guests: 6,
            start: start.map(|_| "08:30 PDT".into()),
            start_at: start,
            end_at: start.map(|s| s + chrono::Duration::hours(4)),
            meeting_point: Some("Dock B, slip\r 14".into()),
            aboard: vec!["Ana".into(), "Ben".into()],
            aboard_full: vec!["Ana Silva (captain)".into(), "Ben Okoro (crew)".into()],
        }
    }

    fn write(f: &CharterFacts, note: &str) -> String {
        let charter = CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap();
        let crew = CrewId::parse("crew-ana").unwrap();
        let entry = Entry {
            charter: &charter,
            crew: &crew,
            role: Role::Captain,
            date: CharterDate::parse("2027-06-05").unwrap(),
            facts: f,
            note: note.into(),
        };
        let now = Utc.with_ymd_and_hms(2027, 6, 1, 12, 0, 0).unwrap();
        calendar("Harbor charters", "America/Los_Angeles", &[entry], now)
    }

    #[test]
    fn lines_are_folded_escaped_and_crlf() {
        let out = write(&facts(None), &"é, a; b\\c\nd".repeat(10));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l:?}");
        }
        assert!(
            out.contains("\\,")
                && out.contains("\\;")
                && out.contains("\\n")
                && out.contains("\\\\")
        );
        assert!(!out.replace("\r\n", "").contains('\n'));
        assert!(
            !out.replace("\r\n", "").contains('\r'),
            "no stray control characters"
        );
        assert!(out.ends_with("END:VCALENDAR\r\n"), "{out}");
    }

    #[test]
    fn parses_back_with_uid_times_and_text() {
        let start = Utc.with_ymd_and_hms(2027, 6, 5, 15, 30, 0).unwrap();
        let cal: Calendar = write(&facts(Some(start)), "Office: +1 555 0100")
            .parse()
            .unwrap();
        assert_eq!(
            cal.property_value("PRODID"),
            Some("-//crew-dispatch//crew page//EN")
        );
        assert_eq!(cal.property_value("X-WR-CALNAME"), Some("Harbor charters"));
        let events: Vec<&Event> = cal
            .components
            .iter()
            .filter_map(|c| match c {
                CalendarComponent::Event(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(events.len(), 1);
        let e = events[0];
        assert_eq!(
            e.get_uid(),
            Some("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a-crew-ana@crew-dispatch")
        );
        assert_eq!(
            e.get_start(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(start)))
        );
        let end = start + chrono::Duration::hours(4);
        assert_eq!(
            e.get_end(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(end)))
        );
        assert_eq!(e.get_summary(), Some("Captain aboard Sea; Breeze, II"));
        assert_eq!(e.get_location(), Some("Dock B, slip 14"));
        assert_eq!(
            e.get_description(),
            Some("6 guests. Report at 08:30 PDT. Aboard: Ana, Ben.\nOffice: +1 555 0100")
        );
        assert_eq!(e.get_status(), Some(EventStatus::Confirmed));
    }

    #[test]
    fn without_a_start_time_it_is_an_all_day_entry() {
        let cal: Calendar = write(&facts(None), "").parse().unwrap();
        let Some(CalendarComponent::Event(e)) = cal.components.first() else {
            panic!("an event");
        };
        let day = chrono::NaiveDate::from_ymd_opt(2027, 6, 5).unwrap();
        assert_eq!(e.get_start(), Some(DatePerhapsTime::Date(day)));
        assert_eq!(
            e.get_end(),
            Some(DatePerhapsTime::Date(day.succ_opt().unwrap()))
        );
    }
}
