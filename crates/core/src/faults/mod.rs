//! Faults as an input: a [`Backend`] decorator that fails chosen calls of chosen ports with
//! retryable errors, the way a throttled or briefly unreachable DynamoDB or SQS would, on either
//! adapter. Tests say which calls fail — the `n`th call of a method, every call for a while, or
//! each call with a probability from a seeded generator — and whether the failure comes before
//! the call (nothing happened) or after it (it happened, but the caller never heard: a lost
//! response). Flows that promise "nothing lost, nothing twice" are tested through it.
//!
//! Methods are named `port.method`: `charters.get`, `offers.put`, `idempotency.claim`,
//! `queues.send`, ... A rule names a method or a prefix of one (`offers.`, or `` for all).
//!
//! `schedule` holds the rules and counts calls ([`Faults`]); `decorator` wraps every port of a
//! [`crate::ports::Backend`] so each call asks the schedule first and after ([`faulty`]).

mod decorator;
mod schedule;

pub use decorator::faulty;
pub use schedule::{Faults, Rule, When};
