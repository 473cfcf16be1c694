//! What a mail is: [`Mail`] and its attachments, named by an idempotency key, the Message-ID
//! derived from that key, and [`MailError`], why a mail could not be built or sent.

use std::path::PathBuf;

use dispatch_core::domain::EmailAddress;
use sha2::{Digest, Sha256};

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// e.g. `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The xlsx MIME type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Names this mail for idempotency and for the outbox file: the same key is the same mail.
    pub key: String,
    pub from_name: String,
    pub from: EmailAddress,
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    pub subject: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
}

/// Why a mail could not be built or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The mail itself is wrong (no recipient, bad header): never worth a retry.
    #[error("cannot build mail `{key}`: {message}")]
    Build { key: String, message: String },
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The sending service failed.
    #[error("sending mail `{key}`: {message}")]
    Send {
        key: String,
        message: String,
        retryable: bool,
    },
}

impl MailError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Build { .. } => false,
            Self::Io { .. } => true,
            Self::Send { retryable, .. } => *retryable,
        }
    }
}

/// The Message-ID of the mail with idempotency key `key`: `<sha256-hex-of-key@crew-dispatch>`.
/// The same key always gives the same id, and nothing of the key (names, months) shows.
pub fn message_id_for(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@crew-dispatch>")
}

impl Mail {
    /// This mail's Message-ID (see [`message_id_for`]).
    pub fn message_id(&self) -> String {
        message_id_for(&self.key)
    }
}

/// The mail the unit tests of this crate build and send.
#[cfg(test)]
pub(crate) fn test_mail() -> Mail {
    Mail {
        key: "offer#1".into(),
        from_name: "Crew Dispatch".into(),
        from: EmailAddress::parse("dispatch@example.com").unwrap(),
        to: vec![EmailAddress::parse("ana@example.com").unwrap()],
        cc: vec![EmailAddress::parse("audit@example.com").unwrap()],
        subject: "Charter offer: Marlin on 2024-05-03".into(),
        text: "Open https://x/p/abc".into(),
        attachments: vec![Attachment {
            filename: "s.xlsx".into(),
            content_type: XLSX.into(),
            bytes: vec![1, 2, 3],
        }],
    }
}
