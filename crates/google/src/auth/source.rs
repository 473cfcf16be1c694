//! Token sources: the [`TokenSource`] port, the production [`JwtTokenSource`] and a [`GcpAuthSource`]
//! on `gcp_auth`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{jwt, token_file, ServiceAccountKey};
use crate::GoogleError;

/// Refresh a cached token when it has less than this left.
pub const REFRESH_MARGIN_SECS: i64 = 60;

/// A bearer token and when it stops working. `Debug` never prints the token.
#[derive(Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub secret: String,
    /// When Google stops accepting it.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where API clients get their bearer token; tests can hand them any implementation.
#[async_trait::async_trait]
pub trait TokenSource: Send + Sync {
    /// A token valid for at least a little while.
    async fn access_token(&self) -> Result<AccessToken, GoogleError>;
}

/// A clock, so that tests can move time past a token's expiry instead of sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The production token source: signs the JWT and makes the exchange itself, caches the token, and
/// refreshes it within [`REFRESH_MARGIN_SECS`] of expiry.
///
/// Chosen over [`GcpAuthSource`] because `gcp_auth` 0.12 retries every failure five times,
/// `invalid_grant` included, and reports only "token request failed": an operator with a revoked key or
/// a missing delegation would learn nothing. Here a refusal is returned at once as
/// [`GoogleError::TokenRefused`] with Google's `error: error_description`, and only transient
/// failures (5xx, 429, transport) are retried, by the caller's retry layer.
pub struct JwtTokenSource {
    key: ServiceAccountKey,
    scopes: Vec<String>,
    subject: Option<String>,
    http: reqwest::Client,
    token_file: Option<PathBuf>,
    clock: Clock,
    cache: tokio::sync::Mutex<Option<AccessToken>>,
}

impl JwtTokenSource {
    /// A source for `key`, asking for `scopes`, acting as `subject` (the sending mailbox) if given.
    pub fn new(key: ServiceAccountKey, scopes: &[&str], subject: Option<String>) -> Self {
        let http = crate::http::client_builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            key,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            subject,
            http,
            token_file: None,
            clock: Arc::new(Utc::now),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// Writes every new token to this file too (atomically, mode 0600); a write that fails is
    /// logged as a warning and the token is still used.
    pub fn with_token_file(mut self, path: PathBuf) -> Self {
        self.token_file = Some(path);
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The key in use.
    pub fn key(&self) -> &ServiceAccountKey {
        &self.key
    }

    /// The scopes asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Fetches a new token now, whatever the cache holds.
    pub async fn refresh(&self) -> Result<AccessToken, GoogleError> {
        let mut cache = self.cache.lock().await;
        let token = self.fetch().await?;
        *cache = Some(token.clone());
        Ok(token)
    }

    async fn fetch(&self) -> Result<AccessToken, GoogleError> {
        let result = self.try_fetch().await;
        if let Err(e) = &result {
            tracing::error!(
                client_email = %self.key.client_email,
                key_id = %self.key.private_key_id,
                error = %error_chain(e),
                "token refresh failed"
            );
        }
        result
    }

    async fn try_fetch(&self) -> Result<AccessToken, GoogleError> {
        let now = (self.clock)();
        let assertion =
            jwt::build_assertion(&self.key, &self.scopes, self.subject.as_deref(), now)?;
        let (secret, expires_in) =
            jwt::exchange(&self.http, &self.key.token_uri, &assertion).await?;
        let token = AccessToken {
            secret,
            expires_at: now + chrono::Duration::seconds(expires_in),
        };
        tracing::info!(client_email = %self.key.client_email, expires_at = %token.expires_at, "token refreshed");
        if let Some(path) = &self.token_file {
            // The token is for this process's calls first: a token file other tools read is a
            // copy, and failing to write it (a read-only folder on Lambda) must not fail a send.
            if let Err(e) = token_file::write_token_file(path, &token) {
                tracing::warn!(error = %error_chain(&e), "the token is kept in memory only; run `dispatch auth check`");
            }
        }
        Ok(token)
    }
}

#[async_trait::async_trait]
impl TokenSource for JwtTokenSource {
    async fn access_token(&self) -> Result<AccessToken, GoogleError> {
        let mut cache = self.cache.lock().await;
        let now = (self.clock)();
        if let Some(t) = cache.as_ref() {
            if t.expires_at - now > chrono::Duration::seconds(REFRESH_MARGIN_SECS) {
                return Ok(t.clone());
            }
        }
        let token = self.fetch().await?;
        *cache = Some(token.clone());
        Ok(token)
    }
}

/// A token source on `gcp_auth`'s `CustomServiceAccount` (which caches and refreshes itself). Kept
/// as an alternative; see [`JwtTokenSource`] for why production does not use it.
pub struct GcpAuthSource {
    account: gcp_auth::CustomServiceAccount,
    scopes: Vec<String>,
}

impl GcpAuthSource {
    /// A source for `key` acting as `subject` if given.
    pub fn new(
        key: &ServiceAccountKey,
        scopes: &[&str],
        subject: Option<String>,
    ) -> Result<Self, GoogleError> {
        let mut account = gcp_auth::CustomServiceAccount::from_json(&key.raw_json)
            .map_err(GoogleError::GcpAuth)?;
        if let Some(sub) = subject {
            account = account.with_subject(sub);
        }
        Ok(Self {
            account,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        })
    }
}

#[async_trait::async_trait]
impl TokenSource for GcpAuthSource {
    async fn access_token(&self) -> Result<AccessToken, GoogleError> {
        use gcp_auth::TokenProvider;
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let token = self.account.token(&scopes).await.map_err(|e| {
            let err = GoogleError::GcpAuth(e);
            tracing::error!(error = %error_chain(&err), "token refresh through gcp_auth failed");
            err
        })?;
        Ok(AccessToken {
            secret: token.as_str().to_owned(),
            expires_at: token.expires_at(),
        })
    }
}

/// The error and its sources on one line, `a: b: c`.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}
