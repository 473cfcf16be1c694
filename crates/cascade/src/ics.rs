//! Calendar entries (RFC 5545 `text/calendar`): the confirmation mail's attachment and the
//! member's feed (`GET /c/{token}.ics`). Pure text building.
//!
//! Times are written in UTC (`DTSTART:20270605T153000Z`), which every client shows in its own
//! zone and which needs no `VTIMEZONE` block; a charter without a start time is an all-day
//! entry on its local date. Lines end in CRLF and are folded at 75 octets; text is escaped.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterId, CrewId, Role};

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

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 sequence) and ends it with CRLF.
fn line(out: &mut String, content: &str) {
    let mut used = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A calendar with these entries. `name` is the calendar's display name.
pub fn calendar(name: &str, zone: &str, entries: &[Entry<'_>], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//crew-dispatch//crew page//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    line(&mut out, &format!("X-WR-TIMEZONE:{}", escape(zone)));
    for e in entries {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}-{}@crew-dispatch", e.charter, e.crew));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        match (e.facts.start_at, e.facts.end_at) {
            (Some(s), Some(end)) => {
                line(&mut out, &format!("DTSTART:{}", utc(s)));
                line(&mut out, &format!("DTEND:{}", utc(end)));
            }
            _ => {
                let d = e.date.naive();
                let next = d.succ_opt().unwrap_or(d);
                line(&mut out, &format!("DTSTART;VALUE=DATE:{}", d.format("%Y%m%d")));
                line(&mut out, &format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
            }
        }
        line(
            &mut out,
            &format!("SUMMARY:{}", escape(&format!("{} aboard {}", role_word(e.role), e.facts.vessel))),
        );
        if let Some(m) = &e.facts.meeting_point {
            line(&mut out, &format!("LOCATION:{}", escape(m)));
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
        line(&mut out, &format!("DESCRIPTION:{}", escape(&desc)));
        line(&mut out, "STATUS:CONFIRMED");
        line(&mut out, "TRANSP:OPAQUE");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_folded_escaped_and_crlf() {
        let mut out = String::new();
        line(&mut out, &format!("DESCRIPTION:{}", escape(&"é, a; b\\c\nd".repeat(10))));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l:?}");
        }
        assert!(out.contains("\\,") && out.contains("\\;") && out.contains("\\n") && out.contains("\\\\"));
        assert!(!out.replace("\r\n", "").contains('\n'));
    }
}
