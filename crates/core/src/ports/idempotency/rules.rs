//! The claim rules, once, for every store: when a record blocks a claim (done, or in progress
//! under a live lease), when a claim takes over a dead owner's work, who may renew, complete or
//! release ([`Guard::allows`]), and what a refused write means. Stores only evaluate a [`Guard`]
//! with their write; this module turns their answers into [`ClaimOutcome`]s by implementing
//! [`Idempotency`] for every [`IdempotencyStore`].

use chrono::{DateTime, Utc};

use super::claims::{
    ClaimOutcome, Idempotency, IdempotencyClaim, IdempotencyRecord, IdempotencyStatus,
};
use super::store::{Guard, IdempotencyStore, Swap};
use crate::StoreError;

/// How often a claim is tried again when the record changes between the write and the read.
const CLAIM_ATTEMPTS: usize = 5;

impl Guard {
    /// Whether a write under this guard may replace `existing` (`None`: no record).
    pub fn allows(&self, existing: Option<&IdempotencyRecord>) -> bool {
        match self {
            Guard::Claimable { now } => existing.is_none_or(|e| !blocks_claim(e, *now)),
            Guard::HeldBy { owner } => existing.is_some_and(|e| is_held_by(e, owner)),
            Guard::Completable {
                owner,
                payload_hash,
                now,
            } => existing
                .is_none_or(|e| e.payload_hash == *payload_hash && completable_by(e, owner, *now)),
        }
    }
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

/// Whether `existing` is an in-progress claim held by `owner`.
fn is_held_by(existing: &IdempotencyRecord, owner: &str) -> bool {
    existing.status == IdempotencyStatus::InProgress && existing.owner.as_deref() == Some(owner)
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

#[async_trait::async_trait]
impl<S: IdempotencyStore + ?Sized> Idempotency for S {
    async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, StoreError> {
        let record = claim.in_progress();
        for _ in 0..CLAIM_ATTEMPTS {
            let guard = Guard::Claimable { now: claim.now };
            if let Swap::Written { replaced } = self.put_if(&record, guard).await? {
                return Ok(ClaimOutcome::Claimed {
                    taken_over: takes_over(replaced.as_ref(), claim.now),
                });
            }
            if let Some(existing) = self.load(&claim.key).await? {
                if is_held_by(&existing, &claim.owner) {
                    // This very claim, made again after its answer was lost. Whether that first
                    // put took over a dead owner's claim is unknown now: say it did, so work
                    // with an uncertain outcome (a mail) checks before redoing it.
                    return Ok(ClaimOutcome::Claimed { taken_over: true });
                }
                if blocks_claim(&existing, claim.now) {
                    return Ok(blocked_outcome(&existing, &claim.payload_hash));
                }
            }
            // The blocking record went away between the write and the read: claim again.
        }
        Err(StoreError::backend(
            format!("claiming idempotency key {}", claim.key),
            true,
            "the record kept changing",
        ))
    }

    async fn renew(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let guard = Guard::HeldBy {
            owner: owner.to_string(),
        };
        self.extend_if(key, until, guard).await
    }

    async fn complete(
        &self,
        key: &str,
        owner: &str,
        payload_hash: &str,
        result: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let done = IdempotencyRecord {
            key: key.to_string(),
            status: IdempotencyStatus::Completed,
            payload_hash: payload_hash.to_string(),
            result: result.map(str::to_string),
            expires_at,
            in_progress_until: now,
            owner: Some(owner.to_string()),
        };
        let guard = Guard::Completable {
            owner: owner.to_string(),
            payload_hash: payload_hash.to_string(),
            now,
        };
        if self.complete_if(&done, guard).await? {
            return Ok(true);
        }
        // Refused: another payload under this key is a caller bug; another owner is `false`.
        match self.load(key).await? {
            Some(existing) if existing.payload_hash != payload_hash => Err(StoreError::Invalid(
                format!("idempotency key {key} is held for another payload"),
            )),
            _ => Ok(false),
        }
    }

    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let guard = Guard::HeldBy {
            owner: owner.to_string(),
        };
        self.delete_if(key, guard).await.map(|_| ())
    }

    async fn get(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.load(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn record(status: IdempotencyStatus, lease_left: i64, owner: &str) -> IdempotencyRecord {
        let now = Utc::now();
        IdempotencyRecord {
            key: "k".into(),
            status,
            payload_hash: "h".into(),
            result: None,
            expires_at: now + Duration::days(1),
            in_progress_until: now + Duration::seconds(lease_left),
            owner: Some(owner.into()),
        }
    }

    #[test]
    fn a_live_claim_or_a_done_record_blocks_and_a_lapsed_claim_does_not() {
        let claim = Guard::Claimable { now: Utc::now() };
        assert!(claim.allows(None));
        assert!(!claim.allows(Some(&record(IdempotencyStatus::InProgress, 30, "a"))));
        assert!(!claim.allows(Some(&record(IdempotencyStatus::Completed, -30, "a"))));
        let lapsed = record(IdempotencyStatus::InProgress, -30, "a");
        assert!(claim.allows(Some(&lapsed)));
        assert!(takes_over(Some(&lapsed), Utc::now()));
    }

    #[test]
    fn only_the_owner_renews_and_another_payload_never_completes() {
        let live = record(IdempotencyStatus::InProgress, 30, "a");
        let held_by = |o: &str| Guard::HeldBy { owner: o.into() };
        assert!(held_by("a").allows(Some(&live)));
        assert!(!held_by("b").allows(Some(&live)));
        assert!(!held_by("a").allows(None));
        let complete = |o: &str, h: &str| Guard::Completable {
            owner: o.into(),
            payload_hash: h.into(),
            now: Utc::now(),
        };
        assert!(complete("a", "h").allows(Some(&live)));
        assert!(!complete("b", "h").allows(Some(&live)));
        assert!(!complete("a", "other").allows(Some(&live)));
        assert!(complete("b", "h").allows(Some(&record(IdempotencyStatus::InProgress, -1, "a"))));
        assert!(complete("b", "h").allows(None));
    }
}
