//! Exactly-once in effect: run a piece of work at most once per key, the AWS Powertools way.
//!
//! [`run_once`] claims the key (a conditional put, in progress, with an in-progress expiry so a
//! crashed worker's claim lapses), runs the work, and stores its result as completed with an expiry.
//! A later caller with the same key gets the stored result without redoing the work; a concurrent
//! caller is told the work is in progress (and should come back later); the same key with another
//! payload is a caller bug and an error.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

use crate::ports::{ClaimOutcome, Idempotency, IdempotencyClaim};
use crate::StoreError;

/// How long claims and records live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyConfig {
    /// A claim older than this is taken to belong to a crashed worker. Longer than any one job.
    pub in_progress_ttl: Duration,
    /// How long a completed record is kept (and the work not redone).
    pub expiry: Duration,
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        Self {
            in_progress_ttl: Duration::from_secs(15 * 60),
            expiry: Duration::from_secs(35 * 24 * 3600),
        }
    }
}

/// What [`run_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Once<T> {
    /// The work ran now and returned this.
    Ran(T),
    /// It had already run; this is what it returned then.
    AlreadyDone(T),
    /// Another worker is running it right now; come back after `until`.
    InProgress { until: chrono::DateTime<Utc> },
}

/// Why [`run_once`] did not complete.
#[derive(Debug, thiserror::Error)]
pub enum OnceError<E> {
    /// The work failed; the claim was released so a retry can run it.
    #[error(transparent)]
    Work(E),
    #[error("idempotency store: {0}")]
    Store(#[from] StoreError),
    #[error("idempotency key `{0}` was already used with a different payload")]
    PayloadMismatch(String),
    #[error("stored result for `{key}` cannot be read: {message}")]
    BadStoredResult { key: String, message: String },
}

/// Hex SHA-256 of the payload's canonical JSON (object keys sorted).
pub fn payload_hash(payload: &serde_json::Value) -> String {
    let digest = Sha256::digest(payload.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `work` at most once for `key` (see the module docs).
pub async fn run_once<T, E, F, Fut>(
    store: &dyn Idempotency,
    key: &str,
    payload: &serde_json::Value,
    config: IdempotencyConfig,
    work: F,
) -> Result<Once<T>, OnceError<E>>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let hash = payload_hash(payload);
    let now = Utc::now();
    let claim = IdempotencyClaim {
        key: key.to_string(),
        payload_hash: hash.clone(),
        now,
        in_progress_until: now
            + chrono::Duration::from_std(config.in_progress_ttl)
                .unwrap_or(chrono::Duration::minutes(15)),
        expires_at: now
            + chrono::Duration::from_std(config.expiry).unwrap_or(chrono::Duration::days(35)),
    };
    let read = |result: Option<String>| -> Result<T, OnceError<E>> {
        let text = result.unwrap_or_else(|| "null".into());
        serde_json::from_str(&text).map_err(|e| OnceError::BadStoredResult {
            key: key.to_string(),
            message: e.to_string(),
        })
    };
    match store.claim(&claim).await? {
        ClaimOutcome::Completed { result } => return Ok(Once::AlreadyDone(read(result)?)),
        ClaimOutcome::InProgress { until } => return Ok(Once::InProgress { until }),
        ClaimOutcome::PayloadMismatch => return Err(OnceError::PayloadMismatch(key.to_string())),
        ClaimOutcome::Claimed => {}
    }
    match work().await {
        Ok(value) => {
            let text = serde_json::to_string(&value).map_err(|e| OnceError::BadStoredResult {
                key: key.to_string(),
                message: e.to_string(),
            })?;
            store
                .complete(key, &hash, Some(&text), claim.expires_at)
                .await?;
            Ok(Once::Ran(value))
        }
        Err(e) => {
            if let Err(release) = store.release(key).await {
                tracing::warn!(key, error = %release, "could not release idempotency claim; it lapses on its own");
            }
            Err(OnceError::Work(e))
        }
    }
}
