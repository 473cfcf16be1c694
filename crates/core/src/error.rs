//! The one error type of the storage and queue ports.

use crate::item::ItemError;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure of a storage or queue port. Every variant knows whether a retry could help.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed or could not be reached. `retryable` is true for throttling, timeouts,
    /// connection failures and 5xx; false for validation errors and other 4xx.
    #[error("{op}: {source}")]
    Backend {
        op: String,
        retryable: bool,
        #[source]
        source: BoxError,
    },
    /// A table or queue the operation needs does not exist.
    #[error("{kind} `{name}` does not exist: run `dispatch bootstrap` to create it")]
    Missing { kind: &'static str, name: String },
    /// A record did not have the shape the domain needs.
    #[error(transparent)]
    BadRecord(#[from] ItemError),
    /// A stream shard iterator is too old; re-open it from the checkpoint.
    #[error("shard iterator expired")]
    IteratorExpired,
    /// The stream's data before the requested position was trimmed (older than 24 h).
    #[error("stream data was trimmed before the requested position")]
    TrimmedData,
    /// The caller passed something the backend cannot take (too large, bad receipt, ...).
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    pub fn backend(op: impl Into<String>, retryable: bool, source: impl Into<BoxError>) -> Self {
        Self::Backend {
            op: op.into(),
            retryable,
            source: source.into(),
        }
    }

    /// Whether trying the same call again later could succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Backend { retryable, .. } => *retryable,
            Self::IteratorExpired => true,
            Self::Missing { .. } | Self::BadRecord(_) | Self::TrimmedData | Self::Invalid(_) => {
                false
            }
        }
    }
}
