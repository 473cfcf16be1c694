//! What crew do for themselves on their page, and the member-link rules under it:
//!
//! - [`access`]: a member's token checked against the roster (revoked links refused), for
//!   every place that takes one (page, answers, calendar feed, the page's own forms).
//! - [`relink`]: a fresh link to the member's page by mail (`dispatch crew link`, "e-mail me a
//!   new link"), optionally revoking every earlier link; the daily limit per address.
//! - [`drop`]: "I can't make it": the member's request noted in the thread (the planner reads
//!   it, [`drop_plan`]), or ops alerted inside the cut-off; the swap when a replacement accepts.
//! - [`availability`]: the member marks days for the next 90 days (roster or the Sheet).
//! - [`mails`]: the mails of all the above.

pub mod access;
pub mod mails;
pub mod relink;
