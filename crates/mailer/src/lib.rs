//! # dispatch-mailer
//!
//! Outgoing mail, behind one port so the same cascade and statement code sends through Gmail on a
//! deployment and into a folder in the embedded default.
//!
//! - [`Mail`] (module `mail`): what to send (from, to, cc, subject, text, attachments), with the
//!   idempotency key that names it; [`MailError`]; and [`message_id_for`]: every mail carries a
//!   Message-ID derived from its key, so a sender that cannot deduplicate (Gmail) can look for it
//!   in its sent mail before a retry.
//! - [`build_mime`] (module `mime`): the RFC 5322 bytes, built with `lettre`'s message builder
//!   (To and Cc in the headers, as the Gmail API reads them), checked first by [`headers`]; and
//!   reading them back ([`header_values`], [`parse_address_list`]).
//! - [`MailSender`] (this file): the port: send, and ask whether a mail already went out.
//! - [`Outbox`] (module `outbox`): writes each mail as `<data_dir>/outbox/<name>.eml` — the
//!   exact bytes that would have been sent — atomically (temp file in the same folder, fsync,
//!   rename, folder fsync), one file per idempotency key; concurrent sends share the folder
//!   fsync (module `outbox_commit`, a group commit). The Gmail sender is `dispatch-monthend`'s
//!   `GmailMailer`.
//! - [`SmtpMailer`] (module `smtp`): sends through an SMTP server (STARTTLS or TLS, AUTH), with
//!   the same promises: retryable 4xx, permanent 5xx, a resend keeps the Message-ID.
//! - [`FaultyMailer`] (module `faulty`): a decorator that fails chosen sends, for fault tests.

// Nothing from outside (a record, a message, a cell, a request) may panic: unwrap/expect only in
// tests, or with an #[allow] and a comment where an invariant is proven.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod faulty;
pub mod headers;
mod mail;
mod mime;
mod outbox;
mod outbox_commit;
pub mod smtp;

pub use faulty::FaultyMailer;
pub use mail::{message_id_for, Attachment, Mail, MailError, XLSX};
pub use mime::{build_mime, header_values, parse_address_list};
pub use outbox::Outbox;
pub use smtp::{SmtpConfig, SmtpError, SmtpMailer, SmtpPassword};

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
    /// Whether this process sends mail at all. `false` for the web Lambda function, which
    /// leaves every mail to the worker function: work that would only end in mail (the
    /// reconcile after an ops board action) is queued for the worker instead of tried here.
    fn sends_here(&self) -> bool {
        true
    }
}
