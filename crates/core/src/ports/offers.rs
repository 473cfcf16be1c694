//! Offers in the `dispatch-state` table: one item per offer under its charter, plus a pointer per
//! offer under the member, and the conditional status change every answer goes through.

use chrono::{DateTime, Utc};

use crate::domain::{CharterId, CrewId, Offer, OfferId, OfferStatus};
use crate::StoreError;

/// The result of a conditional offer status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferTransition {
    /// Changed; the offer as it is now.
    Done(Offer),
    /// The offer was not in the expected status; here it is as it is.
    Conflict(Offer),
    NotFound,
}

/// Offers. Key `pk = charter#<charter_id>`, `sk = offer#<offer_id>`, plus a pointer item
/// `pk = crew#<crew_id>`, `sk = offer#<charter_id>#<offer_id>` per offer for the member's page.
#[async_trait::async_trait]
pub trait Offers: Send + Sync {
    /// Stores a new offer; returns false (and changes nothing) if its id exists.
    async fn put(&self, offer: &Offer) -> Result<bool, StoreError>;
    async fn get(&self, charter: &CharterId, offer: &OfferId) -> Result<Option<Offer>, StoreError>;
    /// Every offer of a charter, oldest first.
    async fn for_charter(&self, charter: &CharterId) -> Result<Vec<Offer>, StoreError>;
    /// Every offer ever made to a member, oldest first (through the `crew#<id>` pointer items).
    async fn for_crew(&self, crew: &CrewId) -> Result<Vec<Offer>, StoreError>;
    /// Moves an offer from `from` to `to` only if it is in `from`.
    async fn transition(
        &self,
        charter: &CharterId,
        offer: &OfferId,
        from: OfferStatus,
        to: OfferStatus,
        at: DateTime<Utc>,
    ) -> Result<OfferTransition, StoreError>;
}
