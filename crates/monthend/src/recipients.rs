//! Who received last month's statement to a member: the [`PriorRecipients`] port and its local
//! adapter, read from the outbox on the embedded default ([`OutboxRecipients`]); on Google it is
//! a Gmail search ([`crate::google::GmailRecipients`]).

use std::collections::BTreeSet;

use dispatch_core::domain::{CrewId, EmailAddress, Month};
use dispatch_mailer::{header_values, parse_address_list, Outbox};

use crate::error::MonthError;
use crate::ports::PriorRecipients;

/// The statement mail's idempotency and outbox key for a member and month.
pub fn statement_key(month: Month, crew: &CrewId) -> String {
    format!("statement#{month}#{crew}")
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
