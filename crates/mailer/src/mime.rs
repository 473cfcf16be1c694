//! A mail's RFC 5322 bytes: built with `lettre` ([`build_mime`]) and read back
//! ([`header_values`], [`parse_address_list`]), e.g. for the prior recipients of a statement.

use dispatch_core::domain::EmailAddress;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::{headers, Mail, MailError};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::test_mail as mail;
    use crate::XLSX;

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
}
