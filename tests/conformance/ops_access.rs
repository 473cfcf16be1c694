//! The ops board's sign-in links and sessions (`OpsAccess`): a link opens one session and is
//! spent by it, an expired or revoked link opens none, and revoking an address ends its
//! sessions and voids its links, not anyone else's.

use chrono::{Duration, Utc};
use dispatch_core::domain::EmailAddress;
use dispatch_core::ports::*;

use crate::common::World;

both!(ops_links_open_one_session_and_revoke_ends_them);

/// Now, to the millisecond (what the store keeps).
fn now_ms() -> chrono::DateTime<Utc> {
    chrono::TimeZone::timestamp_millis_opt(&Utc, Utc::now().timestamp_millis()).unwrap()
}

fn session(address: &EmailAddress, n: u8) -> OpsSession {
    let now = now_ms();
    OpsSession {
        address: address.clone(),
        session_hash: format!("{n:02x}").repeat(32),
        created_at: now,
        expires_at: now + Duration::hours(12),
    }
}

pub async fn ops_links_open_one_session_and_revoke_ends_them(w: &World) {
    let ops = &w.backend.ops_access;
    let now = now_ms();
    let ana = EmailAddress::parse("ana.ops@example.com").unwrap();
    let ben = EmailAddress::parse("ben.ops@example.com").unwrap();
    let link = |address: &EmailAddress, id: &str, days: i64| OpsLink {
        address: address.clone(),
        link_id: id.into(),
        expires_at: now + Duration::days(days),
    };
    ops.add_link(&link(&ana, "l1", 7)).await.unwrap();
    ops.add_link(&link(&ana, "l2", 7)).await.unwrap();
    ops.add_link(&link(&ana, "old", -1)).await.unwrap();
    ops.add_link(&link(&ben, "b1", 7)).await.unwrap();

    let s1 = session(&ana, 1);
    assert_eq!(ops.sign_in("l1", &s1, now).await.unwrap(), SignIn::Opened);
    assert_eq!(
        ops.sign_in("l1", &session(&ana, 2), now).await.unwrap(),
        SignIn::LinkGone,
        "a link is spent by its first sign-in"
    );
    assert_eq!(
        ops.session(&ana, &s1.session_hash).await.unwrap(),
        Some(s1.clone())
    );
    assert_eq!(
        ops.session(&ana, &session(&ana, 2).session_hash)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        ops.sign_in("old", &session(&ana, 3), now).await.unwrap(),
        SignIn::LinkGone,
        "an expired link opens nothing"
    );
    assert_eq!(
        ops.sign_in("b1", &session(&ana, 4), now).await.unwrap(),
        SignIn::LinkGone,
        "another address's link opens nothing"
    );
    assert_eq!(ops.session(&ben, &s1.session_hash).await.unwrap(), None);

    let b = session(&ben, 5);
    assert_eq!(ops.sign_in("b1", &b, now).await.unwrap(), SignIn::Opened);
    // Ana's session, her unspent link and her expired one go; Ben's session stays.
    assert_eq!(ops.revoke(&ana).await.unwrap(), 3);
    assert_eq!(ops.session(&ana, &s1.session_hash).await.unwrap(), None);
    assert_eq!(
        ops.sign_in("l2", &session(&ana, 6), now).await.unwrap(),
        SignIn::LinkGone,
        "a revoked link opens nothing"
    );
    assert_eq!(ops.session(&ben, &b.session_hash).await.unwrap(), Some(b));
    assert_eq!(ops.revoke(&ana).await.unwrap(), 0);
}
