//! # dispatch-mailer
//!
//! Outgoing mail, behind one port so the same cascade and statement code sends through Gmail on a
//! deployment and into a folder in the embedded default.
//!
//! - [`Mail`]: what to send (from, to, cc, subject, text, attachments), with the idempotency key
//!   that names it.
//! - [`build_mime`]: the RFC 5322 bytes, built with `lettre`'s message builder (To and Cc in the
//!   headers, as the Gmail API reads them).
//! - [`MailSender`]: the port. [`Outbox`] writes each mail as `<data_dir>/outbox/<name>.eml` — the
//!   exact bytes that would have been sent — atomically, one file per idempotency key.
//!   The Gmail sender lives with the Google clients.

// Nothing from outside (a record, a message, a cell, a request) may panic: unwrap/expect only in
// tests, or with an #[allow] and a comment where an invariant is proven.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::path::{Path, PathBuf};

pub mod headers;

use dispatch_core::domain::EmailAddress;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;
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

fn mailbox(name: Option<&str>, addr: &EmailAddress, key: &str) -> Result<Mailbox, MailError> {
    let address = addr.as_str().parse().map_err(|e| MailError::Build {
        key: key.into(),
        message: format!("address {addr}: {e}"),
    })?;
    Ok(Mailbox::new(name.map(str::to_string), address))
}

/// The mail's RFC 5322 bytes.
pub fn build_mime(mail: &Mail) -> Result<Vec<u8>, MailError> {
    let err = |m: String| MailError::Build {
        key: mail.key.clone(),
        message: m,
    };
    if mail.to.is_empty() {
        return Err(err("no recipient".into()));
    }
    headers::check_mail(mail)?;
    let mut b = Message::builder()
        .from(mailbox(Some(&mail.from_name), &mail.from, &mail.key)?)
        .subject(mail.subject.clone());
    for to in &mail.to {
        b = b.to(mailbox(None, to, &mail.key)?);
    }
    for cc in &mail.cc {
        b = b.cc(mailbox(None, cc, &mail.key)?);
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(mail.text.clone());
    let message = if mail.attachments.is_empty() {
        b.singlepart(text)
    } else {
        let mut mp = MultiPart::mixed().singlepart(text);
        for a in &mail.attachments {
            let ct = ContentType::parse(&a.content_type)
                .map_err(|e| err(format!("content type {}: {e}", a.content_type)))?;
            mp = mp.singlepart(LettreAttachment::new(a.filename.clone()).body(a.bytes.clone(), ct));
        }
        b.multipart(mp)
    }
    .map_err(|e| err(e.to_string()))?;
    // `formatted` panics when a header cannot be written (checked above); should another case
    // turn up, it is still a permanent error for this mail, not a crash of the process.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| message.formatted()))
        .map_err(|_| err("a header could not be encoded".into()))
}

/// The addresses in an address-list header value such as `"Ana" <ana@x.com>, bob@y.com`.
/// Entries that are not addresses are left out (a header is outside input).
pub fn parse_address_list(value: &str) -> Vec<EmailAddress> {
    let parsed = value
        .parse::<lettre::message::Mailboxes>()
        .map(|m| {
            m.into_iter()
                .map(|mb| mb.email.to_string())
                .collect::<Vec<_>>()
        })
        .unwrap_or_else(|_| {
            // Fall back to one entry at a time so one bad entry does not hide the rest.
            value
                .split(',')
                .map(|part| {
                    let part = part.trim();
                    let inner = match (part.rfind('<'), part.rfind('>')) {
                        (Some(a), Some(b)) if a < b => &part[a + 1..b],
                        _ => part,
                    };
                    inner.trim().to_string()
                })
                .collect()
        });
    parsed
        .iter()
        .filter_map(|a| EmailAddress::parse(a).ok())
        .collect()
}

/// The unfolded values of header `name` (case-insensitive) in a message's header block.
pub fn header_values(mime: &[u8], name: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(mime);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .split("\n\n")
        .next()
        .unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in head.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(line.trim());
            }
            continue;
        }
        if let Some(c) = current.take() {
            out.push(c);
        }
        if let Some((h, v)) = line.split_once(':') {
            if h.trim().eq_ignore_ascii_case(name) {
                current = Some(v.trim().to_string());
            }
        }
    }
    out.extend(current);
    out
}

/// Sends mail.
#[async_trait::async_trait]
pub trait MailSender: Send + Sync {
    /// Sends one mail; returns an id for logs (a Gmail message id, an outbox file name).
    async fn send(&self, mail: &Mail) -> Result<String, MailError>;
    /// Where mail goes, for `doctor` and the demo.
    fn describe(&self) -> String;
}

/// Writes mail to a folder as `.eml` files.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The file a mail with this key is written to: stable, so a resend overwrites rather than adds.
    pub fn file_for(&self, key: &str) -> PathBuf {
        let digest = Sha256::digest(key.as_bytes());
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let readable: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect();
        self.dir.join(format!("{readable}-{short}.eml"))
    }
    /// Every `.eml` file, oldest first.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .map(|p| {
                        (
                            p.metadata()
                                .and_then(|m| m.modified())
                                .unwrap_or(std::time::UNIX_EPOCH),
                            p,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files.into_iter().map(|(_, p)| p).collect()
    }
}

#[async_trait::async_trait]
impl MailSender for Outbox {
    async fn send(&self, mail: &Mail) -> Result<String, MailError> {
        let bytes = build_mime(mail)?;
        let path = self.file_for(&mail.key);
        let dir = self.dir.clone();
        let target = path.clone();
        tokio::task::spawn_blocking(move || -> Result<(), MailError> {
            let io = |source| MailError::Io {
                path: target.clone(),
                source,
            };
            std::fs::create_dir_all(&dir).map_err(io)?;
            let tmp = target.with_extension("eml.tmp");
            std::fs::write(&tmp, &bytes).map_err(io)?;
            std::fs::rename(&tmp, &target).map_err(io)?;
            Ok(())
        })
        .await
        .map_err(|e| MailError::Send {
            key: mail.key.clone(),
            message: e.to_string(),
            retryable: true,
        })??;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        tracing::info!(key = %mail.key, file = %name, "mail written to outbox");
        Ok(name)
    }

    fn describe(&self) -> String {
        format!("outbox folder {}", self.dir.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
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

    #[test]
    fn address_lists_parse_from_built_mail_and_from_odd_headers() {
        let mut m = mail();
        m.to.push(EmailAddress::parse("bob@example.com").unwrap());
        let bytes = build_mime(&m).unwrap();
        let to: Vec<String> = header_values(&bytes, "to")
            .iter()
            .flat_map(|v| parse_address_list(v))
            .map(|a| a.to_string())
            .collect();
        assert_eq!(to, ["ana@example.com", "bob@example.com"]);
        let cc: Vec<String> = header_values(&bytes, "Cc")
            .iter()
            .flat_map(|v| parse_address_list(v))
            .map(|a| a.to_string())
            .collect();
        assert_eq!(cc, ["audit@example.com"]);
        let odd = parse_address_list(
            "\"Silva, Ana\" <ana@example.com>, not an address, <bob@example.com>",
        );
        assert_eq!(
            odd.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
            ["ana@example.com", "bob@example.com"]
        );
        let folded = header_values(
            b"To: a@example.com,\r\n b@example.com\r\nSubject: x\r\n\r\nTo: body@example.com",
            "to",
        );
        assert_eq!(folded, ["a@example.com, b@example.com"]);
    }

    #[test]
    fn mime_has_headers_and_attachment() {
        let text = String::from_utf8(build_mime(&mail()).unwrap()).unwrap();
        assert!(text.contains("To: ana@example.com"), "{text}");
        assert!(text.contains("Cc: audit@example.com"));
        assert!(text.contains("Subject: Charter offer: Marlin on 2024-05-03"));
        assert!(text.contains("filename=\"s.xlsx\""));
        assert!(text.contains(XLSX));
        let mut no_to = mail();
        no_to.to.clear();
        assert!(!build_mime(&no_to).unwrap_err().is_retryable());
    }

    #[test]
    fn header_breaking_values_are_a_permanent_error_never_a_panic() {
        for (field, tweak) in [
            ("sender", (|m: &mut Mail| m.from_name = "Crew\r\nBcc: x@evil.com".into()) as fn(&mut Mail)),
            ("subject", |m: &mut Mail| m.subject = "Offer\nX-Injected: 1".into()),
            ("file name", |m: &mut Mail| m.attachments[0].filename = "a\r\n.xlsx".into()),
            ("subject", |m: &mut Mail| m.subject = "S".repeat(40_000)),
        ] {
            let mut m = mail();
            tweak(&mut m);
            let e = build_mime(&m).unwrap_err();
            assert!(!e.is_retryable(), "{field}");
            assert!(e.to_string().contains(field), "{field}: {e}");
        }
    }

    #[tokio::test]
    async fn outbox_writes_one_file_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        outbox.send(&mail()).await.unwrap();
        outbox.send(&mail()).await.unwrap();
        let files = outbox.files();
        assert_eq!(files.len(), 1);
        assert!(std::fs::read_to_string(&files[0])
            .unwrap()
            .contains("Subject: Charter offer"));
    }
}
