//! [`MonthError`], the one error type of the month-end and roster jobs: its own file because every
//! port, adapter and job returns it, and [`MonthError::is_retryable`] is what the queue worker
//! reads to retry or dead-letter a job.

use std::path::{Path, PathBuf};

use dispatch_core::StoreError;
use dispatch_google::GoogleError;
use dispatch_mailer::MailError;
use dispatch_reporting::ReportError;

/// Why a month job failed; [`MonthError::is_retryable`] tells the worker what to do.
#[derive(Debug, thiserror::Error)]
pub enum MonthError {
    /// A table or queue of the backend.
    #[error("{context}: {source}")]
    Store {
        context: String,
        #[source]
        source: StoreError,
    },
    /// Building or reading a workbook.
    #[error("{0}")]
    Report(#[from] ReportError),
    /// Sending or building a mail.
    #[error("{0}")]
    Mail(#[from] MailError),
    /// A Drive, Sheets or Gmail call.
    #[error("{context}: {source}")]
    Google {
        context: String,
        #[source]
        source: GoogleError,
    },
    /// The local `drive/` folder tree.
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Other trouble with files or a run as a whole, and whether a retry may help.
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
    /// Whether running the job again may succeed (throttling, timeouts, 5xx, a live claim).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store { source, .. } => source.is_retryable(),
            Self::Report(_) | Self::Input(_) => false,
            Self::Mail(e) => e.is_retryable(),
            Self::Google { source, .. } => source.is_retryable(),
            // A full disk or a permission problem needs a person; a transient error is rare here.
            Self::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::TimedOut
            ),
            Self::Files { retryable, .. } => *retryable,
            Self::InProgress(_) => true,
        }
    }

    /// A store error with what was being done, for `map_err`.
    pub(crate) fn store(context: impl Into<String>) -> impl FnOnce(StoreError) -> Self {
        let context = context.into();
        move |source| Self::Store { context, source }
    }

    /// A Google error with what was being done, keeping whether it is worth a retry.
    pub(crate) fn google(context: impl Into<String>) -> impl FnOnce(GoogleError) -> Self {
        let context = context.into();
        move |source| Self::Google { context, source }
    }

    /// A local file error: `what` (a verb such as `reading`) and the path.
    pub(crate) fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| Self::Io { what, path, source }
    }
}
