//! Offers in the `dispatch-state` table: one item per offer under its charter, plus a pointer per
//! offer under the member, and the conditional status change every answer goes through.

use chrono::{DateTime, Utc};

use crate::domain::{CharterId, CharterKey, CrewId, Offer, OfferId, OfferStatus};
use crate::ports::IdempotencyClaim;
use crate::StoreError;

/// What a new offer's write takes along in its one transaction, each a request saved.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfferOpening<'a> {
    /// The charter put in the index of unsettled charters under this mark (the reconcile puts a
    /// charter there before its first action; here the offer is that action). The charter
    /// must exist: if it is gone, nothing is written.
    pub unsettled: Option<(&'a CharterKey, &'a str)>,
    /// The offer's mail, claimed in progress for this claim's owner. Put whatever is stored
    /// under its key: nobody can hold a claim on the mail of an offer not stored yet, and a
    /// record left by an offer of the same id that is gone (a removed charter booked again)
    /// must not stop the new one's mail.
    pub mail_claim: Option<&'a IdempotencyClaim>,
}

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
    async fn put(&self, offer: &Offer) -> Result<bool, StoreError> {
        self.put_opening(offer, OfferOpening::default()).await
    }
    /// [`Self::put`] with what `opening` takes along, all in one transaction or nothing;
    /// false (nothing changed) if the offer's id exists or the charter to mark is gone.
    async fn put_opening(
        &self,
        offer: &Offer,
        opening: OfferOpening<'_>,
    ) -> Result<bool, StoreError>;
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
