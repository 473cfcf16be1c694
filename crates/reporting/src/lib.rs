//! # dispatch-reporting
//!
//! Month-end paperwork, as pure functions from data to data (no AWS or Google I/O here; the
//! queue jobs call these and do the uploading and mailing).
//!
//! - [`tips`]: the tip split — equal shares among captain and crew, leftover cents handed out one
//!   each from the first person, so the shares add up exactly.
//! - [`revenue`]: the monthly revenue workbook (`rust_xlsxwriter`): a `Template` tab and a month
//!   tab such as `May 2024`, totals by formula over workbook-level defined names, column order from
//!   the prior month's header row.
//! - [`prior`]: [`prior::prior_columns`] reads the prior month's header row with `calamine`.
//! - [`statement`]: per-member crew statements for a month (pure grouping and tip shares) and the
//!   mail subject the mailer searches for.
//! - [`statement_book`]: a member's single-tab statement workbook and its file name.
//! - [`sheet`]: the availability spreadsheet — cells from `.xlsx` (`calamine`) or Sheets JSON, A1
//!   references, dates as people type them, the roster/availability reader and the sync plan.
//! - [`error`]: [`ReportError`], the crate's one error type.

// Nothing from outside (a record, a message, a cell, a request) may panic: unwrap/expect only in
// tests, or with an #[allow] and a comment where an invariant is proven.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod error;
pub mod left_out;
pub mod prior;
pub mod revenue;
pub mod sheet;
pub mod statement;
pub mod statement_book;
pub mod tips;

pub use error::ReportError;
