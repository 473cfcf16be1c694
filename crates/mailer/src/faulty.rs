//! [`FaultyMailer`]: a [`MailSender`] decorator for fault tests, on the same fault schedule as the
//! storage ports.

use crate::{Mail, MailError, MailSender};

/// A [`MailSender`] decorator for fault tests: fails chosen sends (through the same
/// [`dispatch_core::faults::Faults`] schedule as the storage ports, methods `mail.send` and
/// `mail.already_sent`) and records every mail that really went out, so a test can check that
/// no key was sent twice.
pub struct FaultyMailer {
    inner: std::sync::Arc<dyn MailSender>,
    faults: std::sync::Arc<dispatch_core::faults::Faults>,
    sent: std::sync::Mutex<Vec<String>>,
}

impl FaultyMailer {
    pub fn new(
        inner: std::sync::Arc<dyn MailSender>,
        faults: std::sync::Arc<dispatch_core::faults::Faults>,
    ) -> Self {
        Self {
            inner,
            faults,
            sent: std::sync::Mutex::new(Vec::new()),
        }
    }
    /// The keys of the mails that went out, in order (a key twice is a mail sent twice).
    pub fn sent(&self) -> Vec<String> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
    fn fault(e: dispatch_core::StoreError, key: &str) -> MailError {
        MailError::Send {
            key: key.to_string(),
            message: e.to_string(),
            retryable: true,
        }
    }
}

#[async_trait::async_trait]
impl MailSender for FaultyMailer {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let n = self
            .faults
            .before("mail.send")
            .map_err(|e| Self::fault(e, &mail.key))?;
        let r = self.inner.send(mail).await;
        if r.is_ok() {
            if let Ok(mut s) = self.sent.lock() {
                s.push(mail.key.clone());
            }
        }
        match r {
            Ok(id) => self
                .faults
                .after("mail.send", n, Ok(id))
                .map_err(|e| Self::fault(e, &mail.key)),
            Err(e) => Err(e),
        }
    }
    async fn already_sent(&self, mail: &Mail) -> Result<bool, MailError> {
        self.faults
            .before("mail.already_sent")
            .map_err(|e| Self::fault(e, &mail.key))?;
        self.inner.already_sent(mail).await
    }
    fn describe(&self) -> String {
        format!("{} (with injected faults)", self.inner.describe())
    }
}
