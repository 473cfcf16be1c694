//! Whom ops can put on a slot, as the board's Assign form lists them: the eligible members
//! first, then every other member with the reason, the same reasons `dispatch charter assign`
//! refuses with ([`crate::hand::fitness`]). Pure: the roster and the day's holds come in.

use crate::engine::VesselConfig;
use dispatch_core::domain::{Charter, CharterId, CrewId, CrewMember};

use crate::hand::{fitness, Fitness, SlotKind};

/// One member as the Assign form shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub crew_id: CrewId,
    pub name: String,
    pub phone: Option<String>,
    /// Why not (`None`: eligible).
    pub why_not: Option<String>,
    /// The reason can be overridden with a note ("assign anyway"): inactive, not certified or
    /// not available. Booked elsewhere that day or already on the charter cannot.
    pub overridable: bool,
}

/// Every member for a `kind` slot of `c`: the eligible by name, then the others by name.
/// `held_on` says which charter holds a member on the charter's date, if any.
pub fn choices(
    c: &Charter,
    roster: &[CrewMember],
    vessel: Option<&VesselConfig>,
    kind: SlotKind,
    held_on: impl Fn(&CrewId) -> Option<CharterId>,
) -> Vec<Choice> {
    let mut out: Vec<Choice> = roster
        .iter()
        .map(|m| {
            let (why_not, overridable) = match fitness(c, m, vessel, kind, held_on(&m.crew_id)) {
                Fitness::Fit => (None, false),
                Fitness::Unfit(u) => (Some(u.text()), true),
                Fitness::Never(why) => (Some(why), false),
            };
            Choice {
                crew_id: m.crew_id.clone(),
                name: m.name.clone(),
                phone: m.phone.clone(),
                why_not,
                overridable,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.why_not.is_some(), a.name.to_lowercase())
            .cmp(&(b.why_not.is_some(), b.name.to_lowercase()))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::domain::{CharterDate, CharterStatus, EmailAddress, Money};

    fn member(id: &str, name: &str, captain: bool, active: bool, free: bool) -> CrewMember {
        CrewMember {
            crew_id: CrewId::parse(id).unwrap(),
            name: name.into(),
            email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
            phone: None,
            captain_certified: captain,
            available_dates: if free {
                [CharterDate::parse("2027-06-05").unwrap()].into()
            } else {
                Default::default()
            },
            certifications: ["deckhand".to_string()].into(),
            active,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        }
    }

    #[test]
    fn the_eligible_come_first_and_the_others_say_why() {
        let c = Charter {
            charter_id: CharterId::new_random(),
            created_at: "2027-01-01T00:00:00Z".into(),
            charter_date: CharterDate::parse("2027-06-05").unwrap(),
            vessel_name: "Osprey".into(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 6,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: Some(1),
        };
        let other = CharterId::new_random();
        let roster = [
            member("zed", "Zed", true, true, true),
            member("amy", "Amy", true, false, true),
            member("bob", "Bob", false, true, true),
            member("cat", "Cat", true, true, false),
            member("dan", "Dan", true, true, true),
            member("eve", "Eve", true, true, true),
        ];
        let held = |m: &CrewId| (m.as_str() == "dan").then(|| other.clone());
        let got = choices(&c, &roster, None, SlotKind::Captain, held);
        let seen: Vec<(&str, Option<&str>, bool)> = got
            .iter()
            .map(|x| (x.name.as_str(), x.why_not.as_deref(), x.overridable))
            .collect();
        let booked = format!("booked on charter {other} that day");
        assert_eq!(
            seen,
            vec![
                ("Eve", None, false),
                ("Zed", None, false),
                ("Amy", Some("inactive"), true),
                ("Bob", Some("not captain certified"), true),
                ("Cat", Some("not available that day"), true),
                ("Dan", Some(booked.as_str()), false),
            ]
        );
    }
}
