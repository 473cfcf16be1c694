//! # dispatch-mailer
//!
//! Outgoing mail. It will own:
//!
//! - MIME building with `lettre` (offers, escalations, statements with an xlsx attachment);
//! - sending through the Gmail API, or into the embedded backend's `outbox/` folder as `.eml` files
//!   (the exact bytes that would have been sent);
//! - the search for a prior statement's recipients.
//!
//! Today it holds only this map; the Google issue fills it in.
