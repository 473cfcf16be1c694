//! "Not delivered yet": an offer whose mail has not gone out, as `charter list`, `charter show`
//! and `dispatch status` say it, with the last error the cascade noted in the charter's thread
//! (the entry `undelivered-<offer>`, written over at each failed try).

use std::collections::HashMap;

use dispatch_cascade::overview::{Overview, Waiting};
use dispatch_core::domain::{CrewId, ThreadEntry};
use dispatch_core::zone::BusinessZone;

/// The thread entries' prefix the cascade notes an undelivered offer mail under.
const PREFIX: &str = "undelivered-";

/// The last noted mail error per member, from a charter's thread (the newest entry wins).
pub fn last_errors(thread: &[ThreadEntry]) -> HashMap<CrewId, String> {
    let mut out: HashMap<CrewId, (chrono::DateTime<chrono::Utc>, String)> = HashMap::new();
    for e in thread.iter().filter(|e| e.id.starts_with(PREFIX)) {
        if let Some(crew) = &e.crew_id {
            let newer = out.get(crew).is_none_or(|(ts, _)| e.ts >= *ts);
            if newer {
                out.insert(crew.clone(), (e.ts, e.text.clone()));
            }
        }
    }
    out.into_iter().map(|(k, (_, v))| (k, v)).collect()
}

/// `not delivered yet: retrying since 14:30 UTC (last error …)` for an offer whose mail has
/// not gone out; `None` once it has.
pub fn note(zone: &BusinessZone, w: &Waiting, last_error: Option<&String>) -> Option<String> {
    let since = w.undelivered_since?;
    Some(format!(
        "not delivered yet: retrying since {}{}",
        zone.format_clock(since),
        last_error.map_or(String::new(), |e| format!(" (last error: {e})"))
    ))
}

/// Whether any offer of the charter waits for its mail.
pub fn any(o: &Overview) -> bool {
    o.waiting.iter().any(|w| w.undelivered_since.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_cascade::overview::Person;

    #[test]
    fn the_note_says_since_when_and_the_last_error() {
        let zone = BusinessZone::parse("UTC").unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-05T08:39:00Z")
            .unwrap()
            .to_utc();
        let mut w = Waiting {
            role: "captain".into(),
            who: Person {
                crew_id: CrewId::parse("ana").unwrap(),
                name: "Ana".into(),
            },
            until: at,
            overdue: false,
            undelivered_since: None,
        };
        assert_eq!(note(&zone, &w, None), None);
        w.undelivered_since = Some(at);
        let err = "offer mail to Ana not delivered: connection refused".to_string();
        assert_eq!(
            note(&zone, &w, Some(&err)).unwrap(),
            "not delivered yet: retrying since 08:39 UTC (last error: offer mail to Ana not delivered: connection refused)"
        );
    }
}
