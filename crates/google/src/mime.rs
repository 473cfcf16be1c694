//! The monthly statement mail as MIME bytes, built with `lettre` (no transport: Gmail sends it).

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::GoogleError;

/// The content type of an `.xlsx` workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A statement mail: text body plus one `.xlsx` attachment.
#[derive(Debug, Clone)]
pub struct Statement<'a> {
    /// The sending mailbox (the delegation subject or a verified alias).
    pub from: &'a str,
    /// Recipients, at least one.
    pub to: &'a [String],
    /// Copied recipients.
    pub cc: &'a [String],
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub body: &'a str,
    /// The attachment's file name, e.g. `Crew 2026-10.xlsx`.
    pub attachment_name: &'a str,
    /// The workbook.
    pub attachment: &'a [u8],
}

fn mailbox(field: &'static str, s: &str) -> Result<Mailbox, GoogleError> {
    s.parse::<Mailbox>()
        .map_err(|e| GoogleError::Mime(format!("{field} address is not valid: {e}")))
}

/// Builds the statement's MIME (To and Cc in the headers, which the Gmail API reads).
pub fn statement_mime(s: &Statement<'_>) -> Result<Vec<u8>, GoogleError> {
    if s.to.is_empty() {
        return Err(GoogleError::Mime(
            "a statement needs at least one To recipient".into(),
        ));
    }
    let mut builder = Message::builder()
        .from(mailbox("From", s.from)?)
        .subject(s.subject);
    for to in s.to {
        builder = builder.to(mailbox("To", to)?);
    }
    for cc in s.cc {
        builder = builder.cc(mailbox("Cc", cc)?);
    }
    let xlsx =
        ContentType::parse(XLSX_CONTENT_TYPE).map_err(|e| GoogleError::Mime(e.to_string()))?;
    let message = builder
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(s.body.to_owned()))
                .singlepart(
                    Attachment::new(s.attachment_name.to_owned()).body(s.attachment.to_vec(), xlsx),
                ),
        )
        .map_err(|e| GoogleError::Mime(e.to_string()))?;
    Ok(message.formatted())
}
