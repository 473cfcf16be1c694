//! Where mail goes: the outbox folder (the demo: nobody receives it), Gmail, or an SMTP server.
//! The SMTP password is read here, from `DISPATCH_SMTP_PASSWORD` or the file the settings name,
//! so it is never part of `Settings` (which is printed and serialized).

use std::sync::Arc;

use anyhow::Context;
use dispatch_core::config::MailKind;
use dispatch_core::Settings;
use dispatch_mailer::{MailSender, Outbox, SmtpConfig, SmtpMailer, SmtpPassword};

use super::google::gmail_mailer;

/// The environment variable holding the SMTP password (not a setting: a secret).
pub const SMTP_PASSWORD_ENV: &str = "DISPATCH_SMTP_PASSWORD";

/// Where mail goes.
pub fn mailer(settings: &Settings) -> anyhow::Result<Arc<dyn MailSender>> {
    match settings.mail {
        MailKind::Outbox => Ok(Arc::new(Outbox::new(settings.data_dir.join("outbox")))),
        MailKind::Gmail => Ok(Arc::new(gmail_mailer(settings)?)),
        MailKind::Smtp => Ok(Arc::new(smtp_mailer(settings)?)),
    }
}

/// The SMTP sender of `DISPATCH_SMTP_URL`, its password and CA file; checked, not connected.
pub fn smtp_mailer(settings: &Settings) -> anyhow::Result<SmtpMailer> {
    let url = settings
        .smtp_url
        .clone()
        .context("mail = \"smtp\" needs DISPATCH_SMTP_URL")?;
    let password = match (
        std::env::var(SMTP_PASSWORD_ENV)
            .ok()
            .filter(|p| !p.is_empty()),
        &settings.smtp_password_file,
    ) {
        (Some(_), Some(file)) => anyhow::bail!(
            "both {SMTP_PASSWORD_ENV} and DISPATCH_SMTP_PASSWORD_FILE ({}) are set: keep one",
            file.display()
        ),
        (Some(p), None) => Some(SmtpPassword::new(p)),
        (None, Some(file)) => Some(SmtpPassword::from_file(file)?),
        (None, None) => None,
    };
    let config = SmtpConfig::new(url, password, settings.smtp_ca_file.clone());
    SmtpMailer::new(config).context("DISPATCH_SMTP_URL")
}
