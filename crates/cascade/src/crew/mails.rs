//! The mails of what crew do on their own page (and of `dispatch crew link`): a fresh link to
//! the page; to ops, "can't make it" (with the cut-off's alert); to the member, released once
//! a replacement took the slot, with a `METHOD:CANCEL` calendar entry. Pure, like
//! [`crate::mails`], whose letterhead they share.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{Charter, CrewMember, Offer};
use dispatch_core::zone::format_date_long;
use dispatch_mailer::{Attachment, Mail};

use crate::ics;
use crate::keys::MailKey;
use crate::mails::Letterhead;
use crate::words::{first_name, role_word};

/// A fresh link to the member's page, issued at `at` (`revoked`: earlier links were voided).
pub fn page_link(
    lh: &Letterhead<'_>,
    m: &CrewMember,
    link: &str,
    at: DateTime<Utc>,
    revoked: bool,
) -> Mail {
    let earlier = if revoked {
        "Links we sent you before no longer work; if you subscribed to your calendar feed, \
         subscribe again from your page.\n\n"
    } else {
        ""
    };
    lh.mail(
        MailKey::page_link(&m.crew_id, at.timestamp()),
        vec![m.email.clone()],
        "Your crew page link".into(),
        format!(
            "Hi {},\n\nHere is a fresh link to your crew page (your offers, charters and \
             availability):\n{link}\n\n{earlier}{}This link is personal: please do not forward it.\n",
            first_name(&m.name),
            lh.office_line(),
        ),
    )
}

/// To ops: the member of `offer` can't make it (`reason` as they wrote it); the slot is being
/// offered while they stay on it.
pub fn dropped(
    lh: &Letterhead<'_>,
    c: &Charter,
    offer: &Offer,
    m: &CrewMember,
    reason: &str,
) -> Mail {
    lh.for_ops(
        MailKey::dropped(&offer.offer_id),
        format!(
            "Can't make it: {} on {} ({})",
            c.vessel_name,
            c.charter_date,
            role_word(offer.role).to_lowercase()
        ),
        format!(
            "{} ({}) can't make the charter {} on {} aboard {}.\nReason: {}\n\nThe {} place is being \
             offered to the next candidate; {} stays on it until someone accepts.\n\n  dispatch charter show {}\n",
            m.name,
            m.email,
            c.charter_id,
            c.charter_date,
            c.vessel_name,
            if reason.is_empty() { "(none given)" } else { reason },
            role_word(offer.role).to_lowercase(),
            first_name(&m.name),
            c.charter_id,
        ),
    )
}

/// To ops, inside the cut-off: the member says they can't make it; nothing was changed.
pub fn drop_late(
    lh: &Letterhead<'_>,
    c: &Charter,
    offer: &Offer,
    m: &CrewMember,
    reason: &str,
) -> Mail {
    lh.for_ops(
        MailKey::drop_late(&offer.offer_id),
        format!(
            "URGENT: {} can't make {} on {}",
            m.name, c.vessel_name, c.charter_date
        ),
        format!(
            "{} ({}{}) says they can't make the charter {} on {} aboard {} as {}, inside the \
             cut-off before departure. Nothing was changed: they are still on it. Please call them.\nReason: {}\n\n  dispatch charter show {}\n",
            m.name,
            m.email,
            m.phone.as_deref().map(|p| format!(", {p}")).unwrap_or_default(),
            c.charter_id,
            c.charter_date,
            c.vessel_name,
            role_word(offer.role).to_lowercase(),
            if reason.is_empty() { "(none given)" } else { reason },
            c.charter_id,
        ),
    )
}

/// To the member of a dropped offer: someone took the place, they are free; the calendar entry
/// is cancelled (same UID as their confirmation's).
pub fn let_go(
    lh: &Letterhead<'_>,
    c: &Charter,
    offer: &Offer,
    m: &CrewMember,
    now: DateTime<Utc>,
) -> Mail {
    let mut mail = lh.mail(
        MailKey::let_go(&offer.offer_id),
        vec![m.email.clone()],
        format!("Released: {} on {}", c.vessel_name, c.charter_date),
        format!(
            "Hi {},\n\nSomeone took your {} place on {} aboard {}: you are released and free that \
             day. The attached entry removes it from your calendar.\n\n{}",
            first_name(&m.name),
            role_word(offer.role).to_lowercase(),
            format_date_long(c.charter_date),
            c.vessel_name,
            lh.office_line(),
        ),
    );
    mail.attachments.push(cancel_attachment(lh, c, m, now));
    mail
}

/// The `METHOD:CANCEL` attachment removing `m`'s entry for `c`.
pub fn cancel_attachment(
    lh: &Letterhead<'_>,
    c: &Charter,
    m: &CrewMember,
    now: DateTime<Utc>,
) -> Attachment {
    ics::cancellation_attachment(
        &format!("{} charters", lh.from_name),
        &c.charter_id,
        &m.crew_id,
        c.charter_date,
        &c.vessel_name,
        now,
    )
}

#[cfg(test)]
mod tests {
    use dispatch_core::domain::{CharterDate, CharterId, CrewId, EmailAddress};
    use dispatch_core::zone::BusinessZone;

    use super::*;

    #[test]
    fn released_and_unassigned_mails_cancel_the_calendar_entry_by_its_uid() {
        let from = EmailAddress::parse("office@example.com").unwrap();
        let zone = BusinessZone::parse("UTC").unwrap();
        let lh = Letterhead {
            from_name: "Office",
            from: &from,
            ops: &[],
            office_phone: None,
            zone: &zone,
        };
        let charter = CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap();
        let date = CharterDate::parse("2027-06-05").unwrap();
        let m = CrewMember {
            crew_id: CrewId::parse("ana").unwrap(),
            name: "Ana Silva".into(),
            email: EmailAddress::parse("ana@example.com").unwrap(),
            phone: None,
            captain_certified: true,
            available_dates: Default::default(),
            certifications: Default::default(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        };
        let uid = format!("UID:{charter}-ana@crew-dispatch");
        let mail = crate::mails::released(&lh, &charter, &m, date, Some("Sea Breeze"));
        let ics = String::from_utf8(mail.attachments[0].bytes.clone()).unwrap();
        assert!(ics.contains("METHOD:CANCEL") && ics.contains(&uid), "{ics}");
        assert!(
            ics.contains("STATUS:CANCELLED") && ics.contains("SEQUENCE:1"),
            "{ics}"
        );
        assert_eq!(
            crate::mails::released(&lh, &charter, &m, date, Some("Sea Breeze")).attachments[0]
                .bytes,
            mail.attachments[0].bytes,
            "the same mail on a retry"
        );
    }
}
