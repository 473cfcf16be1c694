//! # dispatch-monthend
//!
//! The month-end and roster jobs: the I/O around `dispatch-reporting`'s pure workbooks and
//! availability parser, behind three ports so the same jobs run on the embedded default (a folder
//! tree and the mail outbox), on Google Workspace, and in tests.
//!
//! The three ports are in [`ports`]: [`ports::ReportFiles`] (where workbooks go),
//! [`ports::PriorRecipients`] (who got last month's statement) and [`ports::AvailabilitySource`]
//! (where the availability workbook comes from). Their local adapters:
//! - [`files`]: [`files::DriveFolder`], a `drive/` folder tree written atomically.
//! - [`recipients`]: [`recipients::OutboxRecipients`], the outbox's `.eml` file (and
//!   [`recipients::statement_key`], the one key of a member's statement).
//! - [`roster`]: [`roster::XlsxFile`], a local `.xlsx` (beside the roster sync itself).
//!
//! The Google adapters, in [`google`]: [`google::GoogleDriveFiles`], [`google::GmailRecipients`],
//! [`google::GoogleSheet`], and [`google::GmailMailer`] (the Gmail `MailSender` that offers and
//! statements go out through). The mailer lives here rather than in `dispatch-mailer` or
//! `dispatch-google` because this is the one crate that already stands on both: putting it in
//! `dispatch-mailer` would pull the Google HTTP stack (reqwest, gcp_auth, rsa) into the cascade
//! and so into the public web Lambda, which must hold no Google code or key; putting it in
//! `dispatch-google` would tie that plain REST client to the domain crates (`dispatch-core` and its
//! AWS SDK). The binary picks it as the `MailSender` for the cascade too.
//!
//! The jobs:
//! - [`report`]: the monthly revenue workbook — charters of the month by the date index, the
//!   prior month's column order, upload replacing that month's file, sharing with ops.
//! - [`statements`]: one workbook per member, mailed once per member and month (the idempotency
//!   store).
//! - [`roster`]: roster sync from the availability workbook.
//! - [`jobs`]: the queue handlers (`monthly_report`, `statements`, `roster_sync`).
//!
//! Also: [`MonthContext`] (what the jobs need, built once by the binary's wiring), [`MonthError`]
//! (this crate's one error type, which knows whether a retry may help) and [`period`] (which month
//! a job means, and whether it has ended).
//!
//! Imports run one way: `ports` and `error` at the bottom; the adapters (`files`, `recipients`,
//! `roster`'s `XlsxFile`, `google`) on the ports; `context` on the ports; the jobs (`report`,
//! `statements`, `roster::sync`) on the context; `jobs` on the jobs.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod context;
pub mod corrections;
pub mod digests;
mod error;
pub mod files;
pub mod google;
pub mod jobs;
pub mod period;
pub mod ports;
pub mod recipients;
pub mod report;
pub mod roster;
pub mod statements;
pub mod unreadable;

pub use context::MonthContext;
pub use error::MonthError;
pub use period::{refuse_unended, resolve_month};
