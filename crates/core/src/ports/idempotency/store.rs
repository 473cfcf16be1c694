//! The side of idempotency that adapters implement: conditional writes of records, each under a
//! [`Guard`]. A store decides nothing else; the rules are in `super::rules`.

use chrono::{DateTime, Utc};

use super::claims::IdempotencyRecord;
use crate::StoreError;

/// The condition a store checks, atomically with its write, against the record it holds.
/// Its meaning is [`Guard::allows`], with the claim rules; a store that cannot run Rust next to its
/// data (DynamoDB) writes the same condition in its own language, one translation per variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// A new claim: no record blocks it (see [`crate::ports::blocks_claim`]).
    Claimable { now: DateTime<Utc> },
    /// Renew and release: an in-progress claim held by `owner`.
    HeldBy { owner: String },
    /// Complete: no record, or one for the same payload that `owner` may complete
    /// (see [`crate::ports::completable_by`]).
    Completable {
        owner: String,
        payload_hash: String,
        now: DateTime<Utc>,
    },
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
/// transaction locally). A store decides nothing else: the rules live in `super::rules`.
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
