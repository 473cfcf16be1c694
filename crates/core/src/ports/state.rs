//! The `dispatch-state` table (single-table design, `pk`/`sk`): crew-day holds, offers, idempotency
//! records, and stream shard leases with their checkpoints. Each concern is its own narrow trait.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CharterDate, CharterId, CrewId, Offer, OfferId, OfferStatus};
use crate::StoreError;

/// A crew-day hold: the lock that keeps a member from being booked twice on a date.
/// Key `pk = hold#<crew_id>#<date>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub crew_id: CrewId,
    pub date: CharterDate,
    pub charter_id: CharterId,
    pub taken_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOutcome {
    Taken,
    /// Someone (maybe this same charter, on a retry) already holds the member that day.
    AlreadyHeld(Hold),
}

/// Crew-day holds. Every hold is one assignment: taking one adds 1 to the member's assignment
/// count for the hold's month (kept next to the holds, `load#<crew>` / `YYYY-MM`) in the same
/// transaction, releasing one takes 1 off, so choosing candidates reads counts, not charters.
#[async_trait::async_trait]
pub trait Holds: Send + Sync {
    /// Takes the hold if nobody holds the member that day (`attribute_not_exists`), counting it.
    async fn take(&self, hold: &Hold) -> Result<HoldOutcome, StoreError>;
    /// Assignments per member in `month` among `crews` (batched reads; absent members have 0).
    async fn loads(
        &self,
        month: crate::domain::Month,
        crews: &[CrewId],
    ) -> Result<std::collections::HashMap<CrewId, u32>, StoreError>;
    /// Releases the hold if it belongs to `charter` (uncounting it); returns whether one was.
    async fn release(
        &self,
        crew: &CrewId,
        date: CharterDate,
        charter: &CharterId,
    ) -> Result<bool, StoreError>;
    async fn get(&self, crew: &CrewId, date: CharterDate) -> Result<Option<Hold>, StoreError>;
    /// The holds on `date` among `crews` (batched reads), for candidate selection.
    async fn among(&self, date: CharterDate, crews: &[CrewId]) -> Result<Vec<Hold>, StoreError>;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdempotencyStatus {
    InProgress,
    Completed,
}

/// An idempotency record (the Powertools semantics, with live owners). Key `pk = idem#<key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: String,
    pub status: IdempotencyStatus,
    /// Hash of the work's input: the same key with another payload is a caller bug.
    pub payload_hash: String,
    /// What the completed work returned (JSON), handed to later callers instead of redoing it.
    pub result: Option<String>,
    /// After this the record counts as absent (and DynamoDB's TTL removes it).
    pub expires_at: DateTime<Utc>,
    /// The end of the owner's lease on an in-progress claim. The owner renews it while it works;
    /// once it has passed, the owner is taken to be dead and the claim can be taken over.
    pub in_progress_until: DateTime<Utc>,
    /// Who holds (or last held) the claim: `<process>/<claim>`; renew, complete and release
    /// only act for this owner.
    pub owner: Option<String>,
}

/// A request to claim a key before doing the work.
#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    pub key: String,
    pub payload_hash: String,
    /// This claim's owner (unique per claim, see [`IdempotencyRecord::owner`]).
    pub owner: String,
    pub now: DateTime<Utc>,
    /// The end of the first lease.
    pub in_progress_until: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Yours: do the work, then `complete` (or `release` on failure). `taken_over` says the key
    /// was held in progress by an owner whose lease lapsed (it died): whether that owner's work
    /// took effect is unknown, so work that cannot be repeated safely checks first.
    Claimed { taken_over: bool },
    /// Another owner holds a live claim; try again after `until` (its lease may be renewed).
    InProgress { until: DateTime<Utc> },
    /// Already done; here is what it returned.
    Completed { result: Option<String> },
    /// The key was used with another payload.
    PayloadMismatch,
}

/// The Powertools rule: a record blocks a claim while it has not expired and is either completed or
/// an in-progress claim whose owner's lease has not lapsed.
pub fn blocks_claim(existing: &IdempotencyRecord, now: DateTime<Utc>) -> bool {
    existing.expires_at > now
        && (existing.status == IdempotencyStatus::Completed || existing.in_progress_until > now)
}

/// Whether claiming over `existing` (which does not block) takes over a dead owner's work.
pub fn takes_over(existing: Option<&IdempotencyRecord>, now: DateTime<Utc>) -> bool {
    existing.is_some_and(|e| e.status == IdempotencyStatus::InProgress && e.expires_at > now)
}

/// Whether `owner` may complete over `existing`: it still holds the claim, or nobody else holds
/// a live one (its lease lapsed but no one took over, so the work it did still counts).
pub fn completable_by(existing: &IdempotencyRecord, owner: &str, now: DateTime<Utc>) -> bool {
    existing.owner.as_deref() == Some(owner)
        || existing.status == IdempotencyStatus::InProgress && existing.in_progress_until <= now
}

/// What a blocked claim is told.
pub fn blocked_outcome(existing: &IdempotencyRecord, payload_hash: &str) -> ClaimOutcome {
    if existing.payload_hash != payload_hash {
        ClaimOutcome::PayloadMismatch
    } else if existing.status == IdempotencyStatus::Completed {
        ClaimOutcome::Completed {
            result: existing.result.clone(),
        }
    } else {
        ClaimOutcome::InProgress {
            until: existing.in_progress_until,
        }
    }
}

/// Idempotency records.
#[async_trait::async_trait]
pub trait Idempotency: Send + Sync {
    /// Claims the key unless a live record exists (conditional put).
    async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, StoreError>;
    /// Extends `owner`'s in-progress claim to `until`; false if `owner` no longer holds it.
    async fn renew(&self, key: &str, owner: &str, until: DateTime<Utc>)
        -> Result<bool, StoreError>;
    /// Marks the key completed with its result, if `owner` still holds the claim (or nobody
    /// does) and `payload_hash` matches; false if another owner holds it now.
    async fn complete(
        &self,
        key: &str,
        owner: &str,
        payload_hash: &str,
        result: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Deletes `owner`'s in-progress claim after a failure so a retry can claim again at once.
    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
}

/// The checkpoint value of a shard that has been read to its end.
pub const SHARD_END: &str = "SHARD_END";

/// A consumer's lease on one stream shard, with the shard's checkpoint.
/// Key `pk = lease#<stream>`, `sk = <shard_id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub stream: String,
    pub shard_id: String,
    pub owner: String,
    /// Bumped by every acquire and renew: a checkpoint write names the counter it holds.
    pub counter: u64,
    pub expires_at: DateTime<Utc>,
    /// Last sequence number fully handled, or [`SHARD_END`].
    pub checkpoint: Option<String>,
}

/// Stream shard leases and checkpoints.
#[async_trait::async_trait]
pub trait Leases: Send + Sync {
    /// Every lease of a stream (held, expired or finished).
    async fn list(&self, stream: &str) -> Result<Vec<Lease>, StoreError>;
    /// Takes the lease if it is free, expired, or already `owner`'s. Keeps the checkpoint.
    async fn acquire(
        &self,
        stream: &str,
        shard: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError>;
    /// Extends a lease still held as `lease` says (owner and counter); `None` if it was lost.
    async fn renew(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError>;
    /// Moves the checkpoint, only while holding the lease (owner and counter match).
    /// Returns false if the lease was lost: the caller must stop reading that shard.
    async fn checkpoint(&self, lease: &Lease, sequence: &str) -> Result<bool, StoreError>;
    /// Gives the lease up (expires it now), keeping the checkpoint.
    async fn release(&self, lease: &Lease) -> Result<(), StoreError>;
}
