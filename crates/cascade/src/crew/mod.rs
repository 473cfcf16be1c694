//! What crew do for themselves on their page, and the member-link rules under it:
//!
//! - [`access`]: a member's token checked against the roster (revoked links refused), for
//!   every place that takes one (page, answers, calendar feed, the page's own forms).
//! - [`relink`]: a fresh link to the member's page by mail (`dispatch crew link`, "e-mail me a
//!   new link"), optionally revoking every earlier link; the daily limit per address.
//! - "I can't make it": [`give_back`] takes the member's request (a thread entry, or ops
//!   alerted inside the cut-off); [`drop_plan`] is the planner's pure half (the slot asked for
//!   while they stay on it); [`drop`] the effects (ops told, member released) and the swap when
//!   a replacement accepts.
//! - [`availability`]: the member marks days for the next 90 days (on the roster).
//! - [`view`]: what the member's page shows of all this (its forms, the 90 days).
//! - [`mails`]: the mails of all the above.

pub mod access;
pub mod availability;
pub mod drop;
pub mod drop_plan;
pub mod give_back;
pub mod mails;
pub mod relink;
pub mod view;
