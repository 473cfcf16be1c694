//! What the benches share: the cascade's settings, and a member and a booked charter as the
//! benches make them. Each bench includes this module (`#[path = "common/mod.rs"]`) and uses the
//! part it needs, so the rest is dead code there.
#![allow(dead_code)]

use std::time::Duration;

use chrono::Utc;
use dispatch_cascade::CascadeSettings;
use dispatch_core::domain::*;

/// Settings as a bench runs them: one ops address, default alert thresholds, no vessels.
pub fn settings(public_url: &str, offer_timeout: Duration) -> CascadeSettings {
    CascadeSettings {
        public_url: public_url.into(),
        offer_timeout,
        link_ttl: chrono::Duration::days(1),
        page_link_ttl: chrono::Duration::days(30),
        drop_cutoff: chrono::Duration::hours(24),
        from: EmailAddress::parse("dispatch@example.com").expect("address"),
        from_name: "Dispatch".into(),
        ops: vec![EmailAddress::parse("ops@example.com").expect("address")],
        vessels: Default::default(),
        zone: Default::default(),
        office_phone: None,
        alert_before_hours: vec![72, 24],
    }
}

/// An active member `id` (mail `<id>@example.com`), available on `dates`.
pub fn member(
    id: &str,
    name: String,
    captain: bool,
    dates: impl IntoIterator<Item = CharterDate>,
    certifications: &[&str],
) -> CrewMember {
    CrewMember {
        crew_id: CrewId::parse(id).expect("id"),
        name,
        email: EmailAddress::parse(&format!("{id}@example.com")).expect("address"),
        phone: None,
        captain_certified: captain,
        available_dates: dates.into_iter().collect(),
        certifications: certifications.iter().map(|c| c.to_string()).collect(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    }
}

/// A booked charter on `date` for `guests`, needing `crew` besides its captain.
pub fn charter(date: CharterDate, guests: u32, crew: u32) -> Charter {
    Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: date,
        vessel_name: "Bench".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: guests,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: Some(crew),
    }
}
