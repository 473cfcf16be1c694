//! # dispatch-cascade
//!
//! The heart of dispatch: a booking comes in and, without anyone phoning around, a certified
//! captain and enough crew end up confirmed, fairly, with no one double-booked.
//!
//! The cascade is level-triggered: every event about a charter only asks for
//! [`Cascade::reconcile`], which reads what is true now and lets a pure planner say what should
//! happen next and when to look again. Nothing depends on one step having run right after
//! another, so an error between two writes only delays the outcome until the next pass, and the
//! [`sweep`] is the net under every timer and message.
//!
//! Pure (no I/O, no clock):
//! - [`engine`]: eligible candidates for a slot, in order, and why the others are not.
//! - [`plan`]: from a charter's [`state`] to a [`plan::Plan`] (the [`action`]s that move it on,
//!   and when to look again); a fixed point once applied. Its parts: [`staffing`] (an open
//!   charter), [`hand`] (orders ops gave by hand), [`release`] (a cancelled or removed one),
//!   [`slots`] (which slots are open).
//! - [`keys`]: every offer id, thread-entry id, mail key and queue key: "sends nothing twice"
//!   rests on them. [`mails`]: every mail, built from data. [`notes`]: the thread's words.
//!   [`links`]: offer, page, calendar and ops-board links. [`tokens`]: the magic-link tokens
//!   (HMAC-SHA256, key id, scope, expiry, rotation). [`words`]: a charter as crew read it.
//! - [`overview`]: what ops see of a charter, for `charter list`/`show` and the ops board.
//!
//! With I/O, each a set of functions taking the context ([`service::Cascade`], `cx`) first:
//! - [`reconcile`]: reads the state (`snapshot`), plans, arms the lapse timer ([`requeue`]),
//!   and carries the plan out (`effects`, with `notify` and [`confirm`] for the effects that
//!   tell people, `deliver` for the idempotent writes they are made of), again after a conflict.
//! - [`answers`]: accept (one transaction) and decline, then reconcile; [`ops`]: the ops
//!   commands (assign, unassign, cancel, reoffer), each a step and a reconcile.
//! - [`crew`]: what crew do on their page ("I can't make it", availability, a new link) and
//!   the member-link checks under it (revoked links refused).
//! - [`sweep`]: reconciles every charter in the sparse index of unsettled charters (which the
//!   reconcile keeps true, `index`); [`jobs`]: the `cascade` queue's handlers; [`facts`]: the
//!   names a mail needs.
//! - [`web`]: the crew page (axum, handlers under `web/`, askama templates in `templates/`,
//!   the page shell and error pages in `html`); [`ops_board`]: the ops board page; [`board`]:
//!   who may act on it (sign-in links, sessions, CSRF), the Assign list and its other pages;
//!   [`ics`]: calendar entries (through `icalendar`).
//!
//! [`Cascade`]'s methods (in `api.rs`) are the public entry points, each one call into its module.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod action;
pub mod answers;
mod api;
pub mod board;
pub mod confirm;
pub mod crew;
mod deliver;
mod effects;
pub mod engine;
pub mod facts;
pub mod hand;
mod html;
pub mod ics;
mod index;
pub mod jobs;
pub mod keys;
pub mod links;
pub mod mails;
pub mod notes;
mod notify;
pub mod ops;
pub mod ops_board;
pub mod overview;
mod page;
pub mod plan;
pub mod reconcile;
pub mod release;
pub mod requeue;
pub mod service;
pub mod slots;
mod snapshot;
pub mod staffing;
pub mod state;
pub mod sweep;
pub mod tokens;
mod told;
pub mod web;
pub mod words;

pub use answers::Answer;
pub use keys::offer_id_for;
pub use reconcile::Reconciled;
pub use service::{Cascade, CascadeError, CascadeSettings};
pub use sweep::SweepReport;
