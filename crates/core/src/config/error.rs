//! Why settings cannot be used: each message names the setting (and its variable) at fault.

use std::path::PathBuf;

/// Settings that cannot be used; the message names the setting and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("setting `{setting}` (env {env}): {message}")]
    Invalid {
        setting: &'static str,
        env: String,
        message: String,
    },
}
