//! Whom ops can put on a slot, as the board's Assign form lists them: the eligible members
//! first, then every other member with the reason, the same reasons `dispatch charter assign`
//! refuses with ([`crate::hand::fitness`]). Pure: the roster and the day's holds come in.

use crate::engine::VesselConfig;
use dispatch_core::domain::{Charter, CharterId, CrewId, CrewMember};

use crate::hand::{fitness, Fitness, SlotKind};

/// One member as the Assign form shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub crew_id: CrewId,
    pub name: String,
    pub phone: Option<String>,
    /// Why not (`None`: eligible).
    pub why_not: Option<String>,
    /// The reason can be overridden with a note ("assign anyway"): inactive, not certified or
    /// not available. Booked elsewhere that day or already on the charter cannot.
    pub overridable: bool,
}

/// Every member for a `kind` slot of `c`: the eligible by name, then the others by name.
/// `held_on` says which charter holds a member on the charter's date, if any.
pub fn choices(
    c: &Charter,
    roster: &[CrewMember],
    vessel: Option<&VesselConfig>,
    kind: SlotKind,
    held_on: impl Fn(&CrewId) -> Option<CharterId>,
) -> Vec<Choice> {
    let mut out: Vec<Choice> = roster
        .iter()
        .map(|m| {
            let (why_not, overridable) = match fitness(c, m, vessel, kind, held_on(&m.crew_id)) {
                Fitness::Fit => (None, false),
                Fitness::Unfit(u) => (Some(u.text()), true),
                Fitness::Never(why) => (Some(why), false),
            };
            Choice {
                crew_id: m.crew_id.clone(),
                name: m.name.clone(),
                phone: m.phone.clone(),
                why_not,
                overridable,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.why_not.is_some(), a.name.to_lowercase())
            .cmp(&(b.why_not.is_some(), b.name.to_lowercase()))
    });
    out
}
