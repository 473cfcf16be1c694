//! What a charter's thread says, in words, for each thing done to it: the text of every thread
//! entry the cascade writes (its id comes from [`crate::keys::EntryId`]), and the entry itself.
//! Pure, so the effects, the answers and the ops commands word things alike.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CharterId, CrewId, Offer, OfferStatus, Role, ThreadEntry, ThreadKind};

use crate::action::RevokeWhy;
use crate::engine::Exclusion;
use crate::keys::EntryId;

/// A thread entry.
pub fn entry(
    charter: &CharterId,
    id: EntryId,
    ts: DateTime<Utc>,
    kind: ThreadKind,
    crew: Option<&CrewId>,
    text: String,
) -> ThreadEntry {
    ThreadEntry {
        charter_id: charter.clone(),
        ts,
        id: id.into(),
        kind,
        crew_id: crew.cloned(),
        text,
    }
}

/// The entry kind of an offer closed with `status`.
pub fn closed_kind(status: OfferStatus) -> ThreadKind {
    match status {
        OfferStatus::Accepted => ThreadKind::Accepted,
        OfferStatus::Declined => ThreadKind::Declined,
        OfferStatus::Lapsed => ThreadKind::Lapsed,
        _ => ThreadKind::Revoked,
    }
}

/// The entry of an offer closed (`<status>-<offer>`, at the time it closed).
pub fn closed(charter: &CharterId, o: &Offer, text: String) -> ThreadEntry {
    entry(
        charter,
        EntryId::closed(o.status, &o.offer_id),
        o.updated_at,
        closed_kind(o.status),
        Some(&o.crew_id),
        text,
    )
}

/// How a closed offer is told, `name` being its member's.
pub fn closed_text(o: &Offer, name: &str) -> String {
    match o.status {
        OfferStatus::Accepted => accepted(o.role, name),
        OfferStatus::Declined => format!("{} declined by {name}", o.role),
        OfferStatus::Lapsed => lapsed(o.role, name),
        _ => format!("{} offer to {name} withdrawn", o.role),
    }
}

pub fn accepted(role: Role, name: &str) -> String {
    format!("{role} accepted by {name}")
}

pub fn lapsed(role: Role, name: &str) -> String {
    format!("{role} offer to {name} lapsed unanswered")
}

/// An open offer withdrawn, and why (`names` gives a member's name).
pub fn revoked(
    role: Role,
    why: &RevokeWhy,
    name: &str,
    names: impl Fn(&CrewId) -> String,
) -> String {
    match why {
        RevokeWhy::ByHand { by } => by_hand_withdrawn(role, name, &names(by)),
        why => format!("{role} {} ({name})", why.text()),
    }
}

/// An open offer withdrawn because ops put `by` on the slot by hand.
pub fn by_hand_withdrawn(role: Role, name: &str, by: &str) -> String {
    format!("{role} offer to {name} withdrawn: assigned by hand ({by})")
}

pub fn offer_sent(role: Role, name: &str, lapses: &str) -> String {
    format!("{role} offered to {name}; lapses {lapses}")
}

/// The order ops give by hand (it stands for the offer's `offer_sent` entry).
pub fn by_hand_order(role: Role, name: &str) -> String {
    format!("{role} assigned by hand to {name} (no offer mail)")
}

pub fn by_hand_accepted(role: Role, name: &str) -> String {
    format!("{role} assigned by hand: {name}")
}

pub fn unassigned(name: &str, role: &str) -> String {
    format!("{name} taken off as {role} by hand")
}

/// A member taken off by hand was told they are free that day.
pub fn told_unassigned(name: &str) -> String {
    format!("{name} told by mail they are free that day")
}

pub fn cleared(name: &str) -> String {
    format!("{name} may be asked again (reoffer by ops)")
}

pub fn confirmed(name: &str) -> String {
    format!("confirmation with calendar entry sent to {name}")
}

pub const STAFFED: &str = "captain and crew confirmed";

pub const CANCELLED: &str = "charter cancelled: holds released, open offers withdrawn, crew told";

pub fn released(name: &str) -> String {
    format!("{name} told the charter is cancelled; hold released")
}

/// An assigned member booked on `other` that day (the ops mail says it too).
pub fn conflict(charter: &CharterId, crew: &CrewId, name: &str, other: &CharterId) -> String {
    format!(
        "NEEDS ATTENTION: {name} is assigned here but already booked on charter {other} that day; run `dispatch charter unassign {charter} {crew}` or fix the other charter"
    )
}

/// The charter departs in under `hours` hours and is not fully staffed (`captain`: whether it
/// has one; `crew`: crew aboard of `needed`). The ops mail says it too.
pub fn alerted(hours: u32, captain: bool, crew: usize, needed: u32) -> String {
    let missing = match (captain, needed.saturating_sub(crew as u32)) {
        (false, 0) => "no captain".to_string(),
        (false, n) => format!("no captain, {n} of {needed} crew missing"),
        (true, n) => format!("{n} of {needed} crew missing"),
    };
    format!("NEEDS ATTENTION: departs in under {hours} h and is not fully staffed ({missing})")
}

/// Nobody left for a slot: who was not asked or said no, grouped by why (`name` gives a
/// member's name). The ops mail says it too.
pub fn escalated(
    role: Role,
    excluded: &[(CrewId, Exclusion)],
    name: impl Fn(&CrewId) -> String,
) -> String {
    let mut by_reason: Vec<(&str, Vec<String>)> = Vec::new();
    for (m, why) in excluded {
        let n = name(m);
        match by_reason.iter_mut().find(|(r, _)| *r == why.as_str()) {
            Some((_, names)) => names.push(n),
            None => by_reason.push((why.as_str(), vec![n])),
        }
    }
    let summary = if by_reason.is_empty() {
        "nobody on the roster".to_string()
    } else {
        by_reason
            .iter()
            .map(|(r, names)| format!("{r}: {}", names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!("NEEDS ATTENTION: nobody left to ask for the {role} slot ({summary})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_says_what_is_missing() {
        assert_eq!(
            alerted(72, false, 0, 2),
            "NEEDS ATTENTION: departs in under 72 h and is not fully staffed (no captain, 2 of 2 crew missing)"
        );
        assert_eq!(
            alerted(24, true, 1, 2),
            "NEEDS ATTENTION: departs in under 24 h and is not fully staffed (1 of 2 crew missing)"
        );
        assert_eq!(
            alerted(24, false, 0, 0),
            "NEEDS ATTENTION: departs in under 24 h and is not fully staffed (no captain)"
        );
    }

    #[test]
    fn escalations_group_names_by_reason() {
        let a = CrewId::parse("a").unwrap();
        let b = CrewId::parse("b").unwrap();
        let t = escalated(
            Role::Captain,
            &[(a, Exclusion::Lapsed), (b, Exclusion::Lapsed)],
            |m| m.as_str().to_uppercase(),
        );
        assert_eq!(t, "NEEDS ATTENTION: nobody left to ask for the captain slot (let this charter's offer lapse: A, B)");
        assert_eq!(
            escalated(Role::Crew { slot: 0 }, &[], |m| m.to_string()),
            "NEEDS ATTENTION: nobody left to ask for the crew (slot 1) slot (nobody on the roster)"
        );
    }
}
