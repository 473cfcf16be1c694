//! Mail through an SMTP server (the operator's mail host or a transactional provider), with the
//! Gmail sender's promises:
//!
//! - every mail carries the Message-ID derived from its key ([`crate::build_mime`] sets it);
//! - a 4xx reply, or a connection that failed before the message was sent, is tried again here
//!   with backoff ([`SmtpRetry`]) and is then a retryable [`MailError`]; a 5xx reply is a
//!   permanent one carrying the server's text;
//! - a connection cut after the message was sent leaves the outcome unknown. SMTP cannot look
//!   in a sent folder, so [`MailSender::already_sent`] answers `false` and the caller's retry sends
//!   the mail again with the same Message-ID (receivers fold duplicates by it). Such resends are
//!   counted ([`SmtpMailer::resends`]) and logged.
//!
//! Layout: `config.rs` reads the URL and CA into a checked target (TLS to any host; plain SMTP
//! only to loopback); `password.rs` holds the secret; `session.rs` speaks the protocol and says at which step a
//! failure happened; this file decides what a failure means for the mail.

mod config;
mod password;
mod session;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use lettre::Address;

use crate::{build_mime, Mail, MailError, MailSender};
use config::Target;
use session::Session;

pub use config::{Security, SmtpConfig, SmtpRetry};
pub use password::SmtpPassword;
pub use session::{SmtpCause, SmtpFailure, SmtpStep};

/// Why the SMTP sender cannot be set up, or why `doctor`'s check failed. Each message names the
/// setting to change.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("DISPATCH_SMTP_URL is not a URL: {source}")]
    NotAUrl { source: url::ParseError },
    #[error("DISPATCH_SMTP_URL: {problem}")]
    Url { problem: String },
    #[error("DISPATCH_SMTP_URL: plain SMTP to {host} would send the password and every mail unencrypted; use smtps://{host}:465 or smtp://{host}:587?tls=required (plain or opportunistic SMTP is allowed only to a loopback host)")]
    Insecure { host: String },
    #[error("{problem}")]
    Password { problem: &'static str },
    #[error("reading DISPATCH_SMTP_PASSWORD_FILE {path}: {source}")]
    PasswordFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("DISPATCH_SMTP_PASSWORD_FILE {path} has mode {mode:04o}, readable by others: run `chmod 600 {path}`")]
    PasswordFileMode { path: std::path::PathBuf, mode: u32 },
    #[error("reading DISPATCH_SMTP_CA_FILE {path}: {source}")]
    CaFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("DISPATCH_SMTP_CA_FILE {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    CaFileNotPem { path: std::path::PathBuf },
    #[error("setting up TLS for SMTP: {source}")]
    Tls {
        source: lettre::transport::smtp::Error,
    },
    /// The server could not be reached, secured or logged in to.
    #[error("SMTP {server}: {source}")]
    Session { server: String, source: SmtpFailure },
}

/// Sends each mail's exact MIME bytes to an SMTP server, one connection per mail.
pub struct SmtpMailer {
    target: Target,
    timeout: Duration,
    retry: SmtpRetry,
    /// Keys whose last attempt's outcome is unknown (or that a caller asked about after losing
    /// track): their next send is a resend.
    unsure: Mutex<HashSet<String>>,
    resends: AtomicU64,
}

impl SmtpMailer {
    /// Checks the configuration (no connection is made): the URL's form and the loopback rule,
    /// the password against the URL's user, the CA file.
    pub fn new(config: SmtpConfig) -> Result<Self, SmtpError> {
        Ok(Self {
            target: Target::parse(&config)?,
            timeout: config.timeout,
            retry: config.retry,
            unsure: Mutex::default(),
            resends: AtomicU64::new(0),
        })
    }

    /// How many mails were sent again after an attempt whose outcome was unknown (each such
    /// mail may reach its recipients twice, with one Message-ID).
    pub fn resends(&self) -> u64 {
        self.resends.load(Ordering::Relaxed)
    }

    /// For `dispatch doctor`: connects, secures (implicit TLS or STARTTLS) and authenticates,
    /// sends no mail, and says what worked in one line; or an error that says what to fix.
    pub async fn check(&self) -> Result<String, SmtpError> {
        let mut step = SmtpStep::Connect;
        let opened = tokio::time::timeout(
            self.timeout,
            session::open(&self.target, self.timeout, &mut step),
        )
        .await;
        let mut session = self
            .timed(opened, step)
            .map_err(|source| SmtpError::Session {
                server: self.target.server(),
                source,
            })?;
        let auth = match session.auth {
            Some(m) => format!("AUTH {m} accepted"),
            None => "no AUTH (the URL names no user)".to_string(),
        };
        session.close().await;
        Ok(format!(
            "{}: connected, {auth}; no mail sent",
            self.target.describe()
        ))
    }

    fn unsure(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.unsure.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn timed<T>(
        &self,
        r: Result<Result<T, SmtpFailure>, tokio::time::error::Elapsed>,
        step: SmtpStep,
    ) -> Result<T, SmtpFailure> {
        r.unwrap_or(Err(SmtpFailure {
            step,
            cause: SmtpCause::Timeout(self.timeout),
        }))
    }

    /// One attempt: a connection of its own, the mail, goodbye.
    async fn attempt(
        &self,
        from: &Address,
        to: &[Address],
        bytes: &[u8],
    ) -> Result<String, SmtpFailure> {
        let mut step = SmtpStep::Connect;
        let run = async {
            let s: Session = session::open(&self.target, self.timeout, &mut step).await?;
            s.deliver(from, to, bytes, &mut step).await
        };
        let r = tokio::time::timeout(self.timeout, run).await;
        self.timed(r, step)
    }

    fn policy(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.retry.first_delay)
            .with_max_delay(self.retry.max_delay)
            .with_max_times(self.retry.retries)
            .with_jitter()
    }
}

fn address(mail: &Mail, a: &dispatch_core::domain::EmailAddress) -> Result<Address, MailError> {
    a.as_str().parse().map_err(|e| MailError::Build {
        key: mail.key.clone(),
        message: format!("address {a}: {e}"),
    })
}

#[async_trait::async_trait]
impl MailSender for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let bytes = build_mime(mail)?;
        let from = address(mail, &mail.from)?;
        let to = mail
            .to
            .iter()
            .chain(&mail.cc)
            .map(|a| address(mail, a))
            .collect::<Result<Vec<_>, _>>()?;
        let message_id = mail.message_id();
        if self.unsure().contains(&mail.key) {
            self.resends.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(key = %mail.key, %message_id, "sending again a mail whose earlier attempt may have been delivered (same Message-ID)");
        }
        let sent = (|| self.attempt(&from, &to, &bytes))
            .retry(self.policy())
            .when(|f: &SmtpFailure| !f.is_permanent() && !f.outcome_unknown())
            .notify(|f, after| tracing::warn!(key = %mail.key, error = %f, retry_in_ms = after.as_millis() as u64, "SMTP send failed; trying again"))
            .await;
        match sent {
            Ok(reply) => {
                self.unsure().remove(&mail.key);
                tracing::info!(key = %mail.key, %message_id, server = %self.target.server(), %reply, "mail sent through SMTP");
                Ok(message_id)
            }
            Err(f) => {
                if f.outcome_unknown() {
                    self.unsure().insert(mail.key.clone());
                }
                Err(MailError::Send {
                    key: mail.key.clone(),
                    message: format!("SMTP {}: {f}", self.target.server()),
                    retryable: !f.is_permanent(),
                })
            }
        }
    }

    /// SMTP cannot look: always `false`. Being asked means the caller lost track of an earlier
    /// attempt (a stopped owner), so the next send of this key is counted as a resend.
    async fn already_sent(&self, mail: &Mail) -> Result<bool, MailError> {
        self.unsure().insert(mail.key.clone());
        Ok(false)
    }

    fn describe(&self) -> String {
        self.target.describe()
    }
}
