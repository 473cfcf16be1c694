//! Idempotency records in the `dispatch-state` table (the Powertools semantics, with live owners).
//!
//! Two traits, one per side: [`Idempotency`] is what `run_once` speaks to (claim, renew,
//! complete, release), in `claims`; [`IdempotencyStore`] is what an adapter implements
//! (conditional writes, each under a [`Guard`]), in `store`. The claim rules that join them
//! (what blocks a claim, when a claim is a take-over, what a refused write means) are stated
//! once, in `rules`, which implements [`Idempotency`] for every store.

mod claims;
mod rules;
mod store;

pub use claims::{
    ClaimOutcome, Idempotency, IdempotencyClaim, IdempotencyRecord, IdempotencyStatus,
};
pub use rules::{blocked_outcome, blocks_claim, completable_by, takes_over};
pub use store::{Guard, IdempotencyStore, Swap};
