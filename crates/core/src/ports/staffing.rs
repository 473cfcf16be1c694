//! Accepting an offer: the one transaction that keeps anyone from being double-booked.

use chrono::{DateTime, Utc};

use crate::domain::{Charter, CharterDate, CharterKey, Offer, OfferStatus, Role, SlotNeeds, Unfit};
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
    /// The member no longer meets the slot's rules on the roster (inactive, not certified, not
    /// available that day).
    Unfit(Unfit),
    /// The charter's date is no longer the one the offer was made for.
    DateMoved {
        offered: CharterDate,
        now: CharterDate,
    },
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

/// [`accept_rejection`], then whether the charter is still on the date the offer was made for.
pub fn accept_refusal(charter: &Charter, offer: &Offer, crew_needed: u32) -> Option<AcceptOutcome> {
    accept_rejection(charter, offer, crew_needed).or_else(|| {
        (charter.charter_date != offer.charter_date).then_some(AcceptOutcome::DateMoved {
            offered: offer.charter_date,
            now: charter.charter_date,
        })
    })
}

/// The accept transaction.
#[async_trait::async_trait]
pub trait Staffing: Send + Sync {
    /// In one transaction: put the crew-day hold (`attribute_not_exists`) on the offer's date,
    /// set the charter's captain or append to its crew under the assignment conditions and only
    /// while the charter is still on the offer's date, count the assignment, mark the offer
    /// accepted (only if open), and, with `needs`, check the member's roster item (active,
    /// certified for the slot, available that day) as part of the same transaction. Either all
    /// happen or none. `needs: None` leaves the roster out: only for ops assigning by hand, who
    /// checked the member themselves.
    async fn accept_as(
        &self,
        req: &AcceptRequest,
        needs: Option<&SlotNeeds>,
    ) -> Result<AcceptOutcome, StoreError>;

    /// [`Staffing::accept_as`] without the roster check.
    async fn accept(&self, req: &AcceptRequest) -> Result<AcceptOutcome, StoreError> {
        self.accept_as(req, None).await
    }
}
