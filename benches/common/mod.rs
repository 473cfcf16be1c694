//! What the benches share: the cascade's settings and a booked charter, as the tests make them
//! (`tests/common/data.rs`, included by path), and a member as the benches make them. Each bench
//! includes this module (`#[path = "common/mod.rs"]`) and uses the part it needs, so the rest is
//! dead code there.
#![allow(dead_code)]

use dispatch_core::domain::*;

#[path = "../../tests/common/data.rs"]
mod data;

#[allow(unused_imports)] // not every bench runs a cascade
pub use data::settings;

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

/// A booked charter on `date` for `guests`, needing `crew` besides its captain (the tests'
/// charter, dated as the benches date them).
pub fn charter(date: CharterDate, guests: u32, crew: u32) -> Charter {
    data::charter(&date.to_string(), guests, Some(crew))
}
