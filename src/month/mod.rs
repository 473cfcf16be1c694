//! Month-end and roster jobs: the I/O around `dispatch-reporting`'s pure workbooks and parser.
//!
//! - [`files`]: the [`files::ReportFiles`] port (where workbooks go: a `drive/` folder tree on the
//!   embedded default, a Drive folder on Google) and its two adapters.
//! - [`recipients`]: the [`recipients::PriorRecipients`] port (who got last month's statement: the
//!   outbox's `.eml` file, or a Gmail search on the statement subject).
//! - [`report`]: the monthly revenue workbook — charters of the month by the date index, the prior
//!   month's column order, upload replacing that month's file, sharing with ops.
//! - [`statements`]: one workbook per member, mailed once per member and month (idempotency store).
//! - [`roster`]: roster sync from the availability workbook (a local `.xlsx` or the Google Sheet).
//! - [`jobs`]: the queue handlers (`monthly_report`, `statements`, `roster_sync`).

pub mod files;
pub mod jobs;
pub mod recipients;
pub mod report;
pub mod roster;
pub mod statements;

use std::sync::Arc;

use chrono::Datelike;
use dispatch_core::domain::{EmailAddress, Month};
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::{Backend, StoreError};
use dispatch_mailer::{MailError, MailSender};
use dispatch_reporting::ReportError;

/// What the month jobs need, built once (see `app::month_context`).
#[derive(Clone)]
pub struct MonthContext {
    pub backend: Backend,
    pub files: Arc<dyn files::ReportFiles>,
    pub mailer: Arc<dyn MailSender>,
    pub recipients: Arc<dyn recipients::PriorRecipients>,
    pub availability: Arc<dyn roster::AvailabilitySource>,
    /// Sender of statements.
    pub from: EmailAddress,
    pub from_name: String,
    /// Copied on every statement.
    pub auditor: Option<EmailAddress>,
    /// Reports are shared with these.
    pub ops: Vec<EmailAddress>,
    /// Year of dates typed without one in the availability sheet (the `roster_year` setting);
    /// `None`: the next occurrence from the business's today, or the year the tab's other dates
    /// agree on.
    pub roster_year: Option<i32>,
    /// The business's time zone ("today", times in mails).
    pub zone: dispatch_core::zone::BusinessZone,
    pub idem: IdempotencyConfig,
}

/// Why a month job failed; [`MonthError::is_retryable`] tells the worker what to do.
#[derive(Debug, thiserror::Error)]
pub enum MonthError {
    #[error("{context}: {source}")]
    Store { context: String, source: StoreError },
    #[error("{0}")]
    Report(#[from] ReportError),
    #[error("{0}")]
    Mail(#[from] MailError),
    /// Drive, Sheets or the `drive/` folder.
    #[error("{message}")]
    Files { message: String, retryable: bool },
    /// Input that will not get better by retrying (a bad payload, a missing sheet).
    #[error("{0}")]
    Input(String),
    /// Another worker holds the same piece of work right now.
    #[error("{0} is being done by another worker")]
    InProgress(String),
}

impl MonthError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store { source, .. } => source.is_retryable(),
            Self::Report(_) | Self::Input(_) => false,
            Self::Mail(e) => e.is_retryable(),
            Self::Files { retryable, .. } => *retryable,
            Self::InProgress(_) => true,
        }
    }

    pub(crate) fn store(context: impl Into<String>) -> impl FnOnce(StoreError) -> Self {
        let context = context.into();
        move |source| Self::Store { context, source }
    }
}

/// A job payload's month: `YYYY-MM`, or `previous` (the month before `now`, UTC) as the
/// month-end schedule sends it.
pub fn resolve_month(raw: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Month, MonthError> {
    match raw.trim() {
        "previous" => {
            let this = Month::new(now.year(), now.month())
                .ok_or_else(|| MonthError::Input(format!("no month for {now}")))?;
            Ok(this.previous())
        }
        other => Month::parse(other).map_err(|e| {
            MonthError::Input(format!("month `{other}`: {e} (use YYYY-MM or `previous`)"))
        }),
    }
}

/// Refuses statements for a month that has not ended at `now` (UTC): they would leave out the
/// charters still to come, and a statement is never sent twice for the same member and month.
/// `override_hint` says how to send them anyway (`--force`, or the job payload's `force`).
pub fn refuse_unended(
    month: Month,
    now: chrono::DateTime<chrono::Utc>,
    override_hint: &str,
) -> Result<(), MonthError> {
    let today = now.date_naive();
    let last = month.days().last().map(|d| d.naive());
    if last.is_some_and(|last| today <= last) {
        return Err(MonthError::Input(format!(
            "{month} has not ended yet (its last day is {}): statements sent now would miss its \
             remaining charters and are never sent again for that month; run them once the month \
             is over, or {override_hint}",
            last.map(|d| d.to_string()).unwrap_or_default()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_wait_for_the_month_to_end() {
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        let may = Month::parse("2024-05").unwrap();
        let e = refuse_unended(may, at("2024-05-01T08:00:00Z"), "pass --force").unwrap_err();
        assert!(e.to_string().contains("2024-05 has not ended yet"), "{e}");
        assert!(e.to_string().contains("2024-05-31"), "{e}");
        assert!(e.to_string().contains("--force"), "{e}");
        assert!(!e.is_retryable());
        assert!(refuse_unended(may, at("2024-05-31T23:59:00Z"), "x").is_err());
        assert!(refuse_unended(may, at("2024-06-01T00:00:00Z"), "x").is_ok());
        assert!(refuse_unended(may, at("2025-01-10T00:00:00Z"), "x").is_ok());
        assert!(refuse_unended(
            Month::parse("2024-06").unwrap(),
            at("2024-05-20T00:00:00Z"),
            "x"
        )
        .is_err());
    }

    #[test]
    fn previous_month_crosses_the_year() {
        let jan = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            resolve_month("previous", jan).unwrap().to_string(),
            "2024-12"
        );
        assert_eq!(
            resolve_month("2024-05", jan).unwrap().to_string(),
            "2024-05"
        );
        let e = resolve_month("May", jan).unwrap_err();
        assert!(e.to_string().contains("YYYY-MM"), "{e}");
        assert!(!e.is_retryable());
    }
}
