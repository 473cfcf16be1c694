//! The month-end jobs wired from settings against the faithful fake Google (RS256-checked token
//! exchange, bearer on every call, MIME parsed, multipart uploads): statements through Gmail with
//! last month's extra recipients found by a Gmail search, the report uploaded to a Drive folder
//! (a second run replaces it), and the roster synced from a native Google Sheet found by path.

use calamine::{Data, Reader, Xlsx};
use dispatch_core::config::{DriveKind, MailKind};
use dispatch_core::domain::*;
use dispatch_core::local::Local;
use dispatch_core::{Backend, Settings};
use serde_json::json;

use crate::fake;

const FOLDER: &str = "application/vnd.google-apps.folder";

struct G {
    world: fake::world::World,
    backend: Backend,
    settings: Settings,
    _data: tempfile::TempDir,
}

fn file(id: &str, name: &str, parent: &str, mime: &str) -> fake::FakeFile {
    fake::FakeFile {
        id: id.into(),
        name: name.into(),
        parents: vec![parent.into()],
        mime: mime.into(),
        content: vec![],
        trashed: false,
    }
}

async fn setup() -> G {
    let world = fake::world::World::new().await;
    let data = tempfile::tempdir().unwrap();
    let backend = Local::open_path(&data.path().join("db.sqlite3"), "", 3)
        .unwrap()
        .backend();
    backend.admin.bootstrap().await.unwrap();
    {
        let mut s = world.fake.state();
        s.files
            .push(file("f-jada", "JADA Business", "root", FOLDER));
        s.files.push(file("f-reports", "Reports", "f-jada", FOLDER));
        s.files.push(file("f-crew", "Crew", "f-jada", FOLDER));
    }
    let settings = Settings {
        data_dir: data.path().to_path_buf(),
        mail: MailKind::Gmail,
        drive: DriveKind::Google,
        google_key_file: Some(world.key_path.clone()),
        google_token_file: Some(world.dir.path().join("unified-token.json")),
        gmail_base_url: world.fake.base.clone(),
        drive_base_url: world.fake.base.clone(),
        sheets_base_url: world.fake.base.clone(),
        mail_from: fake::world::MAILBOX.into(),
        auditor_email: Some("auditor@example.com".into()),
        ops_emails: vec!["ops@example.com".into()],
        roster_year: Some(2024),
        ..Settings::default()
    };
    G {
        world,
        backend,
        settings,
        _data: data,
    }
}

async fn seed_month(b: &Backend) {
    let member = |id: &str, name: &str, captain: bool| CrewMember {
        crew_id: CrewId::parse(id).unwrap(),
        name: name.into(),
        email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
        phone: None,
        captain_certified: captain,
        available_dates: Default::default(),
        certifications: Default::default(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    };
    b.roster
        .upsert_batch(&[
            member("ana", "Ana Silva", true),
            member("bo", "Bo Lee", false),
        ])
        .await
        .unwrap();
    let charter = Charter {
        charter_id: CharterId::new_random(),
        created_at: "2024-04-01T00:00:00Z".into(),
        charter_date: CharterDate::parse("2024-05-03").unwrap(),
        vessel_name: "Sea Breeze".into(),
        captain_assigned: Some(CrewId::parse("ana").unwrap()),
        crew_assigned: vec![CrewId::parse("bo").unwrap()],
        guest_count: 6,
        guest_names: vec!["A. Guest".into()],
        reportable_revenue: Money::parse("1500.00").unwrap(),
        tips: Money::parse("100.01").unwrap(),
        status: CharterStatus::Staffed,
        crew_needed: Some(1),
    };
    b.charters.insert(&charter).await.unwrap();
}

fn cells(bytes: &[u8], tab: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    wb.worksheet_range(tab)
        .unwrap()
        .rows()
        .map(|r| r.to_vec())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_go_through_gmail_with_prior_recipients_and_never_twice() {
    let g = setup().await;
    seed_month(&g.backend).await;
    // April's statement to Bo went to his accountant as well.
    {
        let mut s = g.world.fake.state();
        s.sent.push(fake::SentMail {
            id: "m-april".into(),
            from: fake::world::MAILBOX.into(),
            to: vec!["bo@example.com".into(), "bo.accounts@example.com".into()],
            cc: vec!["auditor@example.com".into()],
            subject: "Crew statement April 2024 – Bo Lee".into(),
            ..Default::default()
        });
        // A mail whose subject shares words but is not the statement: not a source of recipients.
        s.sent.push(fake::SentMail {
            id: "m-other".into(),
            from: fake::world::MAILBOX.into(),
            to: vec!["stranger@example.com".into()],
            subject: "Re: Crew statement April 2024 – Bo Lee question".into(),
            ..Default::default()
        });
    }
    let ctx = dispatch::app::month_context(&g.settings, &g.backend).unwrap();
    let may = Month::parse("2024-05").unwrap();
    // Gmail fails the first send with a 503: retried inside the client, nothing lost or doubled.
    g.world.fake.fail_next(fake::Failure::Unavailable, 1);
    let out = dispatch::month::statements::send(&ctx, may).await.unwrap();
    assert_eq!(out.sent, ["ana", "bo"]);
    let (bo, ana) = {
        let s = g.world.fake.state();
        assert!(s.calls("gmail.list") >= 2, "a search per member");
        let find = |to: &str| {
            s.sent
                .iter()
                .find(|m| m.subject.contains("May 2024") && m.to[0] == to)
                .cloned()
                .unwrap()
        };
        (find("bo@example.com"), find("ana@example.com"))
    };
    assert_eq!(bo.to, ["bo@example.com", "bo.accounts@example.com"]);
    assert_eq!(bo.cc, ["auditor@example.com"]);
    assert_eq!(bo.subject, "Crew statement May 2024 – Bo Lee");
    assert_eq!(ana.to, ["ana@example.com"]);
    let (name, ctype, bytes) = &bo.attachments[0];
    assert_eq!(name, "Statement 2024-05 Bo Lee.xlsx");
    assert!(
        ctype.starts_with("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "{ctype}"
    );
    let rows = cells(bytes, "May 2024");
    let flat: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
    assert!(flat.iter().any(|c| c == "Sea Breeze"), "{flat:?}");
    assert!(
        flat.iter().any(|c| c == "50"),
        "Bo's half of 100.01 is 50.00 (Ana gets the cent): {flat:?}"
    );

    // The job retried or replayed: nothing is sent again.
    let before = g.world.fake.state().sent.len();
    let again = dispatch::month::statements::send(&ctx, may).await.unwrap();
    assert_eq!(again.already_sent, ["ana", "bo"]);
    assert_eq!(g.world.fake.state().sent.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_lands_in_the_drive_folder_once_and_is_shared() {
    let g = setup().await;
    seed_month(&g.backend).await;
    let ctx = dispatch::app::month_context(&g.settings, &g.backend).unwrap();
    let may = Month::parse("2024-05").unwrap();
    let first = dispatch::month::report::run_report(&ctx, may, &mut |_| {})
        .await
        .unwrap();
    let second = dispatch::month::report::run_report(&ctx, may, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(first.file.id, second.file.id, "replaced, not duplicated");
    let s = g.world.fake.state();
    let reports: Vec<&fake::FakeFile> = s
        .files
        .iter()
        .filter(|f| f.parents == ["f-reports"])
        .collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].name, "Revenue 2024-05.xlsx");
    assert_eq!(s.calls("drive.create"), 1);
    assert_eq!(s.calls("drive.update"), 1);
    let rows = cells(&reports[0].content, "May 2024");
    assert_eq!(rows.len(), 4, "title, header, the charter, the total");
    assert!(s
        .permissions
        .iter()
        .any(|p| p.file_id == reports[0].id && p.email == "ops@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_syncs_from_a_native_google_sheet_found_by_path() {
    let g = setup().await;
    {
        let mut s = g.world.fake.state();
        s.files.push(file(
            "sheet-1",
            "Crew Availability",
            "f-crew",
            "application/vnd.google-apps.spreadsheet",
        ));
        s.sheets.insert(
            "sheet-1".into(),
            vec![
                (
                    "Roster".into(),
                    vec![
                        vec![json!("Crew roster 2024")],
                        vec![],
                        vec![json!("Name"), json!("E-mail"), json!("Captain")],
                        vec![json!("Ana Silva"), json!("ana@example.com"), json!("yes")],
                        vec![json!("Bo Lee"), json!("bo@example")],
                    ],
                ),
                (
                    "Available".into(),
                    vec![vec![json!("Ana Silva"), json!(45415), json!("5/4-5/5")]],
                ),
            ],
        );
    }
    let ctx = dispatch::app::month_context(&g.settings, &g.backend).unwrap();
    let report = dispatch::month::roster::sync(&ctx, None).await.unwrap();
    assert_eq!(report.created.len(), 1, "{report}");
    assert_eq!(report.problems.len(), 1);
    assert_eq!(
        (
            report.problems[0].tab.as_str(),
            report.problems[0].cell.as_str()
        ),
        ("Roster", "B5")
    );
    let ana = g.backend.roster.list().await.unwrap().items.pop().unwrap();
    assert_eq!(ana.name, "Ana Silva");
    assert_eq!(ana.available_dates.len(), 3);
    let again = dispatch::month::roster::sync(&ctx, None).await.unwrap();
    assert_eq!(
        (again.created.len(), again.updated.len(), again.batches),
        (0, 0, 0)
    );
}
