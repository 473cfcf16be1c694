//! Test data: a charter and a crew member with the fields most tests leave alone filled in, and
//! the cascade's settings. Its own file so the rig's other parts (world, app, processes) hold no
//! domain data, and so the benches share it (`benches/common` includes it by path).

use std::time::Duration;

use dispatch_cascade::CascadeSettings;
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

/// The cascade's settings in tests: links to `public_url`, a one-day link lifetime, mail from
/// `dispatch@example.com`, ops at `ops@example.com`, UTC, no vessels.
pub fn settings(public_url: &str, offer_timeout: Duration) -> CascadeSettings {
    CascadeSettings {
        public_url: public_url.into(),
        offer_timeout,
        link_ttl: chrono::Duration::days(1),
        page_link_ttl: chrono::Duration::days(30),
        drop_cutoff: chrono::Duration::hours(24),
        alert_before_hours: vec![72, 24],
        from: EmailAddress::parse("dispatch@example.com").unwrap(),
        from_name: "Dispatch".into(),
        ops: vec![EmailAddress::parse("ops@example.com").unwrap()],
        vessels: Default::default(),
        zone: Default::default(),
        office_phone: None,
    }
}
