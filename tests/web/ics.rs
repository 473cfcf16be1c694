//! Reading the calendar entries the crew get: the `.ics` attachment of a confirmation mail,
//! parsed by the `icalendar` crate (an RFC 5545 reader, so a malformed entry fails the test).

/// The `text/calendar` attachment of a mail in the outbox, decoded.
pub fn ics_attachment(eml: &str) -> Option<String> {
    let at = eml.find("Content-Type: text/calendar")?;
    let part = &eml[at..];
    let head_end = part.find("\r\n\r\n")?;
    let head = part[..head_end].to_ascii_lowercase();
    let body = &part[head_end + 4..];
    let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
    if head.contains("content-transfer-encoding: base64") {
        use base64::Engine;
        let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(clean)
            .ok()?;
        return String::from_utf8(bytes).ok();
    }
    if head.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let b = joined.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).ok()?, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        return String::from_utf8(out).ok();
    }
    Some(body.to_string())
}

/// The events of a calendar, parsed by the `icalendar` crate: (summary, start, location).
pub fn ics_events(text: &str) -> Vec<(String, icalendar::DatePerhapsTime, Option<String>)> {
    use icalendar::{Calendar, CalendarComponent, Component, EventLike};
    let cal: Calendar = text
        .parse()
        .unwrap_or_else(|e| panic!("not RFC 5545: {e}\n{text}"));
    cal.components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.get_summary().unwrap_or_default().to_string(),
                e.get_start().expect("DTSTART"),
                e.get_location().map(str::to_string),
            )),
            _ => None,
        })
        .collect()
}

/// A start instant in UTC (the calendar writes UTC times).
pub fn ics_utc(start: &icalendar::DatePerhapsTime) -> chrono::DateTime<chrono::Utc> {
    match start {
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t)) => *t,
        other => panic!("expected a UTC start, got {other:?}"),
    }
}
