//! Giving back what a hand action took, and the check that a member can be asked at all:
//!
//! - [`give_back`]: when ops unassign a member whose assignment withdrew someone else's open
//!   offer, that member is asked again first: a fresh offer for the slot (the next attempt's
//!   id), mailed by the reconcile that follows, if they are still fit and free that day.
//! - [`askable`]: `reoffer --include` refuses a member who could not be offered (inactive, not
//!   certified for an open slot, not available, booked that day), naming why.

use dispatch_core::domain::{Charter, CharterId, CrewId, CrewMember, Offer, OfferStatus, Role};

use super::changes::record;
use super::{By, OpsError};
use crate::engine::needs;
use crate::keys::offer_id_for;
use crate::service::Cascade;
use crate::slots::attempts;

/// The offer `member`'s hand assignment withdrew, from the charter's offers `before` the
/// unassign: a revoked offer of the same slot, made before their accepted offer and closed
/// when (or after) it was made.
fn displaced<'a>(before: &'a [Offer], member: &CrewId) -> Option<&'a Offer> {
    let mine = before
        .iter()
        .filter(|o| &o.crew_id == member && o.status == OfferStatus::Accepted)
        .max_by_key(|o| o.created_at)?;
    before
        .iter()
        .filter(|o| {
            o.role == mine.role
                && &o.crew_id != member
                && o.status == OfferStatus::Revoked
                && o.created_at <= mine.created_at
                && o.updated_at >= mine.created_at
        })
        .max_by_key(|o| o.created_at)
}

/// Why `m` cannot be asked for `c` now, if they cannot.
async fn why_not(
    cx: &Cascade,
    c: &Charter,
    m: &CrewMember,
    role: Role,
) -> Result<Option<String>, OpsError> {
    if let Some(u) = m.unfit_for(&needs(role, c, cx.vessel(c)), c.charter_date) {
        return Ok(Some(u.text()));
    }
    match cx.backend.holds.get(&m.crew_id, c.charter_date).await? {
        Some(h) if h.charter_id != c.charter_id => {
            Ok(Some(format!("booked on charter {} that day", h.charter_id)))
        }
        _ => Ok(None),
    }
}

/// Refuses `m` for a re-offer of `c` unless they could be offered an open slot.
pub(super) async fn askable(cx: &Cascade, c: &Charter, m: &CrewMember) -> Result<(), OpsError> {
    let role = if c.captain_assigned.is_none() {
        Role::Captain
    } else {
        Role::Crew { slot: 0 }
    };
    let captain_why = why_not(cx, c, m, role).await?;
    let why = match (role, captain_why) {
        // A member not fit to captain may still be fit for an open crew slot.
        (Role::Captain, Some(_)) if (c.crew_assigned.len() as u32) < cx.crew_needed(c) => {
            why_not(cx, c, m, Role::Crew { slot: 0 }).await?
        }
        (_, why) => why,
    };
    match why {
        None => Ok(()),
        Some(why) => Err(OpsError::Refused(format!(
            "{} is {why} on {}: not asked again (nothing changed)",
            m.name, c.charter_date
        ))),
    }
}

/// Offers the slot back to the member `unassigned`'s assignment displaced (see the module
/// docs); what it did, in words, if anything.
pub(super) async fn give_back(
    cx: &Cascade,
    id: &CharterId,
    unassigned: &CrewId,
    before: &[Offer],
    by: &By,
) -> Result<Option<String>, OpsError> {
    let Some(old) = displaced(before, unassigned) else {
        return Ok(None);
    };
    let (Some(c), Some(m)) = (
        cx.backend.charters.get(id).await?,
        cx.backend.roster.get(&old.crew_id).await?,
    ) else {
        return Ok(None);
    };
    if c.captain_assigned.as_ref() == Some(&m.crew_id) || c.crew_assigned.contains(&m.crew_id) {
        return Ok(None);
    }
    if let Some(why) = why_not(cx, &c, &m, old.role).await? {
        return Ok(Some(format!(
            "{}'s offer was not given back: {} is {why}",
            m.name, m.name
        )));
    }
    let now_offers = cx.backend.offers.for_charter(id).await?;
    let now = cx.now();
    let offer = Offer {
        offer_id: offer_id_for(id, old.role, attempts(&now_offers, old.role)),
        charter_id: id.clone(),
        charter_date: c.charter_date,
        crew_id: m.crew_id.clone(),
        role: old.role,
        status: OfferStatus::Open,
        created_at: now,
        expires_at: now + cx.offer_timeout(),
        updated_at: now,
    };
    if !cx.backend.offers.put(&offer).await? {
        return Ok(None);
    }
    let text = format!(
        "{} offer given back to {} (asked again first)",
        old.role, m.name
    );
    tracing::info!(charter_id = %id, crew_id = %m.crew_id, "displaced offer given back");
    record(cx, id, by, "give-back", Some(&m.crew_id), &text).await?;
    Ok(Some(text))
}
