//! Candidate selection for one slot with a 10,000-member roster (goal: well under a millisecond).
//! Run: `cargo bench --bench candidates`.

use std::time::Instant;

use chrono::Utc;
use dispatch_cascade::engine::{slate, Situation};
use dispatch_core::domain::*;

fn main() {
    let date = CharterDate::parse("2024-05-03").unwrap();
    let other = CharterDate::parse("2024-05-04").unwrap();
    let roster: Vec<CrewMember> = (0..10_000)
        .map(|i| CrewMember {
            crew_id: CrewId::parse(&format!("crew-{i:05}")).unwrap(),
            name: format!("Member {i}"),
            email: EmailAddress::parse(&format!("m{i}@example.com")).unwrap(),
            phone: None,
            captain_certified: i % 4 == 0,
            available_dates: if i % 3 == 0 {
                [other].into()
            } else {
                [date, other].into()
            },
            certifications: if i % 5 == 0 {
                Default::default()
            } else {
                ["deckhand".to_string()].into()
            },
            active: i % 50 != 0,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        })
        .collect();
    let held: dispatch_cascade::engine::CrewSet = roster
        .iter()
        .step_by(7)
        .map(|m| m.crew_id.clone())
        .collect();
    let load: dispatch_cascade::engine::CrewMap<u32> = roster
        .iter()
        .map(|m| (m.crew_id.clone(), (m.crew_id.as_str().len() % 4) as u32))
        .collect();
    let charter = Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: date,
        vessel_name: "Bench".into(),
        captain_assigned: Some(roster[4].crew_id.clone()),
        crew_assigned: vec![],
        guest_count: 30,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: None,
    };
    let now = Utc::now();
    let offers: Vec<Offer> = roster
        .iter()
        .skip(1)
        .step_by(40)
        .map(|m| Offer {
            offer_id: OfferId::new_random(),
            charter_id: charter.charter_id.clone(),
            charter_date: date,
            crew_id: m.crew_id.clone(),
            role: Role::Crew { slot: 0 },
            status: OfferStatus::Declined,
            created_at: now,
            expires_at: now,
            updated_at: now,
        })
        .collect();
    let s = Situation {
        charter: &charter,
        roster: &roster,
        held: &held,
        offers: &offers,
        load: &load,
        vessel: None,
    };
    for (name, role) in [
        ("captain", Role::Captain),
        ("crew slot", Role::Crew { slot: 1 }),
    ] {
        let _ = slate(&s, role); // warm up
        let runs = 200;
        let mut times = Vec::with_capacity(runs);
        let mut n = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let sl = slate(&s, role);
            times.push(t.elapsed());
            n = sl.candidates.len();
        }
        times.sort();
        println!(
            "{name:<10} roster 10000, {} offers, {} held: {n} candidates; median {:?}, p95 {:?}, max {:?}",
            offers.len(),
            held.len(),
            times[runs / 2],
            times[runs * 95 / 100],
            times[runs - 1]
        );
    }
}
