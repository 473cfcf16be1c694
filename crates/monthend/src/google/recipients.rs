//! The [`PriorRecipients`] port on Gmail: a search of the sent mail for the prior statement's
//! subject, then the To and Cc headers of each hit.

use std::collections::BTreeSet;

use dispatch_core::domain::{CrewId, EmailAddress, Month};
use dispatch_google::gmail::GmailClient;
use dispatch_mailer::parse_address_list;

use crate::error::MonthError;
use crate::ports::PriorRecipients;

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
            .map_err(MonthError::google(
                "searching Gmail for the prior statement",
            ))?;
        let mut out = BTreeSet::new();
        for id in ids {
            let m = self
                .0
                .get_metadata(&id, &["Subject", "To", "Cc"])
                .await
                .map_err(MonthError::google(format!(
                    "reading headers of Gmail message {id}"
                )))?;
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
