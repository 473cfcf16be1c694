//! The formats of [`super`]'s keys, pinned byte for byte: stored records, Message-IDs and
//! queue messages carry them, so a change here is a migration, not a refactor.

use super::*;

const C: &str = "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a";
const O: &str = "1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a";

fn ids() -> (CharterId, OfferId, CrewId) {
    (
        CharterId::parse(C).unwrap(),
        OfferId::parse(O).unwrap(),
        CrewId::parse("crew-ana").unwrap(),
    )
}

#[test]
fn offer_ids_are_the_deployed_ones() {
    let (c, ..) = ids();
    assert_eq!(role_key(Role::Captain), "captain");
    assert_eq!(role_key(Role::Crew { slot: 2 }), "crew-2");
    // Pinned: stored offers, their mail keys and Message-IDs carry these (a v4-shaped UUID of
    // the SHA-256 of `offer|<charter>|<slot>|<attempt>`).
    assert_eq!(
        offer_id_for(&c, Role::Captain, 0).as_str(),
        "434f745a-3362-47be-a69e-d22549835af3"
    );
    assert_eq!(
        offer_id_for(&c, Role::Crew { slot: 1 }, 3).as_str(),
        "ae90f10b-bd6d-4693-a0b5-71afe6ddf991"
    );
}

#[test]
fn entry_ids_keep_their_stored_form() {
    let (_, o, m) = ids();
    assert_eq!(EntryId::sent(&o).as_str(), format!("offer_sent-{O}"));
    assert_eq!(
        EntryId::closed(OfferStatus::Accepted, &o).as_str(),
        format!("accepted-{O}")
    );
    assert_eq!(
        EntryId::closed(OfferStatus::Declined, &o).as_str(),
        format!("declined-{O}")
    );
    assert_eq!(
        EntryId::closed(OfferStatus::Lapsed, &o).as_str(),
        format!("lapsed-{O}")
    );
    assert_eq!(
        EntryId::closed(OfferStatus::Revoked, &o).as_str(),
        format!("revoked-{O}")
    );
    assert_eq!(EntryId::confirmed(&o).as_str(), format!("confirmed-{O}"));
    assert_eq!(
        EntryId::escalated(Role::Captain, 2).as_str(),
        "escalated-captain-2"
    );
    assert_eq!(
        EntryId::escalated(Role::Crew { slot: 0 }, 1).as_str(),
        "escalated-crew-0-1"
    );
    assert_eq!(EntryId::alerted(24).as_str(), "alerted-24h");
    assert_eq!(EntryId::conflict(&m).as_str(), "conflict-crew-ana");
    assert_eq!(EntryId::released(&m).as_str(), "released-crew-ana");
    assert_eq!(
        EntryId::cleared(&m, 1_700_000_000_123).as_str(),
        "reoffer-crew-ana-1700000000123"
    );
    assert_eq!(
        EntryId::unassigned(&m, 17).as_str(),
        "unassigned-crew-ana-17"
    );
    assert_eq!(
        EntryId::unassigned_told(&m, 17).as_str(),
        "unassigned_told-crew-ana-17"
    );
    assert_eq!(
        Unassigned::parse(EntryId::unassigned(&m, 17).as_str()),
        Some(Unassigned {
            crew: m.clone(),
            at_ms: 17
        })
    );
    assert_eq!(
        Unassigned::parse(EntryId::unassigned_told(&m, 17).as_str()),
        None
    );
    assert_eq!(Unassigned::parse("unassigned-crew-ana-x"), None);
    assert_eq!(
        EntryId::by_hand(&o, &m).as_str(),
        format!("by_hand-{O}-crew-ana")
    );
    assert_eq!(EntryId::STAFFED.as_str(), "staffed");
    assert_eq!(EntryId::CANCELLED.as_str(), "cancelled");
    assert!(EntryId::cleared(&m, 1)
        .as_str()
        .starts_with(EntryId::CLEARED_PREFIX));
    assert_eq!(ids::sent(&o), EntryId::sent(&o).to_string());
    assert_eq!(
        (ids::STAFFED, ids::CANCELLED, ids::CLEARED_PREFIX),
        ("staffed", "cancelled", "reoffer-")
    );
}

#[test]
fn a_hand_order_reads_back_from_its_id() {
    let (_, o, m) = ids();
    let order = HandOrder::parse(EntryId::by_hand(&o, &m).as_str()).unwrap();
    assert_eq!(
        order,
        HandOrder {
            offer: o.clone(),
            crew: m
        }
    );
    assert_eq!(HandOrder::parse(EntryId::sent(&o).as_str()), None);
    assert_eq!(HandOrder::parse(&format!("by_hand-{O}")), None);
    assert_eq!(HandOrder::parse(&format!("by_hand-{O}x")), None);
    assert_eq!(
        HandOrder::parse("by_hand-not-a-uuid-at-all-not-a-uuid-at-all-x"),
        None
    );
}

#[test]
fn mail_and_job_keys_keep_their_stored_form() {
    let (c, o, m) = ids();
    assert_eq!(MailKey::offer(&o).as_str(), format!("mail#offer#{O}"));
    assert_eq!(MailKey::confirm(&o).as_str(), format!("mail#confirm#{O}"));
    assert_eq!(
        MailKey::withdrawn(&o).as_str(),
        format!("mail#withdrawn#{O}")
    );
    assert_eq!(
        MailKey::reminder(&c, &m).as_str(),
        format!("mail#reminder#{C}#crew-ana")
    );
    assert_eq!(
        MailKey::release(&c, &m).as_str(),
        format!("mail#release#{C}#crew-ana")
    );
    assert_eq!(
        MailKey::unassigned(&c, &m, 9).as_str(),
        format!("mail#unassigned#{C}#crew-ana#9")
    );
    assert_eq!(
        MailKey::escalate(&c, Role::Crew { slot: 1 }, 3).as_str(),
        format!("mail#escalate#{C}#crew-1#3")
    );
    assert_eq!(
        MailKey::alert(&c, 72).as_str(),
        format!("mail#alert#{C}#72h")
    );
    assert_eq!(
        JobKey::alert_timer(&c, 24, 3).as_str(),
        format!("alert_timer#{C}#24h#3")
    );
    assert_eq!(
        MailKey::conflict(&c, &m).as_str(),
        format!("mail#conflict#{C}#crew-ana")
    );
    assert_eq!(
        JobKey::lapse_timer(&o, 4).as_str(),
        format!("offer_timeout#{O}#4")
    );
    assert_eq!(JobKey::answered(&o).as_str(), format!("answered#{O}"));
    assert_eq!(
        JobKey::retry_reconcile(&c, &o).as_str(),
        format!("reconcile#{C}#{O}")
    );
    assert_eq!(
        JobKey::hand_reconcile(&c, 42).as_str(),
        format!("reconcile#{C}#hand#42")
    );
    assert_eq!(
        dispatch_core::records::enqueue_key(JobKey::lapse_timer(&o, 0).as_str()),
        format!("enqueue#offer_timeout#{O}#0")
    );
    assert_eq!(String::from(MailKey::offer(&o)), format!("mail#offer#{O}"));
    // ISO weeks: 2027-01-03 is a Sunday of 2026's week 53; the Monday after starts 2027-W01.
    let day = |s: &str| dispatch_core::domain::CharterDate::parse(s).unwrap();
    assert_eq!(
        MailKey::expiring(day("2027-01-03")).as_str(),
        "mail#expiring#2026-W53"
    );
    assert_eq!(
        MailKey::expiring(day("2027-01-04")).as_str(),
        "mail#expiring#2027-W01"
    );
    assert_eq!(
        JobKey::expiry_check(day("2027-01-04")).as_str(),
        "expiry_check#2027-01-04"
    );
}
