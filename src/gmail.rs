//! Mail through the Gmail API: the mailer port on top of `dispatch-google`'s client, sending as
//! the delegated mailbox (`mail_from`).

use std::sync::Arc;

use dispatch_google::gmail::GmailClient;
use dispatch_google::http::HttpConfig;
use dispatch_mailer::{build_mime, Mail, MailError, MailSender};

/// Sends each mail's exact MIME bytes with `users.messages.send`.
pub struct GmailMailer {
    client: GmailClient,
    mailbox: String,
}

impl GmailMailer {
    pub fn new(client: GmailClient, mailbox: impl Into<String>) -> Self {
        Self {
            client,
            mailbox: mailbox.into(),
        }
    }

    /// From settings: the key and token file of `dispatch auth`, the API base URL.
    pub fn from_settings(settings: &dispatch_core::Settings) -> anyhow::Result<Self> {
        let tokens = crate::cli::auth_config(settings)
            .token_source()
            .map_err(|e| anyhow::anyhow!("Gmail: {e}"))?;
        let client = GmailClient::new(
            &settings.gmail_base_url,
            Arc::new(tokens),
            HttpConfig::default(),
        )
        .map_err(|e| anyhow::anyhow!("Gmail: {e}"))?;
        Ok(Self::new(client, settings.mail_from.clone()))
    }
}

#[async_trait::async_trait]
impl MailSender for GmailMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let bytes = build_mime(mail)?;
        let id = self
            .client
            .send_raw(&bytes)
            .await
            .map_err(|e| MailError::Send {
                key: mail.key.clone(),
                message: e.to_string(),
                retryable: e.is_retryable(),
            })?;
        tracing::info!(key = %mail.key, gmail_id = %id, "mail sent through Gmail");
        Ok(id)
    }

    async fn already_sent(&self, _mail: &Mail) -> Result<bool, MailError> {
        // Replaced by the rfc822msgid: search (engine branch) when it lands.
        Ok(false)
    }

    fn describe(&self) -> String {
        format!("Gmail as {}", self.mailbox)
    }
}
