//! A charter as crew read it: the date with its weekday, when and where to report (from the
//! vessel's config, in the business's time zone), the role in plain words, and who else is
//! aboard by first name. Shared by the crew page, the mails and the calendar entries, so they
//! all say the same thing. Pure: the names come in, nothing is read here.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{expiry_words, Charter, CharterDate, CrewId, Role, Unfit};
use dispatch_core::zone::{format_date, format_date_long, BusinessZone};

use crate::engine::VesselConfig;

/// The role for people: never "crew (slot 3)".
pub fn role_word(role: Role) -> &'static str {
    match role {
        Role::Captain => "Captain",
        Role::Crew { .. } => "Deckhand",
    }
}

/// Why an offer was withdrawn, as the member reads it on their page and in the mail that tells
/// them: the roster no longer lists them as fit for the slot.
pub fn unfit_reason(why: &Unfit) -> String {
    match why {
        Unfit::NotOnRoster => "You are no longer on the crew roster".into(),
        Unfit::Inactive => "You are no longer listed as active crew".into(),
        Unfit::NotCaptainCertified => "You are no longer listed as a certified captain".into(),
        Unfit::MissingCertification(c) => {
            format!(
                "You are no longer listed as certified ({})",
                c.replace('_', " ")
            )
        }
        Unfit::NotAvailable => "You are no longer listed as available that day".into(),
        Unfit::LicenceExpires(d) => format!(
            "Your captain's licence runs out on {}, before the charter",
            expiry_words(*d)
        ),
        Unfit::LicenceTooSmall {
            licence,
            max_passengers,
            guests,
        } => format!("Your {licence} covers {max_passengers} guests and this charter has {guests}"),
        Unfit::CertificationExpires(c, d) => format!(
            "Your {} certification runs out on {}, before the charter",
            c.replace('_', " "),
            expiry_words(*d)
        ),
    }
}

/// The same for a charter that moved from the date the offer was made for.
pub fn moved_reason(offered: CharterDate, now: CharterDate) -> String {
    format!(
        "The charter moved from {} to {}",
        format_date(offered),
        format_date(now)
    )
}

/// The first word of a name (`Ana Silva` → `Ana`).
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// What crew need to know about one charter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharterFacts {
    /// `Sat 5 Jun 2027`.
    pub date: String,
    /// `Saturday 5 June 2027`.
    pub date_long: String,
    pub vessel: String,
    pub guests: u32,
    /// `08:30 PDT`, when the vessel has a start time.
    pub start: Option<String>,
    /// The instant of the start (calendar entries).
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
    pub meeting_point: Option<String>,
    /// First names of the others aboard (captain first), not the reader.
    pub aboard: Vec<String>,
    /// The same people for the crew page: full names with their role, the captain marked
    /// (`Ana Silva (captain)`, `Ben Okoro (crew)`).
    pub aboard_full: Vec<String>,
}

impl CharterFacts {
    /// `names` gives a member's full name (`None`: left the roster, not shown).
    pub fn of(
        c: &Charter,
        vessel: Option<&VesselConfig>,
        zone: &BusinessZone,
        reader: &CrewId,
        names: impl Fn(&CrewId) -> Option<String>,
    ) -> Self {
        let start_time = vessel.and_then(|v| v.start());
        let start_at = start_time.and_then(|t| zone.at_local(c.charter_date.naive(), t));
        let end_at = start_at.zip(vessel).map(|(s, v)| s + v.duration());
        let others: Vec<(String, &str)> = c
            .captain_assigned
            .iter()
            .map(|m| (m, "captain"))
            .chain(c.crew_assigned.iter().map(|m| (m, "crew")))
            .filter(|(m, _)| *m != reader)
            .filter_map(|(m, role)| names(m).map(|n| (n, role)))
            .collect();
        let aboard = others
            .iter()
            .map(|(n, _)| first_name(n).to_string())
            .collect();
        let aboard_full = others
            .iter()
            .map(|(n, role)| format!("{} ({role})", n.trim()))
            .collect();
        Self {
            date: format_date(c.charter_date),
            date_long: format_date_long(c.charter_date),
            vessel: c.vessel_name.clone(),
            guests: c.guest_count,
            // The clock reading of the instant itself, as the `.ics` has it: a start time
            // skipped by the spring change (02:30) reads as the time it becomes (03:30).
            start: start_at.map(|at| zone.format_clock(at)),
            start_at,
            end_at,
            meeting_point: vessel
                .and_then(|v| v.meeting_point.clone())
                .filter(|m| !m.trim().is_empty()),
            aboard,
            aboard_full,
        }
    }

    /// `Sat 5 Jun 2027 aboard Sea Breeze`: how every answer names the charter.
    pub fn title(&self) -> String {
        format!("{} aboard {}", self.date, self.vessel)
    }

    /// Lines for a mail: when, where, who.
    pub fn mail_lines(&self, role: Role) -> String {
        let mut out = format!(
            "  Date:     {}\n  Vessel:   {}\n  Role:     {}\n  Guests:   {}\n",
            self.date_long,
            self.vessel,
            role_word(role),
            self.guests
        );
        if let Some(s) = &self.start {
            out.push_str(&format!("  Report:   {s}\n"));
        }
        if let Some(m) = &self.meeting_point {
            out.push_str(&format!("  Meet at:  {m}\n"));
        }
        if !self.aboard.is_empty() {
            out.push_str(&format!("  Aboard:   {}\n", self.aboard.join(", ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::domain::{CharterDate, CharterId, CharterStatus, Money};

    #[test]
    fn facts_are_local_and_in_plain_words() {
        let c = Charter {
            charter_id: CharterId::new_random(),
            created_at: "2027-01-01T00:00:00Z".into(),
            charter_date: CharterDate::parse("2027-06-05").unwrap(),
            vessel_name: "Sea Breeze".into(),
            captain_assigned: Some(CrewId::parse("crew-ana").unwrap()),
            crew_assigned: vec![
                CrewId::parse("crew-ben").unwrap(),
                CrewId::parse("crew-gone").unwrap(),
            ],
            guest_count: 8,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        };
        let v = VesselConfig {
            start_time: Some("08:30".into()),
            meeting_point: Some("Dock B".into()),
            ..Default::default()
        };
        let zone = BusinessZone::parse("America/Los_Angeles").unwrap();
        let names = |m: &CrewId| match m.as_str() {
            "crew-ana" => Some("Ana Silva".to_string()),
            "crew-ben" => Some("Ben Okafor".to_string()),
            _ => None,
        };
        let f = CharterFacts::of(
            &c,
            Some(&v),
            &zone,
            &CrewId::parse("crew-ben").unwrap(),
            names,
        );
        assert_eq!(f.title(), "Sat 5 Jun 2027 aboard Sea Breeze");
        assert_eq!(f.start.as_deref(), Some("08:30 PDT"));
        assert_eq!(f.aboard, vec!["Ana"]);
        assert_eq!(f.aboard_full, vec!["Ana Silva (captain)"]);
        assert_eq!(
            f.start_at.unwrap().to_rfc3339(),
            "2027-06-05T15:30:00+00:00"
        );
        assert_eq!(f.end_at.unwrap().to_rfc3339(), "2027-06-05T19:30:00+00:00");
        let lines = f.mail_lines(Role::Crew { slot: 2 });
        assert!(
            lines.contains("Deckhand") && !lines.contains("slot"),
            "{lines}"
        );
        assert!(lines.contains("Meet at:  Dock B"), "{lines}");
    }

    /// A start time skipped by the spring change reads as the `.ics` has it, in every place
    /// the facts are shown (mails, the page, the board): 02:30 on 14 Mar 2027 in Los Angeles
    /// does not exist and becomes 03:30 PDT.
    #[test]
    fn a_start_time_in_the_spring_gap_reads_as_the_calendar_has_it() {
        let c = Charter {
            charter_id: CharterId::new_random(),
            created_at: "2027-01-01T00:00:00Z".into(),
            charter_date: CharterDate::parse("2027-03-14").unwrap(),
            vessel_name: "Sea Breeze".into(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 4,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        };
        let v = VesselConfig {
            start_time: Some("02:30".into()),
            ..Default::default()
        };
        let zone = BusinessZone::parse("America/Los_Angeles").unwrap();
        let f = CharterFacts::of(
            &c,
            Some(&v),
            &zone,
            &CrewId::parse("crew-ben").unwrap(),
            |_| None,
        );
        assert_eq!(f.start.as_deref(), Some("03:30 PDT"));
        // The calendar entry's DTSTART is this instant (ics.rs writes `start_at`).
        assert_eq!(
            f.start_at.unwrap().to_rfc3339(),
            "2027-03-14T10:30:00+00:00"
        );
    }

    #[test]
    fn papers_are_told_to_the_member_in_plain_words() {
        let d = CharterDate::parse("2027-01-03").unwrap();
        assert_eq!(
            unfit_reason(&Unfit::LicenceTooSmall {
                licence: "six-pack licence".into(),
                max_passengers: 6,
                guests: 8
            }),
            "Your six-pack licence covers 6 guests and this charter has 8"
        );
        assert_eq!(
            unfit_reason(&Unfit::LicenceExpires(d)),
            "Your captain's licence runs out on 3 Jan 2027, before the charter"
        );
        assert_eq!(
            unfit_reason(&Unfit::CertificationExpires("first_aid".into(), d)),
            "Your first aid certification runs out on 3 Jan 2027, before the charter"
        );
    }
}
