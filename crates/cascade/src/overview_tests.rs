//! Tests of `overview`.

use std::collections::HashSet;

use chrono::TimeZone;
use dispatch_core::domain::*;
use dispatch_core::ports::Hold;

use super::*;
use crate::engine::CrewMap;

fn id(s: &str) -> CrewId {
    CrewId::parse(s).unwrap()
}

fn date() -> CharterDate {
    CharterDate::parse("2024-05-03").unwrap()
}

fn member(i: &str, name: &str, captain: bool) -> CrewMember {
    CrewMember {
        crew_id: id(i),
        name: name.into(),
        email: EmailAddress::parse(&format!("{i}@example.com")).unwrap(),
        phone: None,
        captain_certified: captain,
        available_dates: [date()].into(),
        certifications: ["deckhand".to_string()].into(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    }
}

fn charter() -> Charter {
    Charter {
        charter_id: CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
        created_at: "2024-04-01T00:00:00Z".into(),
        charter_date: date(),
        vessel_name: "Sea Breeze".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 30,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: None,
    }
}

fn offer(c: &Charter, who: &str, role: Role, status: OfferStatus, n: usize) -> Offer {
    let at = Utc.with_ymd_and_hms(2024, 4, 2, 10, 0, 0).unwrap();
    Offer {
        offer_id: plan::offer_id_for(&c.charter_id, role, n),
        charter_id: c.charter_id.clone(),
        charter_date: c.charter_date,
        crew_id: id(who),
        role,
        status,
        created_at: at,
        expires_at: at + chrono::Duration::hours(2),
        updated_at: at,
    }
}

struct Given {
    c: Charter,
    offers: Vec<Offer>,
    roster: Vec<CrewMember>,
    holds: CrewMap<Hold>,
    cleared: CrewMap<DateTime<Utc>>,
    now: DateTime<Utc>,
}

impl Given {
    fn new(c: Charter, offers: Vec<Offer>) -> Self {
        Self {
            c,
            offers,
            roster: vec![
                member("ana", "Ana Silva", true),
                member("ben", "Ben Ortiz", true),
                member("cy", "Cy Park", false),
            ],
            holds: CrewMap::default(),
            cleared: CrewMap::default(),
            now: Utc.with_ymd_and_hms(2024, 4, 2, 11, 0, 0).unwrap(),
        }
    }
    fn overview(&self) -> Overview {
        let noted = HashSet::new();
        let load = CrewMap::default();
        overview(&State {
            charter_id: &self.c.charter_id,
            charter: Some(&self.c),
            gone: None,
            offers: &self.offers,
            roster: &self.roster,
            holds: &self.holds,
            moved_holds: &[],
            load: &load,
            vessel: None,
            noted: &noted,
            cleared: &self.cleared,
            now: self.now,
            offer_timeout: chrono::Duration::hours(2),
            departs_at: None,
            alert_before: &[],
        })
        .unwrap()
    }
}

#[test]
fn crew_needed_from_guests_and_whom_we_wait_on_by_name() {
    let c = charter();
    let g = Given::new(
        c.clone(),
        vec![offer(&c, "ana", Role::Captain, OfferStatus::Open, 0)],
    );
    let o = g.overview();
    assert_eq!(o.crew_needed, 3, "30 guests: one deckhand per 12");
    assert_eq!(o.waiting.len(), 1);
    assert_eq!(o.waiting[0].who.name, "Ana Silva");
    assert!(!o.waiting[0].overdue);
    assert!(!o.needs_attention(), "{:?}", o.attention);
}

#[test]
fn nobody_left_names_whom_to_call_and_reoffer_clears_it() {
    let c = charter();
    let offers = vec![
        offer(&c, "ana", Role::Captain, OfferStatus::Declined, 0),
        offer(&c, "ben", Role::Captain, OfferStatus::Lapsed, 1),
    ];
    let mut g = Given::new(c, offers);
    let o = g.overview();
    assert_eq!(
        o.attention,
        vec!["no captain and nobody left to ask (let this charter's offer lapse: Ben Ortiz; declined this charter: Ana Silva)".to_string()]
    );
    // Ops cleared Ben: he is a candidate again, so nothing needs attention yet.
    g.cleared.insert(id("ben"), g.now);
    assert!(!g.overview().needs_attention());
}

#[test]
fn a_double_booked_member_is_named() {
    let mut c = charter();
    c.captain_assigned = Some(id("ana"));
    c.crew_needed = Some(1);
    let other = CharterId::parse("1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap();
    let mut g = Given::new(
        c.clone(),
        vec![offer(
            &c,
            "cy",
            Role::Crew { slot: 0 },
            OfferStatus::Open,
            0,
        )],
    );
    g.holds.insert(
        id("ana"),
        Hold {
            crew_id: id("ana"),
            date: date(),
            charter_id: other.clone(),
            taken_at: g.now,
        },
    );
    let o = g.overview();
    assert_eq!(
        o.captain.as_ref().map(|p| p.name.as_str()),
        Some("Ana Silva")
    );
    assert_eq!(
        o.attention,
        vec![format!(
            "Ana Silva is assigned here but booked on charter {other} that day"
        )]
    );
    assert_eq!(o.waiting[0].who.name, "Cy Park");
}
