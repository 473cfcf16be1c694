//! What should happen next for one charter: a pure function from what is true now to a list of
//! actions (the table in DESIGN.md, "How the cascade moves"). No clock, no I/O: `now` is an
//! input, and so is what the thread already records.
//!
//! Every action is idempotent by a key derived from the state: offer ids come from (charter,
//! slot, attempt), mail keys from the offer id, thread entries have fixed ids. The plan assumes
//! its own earlier actions succeed (a lapse is followed by the next offer in the same plan), so
//! applying a plan and planning again yields nothing: the plan is a fixed point.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    Charter, CharterDate, CharterId, CharterStatus, CrewId, CrewMember, Offer, OfferId,
    OfferStatus, Role,
};
use dispatch_core::ports::Hold;
use sha2::{Digest, Sha256};

use crate::engine::{self, CrewMap, CrewSet, Exclusion, Situation, VesselConfig};

/// What a removed charter left behind (from the stream's old image), so its holds can still be
/// found and released.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gone {
    pub charter_date: Option<CharterDate>,
    pub assigned: Vec<CrewId>,
}

/// Everything the planner looks at for one charter.
pub struct State<'a> {
    pub charter_id: &'a CharterId,
    /// `None`: the charter was removed.
    pub charter: Option<&'a Charter>,
    /// For a removed charter: its date and crew, as last seen.
    pub gone: Option<&'a Gone>,
    /// Every offer of the charter, oldest first.
    pub offers: &'a [Offer],
    pub roster: &'a [CrewMember],
    /// Holds on the charter's date of the members that matter (available, assigned, offered).
    pub holds: &'a CrewMap<Hold>,
    /// Assignments per member in the charter's month.
    pub load: &'a CrewMap<u32>,
    pub vessel: Option<&'a VesselConfig>,
    /// Ids of the entries the charter's thread already has: the record of effects done.
    pub noted: &'a HashSet<String>,
    /// Members ops cleared to be asked again (`dispatch charter reoffer`), with when: their closed
    /// offers made before then no longer count as "already asked".
    pub cleared: &'a CrewMap<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// How long a new offer stays open.
    pub offer_timeout: chrono::Duration,
}

/// Why an open offer is withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeWhy {
    CharterClosed,
    SlotFilled,
    /// The member is now on this charter in another role or slot.
    OnThisCharter,
    /// The member got booked on another charter that day.
    BookedElsewhere(CharterId),
    /// The slot no longer exists (fewer crew needed).
    SlotGone,
    /// Never mailed, and its deadline is past or too near to answer (its send job waited, e.g.
    /// in a DLQ until replayed): the member is asked again with a fresh deadline.
    Renewed,
}

impl RevokeWhy {
    pub fn text(&self) -> String {
        match self {
            Self::CharterClosed => "offer withdrawn: charter cancelled".into(),
            Self::SlotFilled => "offer withdrawn: the slot was filled".into(),
            Self::OnThisCharter => "offer withdrawn: already on this charter".into(),
            Self::BookedElsewhere(c) => format!("offer withdrawn: booked on charter {c} that day"),
            Self::SlotGone => "offer withdrawn: fewer crew needed".into(),
            Self::Renewed => {
                "offer withdrawn unsent (too late to answer); asked again with a fresh deadline"
                    .into()
            }
        }
    }
}

/// One step towards where the charter should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Close an open offer whose time has passed (open → lapsed).
    Lapse { offer: OfferId },
    /// Withdraw an open offer (open → revoked).
    Revoke { offer: OfferId, why: RevokeWhy },
    /// Store a new offer (its id is derived from charter, slot and attempt).
    MakeOffer { offer: Offer },
    /// Mail the offer, arm its lapse timer, then note it in the thread (`offer_sent-<id>`): the
    /// note is written last, so its presence says the other two happened.
    SendOffer { offer: OfferId },
    /// Write the missing thread entry of a closed offer (`<status>-<id>`).
    NoteClosed { offer: OfferId },
    /// Mail the member of an accepted offer their confirmation (with a calendar entry), then
    /// note it (`confirmed-<id>`).
    Confirm { offer: OfferId },
    /// Take the crew-day hold of a member assigned outside the cascade.
    TakeHold { crew: CrewId },
    /// An assigned member holds that day for another charter: note it and tell ops, once.
    ReportConflict { crew: CrewId, other: CharterId },
    /// Every slot is filled: `booked` → `staffed`, and note it.
    MarkStaffed,
    /// A slot opened again on a staffed charter (someone was unassigned): back to `booked`.
    Unstaff,
    /// Nobody left for a slot: mail ops and note it, once per slot and attempt count.
    Escalate {
        role: Role,
        attempts: usize,
        /// Who was not asked or said no, with why, for the people who pick up the phone.
        excluded: Vec<(CrewId, Exclusion)>,
    },
    /// Release a member's hold on this charter's day.
    ReleaseHold { crew: CrewId, date: CharterDate },
    /// Release a hold this open charter has for a member no longer on it (unassigned by ops); the
    /// effect reads the charter again first, so an accept that just landed keeps its hold.
    ReleaseStrayHold { crew: CrewId, date: CharterDate },
    /// Tell a member who was confirmed that the charter is cancelled, and note it.
    TellReleased { crew: CrewId, date: CharterDate },
    /// Note the cancellation once all else is done.
    NoteCancelled,
}

impl Action {
    /// Whether the action changes what the cascade decides on (as opposed to telling people).
    pub fn is_transition(&self) -> bool {
        matches!(
            self,
            Self::Lapse { .. } | Self::Revoke { .. } | Self::MakeOffer { .. }
        )
    }
}

/// The `n`th offer for a slot: the same inputs give the same id, so a retried or concurrent
/// reconcile finds the offer already made instead of making another.
pub fn offer_id_for(charter: &CharterId, role: Role, n: usize) -> OfferId {
    let d = Sha256::new()
        .chain_update(format!("offer|{charter}|{}|{n}", role_key(role)))
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let id = uuid::Uuid::from_bytes(b).to_string();
    #[allow(clippy::expect_used)] // a UUID rendered by `uuid` is a valid offer id
    OfferId::parse(&id).expect("a UUID is an offer id")
}

/// `captain` or `crew-<slot>`: the slot's part of keys and entry ids.
pub fn role_key(role: Role) -> String {
    match role {
        Role::Captain => "captain".into(),
        Role::Crew { slot } => format!("crew-{slot}"),
    }
}

/// Thread entry ids (the record of what was done).
pub mod ids {
    use dispatch_core::domain::{CrewId, OfferId, OfferStatus, Role};

    pub fn sent(o: &OfferId) -> String {
        format!("offer_sent-{o}")
    }
    pub fn closed(status: OfferStatus, o: &OfferId) -> String {
        let kind = match status {
            OfferStatus::Accepted => "accepted",
            OfferStatus::Declined => "declined",
            OfferStatus::Lapsed => "lapsed",
            _ => "revoked",
        };
        format!("{kind}-{o}")
    }
    pub fn escalated(role: Role, attempts: usize) -> String {
        format!("escalated-{}-{attempts}", super::role_key(role))
    }
    pub fn conflict(c: &CrewId) -> String {
        format!("conflict-{c}")
    }
    pub fn released(c: &CrewId) -> String {
        format!("released-{c}")
    }
    /// Ops cleared `c` to be asked again (`dispatch charter reoffer`), at `at_ms`.
    pub fn cleared(c: &CrewId, at_ms: i64) -> String {
        format!("reoffer-{c}-{at_ms}")
    }
    /// The prefix of [`cleared`] entries.
    pub const CLEARED_PREFIX: &str = "reoffer-";
    pub const STAFFED: &str = "staffed";
    pub const CANCELLED: &str = "cancelled";
}

/// Crew slots of a charter (see [`engine::crew_needed`]).
pub fn crew_needed(charter: &Charter, vessel: Option<&VesselConfig>) -> u32 {
    engine::crew_needed(charter, vessel)
}

/// Whether a charter has its captain and every crew slot.
pub fn is_filled(charter: &Charter, vessel: Option<&VesselConfig>) -> bool {
    charter.captain_assigned.is_some()
        && charter.crew_assigned.len() >= crew_needed(charter, vessel) as usize
}

/// Which slots of an open charter are open and which filled: the captain's if unset; crew slots
/// once a captain is set (see [`crew_slots`]).
pub fn slots(s: &State<'_>, c: &Charter) -> (Vec<Role>, HashSet<Role>) {
    let mut open_slots: Vec<Role> = Vec::new();
    let mut filled_slots: HashSet<Role> = HashSet::new();
    if c.captain_assigned.is_none() {
        open_slots.push(Role::Captain);
    } else {
        filled_slots.insert(Role::Captain);
        let (open, filled) = crew_slots(s, c);
        open_slots.extend(open.into_iter().map(|slot| Role::Crew { slot }));
        filled_slots.extend(filled.into_iter().map(|slot| Role::Crew { slot }));
    }
    (open_slots, filled_slots)
}

/// The crew slots (open, filled), whether or not a captain is set: filled by an accepted offer
/// of a member still on the crew, or one per member put on the crew by hand (lowest free slots
/// first); the rest are open.
pub fn crew_slots(s: &State<'_>, c: &Charter) -> (Vec<u32>, HashSet<u32>) {
    let needed = crew_needed(c, s.vessel);
    let mut by_offer: HashSet<u32> = HashSet::new();
    let mut covered: HashSet<&CrewId> = HashSet::new();
    for o in s.offers {
        if let (OfferStatus::Accepted, Role::Crew { slot }) = (o.status, o.role) {
            if c.crew_assigned.contains(&o.crew_id) && covered.insert(&o.crew_id) {
                by_offer.insert(slot);
            }
        }
    }
    let mut by_hand = c
        .crew_assigned
        .iter()
        .filter(|m| !covered.contains(m))
        .count();
    let (mut open, mut filled) = (Vec::new(), HashSet::new());
    for slot in 0..needed {
        if by_offer.contains(&slot) {
            filled.insert(slot);
        } else if by_hand > 0 {
            by_hand -= 1;
            filled.insert(slot);
        } else {
            open.push(slot);
        }
    }
    (open, filled)
}

/// The offers that count as "already asked": all of them, less the closed offers made before ops
/// cleared their member to be asked again.
pub fn asked_offers(s: &State<'_>) -> Vec<Offer> {
    s.offers
        .iter()
        .filter(|o| {
            o.status == OfferStatus::Open
                || s.cleared
                    .get(&o.crew_id)
                    .is_none_or(|at| o.created_at >= *at)
        })
        .cloned()
        .collect()
}

/// The plan for one charter.
pub fn plan(s: &State<'_>) -> Vec<Action> {
    let mut out = Vec::new();
    match s.charter {
        Some(c) if c.status == CharterStatus::Completed => {}
        Some(c) if c.status == CharterStatus::Cancelled => plan_release(s, Some(c), &mut out),
        None => plan_release(s, None, &mut out),
        Some(c) => plan_open(s, c, &mut out),
    }
    out
}

/// Notes for closed offers whose entry is missing (a crash between the change and its note).
fn note_closed(s: &State<'_>, out: &mut Vec<Action>) {
    for o in s.offers {
        if o.status != OfferStatus::Open && !s.noted.contains(&ids::closed(o.status, &o.offer_id)) {
            out.push(Action::NoteClosed {
                offer: o.offer_id.clone(),
            });
        }
    }
}

fn plan_release(s: &State<'_>, c: Option<&Charter>, out: &mut Vec<Action>) {
    for o in s.offers.iter().filter(|o| o.status == OfferStatus::Open) {
        out.push(Action::Revoke {
            offer: o.offer_id.clone(),
            why: RevokeWhy::CharterClosed,
        });
    }
    note_closed(s, out);
    // Everyone who was confirmed: the charter's crew (or, removed, as last seen) and accepted offers.
    let mut confirmed: BTreeSet<CrewId> = BTreeSet::new();
    let date = match (c, s.gone) {
        (Some(c), _) => {
            confirmed.extend(c.captain_assigned.iter().cloned());
            confirmed.extend(c.crew_assigned.iter().cloned());
            Some(c.charter_date)
        }
        (None, Some(g)) => {
            confirmed.extend(g.assigned.iter().cloned());
            g.charter_date
        }
        (None, None) => None,
    };
    confirmed.extend(
        s.offers
            .iter()
            .filter(|o| o.status == OfferStatus::Accepted)
            .map(|o| o.crew_id.clone()),
    );
    let Some(date) = date.or_else(|| s.offers.first().map(|o| o.charter_date)) else {
        return;
    };
    for crew in &confirmed {
        if s.holds
            .get(crew)
            .is_some_and(|h| &h.charter_id == s.charter_id)
        {
            out.push(Action::ReleaseHold {
                crew: crew.clone(),
                date,
            });
        }
    }
    for crew in &confirmed {
        if !s.noted.contains(&ids::released(crew)) {
            out.push(Action::TellReleased {
                crew: crew.clone(),
                date,
            });
        }
    }
    if !s.noted.contains(ids::CANCELLED) {
        out.push(Action::NoteCancelled);
    }
}

fn plan_open(s: &State<'_>, c: &Charter, out: &mut Vec<Action>) {
    let assigned: Vec<&CrewId> = c
        .captain_assigned
        .iter()
        .chain(c.crew_assigned.iter())
        .collect();
    // Holds for every assignment, however it was made.
    for m in &assigned {
        match s.holds.get(*m) {
            Some(h) if &h.charter_id == s.charter_id => {}
            Some(h) => {
                if !s.noted.contains(&ids::conflict(m)) {
                    out.push(Action::ReportConflict {
                        crew: (*m).clone(),
                        other: h.charter_id.clone(),
                    });
                }
            }
            None => out.push(Action::TakeHold { crew: (*m).clone() }),
        }
    }
    // Holds of this charter for members no longer on it (unassigned by hand).
    let mut stray: Vec<&CrewId> = s
        .holds
        .iter()
        .filter(|(m, h)| &h.charter_id == s.charter_id && !assigned.contains(m))
        .map(|(m, _)| m)
        .collect();
    stray.sort();
    for m in stray {
        out.push(Action::ReleaseStrayHold {
            crew: m.clone(),
            date: c.charter_date,
        });
    }

    // Confirmations of accepted offers whose member is still aboard (not for past charters).
    let yesterday = (s.now - chrono::Duration::days(1)).date_naive();
    for o in s
        .offers
        .iter()
        .filter(|o| o.status == OfferStatus::Accepted)
    {
        let aboard = match o.role {
            Role::Captain => c.captain_assigned.as_ref() == Some(&o.crew_id),
            Role::Crew { .. } => c.crew_assigned.contains(&o.crew_id),
        };
        if aboard
            && c.charter_date.naive() >= yesterday
            && !s.noted.contains(&crate::confirm::confirmed_id(&o.offer_id))
        {
            out.push(Action::Confirm {
                offer: o.offer_id.clone(),
            });
        }
    }

    let (open_slots, filled_slots) = slots(s, c);

    // Offers already out: withdraw those that can no longer stand, lapse the overdue ones.
    let mut live: HashSet<Role> = HashSet::new();
    // Members with a live offer (at most one slot each: a second is withdrawn).
    let mut asked_live: HashSet<&CrewId> = HashSet::new();
    // Fresh offers for members whose offer was never mailed in time.
    let mut picked: Vec<Offer> = Vec::new();
    for o in s.offers.iter().filter(|o| o.status == OfferStatus::Open) {
        let why = if filled_slots.contains(&o.role) {
            Some(RevokeWhy::SlotFilled)
        } else if !open_slots.contains(&o.role) {
            Some(RevokeWhy::SlotGone)
        } else if assigned.contains(&&o.crew_id) || asked_live.contains(&o.crew_id) {
            Some(RevokeWhy::OnThisCharter)
        } else {
            s.holds
                .get(&o.crew_id)
                .filter(|h| &h.charter_id != s.charter_id)
                .map(|h| RevokeWhy::BookedElsewhere(h.charter_id.clone()))
        };
        let unsent = !s.noted.contains(&ids::sent(&o.offer_id));
        if let Some(why) = why {
            out.push(Action::Revoke {
                offer: o.offer_id.clone(),
                why,
            });
        } else if unsent && !live.contains(&o.role) && o.expires_at - s.now < s.offer_timeout / 2 {
            // The member never got this offer and could not answer it in time now: withdraw it
            // and ask them again with a fresh deadline, rather than mail one about to lapse.
            out.push(Action::Revoke {
                offer: o.offer_id.clone(),
                why: RevokeWhy::Renewed,
            });
            let attempts = s.offers.iter().filter(|x| x.role == o.role).count()
                + picked.iter().filter(|x| x.role == o.role).count();
            let fresh = Offer {
                offer_id: offer_id_for(&c.charter_id, o.role, attempts),
                status: OfferStatus::Open,
                created_at: s.now,
                expires_at: s.now + s.offer_timeout,
                updated_at: s.now,
                ..o.clone()
            };
            out.push(Action::MakeOffer {
                offer: fresh.clone(),
            });
            out.push(Action::SendOffer {
                offer: fresh.offer_id.clone(),
            });
            live.insert(o.role);
            asked_live.insert(&o.crew_id);
            picked.push(fresh);
        } else if s.now >= o.expires_at {
            out.push(Action::Lapse {
                offer: o.offer_id.clone(),
            });
        } else if live.contains(&o.role) {
            // Two open offers for one slot (cannot happen through plan; heal it anyway).
            out.push(Action::Revoke {
                offer: o.offer_id.clone(),
                why: RevokeWhy::OnThisCharter,
            });
        } else {
            live.insert(o.role);
            asked_live.insert(&o.crew_id);
            if unsent {
                out.push(Action::SendOffer {
                    offer: o.offer_id.clone(),
                });
            }
        }
    }
    note_closed(s, out);

    // Slots with nobody asked right now: the next candidate, or escalate.
    let held: CrewSet = s
        .holds
        .iter()
        .filter(|(_, h)| &h.charter_id != s.charter_id)
        .map(|(m, _)| m.clone())
        .collect();
    for role in open_slots.iter().copied().filter(|r| !live.contains(r)) {
        // The offers as they will be once this plan has run: closed ones count as asked, less
        // those ops cleared.
        let mut offers: Vec<Offer> = asked_offers(s);
        offers.extend(picked.iter().cloned());
        let sit = Situation {
            charter: c,
            roster: s.roster,
            held: &held,
            offers: &offers,
            load: s.load,
            vessel: s.vessel,
        };
        let slate = engine::slate(&sit, role);
        let attempts = s.offers.iter().filter(|o| o.role == role).count()
            + picked.iter().filter(|o| o.role == role).count();
        match slate.candidates.first() {
            Some(next) => {
                let offer = Offer {
                    offer_id: offer_id_for(&c.charter_id, role, attempts),
                    charter_id: c.charter_id.clone(),
                    charter_date: c.charter_date,
                    crew_id: (*next).clone(),
                    role,
                    status: OfferStatus::Open,
                    created_at: s.now,
                    expires_at: s.now + s.offer_timeout,
                    updated_at: s.now,
                };
                out.push(Action::MakeOffer {
                    offer: offer.clone(),
                });
                out.push(Action::SendOffer {
                    offer: offer.offer_id.clone(),
                });
                picked.push(offer);
            }
            None => {
                if !s.noted.contains(&ids::escalated(role, attempts)) {
                    out.push(Action::Escalate {
                        role,
                        attempts,
                        excluded: slate
                            .excluded
                            .iter()
                            .map(|(m, why)| ((*m).clone(), *why))
                            .collect(),
                    });
                }
            }
        }
    }

    let filled = is_filled(c, s.vessel);
    if filled && (c.status == CharterStatus::Booked || !s.noted.contains(ids::STAFFED)) {
        out.push(Action::MarkStaffed);
    } else if !filled && c.status == CharterStatus::Staffed {
        out.push(Action::Unstaff);
    }
}
