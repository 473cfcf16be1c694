//! Exactly-once in effect: run a piece of work at most once per key, the AWS Powertools way, with
//! claims that belong to live owners.
//!
//! [`run_once`] claims the key (a conditional put: in progress, owned by this claim, with a short
//! lease), runs the work while renewing the lease every third of it, and stores the result as
//! completed with an expiry. A later caller with the same key gets the stored result without
//! redoing the work; a caller that meets someone else's live claim is told it is in progress and
//! until when (it should come back then, never take it for done); the same key with another
//! payload is a caller bug and an error. When the owner dies its lease is not renewed, so the
//! claim lapses within seconds and the next caller takes it over, told so
//! ([`Claim::taken_over`]): work whose first outcome is then unknown (a mail) checks before
//! redoing it.
//!
//! Claims held by this process are tracked, so a graceful shutdown can release them at once
//! ([`release_held`]) instead of leaving them to lapse.
//!
//! Every call to the store is tried again briefly ([`Policy::brief`]: 50 ms, then 200 ms later)
//! while its error may pass. Each is safe to repeat: each is conditional on this claim's owner,
//! and a claim whose response was lost is found again as this owner's (the port's claim rules).
//! The rules themselves (what blocks a claim, what a take-over is) live with the port, in
//! [`crate::ports::Idempotency`]'s module.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use chrono::Utc;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

use crate::ports::{ClaimOutcome, Idempotency, IdempotencyClaim};
use crate::retry::Policy;
use crate::StoreError;

/// How long claims and records live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencyConfig {
    /// The owner's lease on an in-progress claim, renewed every third of it while the work runs.
    /// A claim whose lease lapsed belongs to a dead owner and is taken over.
    pub in_progress_ttl: Duration,
    /// How long a completed record is kept (and the work not redone).
    pub expiry: Duration,
}

impl IdempotencyConfig {
    /// An in-progress claim's lease, as a span of the clock the records are written with.
    pub fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.in_progress_ttl).unwrap_or(chrono::Duration::seconds(30))
    }
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        Self {
            in_progress_ttl: Duration::from_secs(30),
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
    /// Another live owner is running it right now; come back after `until` (not done yet).
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

/// The claim a piece of work runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    pub owner: String,
    /// The key was in progress under an owner that died: its work may or may not have happened.
    pub taken_over: bool,
}

/// Hex SHA-256 of the payload's canonical JSON (object keys sorted).
pub fn payload_hash(payload: &serde_json::Value) -> String {
    let digest = Sha256::digest(payload.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// This process's name for owners: host, pid and a random part (pids are reused).
pub fn process_owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into());
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        format!("{host}-{}-{}", std::process::id(), &nonce[..8])
    })
}

fn next_owner() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}/{}",
        process_owner(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Claims this process holds now: key → owner.
fn held() -> &'static Mutex<HashMap<String, String>> {
    static HELD: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    HELD.get_or_init(Default::default)
}

fn track(key: &str, owner: &str) {
    if let Ok(mut h) = held().lock() {
        h.insert(key.to_string(), owner.to_string());
    }
}

fn untrack(key: &str, owner: &str) {
    if let Ok(mut h) = held().lock() {
        if h.get(key).map(String::as_str) == Some(owner) {
            h.remove(key);
        }
    }
}

/// How many claims this process holds right now.
pub fn held_count() -> usize {
    held().lock().map(|h| h.len()).unwrap_or(0)
}

/// Releases every claim this process still holds (graceful shutdown, after its work was
/// stopped): the next owner can take them at once instead of waiting for the leases to lapse.
pub async fn release_held(store: &dyn Idempotency) -> usize {
    let claims: Vec<(String, String)> = match held().lock() {
        Ok(mut h) => h.drain().collect(),
        Err(_) => return 0,
    };
    let mut released = 0;
    for (key, owner) in claims {
        match store.release(&key, &owner).await {
            Ok(()) => released += 1,
            Err(e) => {
                tracing::warn!(key, error = %e, "could not release claim at shutdown; it lapses on its own")
            }
        }
    }
    released
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
    run(store, key, payload, config, false, None, |_| work()).await
}

/// [`run_once`] for work whose failure leaves its effect unknown (a mail whose send timed out may
/// have gone), handed its [`Claim`]: a failure does not delete the claim but ends its lease at
/// once, so the next caller takes it over with [`Claim::taken_over`] set and checks before
/// redoing it.
pub async fn run_once_uncertain<T, E, F, Fut>(
    store: &dyn Idempotency,
    key: &str,
    payload: &serde_json::Value,
    config: IdempotencyConfig,
    work: F,
) -> Result<Once<T>, OnceError<E>>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Claim) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    run(store, key, payload, config, true, None, work).await
}

/// How long before its lease ends a claim taken with another write ([`new_claim`]) is still
/// used as it is; later, [`run_once_uncertain_claimed`] renews it first. Covers the clocks of
/// two processes disagreeing by that much.
const CLAIMED_MARGIN: chrono::Duration = chrono::Duration::seconds(10);

/// A fresh claim of `key` for a new owner, to be written inside another write (a transaction
/// that also stores what the work is about: see `Offers::put_opening`) and then used by
/// [`run_once_uncertain_claimed`]; a request saved.
pub fn new_claim(
    key: &str,
    payload: &serde_json::Value,
    config: IdempotencyConfig,
) -> IdempotencyClaim {
    let now = Utc::now();
    let lease = config.lease();
    IdempotencyClaim {
        key: key.to_string(),
        payload_hash: payload_hash(payload),
        owner: next_owner(),
        now,
        in_progress_until: now + lease,
        expires_at: now
            + chrono::Duration::from_std(config.expiry).unwrap_or(chrono::Duration::days(35)),
    }
}

/// [`run_once_uncertain`] under `claimed`, a claim of this key ([`new_claim`], same payload)
/// already written with another write: the work starts without claiming again while the
/// claim's first lease has [`CLAIMED_MARGIN`] to go, or after renewing it later. If it no
/// longer renews (its lease lapsed, perhaps taken over), it claims as [`run_once_uncertain`]
/// does: over its own lapsed claim, taken over, so the work checks before redoing it.
pub async fn run_once_uncertain_claimed<T, E, F, Fut>(
    store: &dyn Idempotency,
    claimed: &IdempotencyClaim,
    payload: &serde_json::Value,
    config: IdempotencyConfig,
    work: F,
) -> Result<Once<T>, OnceError<E>>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Claim) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let fresh = Utc::now() + CLAIMED_MARGIN < claimed.in_progress_until;
    let held = if fresh {
        Some(claimed.clone())
    } else {
        // Late: still ours if it renews (then no one took it over).
        let until = Utc::now() + config.lease();
        match store.renew(&claimed.key, &claimed.owner, until).await {
            Ok(true) => Some(IdempotencyClaim {
                in_progress_until: until,
                ..claimed.clone()
            }),
            _ => None,
        }
    };
    run(store, &claimed.key, payload, config, true, held, work).await
}

async fn run<T, E, F, Fut>(
    store: &dyn Idempotency,
    key: &str,
    payload: &serde_json::Value,
    config: IdempotencyConfig,
    uncertain: bool,
    held: Option<IdempotencyClaim>,
    work: F,
) -> Result<Once<T>, OnceError<E>>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Claim) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let lease = config.lease();
    let already_held = held.is_some();
    let claim = held.unwrap_or_else(|| new_claim(key, payload, config));
    let (hash, owner) = (claim.payload_hash.clone(), claim.owner.clone());
    let read = |result: Option<String>| -> Result<T, OnceError<E>> {
        let text = result.unwrap_or_else(|| "null".into());
        serde_json::from_str(&text).map_err(|e| OnceError::BadStoredResult {
            key: key.to_string(),
            message: e.to_string(),
        })
    };
    let outcome = if already_held {
        ClaimOutcome::Claimed { taken_over: false }
    } else {
        again(|| store.claim(&claim)).await?
    };
    let taken_over = match outcome {
        ClaimOutcome::Completed { result } => return Ok(Once::AlreadyDone(read(result)?)),
        ClaimOutcome::InProgress { until } => return Ok(Once::InProgress { until }),
        ClaimOutcome::PayloadMismatch => return Err(OnceError::PayloadMismatch(key.to_string())),
        ClaimOutcome::Claimed { taken_over } => taken_over,
    };
    if taken_over {
        tracing::info!(
            key,
            "took over the claim of an owner that stopped renewing it"
        );
    }
    track(key, &owner);
    let outcome = {
        let fut = work(Claim {
            key: key.to_string(),
            owner: owner.clone(),
            taken_over,
        });
        tokio::pin!(fut);
        let beat = (config.in_progress_ttl / 3).max(Duration::from_millis(100));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
        loop {
            tokio::select! {
                r = &mut fut => break r,
                _ = ticker.tick() => {
                    match store.renew(key, &owner, Utc::now() + lease).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(key, "lost the claim while working (its lease lapsed); someone else may run it too"),
                        Err(e) => tracing::warn!(key, error = %e, "could not renew the claim; retrying at the next beat"),
                    }
                }
            }
        }
    };
    let result = match outcome {
        Ok(value) => {
            let text = serde_json::to_string(&value).map_err(|e| OnceError::BadStoredResult {
                key: key.to_string(),
                message: e.to_string(),
            });
            match text {
                Ok(text) => {
                    match again(|| {
                        store.complete(key, &owner, &hash, Some(&text), claim.expires_at)
                    })
                    .await
                    {
                        Ok(true) => Ok(Once::Ran(value)),
                        Ok(false) => {
                            tracing::warn!(
                                key,
                                "the work was done but another owner holds the claim now"
                            );
                            Ok(Once::Ran(value))
                        }
                        Err(e) => Err(OnceError::Store(e)),
                    }
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => {
            let given_up = if uncertain {
                again(|| store.renew(key, &owner, Utc::now()))
                    .await
                    .map(|_| ())
            } else {
                again(|| store.release(key, &owner)).await
            };
            if let Err(release) = given_up {
                tracing::warn!(key, error = %release, "could not release idempotency claim; it lapses on its own");
            }
            Err(OnceError::Work(e))
        }
    };
    untrack(key, &owner);
    result
}

/// One call to the store, tried again (50 ms, then 200 ms later) while its error may pass. Every
/// call here is safe to repeat: each is conditional on this claim's owner, and a claim whose
/// response was lost is found again as this owner's.
async fn again<T, F, Fut>(call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    Policy::brief(Duration::from_millis(50))
        .retry(call, StoreError::is_retryable)
        .await
}
