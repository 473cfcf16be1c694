//! The three ports of the month-end jobs, in one place so the jobs, the local adapters and the
//! Google adapters all import them from here and never each other: [`ReportFiles`] (where
//! workbooks go), [`PriorRecipients`] (who had last month's statement) and [`AvailabilitySource`]
//! (where the availability workbook comes from).

use std::collections::BTreeSet;

use dispatch_core::domain::{CrewId, EmailAddress, Month};
use dispatch_google::sheets::TabValues;

use crate::error::MonthError;

/// A stored file: an id (Drive id or path) and where a person finds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFile {
    /// The Drive file id, or the file name in a [`crate::files::DriveFolder`].
    pub id: String,
    /// A link or path a person can open.
    pub location: String,
}

/// The reports folder.
#[async_trait::async_trait]
pub trait ReportFiles: Send + Sync {
    /// The file `name` in the folder, if there is one.
    async fn read(&self, name: &str) -> Result<Option<Vec<u8>>, MonthError>;
    /// Writes `name`, replacing the content of an existing file of that name (never a second one).
    async fn put(&self, name: &str, mime: &str, bytes: &[u8]) -> Result<StoredFile, MonthError>;
    /// Gives these people read access (idempotent).
    async fn share(&self, file: &StoredFile, with: &[EmailAddress]) -> Result<(), MonthError>;
    /// Where files go, for the CLI and `doctor`.
    fn describe(&self) -> String;
}

/// Looks up the To and Cc addresses of an earlier statement.
#[async_trait::async_trait]
pub trait PriorRecipients: Send + Sync {
    /// Everyone on To or Cc of the statement sent to `crew` for `month` with this `subject`
    /// (empty when there was none).
    async fn recipients(
        &self,
        crew: &CrewId,
        month: Month,
        subject: &str,
    ) -> Result<BTreeSet<EmailAddress>, MonthError>;
}

/// The workbook as its source gives it.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// `.xlsx` bytes (a local file, or an `.xlsx` stored in Drive).
    Xlsx(Vec<u8>),
    /// A Google Sheet read with `values.batchGet` (unformatted, serial-number dates).
    Sheets(Vec<TabValues>),
}

/// Where the availability workbook comes from.
#[async_trait::async_trait]
pub trait AvailabilitySource: Send + Sync {
    /// The workbook as it is now.
    async fn fetch(&self) -> Result<Fetched, MonthError>;
    /// For the CLI and logs.
    fn describe(&self) -> String;
}
