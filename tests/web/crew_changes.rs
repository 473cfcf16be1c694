//! What crew do themselves, over HTTP: a forged "I can't make it" or availability POST changes
//! nothing (403); the page's forms carry a page token that never outlives the link the page was
//! opened with; a revoked link gets the plain 403 with the "e-mail me a new link" form, which
//! answers the same for any address and mails at most 3 links a day per address.

use chrono::Utc;
use dispatch::demo::http;
use dispatch_cascade::tokens::Scope;
use dispatch_core::domain::*;

use crate::common::{charter, member, TestApp};

fn day(n: u64) -> String {
    (Utc::now().date_naive() + chrono::Days::new(n))
        .format("%Y-%m-%d")
        .to_string()
}

/// The value of attribute `attr` of the first tag in `html` after `after`.
fn attr_after<'a>(html: &'a str, after: &str, attr: &str) -> &'a str {
    let at = html
        .find(after)
        .unwrap_or_else(|| panic!("`{after}` in {html}"));
    let rest = &html[at..];
    let v = &rest[rest.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2..];
    &v[..v.find('"').unwrap()]
}

/// A captain confirmed on a charter in 10 days; their page opened with a short offer link.
#[tokio::test]
async fn forged_posts_change_nothing_and_forms_never_outlive_their_link() {
    let s = TestApp::local().serve().build().await;
    let d = day(10);
    s.world
        .backend
        .roster
        .upsert_batch(&[
            member("cap", true, false, &[&d]),
            member("cap2", true, false, &[&d]),
        ])
        .await
        .unwrap();
    let c = charter(&d, 4, Some(0));
    s.world.backend.charters.insert(&c).await.unwrap();
    s.cascade.reconcile(&c.charter_id).await.unwrap();
    let offer = s.open_offers(std::slice::from_ref(&c)).await.remove(0);
    s.accept(&offer).await.unwrap();
    let now = Utc::now();
    let short = s.cascade.links.issue(
        &offer.crew_id,
        &Scope::Offer {
            charter: c.charter_id.clone(),
            offer: offer.offer_id.clone(),
        },
        now,
        chrono::Duration::hours(2),
    );
    let (code, html) = http("GET", &format!("{}/o/{short}", s.base), None)
        .await
        .unwrap();
    assert_eq!(code, 200, "{html}");
    let action = attr_after(&html, "<summary>I can't make it", "action").to_string();
    let guard = attr_after(&html, &action, "value").to_string();
    let token = action
        .trim_end_matches("/cant-make-it")
        .rsplit('/')
        .next()
        .unwrap();
    let claims = s.cascade.links.verify(token, now).unwrap();
    assert_eq!(claims.scope, Scope::Page);
    assert!(
        claims.expires_at <= now + chrono::Duration::hours(2),
        "a page token never outlives the link it was minted from: {claims:?}"
    );
    let avail = attr_after(&html, "id=\"availability\"", "action").to_string();
    assert!(avail.ends_with("/availability"), "{avail}");

    // Forged: no guard, a wrong guard, another member's guard.
    let fields = format!("charter={}&offer={}&reason=x", c.charter_id, offer.offer_id);
    let other = s.cascade.links.issue(
        &CrewId::parse("cap2").unwrap(),
        &Scope::Page,
        now,
        chrono::Duration::hours(1),
    );
    for form in [
        fields.clone(),
        format!("guard=AAAA&{fields}"),
        format!("guard={}&{fields}", s.cascade.links.form_guard(&other)),
    ] {
        let (code, _) = http("POST", &format!("{}{action}", s.base), Some(&form))
            .await
            .unwrap();
        assert_eq!(code, 403, "{form}");
    }
    let (code, _) = http(
        "POST",
        &format!("{}{avail}", s.base),
        Some("d2099-01-01=on"),
    )
    .await
    .unwrap();
    assert_eq!(code, 403);
    assert!(
        s.thread(&c)
            .await
            .iter()
            .all(|e| !e.starts_with("dropped-")),
        "nothing changed"
    );
    assert_eq!(s.open_offers(std::slice::from_ref(&c)).await.len(), 0);

    // The real form works.
    let form = format!("guard={guard}&{fields}");
    let (code, page) = http("POST", &format!("{}{action}", s.base), Some(&form))
        .await
        .unwrap();
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("still yours until someone takes it"),
        "{page}"
    );
    assert_eq!(
        s.open_offers(std::slice::from_ref(&c)).await.len(),
        1,
        "the place is offered"
    );
}

/// A revoked link: the plain 403 with the form; the form answers the same for anyone, and
/// mails at most 3 new links a day to one address.
#[tokio::test]
async fn a_new_link_by_mail_for_anyone_who_asks_at_most_three_a_day() {
    // Noon: the day's count does not roll over while the test moves the clock on.
    let noon = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let s = TestApp::local().manual_clock(noon).serve().build().await;
    let ana = member("ana", true, false, &[&day(3)]);
    s.world
        .backend
        .roster
        .upsert_batch(std::slice::from_ref(&ana))
        .await
        .unwrap();
    let old = s.cascade.links.issue(
        &ana.crew_id,
        &Scope::Page,
        noon - chrono::Duration::seconds(5),
        chrono::Duration::days(1),
    );
    let (code, _) = http("GET", &format!("{}/p/{old}", s.base), None)
        .await
        .unwrap();
    assert_eq!(code, 200);
    dispatch_cascade::crew::relink::mail_page_link(&s.cascade, &ana, true)
        .await
        .unwrap();
    let (code, html) = http("GET", &format!("{}/p/{old}", s.base), None)
        .await
        .unwrap();
    assert_eq!(code, 403, "a revoked link");
    assert!(html.contains("E-mail me a new link"), "{html}");
    assert_eq!(attr_after(&html, "<form", "action"), "/new-link");

    let ask = |email: &str| {
        let url = format!("{}/new-link", s.base);
        let form = format!("email={email}");
        async move { http("POST", &url, Some(&form)).await.unwrap() }
    };
    let (code, nobody) = ask("nobody%40example.com").await;
    assert_eq!(code, 200);
    let before = s.mails_to("mail#page_link#ana#");
    s.clock().advance(chrono::Duration::seconds(2));
    let (code, member_answer) = ask("ANA%40example.com").await;
    assert_eq!(code, 200);
    assert_eq!(nobody, member_answer, "the same answer either way");
    assert_eq!(s.mails_to("mail#page_link#ana#"), before + 1);
    // Seconds apart (a mail's key names its second): the second and third go, the fourth not.
    for _ in 0..3 {
        s.clock().advance(chrono::Duration::seconds(2));
        ask("ana%40example.com").await;
    }
    assert_eq!(
        s.mails_to("mail#page_link#ana#"),
        before + 3,
        "at most 3 a day per address"
    );
    let (code, garbage) = ask("not-an-address").await;
    assert_eq!((code, garbage), (200, nobody));
}
