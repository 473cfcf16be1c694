//! The one error type of the crate, and what the retry layer should do with each case.

use std::path::PathBuf;

/// Everything that can go wrong talking to Google or preparing to.
#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    /// The key file does not exist.
    #[error("service-account key {path} does not exist (set GOOGLE_APPLICATION_CREDENTIALS or the config path)")]
    KeyMissing {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The key file (or token file) exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Neither the config nor `GOOGLE_APPLICATION_CREDENTIALS` names a key file.
    #[error("no service-account key configured: set GOOGLE_APPLICATION_CREDENTIALS or the key path in the config")]
    KeyPathUnset,
    /// The key file is not JSON.
    #[error("service-account key {path} is not JSON: {source}")]
    KeyNotJson {
        /// The file.
        path: PathBuf,
        /// The parser's complaint (position only; the content is never echoed).
        #[source]
        source: serde_json::Error,
    },
    /// The key file lacks a field we need.
    #[error("service-account key {path} has no `{field}` field")]
    KeyMissingField {
        /// The file.
        path: PathBuf,
        /// The missing field.
        field: &'static str,
    },
    /// The `private_key` is not a PKCS#8 RSA PEM.
    #[error("service-account key {path}: `private_key` is not a PKCS#8 RSA PEM ({reason})")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        reason: String,
    },
    /// A file or folder is readable by others than its owner.
    #[error(
        "{what} {path} has mode {mode:04o}, wider than {want:04o}: run `chmod {want:o} {path}`"
    )]
    LoosePermissions {
        /// "key file", "key folder" or "token file".
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// The mode it must have.
        want: u32,
    },
    /// Google's token endpoint refused the JWT (`error: error_description`).
    #[error("token request refused ({status}): {error}: {description}")]
    TokenRefused {
        /// HTTP status.
        status: u16,
        /// Google's `error`, e.g. `invalid_grant`.
        error: String,
        /// Google's `error_description`, e.g. `Invalid JWT Signature`.
        description: String,
    },
    /// Token acquisition through `gcp_auth` failed (it hides Google's body; see its warn log).
    #[error("token request through gcp_auth failed: {0}")]
    GcpAuth(#[source] gcp_auth::Error),
    /// Signing the JWT failed.
    #[error("signing the JWT assertion failed: {0}")]
    Signing(String),
    /// Writing the token file failed.
    #[error("writing token file {path}: {source}")]
    TokenFile {
        /// The token file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An API answered with an error status.
    #[error("Google API {status}{}: {message}", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Api {
        /// HTTP status.
        status: u16,
        /// `error.errors[0].reason` or `error.status`, when given.
        reason: Option<String>,
        /// `error.message`.
        message: String,
        /// `Retry-After` in seconds, when given.
        retry_after: Option<u64>,
    },
    /// The request did not complete (connect, timeout, broken body). The URL is stripped (queries
    /// can hold addresses); see [`GoogleError::transport`].
    #[error("HTTP request failed: {0}")]
    Transport(#[source] reqwest::Error),
    /// A 2xx answer whose body did not have the expected shape.
    #[error("unexpected response from {what}: {detail}")]
    Decode {
        /// Which call.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// Building a MIME message failed.
    #[error("building MIME message: {0}")]
    Mime(String),
    /// A Drive path had a missing component.
    #[error("Drive folder `{0}` not found")]
    FolderNotFound(String),
}

impl GoogleError {
    /// A transport error without its URL, so logs never carry query strings.
    pub fn transport(e: reqwest::Error) -> Self {
        GoogleError::Transport(e.without_url())
    }

    /// Whether trying the same call again later may succeed: throttling (429, 403 rate limits), 5xx,
    /// timeouts and connection failures are; validation, auth and other 4xx are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            GoogleError::Api { status, reason, .. } => {
                *status == 429
                    || *status >= 500
                    || (*status == 403
                        && matches!(
                            reason.as_deref(),
                            Some("rateLimitExceeded" | "userRateLimitExceeded")
                        ))
            }
            GoogleError::Transport(e) => e.is_timeout() || e.is_connect() || e.is_request(),
            GoogleError::TokenRefused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// `Retry-After` the server asked for, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            GoogleError::Api {
                retry_after: Some(s),
                ..
            } => Some(std::time::Duration::from_secs(*s)),
            _ => None,
        }
    }
}
