//! Test data: a charter and a crew member with the fields most tests leave alone filled in. Its
//! own file so the rig's other parts (world, app, processes) hold no domain data.

use dispatch_core::domain::*;

/// A charter on `date` for `guests`, booked now, aboard Marlin.
pub fn charter(date: &str, guests: u32, crew_needed: Option<u32>) -> Charter {
    Charter {
        charter_id: CharterId::new_random(),
        created_at: chrono::Utc::now().to_rfc3339(),
        charter_date: CharterDate::parse(date).unwrap(),
        vessel_name: "Marlin".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: guests,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed,
    }
}

/// An active member available on `dates`, mailed at `<id>@example.com`.
pub fn member(id: &str, captain: bool, deckhand: bool, dates: &[&str]) -> CrewMember {
    CrewMember {
        crew_id: CrewId::parse(id).unwrap(),
        name: id.into(),
        email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
        phone: None,
        captain_certified: captain,
        available_dates: dates
            .iter()
            .map(|d| CharterDate::parse(d).unwrap())
            .collect(),
        certifications: if deckhand {
            ["deckhand".to_string()].into()
        } else {
            Default::default()
        },
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    }
}
