//! `dispatch auth check|refresh`: load the key, get a token, report.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{JwtTokenSource, KeyOptions, ServiceAccountKey, SCOPES};
use crate::GoogleError;

/// Where the key is and how to use it.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// The key file; `None` reads `GOOGLE_APPLICATION_CREDENTIALS` (no other discovery).
    pub key_path: Option<PathBuf>,
    /// The token file to keep current (`unified-token.json`), also mode-checked if present.
    pub token_file: Option<PathBuf>,
    /// The mailbox to act as (domain-wide delegation); Gmail needs it.
    pub subject: Option<String>,
    /// Warn instead of refusing loose file modes. Off by default.
    pub allow_loose_permissions: bool,
}

impl AuthConfig {
    /// The key path, from the config or the environment.
    pub fn resolve_key_path(&self) -> Result<PathBuf, GoogleError> {
        self.key_path
            .clone()
            .or_else(ServiceAccountKey::path_from_env)
            .ok_or(GoogleError::KeyPathUnset)
    }

    /// Loads the key with the mode checks this config asks for.
    pub fn load_key(&self) -> Result<ServiceAccountKey, GoogleError> {
        let path = self.resolve_key_path()?;
        ServiceAccountKey::load(
            &path,
            self.token_file.as_deref(),
            KeyOptions {
                allow_loose_permissions: self.allow_loose_permissions,
            },
        )
    }

    /// The production token source for this config (writes the token file if one is set).
    pub fn token_source(&self) -> Result<JwtTokenSource, GoogleError> {
        let source = JwtTokenSource::new(self.load_key()?, &SCOPES, self.subject.clone());
        Ok(match &self.token_file {
            Some(p) => source.with_token_file(p.clone()),
            None => source,
        })
    }
}

/// What `dispatch auth check` prints on success.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The key file used.
    pub key_path: PathBuf,
    /// The service account.
    pub client_email: String,
    /// The delegated mailbox, if any.
    pub subject: Option<String>,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// When the fresh token expires.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Display for CheckReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ok: key {} as {} (sub {}), scopes {}, token expires {}",
            self.key_path.display(),
            self.client_email,
            self.subject.as_deref().unwrap_or("none"),
            self.scopes.join(" "),
            self.expires_at.to_rfc3339()
        )
    }
}

/// Loads the key (with mode checks), makes one token exchange and checks that the token file (if
/// configured) can be written where it is, as a send would: the error's `Display` is one line
/// naming the file or Google's `error: error_description`. With `write_token_file` the token file
/// is refreshed too (`dispatch auth refresh`), and a failed write is an error here.
pub async fn check(cfg: &AuthConfig, write_token_file: bool) -> Result<CheckReport, GoogleError> {
    let source = JwtTokenSource::new(cfg.load_key()?, &SCOPES, cfg.subject.clone());
    let token = source.refresh().await?;
    // A send keeps the token in memory when the file cannot be written; the check says so, so
    // a deploy check finds a token file in a read-only folder before anyone relies on it.
    if let Some(p) = &cfg.token_file {
        if write_token_file {
            super::token_file::write_token_file(p, &token)?;
        } else {
            super::token_file::check_writable(p)?;
        }
    }
    Ok(CheckReport {
        key_path: source.key().path.clone(),
        client_email: source.key().client_email.clone(),
        subject: cfg.subject.clone(),
        scopes: source.scopes().to_vec(),
        expires_at: token.expires_at,
    })
}
