//! Who received last month's statement to a member: the [`PriorRecipients`] port, read from the
//! outbox on the embedded default and from a Gmail search on Google.

use std::collections::BTreeSet;

use dispatch_core::domain::{CrewId, EmailAddress, Month};
use dispatch_google::gmail::GmailClient;
use dispatch_mailer::{header_values, parse_address_list, Outbox};

use super::files::google_error;
use super::MonthError;

/// The statement mail's idempotency and outbox key for a member and month.
pub fn statement_key(month: Month, crew: &CrewId) -> String {
    format!("statement#{month}#{crew}")
}

/// Looks up the To and Cc addresses of an earlier statement.
#[async_trait::async_trait]
pub trait PriorRecipients: Send + Sync {
    /// Everyone on To or Cc of the statement sent to `crew` for `month` with this `subject`
    /// (empty when there was none).
    async fn recipients(
        &self,
        crew: &CrewId,
        month: Month,
        subject: &str,
    ) -> Result<BTreeSet<EmailAddress>, MonthError>;
}

/// The outbox keeps one `.eml` per mail key: read the prior statement's headers from it.
pub struct OutboxRecipients(pub Outbox);

#[async_trait::async_trait]
impl PriorRecipients for OutboxRecipients {
    async fn recipients(
        &self,
        crew: &CrewId,
        month: Month,
        _subject: &str,
    ) -> Result<BTreeSet<EmailAddress>, MonthError> {
        let path = self.0.file_for(&statement_key(month, crew));
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
            Err(e) => {
                return Err(MonthError::Files {
                    message: format!("reading {}: {e}", path.display()),
                    retryable: false,
                })
            }
        };
        Ok(["To", "Cc"]
            .iter()
            .flat_map(|h| header_values(&bytes, h))
            .flat_map(|v| parse_address_list(&v))
            .collect())
    }
}

/// Gmail: `in:sent subject:"…"`, then each hit's To and Cc headers; only messages whose subject is
/// exactly the statement's count (Gmail's `subject:` matches words, not the whole line).
pub struct GmailRecipients(pub GmailClient);

/// The Gmail search for a statement subject (quotes in names dropped: they end a phrase).
pub fn search_query(subject: &str) -> String {
    format!("in:sent subject:\"{}\"", subject.replace('"', ""))
}

#[async_trait::async_trait]
impl PriorRecipients for GmailRecipients {
    async fn recipients(
        &self,
        _crew: &CrewId,
        _month: Month,
        subject: &str,
    ) -> Result<BTreeSet<EmailAddress>, MonthError> {
        let ids = self
            .0
            .search(&search_query(subject))
            .await
            .map_err(|e| google_error("searching Gmail for the prior statement", e))?;
        let mut out = BTreeSet::new();
        for id in ids {
            let m = self
                .0
                .get_metadata(&id, &["Subject", "To", "Cc"])
                .await
                .map_err(|e| google_error(&format!("reading headers of Gmail message {id}"), e))?;
            if !m.header("Subject").iter().any(|s| s.trim() == subject) {
                continue;
            }
            for h in ["To", "Cc"] {
                for v in m.header(h) {
                    out.extend(parse_address_list(v));
                }
            }
        }
        Ok(out)
    }
}
