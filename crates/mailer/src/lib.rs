//! # dispatch-mailer
//!
//! Outgoing mail, behind one port so the same cascade and statement code sends through Gmail on a
//! deployment and into a folder in the embedded default.
//!
//! - [`Mail`]: what to send (from, to, cc, subject, text, attachments), with the idempotency key
//!   that names it.
//! - [`build_mime`]: the RFC 5322 bytes, built with `lettre`'s message builder (To and Cc in the
//!   headers, as the Gmail API reads them).
//! - [`MailSender`]: the port: send, and ask whether a mail already went out. [`Outbox`] writes
//!   each mail as `<data_dir>/outbox/<name>.eml` — the exact bytes that would have been sent —
//!   atomically (temp file in the same folder, fsync, rename), one file per idempotency key.
//!   The Gmail sender lives with the Google clients.
//! - [`message_id_for`]: every mail carries a Message-ID derived from its key, so a sender that
//!   cannot deduplicate (Gmail) can look for it in its sent mail before a retry.

// Nothing from outside (a record, a message, a cell, a request) may panic: unwrap/expect only in
// tests, or with an #[allow] and a comment where an invariant is proven.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::path::{Path, PathBuf};

pub mod headers;
pub mod smtp;
pub use smtp::{SmtpConfig, SmtpError, SmtpMailer, SmtpPassword};

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
        .message_id(Some(mail.message_id()))
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
    /// Whether this mail (by its key, through its Message-ID) already went out: asked before
    /// sending when the previous attempt's outcome is unknown (a crashed owner, a timeout).
    async fn already_sent(&self, mail: &Mail) -> Result<bool, MailError>;
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
        tokio::task::spawn_blocking(move || write_atomically(&dir, &target, &bytes))
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

    async fn already_sent(&self, mail: &Mail) -> Result<bool, MailError> {
        let path = self.file_for(&mail.key);
        tokio::fs::try_exists(&path)
            .await
            .map_err(|source| MailError::Io { path, source })
    }

    fn describe(&self) -> String {
        format!("outbox folder {}", self.dir.display())
    }
}

/// Writes `bytes` to `target` so that a reader (or a crash at any point) sees either no file or
/// the whole file: a temp file of its own in the same folder (a name no `.eml` listing matches),
/// fsync, rename over the target, fsync of the folder. Concurrent writers of the same key each
/// have their own temp file; the last rename wins with complete bytes.
fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> Result<(), MailError> {
    use std::io::Write;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MailError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let nonce: String = Sha256::digest(
        format!(
            "{}-{:?}-{:?}",
            std::process::id(),
            std::thread::current().id(),
            std::time::SystemTime::now()
        )
        .as_bytes(),
    )
    .iter()
    .take(6)
    .map(|b| format!("{b:02x}"))
    .collect();
    let tmp = dir.join(format!(".{name}.{nonce}.tmp"));
    let written = (|| -> Result<(), MailError> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        std::fs::rename(&tmp, target).map_err(io(target))?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // The rename is durable once the folder's entry is.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

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
            (
                "sender",
                (|m: &mut Mail| m.from_name = "Crew\r\nBcc: x@evil.com".into()) as fn(&mut Mail),
            ),
            ("subject", |m: &mut Mail| {
                m.subject = "Offer\nX-Injected: 1".into()
            }),
            ("file name", |m: &mut Mail| {
                m.attachments[0].filename = "a\r\n.xlsx".into()
            }),
            ("subject", |m: &mut Mail| m.subject = "S".repeat(40_000)),
        ] {
            let mut m = mail();
            tweak(&mut m);
            let e = build_mime(&m).unwrap_err();
            assert!(!e.is_retryable(), "{field}");
            assert!(e.to_string().contains(field), "{field}: {e}");
        }
    }

    #[test]
    fn every_mail_carries_a_message_id_stable_for_its_key() {
        let a = build_mime(&mail()).unwrap();
        let again = build_mime(&mail()).unwrap();
        let ids = header_values(&a, "Message-ID");
        assert_eq!(ids, header_values(&again, "message-id"));
        assert_eq!(ids, [mail().message_id()]);
        let id = &ids[0];
        assert!(
            id.starts_with('<') && id.ends_with("@crew-dispatch>"),
            "{id}"
        );
        assert_eq!(id.len(), 1 + 64 + "@crew-dispatch>".len());
        assert!(!id.contains("offer"), "the key does not show: {id}");
        let mut other = mail();
        other.key = "offer#2".into();
        assert_ne!(other.message_id(), mail().message_id());
    }

    #[tokio::test]
    async fn outbox_knows_what_it_sent() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        assert!(!outbox.already_sent(&mail()).await.unwrap());
        outbox.send(&mail()).await.unwrap();
        assert!(outbox.already_sent(&mail()).await.unwrap());
        let mut other = mail();
        other.key = "offer#2".into();
        assert!(!outbox.already_sent(&other).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn outbox_writes_are_whole_even_when_racing_and_leave_no_stray_files() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::new(dir.path().join("outbox"));
        let mut big = mail();
        big.attachments[0].bytes = vec![7; 2 * 1024 * 1024];
        let want = build_mime(&big).unwrap();
        // A write killed half-way left its temp file behind: it is no mail.
        std::fs::create_dir_all(outbox.dir()).unwrap();
        std::fs::write(outbox.dir().join(".offer_1-dead.tmp"), &want[..1000]).unwrap();
        assert!(outbox.files().is_empty());
        assert!(!outbox.already_sent(&big).await.unwrap());
        let sends: Vec<_> = (0..16)
            .map(|_| {
                let (o, m) = (outbox.clone(), big.clone());
                tokio::spawn(async move { o.send(&m).await })
            })
            .collect();
        for s in sends {
            s.await.unwrap().unwrap();
        }
        let files = outbox.files();
        assert_eq!(files.len(), 1, "{files:?}");
        // Whole: as long as a built mail (Date and boundary vary by a few bytes), and closed.
        let got = std::fs::read(&files[0]).unwrap();
        assert!(
            got.len().abs_diff(want.len()) < 64,
            "{} vs {}",
            got.len(),
            want.len()
        );
        assert!(got.ends_with(b"--\r\n"), "the multipart is closed");
        assert_eq!(header_values(&got, "Message-ID"), [big.message_id()]);
        let names: Vec<String> = std::fs::read_dir(outbox.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp") && !n.contains("dead"))
            .collect();
        assert!(names.is_empty(), "temp files left: {names:?}");
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
