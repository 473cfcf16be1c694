//! Papers for the property test's members: a captain's licence and a deckhand certification
//! expiry each, some of which rule the member out for the charter of [`DATE`] with 10 guests.

use dispatch_core::domain::*;
use proptest::prelude::*;

use crate::world::{World, DATE, OLD_DATE};

/// (captain's licence 0..5, deckhand certification expiry 0..3) of one member: see [`with_papers`].
pub type PapersSpec = (u8, u8);

pub fn papers_spec() -> impl Strategy<Value = PapersSpec> {
    (0u8..5, 0u8..3)
}

/// Gives the members papers (the charter has 10 guests, on [`DATE`]). Licence: 0 none, 1 a
/// six-pack (too small), 2 ran out the day before, 3 runs out on the day (good), 4 no expiry.
/// Deckhand certification: 0 no expiry, 1 ran out the day before, 2 runs out on the day (good).
pub fn with_papers(mut w: World, papers: &[PapersSpec]) -> World {
    let day = |s: &str| CharterDate::parse(s).unwrap();
    for (m, (licence, cert)) in w.roster.iter_mut().zip(papers) {
        m.captain_licence = match licence {
            1 => Some(CaptainLicence {
                class: "six-pack".into(),
                max_passengers: Some(6),
                expires: None,
            }),
            2 => Some(CaptainLicence {
                class: "OUPV".into(),
                max_passengers: Some(12),
                expires: Some(day(OLD_DATE)),
            }),
            3 => Some(CaptainLicence {
                class: "Master".into(),
                max_passengers: Some(10),
                expires: Some(day(DATE)),
            }),
            4 => Some(CaptainLicence {
                class: "Master".into(),
                max_passengers: None,
                expires: None,
            }),
            _ => None,
        };
        m.certification_expiry = match cert {
            1 => [("deckhand".to_string(), day(OLD_DATE))].into(),
            2 => [("deckhand".to_string(), day(DATE))].into(),
            _ => Default::default(),
        };
    }
    w
}
