//! Idempotency records in the `dispatch-state` table (the Powertools semantics, with live owners).
//!
//! Two traits, one per side: [`Idempotency`] is what `run_once` speaks to (claim, renew,
//! complete, release); [`IdempotencyStore`] is what an adapter implements (conditional writes,
//! each under a [`Guard`]). The claim rules that join them (what blocks a claim, when a claim is
//! a take-over, what a refused write means) are stated once, in [`rules`], which implements
//! [`Idempotency`] for every store.

mod rules;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreError;

pub use rules::{blocked_outcome, blocks_claim, completable_by, takes_over, Guard};

/// Whether the work under a key is being done or done.
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

/// What a conditional write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Swap {
    /// Written; the record it replaced, if there was one.
    Written { replaced: Option<IdempotencyRecord> },
    /// The guard did not allow it; nothing changed.
    Refused,
}

/// Where idempotency records are kept: each write is conditional on a [`Guard`] that the store
/// evaluates atomically with the write (a condition expression on DynamoDB, a check inside one
/// transaction locally). A store decides nothing else: the rules live in [`rules`].
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// The record under `key` as stored (expired or not).
    async fn load(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Puts `record` whole, if `guard` allows it over the stored record.
    async fn put_if(&self, record: &IdempotencyRecord, guard: Guard) -> Result<Swap, StoreError>;
    /// Moves the lease end of the record under `key` to `until`, if `guard` allows; whether it did.
    async fn extend_if(
        &self,
        key: &str,
        until: DateTime<Utc>,
        guard: Guard,
    ) -> Result<bool, StoreError>;
    /// Writes `done` (a completed record), if `guard` allows; keeps the stored record's
    /// `in_progress_until` when there is one. Whether it wrote.
    async fn complete_if(&self, done: &IdempotencyRecord, guard: Guard)
        -> Result<bool, StoreError>;
    /// Deletes the record under `key`, if `guard` allows; whether it did.
    async fn delete_if(&self, key: &str, guard: Guard) -> Result<bool, StoreError>;
}
