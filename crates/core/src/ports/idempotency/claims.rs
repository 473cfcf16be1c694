//! The side of idempotency that `run_once` speaks to: records, claims, what a claim is told, and
//! the [`Idempotency`] trait. Every store gets it from the claim rules (`super::rules`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreError;

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

impl IdempotencyClaim {
    /// The record this claim writes: in progress, held by its owner until its first lease ends.
    pub fn in_progress(&self) -> IdempotencyRecord {
        IdempotencyRecord {
            key: self.key.clone(),
            status: IdempotencyStatus::InProgress,
            payload_hash: self.payload_hash.clone(),
            result: None,
            expires_at: self.expires_at,
            in_progress_until: self.in_progress_until,
            owner: Some(self.owner.clone()),
        }
    }
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
