//! Putting a member on a slot by hand (`dispatch charter assign`), the pure half: which slot ops
//! fill ([`choose`]), and what the planner does with the order ops leave in the thread
//! ([`plan_orders`]): the slot's other open offers are withdrawn and the ordered offer is made,
//! never mailed. `ops::assign` then runs the accept transaction on it, as a member's accept
//! would, so the crew-day hold and every rule are checked in one place.
//!
//! `ops::unassign` leaves an `unassigned-<crew>-<ms>` entry; [`plan_unassigned_tells`] turns
//! each one not yet told into [`Action::TellUnassigned`], so the "you are free that day" mail
//! is an effect like any other: a lost one (an outage, or the web function, which sends no mail)
//! is sent by the next reconcile, once (its key names the moment ops acted).

use std::collections::HashSet;

use dispatch_core::domain::{
    Charter, CharterId, CrewId, CrewMember, Offer, OfferId, OfferStatus, Role, Unfit,
};

use crate::action::{Action, RevokeWhy};
use crate::engine::{needs, VesselConfig};
use crate::keys::{offer_id_for, EntryId, Unassigned};
use crate::slots::{attempts, crew_needed, crew_slots};
use crate::state::State;

/// How long an offer ordered by hand stays open: ops accept it at once, so this only bounds one
/// left behind by a crash between the order and the accept.
pub const HAND_OFFER_MINUTES: i64 = 5;

/// Which kind of slot `dispatch charter assign` fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    Captain,
    Crew,
}

/// Why ops cannot put the member on that kind of slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The charter has this captain already.
    CaptainTaken(CrewId),
    NotCaptainCertified,
    /// Every one of the `needed` crew slots is filled.
    CrewFull {
        needed: u32,
    },
}

/// Whether a member may take a slot by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fitness {
    Fit,
    /// Inactive, not certified for the role, or not available that day: refused unless ops say
    /// why they assign anyway.
    Unfit(Unfit),
    /// Never: already on this charter, or booked on another charter that day.
    Never(String),
}

/// Whether `m` may take a `kind` slot of `c` (`held`: the charter holding them that day, if
/// any). The CLI's refusals and the board's Assign list both ask this.
pub fn fitness(
    c: &Charter,
    m: &CrewMember,
    vessel: Option<&VesselConfig>,
    kind: SlotKind,
    held: Option<CharterId>,
) -> Fitness {
    if c.captain_assigned.as_ref() == Some(&m.crew_id) || c.crew_assigned.contains(&m.crew_id) {
        return Fitness::Never("already on this charter".into());
    }
    if let Some(other) = held.filter(|h| h != &c.charter_id) {
        return Fitness::Never(format!("booked on charter {other} that day"));
    }
    let role = match kind {
        SlotKind::Captain => Role::Captain,
        SlotKind::Crew => Role::Crew { slot: 0 },
    };
    match m.unfit_for(&needs(role, c, vessel), c.charter_date) {
        Some(u) => Fitness::Unfit(u),
        None => Fitness::Fit,
    }
}

/// The slot to fill, and the member's own open offer for it (accepted as it is) if they have
/// one. Crew: their own open offer's slot, else a slot nobody is asked for, else the first open.
pub fn choose<'a>(
    s: &'a State<'_>,
    c: &Charter,
    m: &CrewMember,
    kind: SlotKind,
) -> Result<(Role, Option<&'a Offer>), Refusal> {
    let open_offer = |role: Role| {
        s.offers
            .iter()
            .find(|o| o.status == OfferStatus::Open && o.role == role)
    };
    let role = match kind {
        SlotKind::Captain => {
            if let Some(cap) = &c.captain_assigned {
                return Err(Refusal::CaptainTaken(cap.clone()));
            }
            if !m.captain_certified {
                return Err(Refusal::NotCaptainCertified);
            }
            Role::Captain
        }
        SlotKind::Crew => {
            let (open, _) = crew_slots(s, c);
            let offered = |slot: &u32| open_offer(Role::Crew { slot: *slot });
            let pick = open
                .iter()
                .find(|x| offered(x).is_some_and(|o| o.crew_id == m.crew_id))
                .or_else(|| open.iter().find(|x| offered(x).is_none()))
                .or_else(|| open.first());
            let Some(slot) = pick else {
                return Err(Refusal::CrewFull {
                    needed: crew_needed(c, s.vessel),
                });
            };
            Role::Crew { slot: *slot }
        }
    };
    let own = s
        .offers
        .iter()
        .find(|o| o.status == OfferStatus::Open && o.role == role && o.crew_id == m.crew_id);
    Ok((role, own))
}

/// The id of the offer an order for `role` makes: the slot's next attempt.
pub fn order_offer_id(s: &State<'_>, role: Role) -> OfferId {
    offer_id_for(s.charter_id, role, attempts(s.offers, role))
}

/// What the orders in the thread come to for this plan.
#[derive(Debug, Default)]
pub struct Hand {
    /// Offers ordered by hand (made before, or by this plan): never mailed, never renewed.
    pub offers: HashSet<OfferId>,
    /// Open offers this plan withdraws for an order.
    pub withdrawn: HashSet<OfferId>,
}

/// Carries out the orders still to do: an order whose offer does not exist yet, for a member
/// not on the charter nor booked elsewhere that day, naming the next attempt of an open slot
/// (else the slot moved on since ops looked, and `ops::assign` tries again). New offers go to
/// `picked`.
pub fn plan_orders(
    s: &State<'_>,
    c: &Charter,
    open_slots: &[Role],
    picked: &mut Vec<Offer>,
    out: &mut Vec<Action>,
) -> Hand {
    let mut hand = Hand::default();
    for order in s.hand_orders() {
        if let Some(o) = s.offers.iter().find(|o| o.offer_id == order.offer) {
            // Made: by this order, or (the order came too late) for someone else.
            if o.crew_id == order.crew {
                hand.offers.insert(order.offer);
            }
            continue;
        }
        let on_board = c.captain_assigned.as_ref() == Some(&order.crew)
            || c.crew_assigned.contains(&order.crew);
        let elsewhere = s
            .holds
            .get(&order.crew)
            .is_some_and(|h| &h.charter_id != s.charter_id);
        if on_board || elsewhere || picked.iter().any(|p| p.crew_id == order.crew) {
            continue;
        }
        let Some(role) = open_slots
            .iter()
            .copied()
            .find(|r| !picked.iter().any(|p| p.role == *r) && order_offer_id(s, *r) == order.offer)
        else {
            continue;
        };
        for o in s
            .offers
            .iter()
            .filter(|o| o.status == OfferStatus::Open && o.role == role && o.crew_id != order.crew)
        {
            out.push(Action::Revoke {
                offer: o.offer_id.clone(),
                why: RevokeWhy::ByHand {
                    by: order.crew.clone(),
                },
            });
            hand.withdrawn.insert(o.offer_id.clone());
        }
        let offer = Offer {
            offer_id: order.offer.clone(),
            charter_id: c.charter_id.clone(),
            charter_date: c.charter_date,
            crew_id: order.crew,
            role,
            status: OfferStatus::Open,
            created_at: s.now,
            expires_at: s.now + chrono::Duration::minutes(HAND_OFFER_MINUTES),
            updated_at: s.now,
        };
        out.push(Action::MakeOffer {
            offer: offer.clone(),
        });
        hand.offers.insert(order.offer);
        picked.push(offer);
    }
    hand
}

/// Days after the charter's date an untold "you are free that day" is still sent: later it
/// tells nobody anything (and an entry from before these tells were planned is never mailed
/// twice once its day is gone).
pub const TELL_UNASSIGNED_DAYS_AFTER: u64 = 1;

/// A [`Action::TellUnassigned`] for each member ops took off (their latest `unassigned-`
/// entry) who is not told yet and not back on the charter, while the charter's day is not long
/// gone.
pub fn plan_unassigned_tells(s: &State<'_>, c: &Charter, out: &mut Vec<Action>) {
    let last = c
        .charter_date
        .naive()
        .checked_add_days(chrono::Days::new(TELL_UNASSIGNED_DAYS_AFTER));
    if last.is_some_and(|last| s.now.date_naive() > last) {
        return;
    }
    // The latest time each member was taken off: one told is enough.
    let mut latest: std::collections::BTreeMap<CrewId, i64> = Default::default();
    for u in s.noted.iter().filter_map(|id| Unassigned::parse(id)) {
        let at = latest.entry(u.crew).or_insert(u.at_ms);
        *at = (*at).max(u.at_ms);
    }
    let todo = latest
        .into_iter()
        .map(|(crew, at_ms)| Unassigned { crew, at_ms })
        .filter(|u| {
            !s.noted
                .contains(EntryId::unassigned_told(&u.crew, u.at_ms).as_str())
        })
        .filter(|u| {
            c.captain_assigned.as_ref() != Some(&u.crew) && !c.crew_assigned.contains(&u.crew)
        });
    out.extend(todo.map(|u| Action::TellUnassigned {
        crew: u.crew,
        at_ms: u.at_ms,
    }));
}
