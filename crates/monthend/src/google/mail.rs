//! Mail through the Gmail API: the `MailSender` port on top of `dispatch-google`'s client (the
//! crate's `//!` says why it lives here), sending as the delegated mailbox (`mail_from`), at most
//! once per mail key: every mail carries a Message-ID derived from its key, a send whose outcome
//! is unknown is followed by a search for that id before any retry
//! ([`GmailClient::send_raw_once`]), and a key whose last send failed that way is looked up first
//! on the next call too.

use std::collections::HashSet;
use std::sync::Mutex;

use dispatch_google::gmail::GmailClient;
use dispatch_mailer::{build_mime, Mail, MailError, MailSender};

/// Sends each mail's exact MIME bytes with `users.messages.send`.
pub struct GmailMailer {
    client: GmailClient,
    mailbox: String,
    /// Keys whose last send failed after it may have reached Gmail: looked up before sending.
    unsure: Mutex<HashSet<String>>,
}

impl GmailMailer {
    /// Sends through `client` as `mailbox` (the delegated `mail_from` user).
    pub fn new(client: GmailClient, mailbox: impl Into<String>) -> Self {
        Self {
            client,
            mailbox: mailbox.into(),
            unsure: Mutex::default(),
        }
    }

    fn unsure(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.unsure.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send_error(mail: &Mail, e: dispatch_google::GoogleError) -> MailError {
        MailError::Send {
            key: mail.key.clone(),
            message: e.to_string(),
            retryable: e.is_retryable(),
        }
    }
}

#[async_trait::async_trait]
impl MailSender for GmailMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let bytes = build_mime(mail)?;
        let message_id = mail.message_id();
        let was_unsure = self.unsure().contains(&mail.key);
        if was_unsure {
            if let Some(id) = self
                .client
                .find_sent(&message_id)
                .await
                .map_err(|e| Self::send_error(mail, e))?
            {
                self.unsure().remove(&mail.key);
                tracing::info!(key = %mail.key, gmail_id = %id, "mail had gone out on an earlier try; not sending again");
                return Ok(id);
            }
        }
        match self.client.send_raw_once(&bytes, &message_id).await {
            Ok(id) => {
                self.unsure().remove(&mail.key);
                tracing::info!(key = %mail.key, gmail_id = %id, "mail sent through Gmail");
                Ok(id)
            }
            Err(e) => {
                let unsure = dispatch_google::gmail::outcome_unknown(&e);
                if unsure {
                    // It may have gone out after all: the next try looks first.
                    self.unsure().insert(mail.key.clone());
                }
                Err(MailError::Send {
                    key: mail.key.clone(),
                    message: e.to_string(),
                    retryable: unsure || e.is_retryable(),
                })
            }
        }
    }

    async fn already_sent(&self, mail: &Mail) -> Result<bool, MailError> {
        self.client
            .find_sent(&mail.message_id())
            .await
            .map(|found| found.is_some())
            .map_err(|e| Self::send_error(mail, e))
    }

    fn describe(&self) -> String {
        format!("Gmail as {}", self.mailbox)
    }
}
