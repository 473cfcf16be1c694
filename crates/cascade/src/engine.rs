//! The decision engine: who may be asked for a slot, in what order, and why the others may not.
//! Pure: data in, data out; no clock, no I/O.
//!
//! Order: preferred captains of the vessel first (captain slot only), then fewest assignments in
//! the charter's month, then a stable per-charter rotation (a hash of charter id and crew id), so
//! the same person is not always first and a retry computes the same order.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a: a fast hasher for the engine's sets of crew ids (our own roster's ids, not
/// attacker-chosen keys), which would otherwise spend most of candidate selection in SipHash.
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A set of crew ids with the fast hasher.
pub type CrewSet = HashSet<CrewId, BuildHasherDefault<Fnv>>;
/// A map from crew ids with the fast hasher.
pub type CrewMap<V> = HashMap<CrewId, V, BuildHasherDefault<Fnv>>;

use dispatch_core::domain::{Charter, CrewId, CrewMember, Offer, Role, SlotNeeds, Unfit};

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
    /// The captain's licence allows fewer guests than the charter has.
    LicenceTooSmall,
    /// The captain's licence or a needed certification runs out before the charter's date.
    Expired,
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
            Self::LicenceTooSmall => "licence too small for the guests",
            Self::Expired => "licence or certification expired by that date",
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
    pub held: &'a CrewSet,
    /// Every offer of this charter so far.
    pub offers: &'a [Offer],
    /// Assignments per member in the charter's month (captain or crew).
    pub load: &'a CrewMap<u32>,
    pub vessel: Option<&'a VesselConfig>,
}

/// The ordered candidates for a slot, and the others with their reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slate<'a> {
    pub candidates: Vec<&'a CrewId>,
    /// Everyone else in roster order, with the first reason that rules them out.
    pub excluded: Vec<(&'a CrewId, Exclusion)>,
}

/// A stable, per-charter pseudo-random rank: FNV-1a over `charter_id|crew_id`, then the
/// SplitMix64 finalizer. Written out here (not `std`'s hasher) so it never changes between
/// builds: a retried step must compute the same order.
pub fn rotation(charter: &Charter, crew: &CrewId) -> u64 {
    rotation_from(rotation_seed(charter), crew)
}

/// The FNV state after `charter_id|`, computed once per slate.
fn rotation_seed(charter: &Charter) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in charter
        .charter_id
        .as_str()
        .bytes()
        .chain(std::iter::once(b'|'))
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn rotation_from(seed: u64, crew: &CrewId) -> u64 {
    let mut h = seed;
    for b in crew.as_str().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// What the slot `role` of `charter` asks of a member on the roster: `captain_certified` (and a
/// licence, if they have one, that covers the charter's guests) for the captain; for crew the
/// vessel's crew certifications, else `deckhand`. The candidate choice, the accept transaction
/// and the planner's withdrawals all ask this.
pub fn needs(role: Role, charter: &Charter, vessel: Option<&VesselConfig>) -> SlotNeeds {
    let guests = charter.guest_count;
    match role {
        Role::Captain => SlotNeeds {
            captain: true,
            certifications: vec![],
            guests,
        },
        Role::Crew { .. } => {
            let certs = vessel
                .map(|v| v.crew_certifications.clone())
                .unwrap_or_default();
            SlotNeeds {
                captain: false,
                certifications: if certs.is_empty() {
                    vec!["deckhand".into()]
                } else {
                    certs
                        .iter()
                        .map(|c| dispatch_core::domain::normalize_certification(c))
                        .collect()
                },
                guests,
            }
        }
    }
}

/// Candidates for `role` on the situation's charter.
pub fn slate<'a>(s: &Situation<'a>, role: Role) -> Slate<'a> {
    let c = s.charter;
    let needs = needs(role, c, s.vessel);
    let mut asked: HashMap<&CrewId, Exclusion, BuildHasherDefault<Fnv>> = HashMap::default();
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
    let mut excluded = Vec::new();
    let mut ok: Vec<&'a CrewMember> = Vec::new();
    for m in s.roster {
        let why = if !m.active {
            Some(Exclusion::Inactive)
        } else if c.captain_assigned.as_ref() == Some(&m.crew_id) {
            Some(Exclusion::IsCaptain)
        } else if c.crew_assigned.contains(&m.crew_id) {
            Some(Exclusion::OnCrew)
        } else if let Some(why) = m.unfit_for(&needs, c.charter_date) {
            Some(match why {
                Unfit::NotAvailable => Exclusion::NotAvailable,
                Unfit::Inactive => Exclusion::Inactive,
                Unfit::LicenceTooSmall { .. } => Exclusion::LicenceTooSmall,
                Unfit::LicenceExpires(_) | Unfit::CertificationExpires(..) => Exclusion::Expired,
                _ => Exclusion::NotCertified,
            })
        } else if s.held.contains(&m.crew_id) {
            Some(Exclusion::HeldThatDate)
        } else {
            asked.get(&m.crew_id).copied()
        };
        match why {
            Some(w) => {
                excluded.push((&m.crew_id, w));
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
    let seed = rotation_seed(c);
    let mut keyed: Vec<((usize, u32, u64), &'a CrewMember)> = ok
        .into_iter()
        .map(|m| {
            (
                (
                    pref_rank(&m.crew_id),
                    s.load.get(&m.crew_id).copied().unwrap_or(0),
                    rotation_from(seed, &m.crew_id),
                ),
                m,
            )
        })
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.crew_id.cmp(&b.1.crew_id)));
    let ok: Vec<&'a CrewMember> = keyed.into_iter().map(|(_, m)| m).collect();
    Slate {
        candidates: ok.into_iter().map(|m| &m.crew_id).collect(),
        excluded,
    }
}

/// Assignments per member in a set of charters (captain or crew), for [`Situation::load`].
pub fn load_of(charters: &[Charter]) -> CrewMap<u32> {
    let mut load = CrewMap::default();
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
