//! # dispatch-cascade
//!
//! The heart of dispatch: a booking comes in and, without anyone phoning around, a certified
//! captain and enough crew end up confirmed, fairly, with no one double-booked.
//!
//! - [`engine`]: the pure decision engine — eligible candidates for a slot, in order, and why
//!   the others are not.
//! - [`tokens`]: magic-link tokens (HMAC-SHA256, key id, scope, expiry, rotation).
//! - [`service`]: the effects — offers, offer mails, lapse timers on the `cascade` queue (chained
//!   15-minute delays), accept (one transaction), decline, escalation, release on cancellation —
//!   every one idempotent, so replays send nothing twice.
//! - [`jobs`]: the `cascade` queue's job handlers, calling the service.
//! - [`web`]: the crew page (axum): a member's offers, assignments and availability; Accept and
//!   Decline as POSTs that work once.

pub mod engine;
pub mod jobs;
pub mod service;
pub mod tokens;
pub mod web;
