//! The crate's one error type.

/// Everything that can go wrong while building or reading a workbook.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// rust_xlsxwriter refused something while writing `what`.
    #[error("writing {what}: {source}")]
    Xlsx {
        what: String,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// calamine could not read a workbook we were given.
    #[error("reading {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: calamine::XlsxError,
    },
    /// A workbook refused before or while reading it: not an `.xlsx`, too big, a stray cell far
    /// out. The message names the tab and cell and says what to do.
    #[error("{0}")]
    Refused(String),
    /// Charters a workbook cannot hold (each named, with why).
    #[error("{} charter(s) cannot be written: {}", .0.len(), .0.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("; "))]
    Unwritable(Vec<crate::left_out::LeftOut>),
    /// The workbook was readable but lacks what we looked for.
    #[error("{0}")]
    Missing(String),
    /// Rows handed to a streaming writer were not in the order it writes them.
    #[error("{0}")]
    OutOfOrder(String),
}

impl ReportError {
    pub(crate) fn xlsx(what: impl Into<String>) -> impl FnOnce(rust_xlsxwriter::XlsxError) -> Self {
        let what = what.into();
        move |source| Self::Xlsx { what, source }
    }
}
