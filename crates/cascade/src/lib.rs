//! # dispatch-cascade
//!
//! The heart of dispatch: a booking comes in and, without anyone phoning around, a certified
//! captain and enough crew end up confirmed, fairly, with no one double-booked.
//!
//! The cascade is level-triggered: every event about a charter only asks for
//! [`Cascade::reconcile`], which reads what is true now and lets a pure planner say what should
//! happen next. Nothing depends on one step having run right after another, so an error between
//! two writes only delays the outcome until the next pass, and the [`sweep`] is the net under
//! every timer and message.
//!
//! - [`engine`]: pure — eligible candidates for a slot, in order, and why the others are not.
//! - [`plan`]: pure — from a charter's state (charter, offers, holds, candidates, thread, now) to
//!   the actions that move it on; a fixed point once applied.
//! - [`reconcile`]: reads the state, plans, and carries the plan out ([`effects`]), again after a
//!   conflict; [`answers`]: accept (one transaction) and decline, then reconcile.
//! - [`sweep`]: reconciles every unsettled charter in the horizon, through the date index.
//! - [`tokens`]: magic-link tokens (HMAC-SHA256, key id, scope, expiry, rotation).
//! - [`overview`]: pure — what ops see of a charter (names, crew needed, whom we wait on, why it
//!   needs attention), for `charter list`/`show` and the ops board.
//! - [`ops`]: the ops commands (assign, unassign, cancel, reoffer), each a step and a reconcile.
//! - [`ops_board`]: the read-only ops board page (`GET /ops/{token}`, links of scope `ops`).
//! - [`jobs`]: the `cascade` queue's handlers — every kind is "reconcile this charter".
//! - [`web`]: the crew page (axum): the offer from the mail first and alone, then the member's
//!   other offers, upcoming charters (sorted, with start time, meeting point and who is aboard)
//!   and availability; Accept and Decline as POSTs that work once; the calendar feed.
//! - [`words`]: a charter as crew read it (weekday, local start time, plain role words), shared
//!   by the page, the mails and [`ics`] (RFC 5545 calendar entries).
//! - [`confirm`]: the confirmation mail with its `.ics` and lasting page link, and the reminder
//!   the day before (the `reminders` job).

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod answers;
pub mod confirm;
pub mod effects;
pub mod engine;
mod html;
pub mod ics;
pub mod jobs;
pub mod ops;
pub mod ops_board;
pub mod overview;
mod page;
pub mod plan;
pub mod reconcile;
pub mod sweep;
pub mod tokens;
pub mod web;
pub mod words;

pub use answers::Answer;
pub use plan::offer_id_for;
pub use reconcile::{Cascade, CascadeError, CascadeSettings, Reconciled};
pub use sweep::SweepReport;
