//! The ops board over plain HTTP: the link from an escalation mail signs its person in (a GET
//! never spends it; the POST does, once), the board then shows the charter that needs
//! attention first with the names to call, and every bad link gets the crew page's 403.

use chrono::Utc;
use dispatch::demo::http;
use dispatch_cascade::tokens::{LinkKey, MagicLinks, Scope};
use dispatch_core::domain::CrewId;

use crate::common::TestApp;
use crate::scene::{ops_board_scene, sign_in_cookie};

/// Signs in with `link` (GET twice: nothing spent; then the POST) and reads the board with the
/// session; a second sign-in with the same link is refused.
async fn sign_in(link: &str) -> String {
    for _ in 0..2 {
        let (status, page) = http("GET", link, None).await.unwrap();
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Sign in as ops@example.com"), "{page}");
    }
    let (cookie, set_cookie) = sign_in_cookie(link).await;
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http: {set_cookie}");
    let again = crate::scene::post_sign_in(link).await;
    assert_eq!(again.status(), 403, "a spent link opens nothing");
    let base = link.split("/ops/").next().unwrap();
    let res = dispatch_google::http::client_builder()
        .build()
        .expect("http client")
        .get(format!("{base}/ops"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["refresh"], "60", "the board refreshes itself");
    res.text().await.unwrap()
}

#[tokio::test]
async fn the_mailed_link_opens_the_board_needs_attention_first() {
    let app = TestApp::local().serve().build().await;
    let (base, cascade) = (&app.base, &app.cascade);
    let (waiting, stuck, link) = ops_board_scene(&app).await;
    assert!(link.starts_with(&format!("{base}/ops/")), "{link}");

    let page = sign_in(&link).await;
    assert!(page.contains("Needs attention (1)"), "{page}");
    let at = |id: &dispatch_core::domain::CharterId| {
        page.find(&format!("data-charter-id=\"{id}\""))
            .unwrap_or_else(|| panic!("charter {id} not on the board: {page}"))
    };
    // Later in date, but it needs attention: first.
    assert!(at(&stuck.charter_id) < at(&waiting.charter_id), "{page}");
    let stuck_card = &page[at(&stuck.charter_id)..at(&waiting.charter_id)];
    assert!(
        stuck_card.contains("no captain and nobody left to ask"),
        "{stuck_card}"
    );
    assert!(
        stuck_card.contains("declined this charter: Ben Ortiz"),
        "{stuck_card}"
    );
    let waiting_card = &page[at(&waiting.charter_id)..];
    assert!(
        waiting_card.contains("Waiting on Ana Silva (captain) until"),
        "{waiting_card}"
    );
    assert!(waiting_card.contains(" UTC"), "{waiting_card}");
    assert!(!page.contains("panicked"));

    // Bad links: the crew page's plain 403, the same whatever is wrong.
    let (_, crew_bad) = http("GET", &format!("{base}/o/nonsense"), None)
        .await
        .unwrap();
    let token = link.rsplit('/').next().unwrap().to_string();
    let member_page = cascade.links.issue(
        &CrewId::parse("ana").unwrap(),
        &Scope::Page,
        Utc::now(),
        chrono::Duration::days(1),
    );
    let expired = cascade.links.issue_ops(
        Utc::now() - chrono::Duration::days(3),
        chrono::Duration::days(1),
    );
    let other_key = MagicLinks::new(vec![LinkKey::new("w1", vec![8; 32]).unwrap()])
        .unwrap()
        .issue_ops(Utc::now(), chrono::Duration::days(1));
    let mut flipped = token.clone().into_bytes();
    flipped[12] = if flipped[12] == b'A' { b'B' } else { b'A' };
    for t in [
        member_page,
        expired,
        other_key,
        String::from_utf8(flipped).unwrap(),
        token[..token.len() - 2].to_string(),
        "nonsense".into(),
        "%FF".into(),
    ] {
        let (status, body) = http("GET", &format!("{base}/ops/{t}"), None).await.unwrap();
        assert_eq!(status, 403, "{t}");
        assert_eq!(body, crew_bad, "a bad ops link looks like any bad link");
    }
    // And an ops link opens no member's page.
    let (status, body) = http("GET", &format!("{base}/p/{token}"), None)
        .await
        .unwrap();
    assert_eq!((status, body), (403, crew_bad));
}

/// Behind https the session cookie is `Secure` too, scoped to the board's path under the public
/// URL's own path.
#[tokio::test]
async fn behind_https_the_session_cookie_is_secure() {
    use tower::ServiceExt;
    let app = TestApp::local()
        .tune(|cfg| cfg.public_url = "https://crew.example.com/crew".into())
        .build()
        .await;
    let ops = dispatch_core::domain::EmailAddress::parse("ops@example.com").unwrap();
    let link = app.cascade.ops_sign_in_link(&ops).await.unwrap();
    let token = link.rsplit('/').next().unwrap().to_string();
    let guard = app.cascade.links.form_guard(&token);
    let req = axum::http::Request::post(format!("/ops/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!("guard={guard}")))
        .unwrap();
    let res = dispatch_cascade::web::router(app.cascade.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/crew/ops");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/crew/ops",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(part), "{part}: {cookie}");
    }
}
