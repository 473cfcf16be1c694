//! The ops board that acts, in headless Chromium at 390x844 with axe-core on every page: sign
//! in from the mailed link (a GET spends nothing), assign a captain from a charter's page (the
//! thread names the ops address), cancel with its confirmation step, forged POSTs (no session,
//! no or a wrong CSRF field) refused with 403 and nothing changed, and `ops revoke` ending the
//! session.

use dispatch_core::domain::{CharterStatus, CrewId, EmailAddress};
use serde_json::json;

use crate::axe::assert_no_axe_violations;
use crate::common::{member, TestApp};
use crate::scene::ops_board_scene;
use crate::webdriver::{phone_session, screenshot, source, start_driver, wd, Driver};

async fn go(d: &Driver, sid: &str, url: &str) {
    wd(
        d.port,
        "POST",
        &format!("/session/{sid}/url"),
        Some(json!({ "url": url })),
    )
    .await;
}

async fn title(d: &Driver, sid: &str) -> String {
    let t = wd(d.port, "GET", &format!("/session/{sid}/title"), None).await;
    t["value"].as_str().unwrap_or("").to_string()
}

/// Waits (with a deadline) until the page's title is `want`: a click's navigation may still be
/// under way when the click returns.
async fn wait_title(d: &Driver, sid: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let now = title(d, sid).await;
        if now == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "title {now:?}, not {want:?}: {}",
            source(d, sid).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn click(d: &Driver, sid: &str, css: &str) {
    let found = wd(
        d.port,
        "POST",
        &format!("/session/{sid}/element"),
        Some(json!({"using": "css selector", "value": css})),
    )
    .await;
    let eid = found["value"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no element {css}: {found}"))
        .to_string();
    wd(
        d.port,
        "POST",
        &format!("/session/{sid}/element/{eid}/click"),
        Some(json!({})),
    )
    .await;
}

async fn status(app: &TestApp, c: &dispatch_core::domain::Charter) -> CharterStatus {
    app.backend()
        .charters
        .get(&c.charter_id)
        .await
        .unwrap()
        .unwrap()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_sign_in_assign_cancel_and_forged_posts_in_a_browser() {
    let app = TestApp::local().serve().build().await;
    let (waiting, stuck, link) = ops_board_scene(&app).await;
    let d5 = stuck.charter_date.to_string();
    let mut cy = member("cy", true, true, &[&d5]);
    cy.name = "Cy Park".into();
    cy.phone = Some("+1 555 0142".into());
    let mut dee = member("dee", true, true, &[&d5]);
    dee.name = "Dee Ray".into();
    dee.active = false;
    app.backend().roster.upsert_batch(&[cy, dee]).await.unwrap();
    let mut third = crate::common::charter(&waiting.charter_date.to_string(), 4, Some(1));
    third.vessel_name = "Kestrel".into();
    app.backend().charters.insert(&third).await.unwrap();
    let base = app.base.clone();

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let sid = phone_session(&driver, profile.path()).await;
    let d = &driver;

    // The link's page: a button, nothing spent (the board's own HTTP test GETs it twice too).
    go(d, &sid, &link).await;
    wait_title(d, &sid, "Ops board: sign in").await;
    assert!(source(d, &sid).await.contains("Sign in as ops@example.com"));
    assert_no_axe_violations(d.port, &sid, "sign-in page").await;
    click(d, &sid, "form button").await;
    wait_title(d, &sid, "Ops board").await;
    let board = source(d, &sid).await;
    assert!(board.contains("Signed in as ops@example.com"), "{board}");
    assert!(
        board.contains("stop refreshing"),
        "the board refreshes itself, and says so"
    );
    assert_no_axe_violations(d.port, &sid, "board").await;
    screenshot(d, &sid, "ops-board").await;

    // Assign a captain from the stuck charter's page: the eligible first, the others with why.
    go(
        d,
        &sid,
        &format!("{base}/ops/charters/{}", stuck.charter_id),
    )
    .await;
    let page = source(d, &sid).await;
    assert!(!page.contains("refresh"), "a page of forms never refreshes");
    let (at_cy, at_dee) = (page.find("Cy Park").unwrap(), page.find("Dee Ray").unwrap());
    assert!(at_cy < at_dee, "eligible first: {page}");
    assert!(page.contains("href=\"tel:+15550142\""), "{page}");
    assert!(page[at_dee..].contains("inactive"), "{page}");
    assert_no_axe_violations(d.port, &sid, "charter page").await;
    screenshot(d, &sid, "ops-charter").await;
    click(d, &sid, "#assign-captain input[value='cy']").await;
    click(d, &sid, "#assign-captain button").await;
    wait_title(d, &sid, "Done").await;
    assert!(source(d, &sid).await.contains("Cy Park is captain"));
    assert_no_axe_violations(d.port, &sid, "result page").await;
    let after = app
        .backend()
        .charters
        .get(&stuck.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.captain_assigned, Some(CrewId::parse("cy").unwrap()));
    let entries = app.backend().thread.list(&stuck.charter_id).await.unwrap();
    let thread: Vec<String> = entries.into_iter().map(|e| e.text).collect();
    let thread = thread.join("\n");
    assert!(
        thread.contains("by ops@example.com on the ops board"),
        "{thread}"
    );

    // Cancel: the link asks first and changes nothing; the confirmation's POST cancels.
    go(
        d,
        &sid,
        &format!("{base}/ops/charters/{}", waiting.charter_id),
    )
    .await;
    click(d, &sid, "a[href$='/cancel']").await;
    wait_title(d, &sid, "Cancel this charter?").await;
    assert_no_axe_violations(d.port, &sid, "cancel confirmation").await;
    assert_eq!(status(&app, &waiting).await, CharterStatus::Booked);
    click(d, &sid, "form button").await;
    wait_title(d, &sid, "Done").await;
    assert_eq!(status(&app, &waiting).await, CharterStatus::Cancelled);

    // Forged POSTs: no session, no CSRF field, a wrong one: 403 and nothing changed.
    let cookie = wd(
        d.port,
        "GET",
        &format!("/session/{sid}/cookie/dispatch_ops"),
        None,
    )
    .await;
    let cookie = format!(
        "dispatch_ops={}",
        cookie["value"]["value"].as_str().unwrap()
    );
    let http = dispatch_google::http::client_builder()
        .build()
        .expect("http client");
    let post = |path: String, cookie: Option<String>, form: Vec<(&'static str, &'static str)>| {
        let mut req = http.post(format!("{base}{path}")).form(&form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    let cancel = format!("/ops/charters/{}/cancel", third.charter_id);
    let assign = format!("/ops/charters/{}/assign", third.charter_id);
    for (path, cookie, form) in [
        (cancel.clone(), None, vec![("confirm", "yes")]),
        (
            cancel.clone(),
            Some(cookie.clone()),
            vec![("confirm", "yes")],
        ),
        (
            cancel.clone(),
            Some(cookie.clone()),
            vec![("confirm", "yes"), ("csrf", "AAAA")],
        ),
        (
            assign.clone(),
            Some(cookie.clone()),
            vec![("member", "cy"), ("role", "captain"), ("csrf", "x")],
        ),
    ] {
        let res = post(path.clone(), cookie, form).await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
    let untouched = app
        .backend()
        .charters
        .get(&third.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (untouched.status, untouched.captain_assigned),
        (CharterStatus::Booked, None)
    );

    // `dispatch ops revoke` ends the session: the next page load is refused.
    let ops = EmailAddress::parse("ops@example.com").unwrap();
    assert!(app.cascade.ops_revoke(&ops).await.unwrap() >= 1);
    go(d, &sid, &format!("{base}/ops")).await;
    wait_title(d, &sid, "This link does not work").await;
    let res = http
        .get(format!("{base}/ops"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    wd(d.port, "DELETE", &format!("/session/{sid}"), None).await;
}
