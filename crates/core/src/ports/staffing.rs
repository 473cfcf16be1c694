//! Accepting an offer: the one transaction that keeps anyone from being double-booked.

use chrono::{DateTime, Utc};

use crate::domain::{Charter, CharterKey, Offer, OfferStatus, Role};
use crate::StoreError;

use super::charters::{captain_rejection, crew_rejection, AssignRejection};
use super::holds::Hold;

/// An accept to carry out.
#[derive(Debug, Clone)]
pub struct AcceptRequest {
    /// The offer as read (its charter, member, date, role).
    pub offer: Offer,
    pub charter_key: CharterKey,
    /// Crew slots of the charter (for crew offers).
    pub crew_needed: u32,
    pub at: DateTime<Utc>,
}

/// What happened to an accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// Hold taken, charter updated, offer accepted — all at once. The charter as it is now.
    Accepted(Charter),
    /// The slot was taken by someone else first ("this spot was just filled").
    SpotFilled,
    /// The member is already held that day by another charter.
    AlreadyBooked(Hold),
    /// The offer is no longer open (accepted, declined, lapsed or revoked).
    OfferNotOpen(OfferStatus),
    /// The charter was cancelled, completed or removed.
    CharterClosed,
}

/// Maps a charter's state to why an accept of `offer` cannot change it, if it cannot.
pub fn accept_rejection(
    charter: &Charter,
    offer: &Offer,
    crew_needed: u32,
) -> Option<AcceptOutcome> {
    let why = match offer.role {
        Role::Captain => captain_rejection(charter, &offer.crew_id),
        Role::Crew { .. } => crew_rejection(charter, &offer.crew_id, crew_needed),
    }?;
    Some(match why {
        AssignRejection::Closed(_) | AssignRejection::NotFound => AcceptOutcome::CharterClosed,
        _ => AcceptOutcome::SpotFilled,
    })
}

/// The accept transaction.
#[async_trait::async_trait]
pub trait Staffing: Send + Sync {
    /// In one transaction: put the crew-day hold (`attribute_not_exists`), set the charter's
    /// captain or append to its crew under the assignment conditions, and mark the offer accepted
    /// (only if open). Either all three happen or none.
    async fn accept(&self, req: &AcceptRequest) -> Result<AcceptOutcome, StoreError>;
}
