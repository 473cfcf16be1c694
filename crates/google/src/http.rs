//! The shared HTTP layer: bearer token, timeouts, Google's error shape, and retries with backoff.

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use serde::de::DeserializeOwned;

use crate::auth::TokenSource;
use crate::GoogleError;

/// A reqwest client builder on rustls with ring. reqwest is built without a crypto provider of its
/// own (one TLS stack in the workspace: its `Cargo.toml` says why), so ring is installed as the
/// process's provider first, once; every reqwest client here and in the tests starts from this.
pub fn client_builder() -> reqwest::ClientBuilder {
    static RING: std::sync::Once = std::sync::Once::new();
    RING.call_once(|| {
        // Err: a provider is already installed (the same ring, by another caller): keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

/// Timeouts and retry policy for one API client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for retryable errors only.
    pub max_retries: usize,
    /// First backoff delay (doubled each time, with jitter).
    pub min_backoff: Duration,
    /// Largest backoff delay.
    pub max_backoff: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_retries: 5,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(32),
        }
    }
}

/// The longest `Retry-After` honoured; a longer one is cut to this so a call never hangs for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Builds one attempt's request; called again for each retry.
pub(crate) type BuildRequest<'a> =
    &'a (dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync);

/// An authenticated, retrying HTTP client shared by the Gmail, Drive and Sheets clients.
#[derive(Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    tokens: Arc<dyn TokenSource>,
    cfg: HttpConfig,
}

impl Api {
    pub(crate) fn new(tokens: Arc<dyn TokenSource>, cfg: HttpConfig) -> Result<Self, GoogleError> {
        let http = client_builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .build()
            .map_err(GoogleError::transport)?;
        Ok(Self { http, tokens, cfg })
    }

    /// Sends with retries and returns the body of a 2xx answer.
    pub(crate) async fn send(
        &self,
        what: &'static str,
        build: BuildRequest<'_>,
    ) -> Result<Vec<u8>, GoogleError> {
        Ok(self.send_full(what, build).await?.body)
    }

    /// Sends with retries and returns the whole 2xx answer (headers too).
    pub(crate) async fn send_full(
        &self,
        what: &'static str,
        build: BuildRequest<'_>,
    ) -> Result<Answer, GoogleError> {
        (|| self.once(build))
            .retry(self.policy())
            .when(GoogleError::is_retryable)
            .adjust(|e, dur| dur.map(|d| e.retry_after().map_or(d, |r| r.min(MAX_RETRY_AFTER))))
            .notify(|e, dur| tracing::warn!(call = what, error = %e, retry_in = ?dur, "retrying Google call"))
            .await
    }

    /// The backoff delays of this client's retry policy, for callers that drive retries
    /// themselves (resumable uploads).
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> {
        backon::BackoffBuilder::build(self.policy())
    }

    fn policy(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.cfg.min_backoff)
            .with_max_delay(self.cfg.max_backoff)
            .with_max_times(self.cfg.max_retries)
    }

    /// Sends with retries and decodes a JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        build: BuildRequest<'_>,
    ) -> Result<T, GoogleError> {
        decode(what, &self.send(what, build).await?)
    }

    async fn once(&self, build: BuildRequest<'_>) -> Result<Answer, GoogleError> {
        let answer = self.attempt(build).await?;
        if (200..300).contains(&answer.status) {
            return Ok(answer);
        }
        Err(answer.error())
    }

    /// One authenticated attempt, whatever status comes back: only a token or transport failure
    /// is an error here.
    pub(crate) async fn attempt(&self, build: BuildRequest<'_>) -> Result<Answer, GoogleError> {
        let token = self.tokens.access_token().await?;
        let resp = build(&self.http)
            .bearer_auth(&token.secret)
            .send()
            .await
            .map_err(GoogleError::transport)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(GoogleError::transport)?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// A JSON body as `T`.
pub(crate) fn decode<T: DeserializeOwned>(
    what: &'static str,
    body: &[u8],
) -> Result<T, GoogleError> {
    serde_json::from_slice(body).map_err(|e| GoogleError::Decode {
        what,
        detail: e.to_string(),
    })
}

/// One HTTP answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// This (non-2xx) answer as Google's error, with its `Retry-After` in seconds.
    pub(crate) fn error(&self) -> GoogleError {
        let retry_after = self
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok());
        api_error(self.status, &self.body, retry_after)
    }
}

/// Reads Google's `{"error": {"code", "message", "status", "errors": [{"reason"}]}}`.
pub(crate) fn api_error(status: u16, body: &[u8], retry_after: Option<u64>) -> GoogleError {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let err = &v["error"];
    let reason = err["errors"][0]["reason"]
        .as_str()
        .or_else(|| err["status"].as_str())
        .map(str::to_owned);
    let message = err["message"]
        .as_str()
        .or_else(|| err.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status} without a Google error body"));
    GoogleError::Api {
        status,
        reason,
        message,
        retry_after,
    }
}

/// Percent-encodes a path segment (ids are URL-safe in practice; this keeps them so).
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_googles_error_shape_and_classifies_it() {
        let rate = br#"{"error":{"code":403,"message":"User Rate Limit Exceeded","errors":[{"reason":"userRateLimitExceeded"}]}}"#;
        let e = api_error(403, rate, None);
        assert!(e.is_retryable());
        assert_eq!(
            e.to_string(),
            "Google API 403 (userRateLimitExceeded): User Rate Limit Exceeded"
        );
        let quota = br#"{"error":{"code":403,"message":"Service Accounts do not have storage quota.","errors":[{"reason":"storageQuotaExceeded"}]}}"#;
        assert!(!api_error(403, quota, None).is_retryable());
        let busy = br#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#;
        let e = api_error(429, busy, Some(7));
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(api_error(502, b"<html>bad gateway</html>", None).is_retryable());
        assert!(!api_error(404, b"", None).is_retryable());
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("abc-_.~1"), "abc-_.~1");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
