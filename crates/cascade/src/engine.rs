//! The decision engine: who may be asked for a slot, in what order, and why the others may not.
//! Pure: data in, data out; no clock, no I/O.
//!
//! Order: preferred captains of the vessel first (captain slot only), then fewest assignments in
//! the charter's month, then a stable per-charter rotation (a hash of charter id and crew id), so
//! the same person is not always first and a retry computes the same order.

use std::collections::{BTreeMap, HashMap, HashSet};

use dispatch_core::domain::{Charter, CrewId, CrewMember, Offer, Role};
use sha2::{Digest, Sha256};

pub use dispatch_core::config::VesselConfig;

/// Guests one deckhand can look after, for the default crew size.
pub const GUESTS_PER_DECKHAND: u32 = 12;

/// Crew slots of a charter: its own `crew_needed`, else the vessel's, else one deckhand per 12
/// guests, at least one.
pub fn crew_needed(charter: &Charter, vessel: Option<&VesselConfig>) -> u32 {
    charter
        .crew_needed
        .or(vessel.and_then(|v| v.crew_needed))
        .unwrap_or_else(|| charter.guest_count.div_ceil(GUESTS_PER_DECKHAND).max(1))
}

/// Why a member is not a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exclusion {
    Inactive,
    NotCertified,
    NotAvailable,
    HeldThatDate,
    /// Already asked for this charter (any slot), whatever they answered.
    AlreadyAsked,
    Declined,
    Lapsed,
    IsCaptain,
    OnCrew,
}

impl Exclusion {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::NotCertified => "not certified",
            Self::NotAvailable => "not available that date",
            Self::HeldThatDate => "already booked that date",
            Self::AlreadyAsked => "already asked for this charter",
            Self::Declined => "declined this charter",
            Self::Lapsed => "let this charter's offer lapse",
            Self::IsCaptain => "is the captain",
            Self::OnCrew => "already on the crew",
        }
    }
}

/// Everything the engine looks at for one charter.
pub struct Situation<'a> {
    pub charter: &'a Charter,
    pub roster: &'a [CrewMember],
    /// Members held (booked) on the charter's date, by any charter.
    pub held: &'a HashSet<CrewId>,
    /// Every offer of this charter so far.
    pub offers: &'a [Offer],
    /// Assignments per member in the charter's month (captain or crew).
    pub load: &'a HashMap<CrewId, u32>,
    pub vessel: Option<&'a VesselConfig>,
}

/// The ordered candidates for a slot, and the others with their reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slate {
    pub candidates: Vec<CrewId>,
    pub excluded: BTreeMap<CrewId, Exclusion>,
}

/// A stable, per-charter pseudo-random rank.
pub fn rotation(charter: &Charter, crew: &CrewId) -> u64 {
    let d = Sha256::new()
        .chain_update(charter.charter_id.as_str())
        .chain_update(b"|")
        .chain_update(crew.as_str())
        .finalize();
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// Candidates for `role` on the situation's charter.
pub fn slate(s: &Situation<'_>, role: Role) -> Slate {
    let c = s.charter;
    let required: Vec<String> = match role {
        Role::Captain => vec![],
        Role::Crew { .. } => {
            let certs = s
                .vessel
                .map(|v| v.crew_certifications.clone())
                .unwrap_or_default();
            if certs.is_empty() {
                vec!["deckhand".into()]
            } else {
                certs
            }
        }
    };
    let mut asked: HashMap<&CrewId, Exclusion> = HashMap::new();
    for o in s.offers {
        let why = match o.status {
            dispatch_core::domain::OfferStatus::Declined => Exclusion::Declined,
            dispatch_core::domain::OfferStatus::Lapsed => Exclusion::Lapsed,
            _ => Exclusion::AlreadyAsked,
        };
        let entry = asked.entry(&o.crew_id).or_insert(why);
        if why < *entry {
            *entry = why;
        }
    }
    let mut excluded = BTreeMap::new();
    let mut ok: Vec<&CrewMember> = Vec::new();
    for m in s.roster {
        let why = if !m.active {
            Some(Exclusion::Inactive)
        } else if c.captain_assigned.as_ref() == Some(&m.crew_id) {
            Some(Exclusion::IsCaptain)
        } else if c.crew_assigned.contains(&m.crew_id) {
            Some(Exclusion::OnCrew)
        } else if matches!(role, Role::Captain) && !m.captain_certified {
            Some(Exclusion::NotCertified)
        } else if !required.iter().all(|r| m.has_certification(r)) {
            Some(Exclusion::NotCertified)
        } else if !m.is_available(c.charter_date) {
            Some(Exclusion::NotAvailable)
        } else if s.held.contains(&m.crew_id) {
            Some(Exclusion::HeldThatDate)
        } else {
            asked.get(&m.crew_id).copied()
        };
        match why {
            Some(w) => {
                excluded.insert(m.crew_id.clone(), w);
            }
            None => ok.push(m),
        }
    }
    let preferred: Vec<&str> = match role {
        Role::Captain => s
            .vessel
            .map(|v| v.preferred_captains.iter().map(String::as_str).collect())
            .unwrap_or_default(),
        Role::Crew { .. } => vec![],
    };
    let pref_rank = |id: &CrewId| {
        preferred
            .iter()
            .position(|p| *p == id.as_str())
            .unwrap_or(usize::MAX)
    };
    ok.sort_by_cached_key(|m| {
        (
            pref_rank(&m.crew_id),
            s.load.get(&m.crew_id).copied().unwrap_or(0),
            rotation(c, &m.crew_id),
            m.crew_id.clone(),
        )
    });
    Slate {
        candidates: ok.into_iter().map(|m| m.crew_id.clone()).collect(),
        excluded,
    }
}

/// Assignments per member in a set of charters (captain or crew), for [`Situation::load`].
pub fn load_of(charters: &[Charter]) -> HashMap<CrewId, u32> {
    let mut load = HashMap::new();
    for c in charters {
        if matches!(c.status, dispatch_core::domain::CharterStatus::Cancelled) {
            continue;
        }
        for id in c.captain_assigned.iter().chain(c.crew_assigned.iter()) {
            *load.entry(id.clone()).or_insert(0) += 1;
        }
    }
    load
}
