//! Availability with the Sheet as the source of truth, in headless Chromium: the member changes
//! a day on their page, the change is written to the fake Google's sheet (Sheets `values.update`,
//! checked as Google checks it) and to the roster, and the sheet reads back (as the next roster
//! sync reads it) with the member's new days. Without a Sheet the roster alone changes
//! ([`crate::crew_browser`]).

use chrono::{Datelike, Utc};
use std::sync::Arc;

use dispatch::app::availability::{QueuedForWorker, SheetAvailability};
use dispatch_cascade::crew::availability::set_days;
use dispatch_cascade::jobs::CascadeJobs;
use dispatch_cascade::Cascade;
use dispatch_core::config::DriveKind;
use dispatch_core::domain::*;
use dispatch_core::ports::QueueId;
use dispatch_core::Settings;
use dispatch_google::sheets::SheetsClient;
use dispatch_ingest::worker::JobHandler;
use dispatch_reporting::sheet::roster::read_sheet;
use dispatch_reporting::sheet::Tab;
use serde_json::json;

use crate::common::{member, TestApp};
use crate::crew_browser::{axe_clean, click, open, wait_for};
use crate::fake;
use crate::webdriver::{phone_session, start_driver};

const SHEET: &str = "sheet-availability";

/// The fake's sheet: Ana and Ben on the roster, available on `d10` (Ana on `d11` too).
fn seed_sheet(g: &fake::world::World, d10: &str, d11: &str) {
    g.fake.state().sheets.insert(
        SHEET.into(),
        vec![
            (
                "Roster".into(),
                vec![
                    vec![json!("Name"), json!("Email"), json!("Crew id")],
                    vec![
                        json!("Ana Silva"),
                        json!("crew-ana@example.com"),
                        json!("crew-ana"),
                    ],
                    vec![
                        json!("Ben Okoro"),
                        json!("crew-ben@example.com"),
                        json!("crew-ben"),
                    ],
                ],
            ),
            (
                "Available".into(),
                vec![
                    vec![json!("Member"), json!("Dates")],
                    vec![json!("Ana Silva"), json!(d10), json!(d11)],
                    vec![json!("Ben Okoro"), json!(d10)],
                ],
            ),
        ],
    );
}

/// Settings naming the fake's sheet as the availability Sheet.
fn sheet_settings(g: &fake::world::World) -> Settings {
    Settings {
        drive: DriveKind::Google,
        roster_sheet: format!("id:{SHEET}"),
        sheets_base_url: g.fake.base.clone(),
        drive_base_url: g.fake.base.clone(),
        mail_from: fake::world::MAILBOX.into(),
        ..Settings::default()
    }
}

fn day(n: u64) -> String {
    (Utc::now().date_naive() + chrono::Days::new(n))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_changed_on_the_page_is_written_to_the_sheet_the_sync_reads() {
    let g = fake::world::World::new().await;
    let (d10, d11, d12) = (day(10), day(11), day(12));
    seed_sheet(&g, &d10, &d11);
    let settings = sheet_settings(&g);
    let sheet = SheetAvailability::of(&settings, g.tokens())
        .unwrap()
        .expect("drive = google: the Sheet is the source");
    let app = TestApp::local()
        .availability_sheet(sheet)
        .serve()
        .build()
        .await;
    let mut ana = member("crew-ana", false, true, &[&d10, &d11]);
    ana.name = "Ana Silva".into();
    app.backend()
        .roster
        .upsert_batch(&[ana.clone()])
        .await
        .unwrap();

    let driver = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let sid = phone_session(&driver, profile.path()).await;
    open(&driver, &sid, &app.cascade.page_link(&ana.crew_id)).await;
    wait_for(&driver, &sid, &format!("name=\"d{d11}\"")).await;
    // Take d11 away, add d12.
    click(&driver, &sid, &format!("input[name=d{d11}]")).await;
    click(&driver, &sid, &format!("input[name=d{d12}]")).await;
    click(&driver, &sid, "#availability + form button").await;
    wait_for(&driver, &sid, "Saved: 1 day(s) added, 1 day(s) taken away.").await;
    axe_clean(
        &driver,
        &sid,
        "the page after saving availability to the Sheet",
    )
    .await;

    // The fake's sheet: Ana's row has her days now, Ben's is untouched.
    let available = {
        let s = g.fake.state();
        assert_eq!(s.calls("sheets.valuesUpdate"), 1, "{:?}", s.sheet_updates);
        assert_eq!(s.sheet_updates[0].1, "'Available'!B2:C2");
        s.sheets[SHEET][1].1.clone()
    };
    assert_eq!(
        available[1..],
        [
            vec![json!("Ana Silva"), json!(d10.clone()), json!(d12.clone())],
            vec![json!("Ben Okoro"), json!(d10.clone())],
        ]
    );
    // The roster too, so the page shows it at once.
    let date = |s: &str| CharterDate::parse(s).unwrap();
    let stored = app
        .backend()
        .roster
        .get(&ana.crew_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.available_dates, [date(&d10), date(&d12)].into());
    // What the next sync reads from the sheet.
    let sheets = SheetsClient::new(&g.fake.base, g.tokens(), g.http()).unwrap();
    let tabs: Vec<Tab> = sheets
        .read_all(SHEET)
        .await
        .unwrap()
        .iter()
        .map(|t| Tab::from_json(&t.title, &t.rows))
        .collect();
    let read = read_sheet(&tabs, Utc::now().year());
    let ana_read = read
        .members
        .iter()
        .find(|m| m.crew_id == ana.crew_id)
        .unwrap();
    assert_eq!(ana_read.available_dates, stored.available_dates);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
}

/// The web function holds no Google key: the change is queued, and the worker's cascade (with
/// the Sheet) writes the member's days as the roster has them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_google_key_the_change_is_queued_for_the_worker_that_writes_the_sheet() {
    let g = fake::world::World::new().await;
    let (d10, d11, d12) = (day(10), day(11), day(12));
    seed_sheet(&g, &d10, &d11);
    let world = crate::common::World::local().await;
    let queued = Arc::new(QueuedForWorker {
        backend: world.backend.clone(),
    });
    let app = TestApp::local()
        .world(world)
        .availability_sheet(queued)
        .build()
        .await;
    let mut ana = member("crew-ana", false, true, &[&d10, &d11]);
    ana.name = "Ana Silva".into();
    app.backend()
        .roster
        .upsert_batch(&[ana.clone()])
        .await
        .unwrap();
    let date = |s: &str| CharterDate::parse(s).unwrap();
    let ticked = [date(&d10), date(&d12)].into();
    set_days(&app.cascade, &ana, &ticked).await.unwrap();
    // Queued (a few seconds out), the roster written, the sheet not yet.
    let q = app.backend().queues.depth(QueueId::Cascade).await.unwrap();
    assert_eq!(q.delayed + q.visible, 1);
    assert_eq!(g.fake.state().calls("sheets.valuesUpdate"), 0);
    let stored = app
        .backend()
        .roster
        .get(&ana.crew_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.available_dates, ticked);

    // The worker: its cascade has the Sheet; the job writes what the roster says.
    let sheet = SheetAvailability::of(&sheet_settings(&g), g.tokens())
        .unwrap()
        .unwrap();
    let worker = Arc::new(Cascade {
        backend: app.backend().clone(),
        mailer: app.mailer.clone(),
        links: crate::common::app::test_links(),
        cfg: app.cascade.cfg.clone(),
        idem: app.cascade.idem,
        clock: Arc::new(dispatch_core::clock::SystemClock),
        availability_sheet: Some(sheet),
    });
    let job = JobEnvelope::new(
        JobKind::AvailabilityToSheet,
        "availability_to_sheet#crew-ana#1",
        json!({"crew_id": "crew-ana"}),
    );
    let out = JobHandler::handle(&CascadeJobs(worker), &job)
        .await
        .unwrap();
    assert_eq!(out, json!({"written": true}));
    let s = g.fake.state();
    assert_eq!(s.calls("sheets.valuesUpdate"), 1);
    assert_eq!(
        s.sheets[SHEET][1].1[1],
        vec![json!("Ana Silva"), json!(d10), json!(d12)]
    );
}
