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
