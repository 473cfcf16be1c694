//! # dispatch-cascade
//!
//! The heart of dispatch. It will own:
//!
//! - the pure decision engine: who is eligible for a captain or crew slot, in what order (fewest
//!   assignments that month first, then a stable per-charter rotation), and why the others are not;
//! - its effects through the core ports: offers, crew-day holds, lapse timeouts on the `cascade`
//!   queue, escalation to ops, release on cancellation;
//! - magic links (HMAC-SHA256 tokens with key id, scope and expiry, key rotation);
//! - the crew page (axum), served by `dispatch run` and behind a Lambda function URL.
//!
//! Today it holds only this map; the cascade issue fills it in.
