//! End to end in a real browser: headless Chromium (Debian's `chromium`, driven through
//! `chromedriver` over WebDriver) opens a magic link from the outbox, presses Accept, and the
//! charter shows the member assigned. `scripts/test` installs Chromium when it is missing; here a
//! missing browser fails the test, it never skips it.

use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use serde_json::json;

use crate::common::TestApp;
use crate::ics::{ics_attachment, ics_events, ics_utc};
use crate::scene::ops_board_scene;
use crate::webdriver::{phone_session, screenshot, source, start_driver, wd};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crew_member_lands_on_the_mailed_offer_accepts_it_and_sees_it_named() {
    let zone = dispatch_core::zone::BusinessZone::parse("America/Los_Angeles").unwrap();
    let app = TestApp::local()
        .zone("America/Los_Angeles")
        .tune(|cfg| {
            cfg.office_phone = Some("+1 555 0100".into());
            for (vessel, start, meet) in [
                ("Sea Breeze", "08:30", "Harbor Marina, Dock B"),
                ("Marlin", "13:00", "Fuel dock, slip 2"),
            ] {
                cfg.vessels.insert(
                    vessel.into(),
                    dispatch_core::config::VesselConfig {
                        start_time: Some(start.into()),
                        meeting_point: Some(meet.into()),
                        crew_needed: Some(1),
                        ..Default::default()
                    },
                );
            }
        })
        .serve()
        .build()
        .await;
    let (world, outbox, base, cascade) = (&app.world, &app.outbox, &app.base, &app.cascade);

    let today = zone.today(Utc::now());
    let on = |n: i64| CharterDate::from_naive(today.naive() + chrono::Duration::days(n));
    let member = |id: &str, name: &str, captain: bool| CrewMember {
        crew_id: CrewId::parse(id).unwrap(),
        name: name.into(),
        email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
        phone: None,
        captain_certified: captain,
        available_dates: (3..12).map(on).collect(),
        certifications: ["deckhand".to_string()].into(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    };
    world
        .backend
        .roster
        .upsert_batch(&[
            member("crew-ana", "Ana Silva", true),
            member("crew-ben", "Ben Okoro", false),
        ])
        .await
        .unwrap();
    let charter = |date: CharterDate, vessel: &str, captain: Option<&str>| Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: date,
        vessel_name: vessel.into(),
        captain_assigned: captain.map(|c| CrewId::parse(c).unwrap()),
        crew_assigned: vec![],
        guest_count: 10,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: Some(1),
    };
    // Ana gets two captain offers; the mail of the later one is the one she opens. Ben is
    // already on the later charter as crew, so she sees who is aboard.
    let earlier = charter(on(4), "Marlin", None);
    let mut later = charter(on(8), "Sea Breeze", None);
    later.crew_assigned = vec![CrewId::parse("crew-ben").unwrap()];
    for c in [&earlier, &later] {
        world.backend.charters.insert(c).await.unwrap();
        cascade.reconcile(&c.charter_id).await.unwrap();
    }
    let offer = world
        .backend
        .offers
        .for_charter(&later.charter_id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(offer.crew_id.as_str(), "crew-ana");
    let mail = outbox
        .files()
        .into_iter()
        .find(|f| {
            f.to_string_lossy()
                .contains(&format!("mail_offer_{}", offer.offer_id))
        })
        .expect("the offer mail");
    let link = dispatch::demo::link_in_mail(&std::fs::read_to_string(&mail).unwrap())
        .expect("a link in the offer mail");
    assert!(link.starts_with(&format!("{base}/o/")), "{link}");

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let sid = phone_session(&driver, profile.path()).await;
    wd(
        driver.port,
        "POST",
        &format!("/session/{sid}/url"),
        Some(json!({"url": link})),
    )
    .await;
    let page = source(&driver, &sid).await;
    assert!(page.contains("Hello, Ana"), "{page}");
    // The mailed offer is first and alone, with its details.
    let first_section = page.find("<section").expect("a section");
    assert_eq!(
        page[first_section..].find(&format!("class=\"focus\" id=\"offer-{}\"", offer.offer_id)),
        Some("<section ".len()),
        "the mailed offer is the first section: {page}"
    );
    assert!(
        page.contains("Report at <b>08:30 P")
            && page.contains("Harbor Marina, Dock B")
            && page.contains("Aboard: Ben"),
        "{page}"
    );
    let shot = screenshot(&driver, &sid, "crew-page-offer").await;
    println!("screenshot: {}", shot.display());

    let el = wd(driver.port, "POST", &format!("/session/{sid}/element"), Some(json!({"using": "css selector", "value": format!("#offer-{} button.accept", offer.offer_id)}))).await;
    let eid = el["value"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no Accept button: {el}"))
        .to_string();
    wd(
        driver.port,
        "POST",
        &format!("/session/{sid}/element/{eid}/click"),
        Some(json!({})),
    )
    .await;
    let named = format!(
        "You are confirmed as captain for {} aboard Sea Breeze",
        dispatch_core::zone::format_date(later.charter_date)
    );
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    let after = loop {
        let src = source(&driver, &sid).await;
        if src.contains(&named) {
            break src;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "no confirmation naming the charter: {src}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(after.contains("Your upcoming charters"), "{after}");
    let shot = screenshot(&driver, &sid, "crew-page-confirmed").await;
    println!("screenshot: {}", shot.display());
    wd(driver.port, "DELETE", &format!("/session/{sid}"), None).await;
    let now = world
        .backend
        .charters
        .get(&later.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        now.captain_assigned.as_ref().map(|c| c.as_str()),
        Some("crew-ana")
    );
    // The confirmation mail's calendar entry holds the local start time.
    let confirm = outbox
        .files()
        .into_iter()
        .find(|f| {
            f.to_string_lossy()
                .contains(&format!("mail_confirm_{}", offer.offer_id))
        })
        .expect("a confirmation mail");
    let ics = ics_attachment(&std::fs::read_to_string(confirm).unwrap()).expect("an .ics");
    let events = ics_events(&ics);
    let start = ics_utc(&events[0].1);
    assert_eq!(zone.today(start), later.charter_date);
    assert!(zone.format_clock(start).starts_with("08:30 P"), "{ics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_board_lists_the_charter_needing_attention_first() {
    let app = TestApp::local().serve().build().await;
    let (waiting, stuck, link) = ops_board_scene(&app).await;

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=390,844",
                 format!("--user-data-dir={}", profile.path().display())]
    }}}});
    let session = wd(driver.port, "POST", "/session", Some(caps)).await;
    let sid = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {session}"))
        .to_string();
    wd(
        driver.port,
        "POST",
        &format!("/session/{sid}/url"),
        Some(json!({"url": link})),
    )
    .await;
    // The mailed link signs its person in: press the one button.
    let button = wd(
        driver.port,
        "POST",
        &format!("/session/{sid}/element"),
        Some(json!({"using": "css selector", "value": "form button"})),
    )
    .await;
    let button = button["value"]
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no sign-in button: {button}"))
        .to_string();
    wd(
        driver.port,
        "POST",
        &format!("/session/{sid}/element/{button}/click"),
        Some(json!({})),
    )
    .await;
    let title = wd(driver.port, "GET", &format!("/session/{sid}/title"), None).await;
    assert_eq!(title["value"], "Ops board", "{title}");
    // Every charter card in page order, as the browser laid it out.
    let found = wd(
        driver.port,
        "POST",
        &format!("/session/{sid}/elements"),
        Some(json!({"using": "css selector", "value": "section.charter"})),
    )
    .await;
    let cards: Vec<String> = found["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no cards: {found}"))
        .iter()
        .filter_map(|e| {
            e.as_object()
                .and_then(|o| o.values().next())
                .and_then(|v| v.as_str())
                .map(String::from)
        })
        .collect();
    assert_eq!(cards.len(), 2, "{found}");
    let mut shown = Vec::new();
    for eid in &cards {
        let id = wd(
            driver.port,
            "GET",
            &format!("/session/{sid}/element/{eid}/attribute/data-charter-id"),
            None,
        )
        .await;
        let text = wd(
            driver.port,
            "GET",
            &format!("/session/{sid}/element/{eid}/text"),
            None,
        )
        .await;
        shown.push((
            id["value"].as_str().unwrap_or("").to_string(),
            text["value"].as_str().unwrap_or("").to_string(),
        ));
    }
    wd(driver.port, "DELETE", &format!("/session/{sid}"), None).await;
    assert_eq!(shown[0].0, stuck.charter_id.as_str(), "{shown:?}");
    assert!(shown[0].1.contains("Needs attention"), "{shown:?}");
    assert!(
        shown[0].1.contains("declined this charter: Ben Ortiz"),
        "{shown:?}"
    );
    assert_eq!(shown[1].0, waiting.charter_id.as_str(), "{shown:?}");
    assert!(
        shown[1].1.contains("Waiting on Ana Silva (captain) until"),
        "{shown:?}"
    );
}
