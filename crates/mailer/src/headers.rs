//! Checks of the values a mail's headers are built from, before `lettre` sees them: a line break
//! in a display name or subject would split the header (and makes `lettre`'s formatter panic), so
//! a mail carrying one is refused as a permanent [`MailError::Build`] naming the field.

use crate::{Mail, MailError};

/// Longest subject and display name accepted (characters).
pub const MAX_HEADER_CHARS: usize = 500;

fn check(field: &str, value: &str) -> Result<(), String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(format!(
            "{field} contains the control character {c:?} (a line break would split the header): fix where it comes from (e.g. DISPATCH_MAIL_FROM_NAME, a vessel name)"
        ));
    }
    if value.chars().count() > MAX_HEADER_CHARS {
        return Err(format!(
            "{field} is {} characters long; at most {MAX_HEADER_CHARS}",
            value.chars().count()
        ));
    }
    Ok(())
}

/// Every header-bound value of `mail`, checked.
pub fn check_mail(mail: &Mail) -> Result<(), MailError> {
    let err = |message: String| MailError::Build {
        key: mail.key.clone(),
        message,
    };
    check("the sender's name", &mail.from_name).map_err(err)?;
    check("the subject", &mail.subject).map_err(err)?;
    for a in &mail.attachments {
        check("an attachment's file name", &a.filename).map_err(err)?;
        check("an attachment's content type", &a.content_type).map_err(err)?;
        if a.filename.trim().is_empty() {
            return Err(err("an attachment has no file name".into()));
        }
    }
    Ok(())
}
