//! The plan for an open charter: holds for everyone aboard, confirmations, the offers already
//! out (withdrawn, lapsed, renewed or mailed), orders given by hand, the next ask or an
//! escalation for every slot nobody is asked for, and `staffed` when all are filled. Pure.

use std::collections::{HashMap, HashSet};

use dispatch_core::domain::{unfit, Charter, CharterStatus, CrewId, Offer, OfferStatus, Role};

use crate::action::{Action, RevokeWhy};
use crate::crew::drop_plan::plan_drops;
use crate::engine::{self, CrewSet, Situation};
use crate::hand;
use crate::keys::{offer_id_for, EntryId};
use crate::slots::{asked_offers, attempts, is_filled, slots, unnoted_closed};
use crate::state::State;

/// Unsent offers renewed for one member and slot before the next one lapses instead.
const MAX_UNSENT_RENEWALS: usize = 2;

/// Earlier offers of `o`'s member for `o`'s slot that closed without their mail going out.
fn never_delivered(s: &State<'_>, o: &Offer) -> usize {
    s.offers
        .iter()
        .filter(|p| {
            p.offer_id != o.offer_id
                && p.crew_id == o.crew_id
                && p.role == o.role
                && p.status != OfferStatus::Open
                && !s.noted.contains(EntryId::sent(&p.offer_id).as_str())
        })
        .count()
}

/// Appends the plan for the open charter `c` to `out`.
pub fn plan_open(s: &State<'_>, c: &Charter, out: &mut Vec<Action>) {
    let assigned: Vec<&CrewId> = c
        .captain_assigned
        .iter()
        .chain(c.crew_assigned.iter())
        .collect();
    holds(s, c, &assigned, out);
    confirmations(s, c, out);

    let (mut open_slots, mut filled_slots) = slots(s, c);
    // "I can't make it": the member's slot is asked for while they stay on it.
    plan_drops(s, c, &mut open_slots, &mut filled_slots, out);
    // Fresh offers of this plan (by hand, renewed, or the next ask).
    let mut picked: Vec<Offer> = Vec::new();
    let hand = hand::plan_orders(s, c, &open_slots, &mut picked, out);

    // Offers already out: withdraw those that can no longer stand, lapse the overdue ones.
    // Open offers per slot (at most [`State::offers_per_slot`]: two for a crew slot inside the
    // last alert threshold).
    let mut live: HashMap<Role, usize> = HashMap::new();
    for o in &picked {
        *live.entry(o.role).or_default() += 1;
    }
    let room = |live: &HashMap<Role, usize>, role: Role| {
        live.get(&role).copied().unwrap_or(0) < s.offers_per_slot(role)
    };
    // Members with a live offer (at most one slot each: a second is withdrawn).
    let mut asked_live: HashSet<CrewId> = picked.iter().map(|o| o.crew_id.clone()).collect();
    let open_offers = s
        .offers
        .iter()
        .filter(|o| o.status == OfferStatus::Open && !hand.withdrawn.contains(&o.offer_id));
    for o in open_offers {
        let why = if filled_slots.contains(&o.role) {
            Some(RevokeWhy::SlotFilled)
        } else if !open_slots.contains(&o.role) {
            Some(RevokeWhy::SlotGone)
        } else if assigned.contains(&&o.crew_id) || asked_live.contains(&o.crew_id) {
            Some(RevokeWhy::OnThisCharter)
        } else if let Some(why) = withdrawal(s, c, o, &hand.offers) {
            Some(why)
        } else {
            s.holds
                .get(&o.crew_id)
                .filter(|h| &h.charter_id != s.charter_id)
                .map(|h| RevokeWhy::BookedElsewhere(h.charter_id.clone()))
        };
        // An offer ordered by hand is never mailed: its order stands for the `offer_sent` entry.
        let unsent = !hand.offers.contains(&o.offer_id)
            && !s.noted.contains(EntryId::sent(&o.offer_id).as_str());
        if let Some(why) = why {
            out.push(Action::Revoke {
                offer: o.offer_id.clone(),
                why,
            });
        } else if unsent
            && o.expires_at - s.now < s.window() / 2
            && never_delivered(s, o) >= MAX_UNSENT_RENEWALS
        {
            // Its mail never went out, renewal after renewal (a mail that cannot be built or a
            // refusing server): let it lapse, so the next candidate is asked and, with nobody
            // left, ops are told, instead of renewing the same unsent offer forever.
            out.push(Action::Lapse {
                offer: o.offer_id.clone(),
            });
        } else if unsent && room(&live, o.role) && o.expires_at - s.now < s.window() / 2 {
            // The member never got this offer and could not answer it in time now: withdraw it
            // and ask them again with a fresh deadline, rather than mail one about to lapse.
            out.push(Action::Revoke {
                offer: o.offer_id.clone(),
                why: RevokeWhy::Renewed,
            });
            let fresh = Offer {
                offer_id: offer_id_for(
                    &c.charter_id,
                    o.role,
                    attempts(s.offers, o.role) + attempts(&picked, o.role),
                ),
                status: OfferStatus::Open,
                created_at: s.now,
                expires_at: s.now + s.window(),
                updated_at: s.now,
                ..o.clone()
            };
            out.push(Action::MakeOffer {
                offer: fresh.clone(),
            });
            out.push(Action::SendOffer {
                offer: fresh.offer_id.clone(),
            });
            *live.entry(o.role).or_default() += 1;
            asked_live.insert(o.crew_id.clone());
            picked.push(fresh);
        } else if s.now >= o.expires_at {
            out.push(Action::Lapse {
                offer: o.offer_id.clone(),
            });
        } else if !room(&live, o.role) {
            // More open offers for one slot than it may have (a second one outside the last
            // threshold: the charter moved later; otherwise cannot happen through plan).
            out.push(Action::Revoke {
                offer: o.offer_id.clone(),
                why: RevokeWhy::OnThisCharter,
            });
        } else {
            *live.entry(o.role).or_default() += 1;
            asked_live.insert(o.crew_id.clone());
            if unsent {
                out.push(Action::SendOffer {
                    offer: o.offer_id.clone(),
                });
            }
        }
    }
    // A withdrawal the member was to be told of, whose mail did not get out: tell them now.
    out.extend(unnoted_closed(s).map(|o| {
        match withdrawal(s, c, o, &hand.offers).filter(|_| o.status == OfferStatus::Revoked) {
            Some(why) => Action::TellWithdrawn {
                offer: o.offer_id.clone(),
                why,
            },
            None => Action::NoteClosed {
                offer: o.offer_id.clone(),
            },
        }
    }));

    next_asks(s, c, &open_slots, &live, &mut picked, out);

    let filled = is_filled(c, s.vessel);
    // Departing soon and not fully staffed: ops are told, once per threshold.
    if let Some(hours) = s.alert_due().filter(|_| !filled) {
        if !s.noted.contains(EntryId::alerted(hours).as_str()) {
            out.push(Action::AlertOps { hours });
        }
    }
    if filled && (c.status == CharterStatus::Booked || !s.noted.contains(EntryId::STAFFED.as_str()))
    {
        out.push(Action::MarkStaffed);
    } else if !filled && c.status == CharterStatus::Staffed {
        out.push(Action::Unstaff);
    }
}

/// Why an offer of this open charter can no longer stand although its slot is still open, if
/// it cannot: the charter moved from the date it was made for, or its member no longer meets the
/// slot's rules on the roster (inactive, not certified, not available that day). Offers ops
/// ordered by hand (`by_hand`) are theirs to judge and are only checked for the date.
pub fn withdrawal(
    s: &State<'_>,
    c: &Charter,
    o: &Offer,
    by_hand: &HashSet<dispatch_core::domain::OfferId>,
) -> Option<RevokeWhy> {
    if o.charter_date != c.charter_date {
        return Some(RevokeWhy::DateMoved {
            offered: o.charter_date,
            now: c.charter_date,
        });
    }
    if by_hand.contains(&o.offer_id) {
        return None;
    }
    let member = s.roster.iter().find(|m| m.crew_id == o.crew_id);
    unfit(member, &engine::needs(o.role, c, s.vessel), o.charter_date).map(RevokeWhy::Unfit)
}

/// Holds for every assignment, however it was made; a double booking reported once; holds of
/// this charter for members no longer on it released, and those it has on another date (the
/// charter moved: the assigned members' holds move to the new date, as `TakeHold`s above).
fn holds(s: &State<'_>, c: &Charter, assigned: &[&CrewId], out: &mut Vec<Action>) {
    for m in assigned {
        match s.holds.get(*m) {
            Some(h) if &h.charter_id == s.charter_id => {}
            Some(h) => {
                if !s.noted.contains(EntryId::conflict(m).as_str()) {
                    out.push(Action::ReportConflict {
                        crew: (*m).clone(),
                        other: h.charter_id.clone(),
                    });
                }
            }
            None => out.push(Action::TakeHold { crew: (*m).clone() }),
        }
    }
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
    let mut moved: Vec<(&CrewId, dispatch_core::domain::CharterDate)> = s
        .moved_holds
        .iter()
        .filter(|h| &h.charter_id == s.charter_id && h.date != c.charter_date)
        .map(|h| (&h.crew_id, h.date))
        .collect();
    moved.sort();
    moved.dedup();
    for (m, date) in moved {
        out.push(Action::ReleaseHold {
            crew: m.clone(),
            date,
        });
    }
}

/// Confirmations of accepted offers whose member is still aboard (not for past charters).
fn confirmations(s: &State<'_>, c: &Charter, out: &mut Vec<Action>) {
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
            && !s.noted.contains(EntryId::confirmed(&o.offer_id).as_str())
        {
            out.push(Action::Confirm {
                offer: o.offer_id.clone(),
            });
        }
    }
}

/// Slots with room for another offer (nobody asked right now, or a crew slot inside the last
/// threshold with one asked): the next candidate; nobody asked and nobody left: escalate.
fn next_asks(
    s: &State<'_>,
    c: &Charter,
    open_slots: &[Role],
    live: &HashMap<Role, usize>,
    picked: &mut Vec<Offer>,
    out: &mut Vec<Action>,
) {
    let held: CrewSet = s
        .holds
        .iter()
        .filter(|(_, h)| &h.charter_id != s.charter_id)
        .map(|(m, _)| m.clone())
        .collect();
    for role in open_slots.iter().copied() {
        for asked in live.get(&role).copied().unwrap_or(0)..s.offers_per_slot(role) {
            if !next_ask(s, c, role, asked, &held, picked, out) {
                break;
            }
        }
    }
}

/// One more ask for `role` (`asked`: its offers open so far): the next candidate (`true`), or,
/// with nobody asked and nobody left, an escalation (`false`).
fn next_ask(
    s: &State<'_>,
    c: &Charter,
    role: Role,
    asked: usize,
    held: &CrewSet,
    picked: &mut Vec<Offer>,
    out: &mut Vec<Action>,
) -> bool {
    // The offers as they will be once this plan has run: closed ones count as asked, less
    // those ops cleared.
    let mut offers: Vec<Offer> = asked_offers(s);
    offers.extend(picked.iter().cloned());
    let sit = Situation {
        charter: c,
        roster: s.roster,
        held,
        offers: &offers,
        load: s.load,
        vessel: s.vessel,
    };
    let slate = engine::slate(&sit, role);
    let attempts = attempts(s.offers, role) + attempts(picked, role);
    let Some(next) = slate.candidates.first() else {
        if asked == 0
            && !s
                .noted
                .contains(EntryId::escalated(role, attempts).as_str())
        {
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
        return false;
    };
    let offer = Offer {
        offer_id: offer_id_for(&c.charter_id, role, attempts),
        charter_id: c.charter_id.clone(),
        charter_date: c.charter_date,
        crew_id: (*next).clone(),
        role,
        status: OfferStatus::Open,
        created_at: s.now,
        expires_at: s.now + s.window(),
        updated_at: s.now,
    };
    out.push(Action::MakeOffer {
        offer: offer.clone(),
    });
    out.push(Action::SendOffer {
        offer: offer.offer_id.clone(),
    });
    picked.push(offer);
    true
}
