//! What crew do themselves, in headless Chromium at 390×844, each page checked with axe-core
//! (vendored in `tests/web/vendor`, MPL-2.0): "I can't make it" (a replacement accepts, the
//! member is released with a cancelling calendar entry of the same UID), availability on the
//! embedded roster, and "e-mail me a new link" from the broken-link page.

use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use serde_json::json;

use crate::common::{charter, member, TestApp};
use crate::webdriver::{phone_session, source, start_driver, wd, Driver};

const AXE: &str = include_str!("vendor/axe.min.js");

/// The element `css` selects (panics naming it when there is none).
pub(crate) async fn find(d: &Driver, sid: &str, css: &str) -> String {
    let el = wd(
        d.port,
        "POST",
        &format!("/session/{sid}/element"),
        Some(json!({"using": "css selector", "value": css})),
    )
    .await;
    el["value"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no `{css}`: {el}"))
        .to_string()
}

pub(crate) async fn click(d: &Driver, sid: &str, css: &str) {
    let eid = find(d, sid, css).await;
    wd(
        d.port,
        "POST",
        &format!("/session/{sid}/element/{eid}/click"),
        Some(json!({})),
    )
    .await;
}

async fn type_in(d: &Driver, sid: &str, css: &str, text: &str) {
    let eid = find(d, sid, css).await;
    wd(
        d.port,
        "POST",
        &format!("/session/{sid}/element/{eid}/value"),
        Some(json!({"text": text})),
    )
    .await;
}

pub(crate) async fn open(d: &Driver, sid: &str, url: &str) {
    wd(
        d.port,
        "POST",
        &format!("/session/{sid}/url"),
        Some(json!({"url": url})),
    )
    .await;
}

/// The page source once it contains `text` (20 s at most).
pub(crate) async fn wait_for(d: &Driver, sid: &str, text: &str) -> String {
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let src = source(d, sid).await;
        if src.contains(text) {
            return src;
        }
        assert!(tokio::time::Instant::now() < end, "no `{text}` in {src}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// axe-core's WCAG 2 A/AA rules find nothing on the page shown.
pub(crate) async fn axe_clean(d: &Driver, sid: &str, what: &str) {
    let script = format!(
        "{AXE}\n;const done = arguments[arguments.length - 1];\
         axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}}}})\
         .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.map(n => n.html).join(' | ') + ')')))\
         .catch(e => done(['axe failed: ' + e]));"
    );
    let out = wd(
        d.port,
        "POST",
        &format!("/session/{sid}/execute/async"),
        Some(json!({"script": script, "args": []})),
    )
    .await;
    let found = out["value"]
        .as_array()
        .unwrap_or_else(|| panic!("axe on {what}: {out}"));
    assert!(found.is_empty(), "axe on {what}: {found:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crew_give_back_a_charter_mark_their_days_and_get_a_new_link() {
    let app = TestApp::local()
        .tune(|cfg| cfg.office_phone = Some("+1 555 0100".into()))
        .serve()
        .build()
        .await;
    let (backend, cascade, base) = (app.backend(), &app.cascade, &app.base);
    let day = |n: u64| {
        (Utc::now().date_naive() + chrono::Days::new(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (d10, d11, d12) = (day(10), day(11), day(12));
    let mut ana = member("crew-ana", true, false, &[&d10, &d11]);
    ana.name = "Ana Silva".into();
    let mut ben = member("crew-ben", true, false, &[&d10, &d11]);
    ben.name = "Ben Okoro".into();
    backend
        .roster
        .upsert_batch(&[ana.clone(), ben.clone()])
        .await
        .unwrap();
    let c = charter(&d10, 4, Some(0));
    backend.charters.insert(&c).await.unwrap();
    cascade.reconcile(&c.charter_id).await.unwrap();
    let first = app.open_offers(std::slice::from_ref(&c)).await.remove(0);
    app.accept(&first).await.unwrap();
    let (who, other) = if first.crew_id == ana.crew_id {
        (&ana, &ben)
    } else {
        (&ben, &ana)
    };

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let sid = phone_session(&driver, profile.path()).await;
    let page = cascade.page_link(&who.crew_id);
    open(&driver, &sid, &page).await;
    wait_for(&driver, &sid, "I can't make it").await;
    axe_clean(&driver, &sid, "the member's page").await;

    // "I can't make it", with a reason: still theirs until someone takes it.
    click(&driver, &sid, "details summary").await;
    type_in(&driver, &sid, "textarea[name=reason]", "Family emergency").await;
    click(&driver, &sid, "details form button").await;
    wait_for(&driver, &sid, "still yours until someone takes it").await;
    axe_clean(&driver, &sid, "the page after I can't make it").await;
    assert_eq!(app.mails_to("mail#drop#"), 1, "ops told at once");
    let open_now = app.open_offers(std::slice::from_ref(&c)).await;
    assert_eq!(open_now.len(), 1);
    assert_eq!(open_now[0].crew_id, other.crew_id);
    // The replacement accepts: the member is released and told, with a METHOD:CANCEL entry of
    // the same UID as their confirmation's.
    app.accept(&open_now[0]).await.unwrap();
    let after = backend.charters.get(&c.charter_id).await.unwrap().unwrap();
    assert_eq!(after.captain_assigned.as_ref(), Some(&other.crew_id));
    let read = |key: &str| {
        let flat = std::fs::read_to_string(app.outbox.file_for(key)).unwrap();
        flat.replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    };
    let released = read(&format!("mail#let_go#{}", first.offer_id));
    let uid = format!("UID:{}-{}@crew-dispatch", c.charter_id, who.crew_id);
    assert!(
        released.contains("METHOD:CANCEL") && released.contains(&uid),
        "{released}"
    );
    assert!(read(&format!("mail#confirm#{}", first.offer_id)).contains(&uid));
    open(&driver, &sid, &page).await;
    let mine = wait_for(&driver, &sid, "Your upcoming charters").await;
    assert!(
        !mine.contains("I can't make it</summary>"),
        "nothing left to give back: {mine}"
    );

    // Availability: take d11 away, add d12 (the embedded roster changes).
    click(&driver, &sid, &format!("input[name=d{d11}]")).await;
    click(&driver, &sid, &format!("input[name=d{d12}]")).await;
    click(&driver, &sid, "#availability + form button").await;
    wait_for(&driver, &sid, "Saved: 1 day(s) added, 1 day(s) taken away.").await;
    axe_clean(&driver, &sid, "the page after saving availability").await;
    let stored = backend.roster.get(&who.crew_id).await.unwrap().unwrap();
    let date = |s: &str| CharterDate::parse(s).unwrap();
    assert!(
        stored.is_available(date(&d12)) && !stored.is_available(date(&d11)),
        "{stored:?}"
    );

    // A broken link: the plain page with "e-mail me a new link".
    open(&driver, &sid, &format!("{base}/p/not-a-link")).await;
    wait_for(&driver, &sid, "E-mail me a new link").await;
    axe_clean(&driver, &sid, "the broken-link page").await;
    let before = app.mails_to(&format!("mail#page_link#{}#", who.crew_id));
    type_in(&driver, &sid, "#email", who.email.as_str()).await;
    click(&driver, &sid, "form button").await;
    wait_for(&driver, &sid, "Check your e-mail").await;
    axe_clean(&driver, &sid, "the new-link answer").await;
    assert_eq!(
        app.mails_to(&format!("mail#page_link#{}#", who.crew_id)),
        before + 1
    );
    wd(driver.port, "DELETE", &format!("/session/{sid}"), None).await;
}
