//! Tests of `mails`.

use super::*;

fn member() -> CrewMember {
    CrewMember {
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
    }
}

#[test]
fn shared_phrases_are_written_once() {
    let from = EmailAddress::parse("office@example.com").unwrap();
    let zone = BusinessZone::parse("America/Los_Angeles").unwrap();
    let mut lh = Letterhead {
        from_name: "Office",
        from: &from,
        ops: &[],
        office_phone: Some("555-0100"),
        zone: &zone,
    };
    assert_eq!(lh.office_line(), "Questions? Call the office: 555-0100\n");
    let date = CharterDate::parse("2027-06-05").unwrap();
    let charter = CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap();
    let m = released(&lh, &charter, &member(), date, Some("Sea Breeze"));
    assert_eq!(
        m.subject,
        "Charter cancelled: Sat 5 Jun 2027 aboard Sea Breeze"
    );
    assert_eq!(m.key, format!("mail#release#{charter}#ana"));
    assert!(
        m.text
            .starts_with("Hi Ana Silva,\n\nThe charter on Saturday 5 June 2027 aboard Sea Breeze"),
        "{}",
        m.text
    );
    lh.office_phone = None;
    assert_eq!(lh.office_line(), "");
    assert_eq!(board_line("L"), "Ops board (the next 30 days): L\n");
}

#[test]
fn a_withdrawn_offer_is_told_with_its_own_key_and_why() {
    use dispatch_core::domain::{Money, OfferId, OfferStatus, Unfit};
    let from = EmailAddress::parse("office@example.com").unwrap();
    let zone = BusinessZone::parse("UTC").unwrap();
    let lh = Letterhead {
        from_name: "Office",
        from: &from,
        ops: &[],
        office_phone: Some("555-0100"),
        zone: &zone,
    };
    let date = CharterDate::parse("2027-06-05").unwrap();
    let c = Charter {
        charter_id: CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
        created_at: "2027-01-01T00:00:00Z".into(),
        charter_date: date,
        vessel_name: "Sea Breeze".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 4,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: dispatch_core::domain::CharterStatus::Booked,
        crew_needed: None,
    };
    let at = chrono::DateTime::parse_from_rfc3339("2027-06-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let o = Offer {
        offer_id: OfferId::parse("1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
        charter_id: c.charter_id.clone(),
        charter_date: date,
        crew_id: CrewId::parse("ana").unwrap(),
        role: Role::Captain,
        status: OfferStatus::Revoked,
        created_at: at,
        expires_at: at,
        updated_at: at,
    };
    let m = withdrawn(
        &lh,
        &c,
        &o,
        &member(),
        &RevokeWhy::Unfit(Unfit::NotCaptainCertified),
    );
    assert_eq!(m.key, format!("mail#withdrawn#{}", o.offer_id));
    assert_eq!(m.subject, "Offer withdrawn: Sea Breeze on Sat 5 Jun 2027");
    assert!(
        m.text.starts_with(
            "Hi Ana,\n\nYou are no longer listed as a certified captain, so the captain offer for Saturday 5 June 2027 aboard Sea Breeze is no longer available"
        ),
        "{}",
        m.text
    );
    assert!(m.text.contains("Call the office: 555-0100"), "{}", m.text);
}

#[test]
fn a_vessel_name_with_a_tab_or_line_break_still_builds_a_mail() {
    let from = EmailAddress::parse("office@example.com").unwrap();
    let zone = BusinessZone::parse("UTC").unwrap();
    let lh = Letterhead {
        from_name: "Office\r\nBcc: x@evil.example",
        from: &from,
        ops: &[],
        office_phone: None,
        zone: &zone,
    };
    let date = CharterDate::parse("2027-06-05").unwrap();
    let charter = CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap();
    let m = released(&lh, &charter, &member(), date, Some("Sea\tBreeze\n"));
    assert!(m.subject.contains("aboard Sea Breeze"), "{}", m.subject);
    assert!(!m.subject.chars().any(char::is_control), "{:?}", m.subject);
    assert_eq!(m.from_name, "Office  Bcc: x@evil.example");
    dispatch_mailer::build_mime(&m).expect("normalised header values build");
}
