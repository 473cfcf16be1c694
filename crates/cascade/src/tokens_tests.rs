//! Tests of the magic-link tokens: round trips, rotation, and every way a token is refused
//! (a file of its own so the token format reads on one screen).

use super::*;
use proptest::prelude::*;

fn links() -> MagicLinks {
    MagicLinks::new(vec![
        LinkKey::new("k1", vec![7; 32]).unwrap(),
        LinkKey::new("k2", vec![9; 32]).unwrap(),
    ])
    .unwrap()
}

fn offer_scope() -> Scope {
    Scope::Offer {
        charter: CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
        offer: OfferId::parse("1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
    }
}

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_714_000_000, 0).unwrap()
}

#[test]
fn round_trip_with_the_newest_key() {
    let l = links();
    let t = l.issue(
        &CrewId::parse("crew-ana").unwrap(),
        &offer_scope(),
        now(),
        chrono::Duration::days(2),
    );
    let c = l.verify(&t, now()).unwrap();
    assert_eq!(c.kid, "k2");
    assert_eq!(c.crew.as_str(), "crew-ana");
    assert_eq!(c.scope, offer_scope());
    assert!(t.len() < MAX_TOKEN_LEN);
}

#[test]
fn refuses_expired_wrong_scope_unknown_key_and_truncation() {
    let l = links();
    let crew = CrewId::parse("crew-ana").unwrap();
    let t = l.issue(&crew, &Scope::Page, now(), chrono::Duration::hours(1));
    assert_eq!(
        l.verify(&t, now() + chrono::Duration::hours(1)),
        Err(TokenError::Expired)
    );
    assert_eq!(
        l.verify_offer(&t, now()).unwrap_err(),
        TokenError::WrongScope
    );
    let old_only = MagicLinks::new(vec![LinkKey::new("k1", vec![7; 32]).unwrap()]).unwrap();
    assert_eq!(old_only.verify(&t, now()), Err(TokenError::UnknownKey));
    // Rotation: a token signed by k1 still verifies once k2 is added.
    let by_k1 = old_only.issue(&crew, &Scope::Page, now(), chrono::Duration::hours(1));
    assert!(l.verify(&by_k1, now()).is_ok());
    for cut in 1..t.len() {
        assert!(
            l.verify(&t[..cut], now()).is_err(),
            "truncated at {cut} accepted"
        );
    }
    assert_eq!(
        l.verify(&"a".repeat(MAX_TOKEN_LEN + 1), now()),
        Err(TokenError::TooLong)
    );
    // Same key id, other secret: bad signature.
    let forged = MagicLinks::new(vec![LinkKey::new("k2", vec![1; 32]).unwrap()])
        .unwrap()
        .issue(&crew, &Scope::Page, now(), chrono::Duration::hours(1));
    assert_eq!(l.verify(&forged, now()), Err(TokenError::BadSignature));
}

#[test]
fn each_scope_is_refused_outside_its_place() {
    let l = links();
    let ana = CrewId::parse("crew-ana").unwrap();
    let day = chrono::Duration::days(1);
    let calendar = l.issue(&ana, &Scope::Calendar, now(), day);
    let page = l.issue(&ana, &Scope::Page, now(), day);
    let offer = l.issue(&ana, &offer_scope(), now(), day);
    let ops = l.issue_ops(now(), day);
    // A calendar link reads the feed and nothing else.
    assert_eq!(
        l.verify_calendar(&calendar, now()).unwrap().scope,
        Scope::Calendar
    );
    assert_eq!(
        l.verify_member(&calendar, now()),
        Err(TokenError::WrongScope)
    );
    assert_eq!(
        l.verify_offer(&calendar, now()).unwrap_err(),
        TokenError::WrongScope
    );
    assert_eq!(l.verify_ops(&calendar, now()), Err(TokenError::WrongScope));
    // The feed takes a calendar link or (subscriptions made before) a page link, never an
    // offer's link or the board's.
    assert!(l.verify_calendar(&page, now()).is_ok());
    assert_eq!(
        l.verify_calendar(&offer, now()),
        Err(TokenError::WrongScope)
    );
    assert_eq!(l.verify_calendar(&ops, now()), Err(TokenError::WrongScope));
    // An offer's link answers only its own offer.
    assert_eq!(
        l.verify_offer(&page, now()).unwrap_err(),
        TokenError::WrongScope
    );
    assert!(l.verify_offer(&offer, now()).is_ok());
}

#[test]
fn ops_tokens_open_only_the_board() {
    let l = links();
    let ops = l.issue_ops(now(), chrono::Duration::days(7));
    assert_eq!(l.verify_ops(&ops, now()).unwrap().scope, Scope::Ops);
    assert_eq!(l.verify_member(&ops, now()), Err(TokenError::WrongScope));
    assert!(l.verify_offer(&ops, now()).is_err());
    let page = l.issue(
        &CrewId::parse("crew-ana").unwrap(),
        &Scope::Page,
        now(),
        chrono::Duration::days(1),
    );
    assert_eq!(l.verify_ops(&page, now()), Err(TokenError::WrongScope));
    assert!(l.verify_member(&page, now()).is_ok());
    // A page token for a member whose id happens to be `ops` is still not an ops token.
    let fake = l.issue(
        &CrewId::parse("ops").unwrap(),
        &Scope::Page,
        now(),
        chrono::Duration::days(1),
    );
    assert_eq!(l.verify_ops(&fake, now()), Err(TokenError::WrongScope));
    assert_eq!(
        l.verify_ops(&ops, now() + chrono::Duration::days(7)),
        Err(TokenError::Expired)
    );
}

#[test]
fn form_guard_is_bound_to_the_token() {
    let l = links();
    let t = l.issue(
        &CrewId::parse("c").unwrap(),
        &Scope::Page,
        now(),
        chrono::Duration::hours(1),
    );
    let g = l.form_guard(&t);
    assert!(l.check_form_guard(&t, &g));
    assert!(!l.check_form_guard(&format!("{t}x"), &g));
    assert!(!l.check_form_guard(&t, "AAAA"));
}

proptest! {
    #[test]
    fn any_single_byte_change_breaks_it(pos in 0usize..400, byte in any::<u8>()) {
        let l = links();
        let t = l.issue(&CrewId::parse("crew-ana").unwrap(), &offer_scope(), now(), chrono::Duration::days(2));
        let mut bytes = t.clone().into_bytes();
        let pos = pos % bytes.len();
        prop_assume!(bytes[pos] != byte);
        bytes[pos] = byte;
        // Non-UTF-8 results cannot even reach us as a path segment; every other change is refused
        // (the MAC covers the first five segments as written, and base64url decoding is canonical).
        if let Ok(changed) = String::from_utf8(bytes) {
            prop_assert!(l.verify(&changed, now()).is_err(), "accepted a changed token: {}", changed);
        }
    }

    #[test]
    fn round_trips_for_any_member(id in "[a-zA-Z0-9_.@+-]{1,60}", secs in 1i64..10_000_000) {
        let l = links();
        let crew = CrewId::parse(&id).unwrap();
        let t = l.issue(&crew, &Scope::Page, now(), chrono::Duration::seconds(secs));
        prop_assert_eq!(l.verify(&t, now()).unwrap().crew, crew);
    }
}
