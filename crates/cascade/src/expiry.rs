//! Papers running out: which captain's licences and certifications of active members reach their
//! last good day within the next [`EXPIRY_WINDOW_DAYS`] days ([`expiring`]), and the weekly mail
//! that tells ops ([`expiry_mail`]). Pure: the roster and today come in, a list or a mail goes
//! out. The sweep sends it (`sweep::expiry_check`): the roster is read at most once a day for it
//! and the mail, keyed by ISO week ([`MailKey::expiring`]), goes out at most once a week.

use dispatch_core::domain::{expiry_words, CharterDate, CrewId, CrewMember};
use dispatch_mailer::Mail;

use crate::keys::MailKey;
use crate::mails::Letterhead;

/// How far ahead the weekly mail looks.
pub const EXPIRY_WINDOW_DAYS: u64 = 30;

/// One paper running out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expiring {
    /// Its last good day.
    pub on: CharterDate,
    pub name: String,
    pub crew_id: CrewId,
    /// `six-pack licence`, `first_aid`.
    pub what: String,
}

/// The papers of active members whose last good day is from `today` to `today` + 30 days, by
/// date, then name.
pub fn expiring(roster: &[CrewMember], today: CharterDate) -> Vec<Expiring> {
    let until = today
        .naive()
        .checked_add_days(chrono::Days::new(EXPIRY_WINDOW_DAYS))
        .map(CharterDate::from_naive)
        .unwrap_or(today);
    let soon = |d: &CharterDate| *d >= today && *d <= until;
    let mut out = Vec::new();
    for m in roster.iter().filter(|m| m.active) {
        let item = |what: String, on: CharterDate| Expiring {
            on,
            name: m.name.clone(),
            crew_id: m.crew_id.clone(),
            what,
        };
        if let Some(l) = &m.captain_licence {
            if let Some(on) = l.expires.filter(soon) {
                out.push(item(l.name(), on));
            }
        }
        for (c, on) in m.certification_expiry.iter().filter(|(_, d)| soon(d)) {
            out.push(item(c.clone(), *on));
        }
    }
    out.sort();
    out
}

/// To ops: what runs out in the next 30 days (`None` when nothing does, or no ops address).
pub fn expiry_mail(lh: &Letterhead<'_>, today: CharterDate, items: &[Expiring]) -> Option<Mail> {
    if items.is_empty() || lh.ops.is_empty() {
        return None;
    }
    let lines: Vec<String> = items
        .iter()
        .map(|e| {
            format!(
                "  {} ({}): {} expires {}",
                e.name,
                e.crew_id,
                e.what,
                expiry_words(e.on)
            )
        })
        .collect();
    let text = format!(
        "Licences and certifications that run out in the next {EXPIRY_WINDOW_DAYS} days (the date is the last day each is good for):\n\n{}\n\nUntil the roster carries a new date, these members are not offered charters after it (captain's licence: the captain's place; a certification: places that need it).\nUpdate the roster (`dispatch roster import` or the availability sheet's `Licence expires` and `Certification expiry` columns) once they are renewed.\n",
        lines.join("\n")
    );
    Some(lh.for_ops(
        MailKey::expiring(today),
        format!(
            "Licences and certifications expiring: {} in the next {EXPIRY_WINDOW_DAYS} days",
            items.len()
        ),
        text,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::domain::{CaptainLicence, EmailAddress};
    use dispatch_core::zone::BusinessZone;

    fn d(s: &str) -> CharterDate {
        CharterDate::parse(s).unwrap()
    }

    fn member(id: &str, name: &str) -> CrewMember {
        CrewMember {
            crew_id: CrewId::parse(id).unwrap(),
            name: name.into(),
            email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
            phone: None,
            captain_certified: true,
            available_dates: Default::default(),
            certifications: ["first_aid".to_string()].into(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        }
    }

    #[test]
    fn lists_what_runs_out_within_thirty_days_by_date() {
        let today = d("2026-12-10");
        let mut ana = member("ana", "Ana Silva");
        ana.captain_licence = Some(CaptainLicence {
            class: "six-pack".into(),
            max_passengers: Some(6),
            expires: Some(d("2027-01-03")),
        });
        ana.certification_expiry = [
            ("first_aid".to_string(), d("2026-12-20")),
            ("deckhand".to_string(), d("2027-03-01")),
        ]
        .into();
        let mut bo = member("bo", "Bo Lee");
        bo.certification_expiry = [("first_aid".to_string(), d("2026-12-09"))].into();
        let mut gone = member("cy", "Cy Inactive");
        gone.active = false;
        gone.certification_expiry = [("first_aid".to_string(), d("2026-12-11"))].into();
        let got = expiring(&[ana, bo, gone], today);
        let said: Vec<(String, String)> = got
            .iter()
            .map(|e| (e.name.clone(), format!("{} {}", e.what, e.on)))
            .collect();
        assert_eq!(
            said,
            [
                ("Ana Silva".to_string(), "first_aid 2026-12-20".to_string()),
                (
                    "Ana Silva".to_string(),
                    "six-pack licence 2027-01-03".to_string()
                ),
            ]
        );
        let from = EmailAddress::parse("dispatch@example.com").unwrap();
        let ops = [EmailAddress::parse("ops@example.com").unwrap()];
        let zone = BusinessZone::utc();
        let lh = Letterhead {
            from_name: "Dispatch",
            from: &from,
            ops: &ops,
            office_phone: None,
            zone: &zone,
        };
        let mail = expiry_mail(&lh, today, &got).unwrap();
        assert_eq!(mail.key, "mail#expiring#2026-W50");
        assert_eq!(mail.to, ops.to_vec());
        assert!(
            mail.text
                .contains("Ana Silva (ana): six-pack licence expires 3 Jan 2027"),
            "{}",
            mail.text
        );
        assert!(expiry_mail(&lh, today, &[]).is_none());
    }
}
