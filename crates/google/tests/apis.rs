//! Gmail, Drive and Sheets clients against the fake: what is sent, paging, upserts, sharing,
//! retries.

mod fake;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dispatch_google::drive::FOLDER_MIME;
use dispatch_google::mime::{statement_mime, Statement, XLSX_CONTENT_TYPE};
use dispatch_google::{
    AccessToken, DriveClient, DriveConfig, GmailClient, GoogleError, SheetsClient, TokenSource,
};
use fake::world::{World, MAILBOX};
use fake::{Failure, FakeFile};

/// A tiny stand-in workbook (zip magic and a little more).
const XLSX: &[u8] = b"PK\x03\x04\x14\x00\x06\x00 tiny workbook bytes \x00\xff";

fn gmail(w: &World) -> GmailClient {
    GmailClient::new(&w.fake.base, w.tokens(), w.http()).unwrap()
}

fn drive(w: &World, shared_drive: Option<&str>) -> DriveClient {
    let cfg = DriveConfig {
        base: w.fake.base.clone(),
        upload_base: w.fake.base.clone(),
        shared_drive_id: shared_drive.map(str::to_owned),
        http: w.http(),
        ..DriveConfig::default()
    };
    DriveClient::new(cfg, w.tokens()).unwrap()
}

fn statement(to: &[String], cc: &[String], subject: &str) -> Vec<u8> {
    statement_mime(&Statement {
        from: MAILBOX,
        to,
        cc,
        subject,
        body: "Your October statement is attached.",
        attachment_name: "Crew 2026-10.xlsx",
        attachment: XLSX,
    })
    .unwrap()
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn sent_statement_has_recipients_subject_and_xlsx_attachment() {
    let w = World::new().await;
    let to = strings(&["ana@crew.example", "ben@crew.example"]);
    let cc = strings(&["books@jada.example"]);
    let id = gmail(&w)
        .send_raw(&statement(&to, &cc, "Crew statement 2026-10"))
        .await
        .unwrap();
    let s = w.fake.state();
    let [mail] = s.sent.as_slice() else {
        panic!("one mail sent, got {}", s.sent.len())
    };
    assert_eq!(mail.id, id);
    assert_eq!(mail.to, to);
    assert_eq!(mail.cc, cc);
    assert_eq!(mail.subject, "Crew statement 2026-10");
    assert!(mail.text.contains("October statement"));
    let [(name, ctype, bytes)] = mail.attachments.as_slice() else {
        panic!("one attachment")
    };
    assert_eq!(name, "Crew 2026-10.xlsx");
    assert_eq!(ctype, XLSX_CONTENT_TYPE);
    assert_eq!(bytes.as_slice(), XLSX);
}

#[tokio::test]
async fn search_pages_and_metadata_finds_prior_recipients() {
    let w = World::new().await;
    let g = gmail(&w);
    for (to, cc) in [
        ("ana@crew.example", "books@jada.example"),
        ("ben@crew.example", ""),
        ("ana@crew.example", ""),
    ] {
        let cc: Vec<String> = if cc.is_empty() {
            vec![]
        } else {
            strings(&[cc])
        };
        g.send_raw(&statement(&strings(&[to]), &cc, "Crew statement"))
            .await
            .unwrap();
    }
    w.fake.state().page_size = 1;
    let ids = g.search("to:ana@crew.example").await.unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        w.fake.state().calls("gmail.list"),
        2,
        "two pages of one id each, following nextPageToken"
    );
    let meta = g.get_metadata(&ids[0], &["To", "Cc"]).await.unwrap();
    assert_eq!(meta.header("to"), vec!["ana@crew.example"]);
    assert_eq!(meta.header("Cc"), vec!["books@jada.example"]);
    assert!(
        meta.header("Subject").is_empty(),
        "only the asked-for headers come back"
    );
    assert_eq!(
        g.search("to:nobody@crew.example").await.unwrap(),
        Vec::<String>::new()
    );
}

fn folder(id: &str, name: &str, parent: &str) -> FakeFile {
    FakeFile {
        id: id.into(),
        name: name.into(),
        parents: vec![parent.into()],
        mime: FOLDER_MIME.into(),
        content: vec![],
        trashed: false,
    }
}

#[tokio::test]
async fn upsert_replaces_the_months_file_instead_of_duplicating() {
    let w = World::new().await;
    {
        let mut s = w.fake.state();
        s.shared_drive_id = Some("drive-1".into());
        s.files.push(folder("f-jada", "JADA Business", "drive-1"));
        s.files.push(folder("f-crew", "Crew", "f-jada"));
    }
    let d = drive(&w, Some("drive-1"));
    let crew = d.find_folder("JADA Business/Crew").await.unwrap();
    assert_eq!(crew, "f-crew");
    let name = "O'Brien 2026-10.xlsx";
    let first = d
        .upsert_file(&crew, name, XLSX_CONTENT_TYPE, b"first")
        .await
        .unwrap();
    let second = d
        .upsert_file(&crew, name, XLSX_CONTENT_TYPE, b"second")
        .await
        .unwrap();
    assert_eq!(first.id, second.id);
    let s = w.fake.state();
    let files: Vec<&FakeFile> = s.files.iter().filter(|f| f.name == name).collect();
    assert_eq!(files.len(), 1, "one file, not a duplicate");
    assert_eq!(files[0].content, b"second");
    assert_eq!(files[0].parents, vec!["f-crew".to_owned()]);
    assert_eq!(files[0].mime, XLSX_CONTENT_TYPE);
    assert_eq!((s.calls("drive.create"), s.calls("drive.update")), (1, 1));
}

#[tokio::test]
async fn drive_lists_page_and_missing_folder_is_an_error() {
    let w = World::new().await;
    {
        let mut s = w.fake.state();
        for i in 0..5 {
            s.files.push(folder(&format!("dup-{i}"), "Crew", "root"));
        }
    }
    let d = drive(&w, None);
    assert_eq!(
        d.list_named("root", "Crew", Some(FOLDER_MIME))
            .await
            .unwrap()
            .len(),
        5
    );
    assert_eq!(w.fake.state().calls("drive.list"), 3, "pages of two");
    let err = d.find_folder("JADA Business/Crew").await.unwrap_err();
    assert!(matches!(err, GoogleError::FolderNotFound(_)), "{err}");
}

#[tokio::test]
async fn share_creates_permissions_one_at_a_time() {
    let w = World::new().await;
    let d = drive(&w, None);
    let f = d
        .create_file("root", "Crew 2026-10.xlsx", XLSX_CONTENT_TYPE, XLSX)
        .await
        .unwrap();
    let emails = strings(&["ana@crew.example", "ben@crew.example", "cy@crew.example"]);
    let ids = d.share(&f.id, &emails, false).await.unwrap();
    assert_eq!(ids.len(), 3);
    let s = w.fake.state();
    let got: Vec<&str> = s.permissions.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(
        got,
        ["ana@crew.example", "ben@crew.example", "cy@crew.example"]
    );
    assert!(s
        .permissions
        .iter()
        .all(|p| !p.notify && p.role == "reader" && p.file_id == f.id));
    assert_eq!(s.perm_max_in_flight, 1);
}

#[tokio::test]
async fn sheets_reads_every_tab_in_one_batch_get_with_ragged_rows() {
    let w = World::new().await;
    let roster = vec![
        vec![serde_json::json!("Name"), serde_json::json!("Start")],
        vec![serde_json::json!("Ana"), serde_json::json!(46000)],
        vec![serde_json::json!("Ben")],
    ];
    let rates = vec![vec![
        serde_json::json!("Rate"),
        serde_json::json!(12.5),
        serde_json::json!(true),
    ]];
    w.fake.state().sheets.insert(
        "sheet-1".into(),
        vec![
            ("Roster".into(), roster.clone()),
            ("O'Hara rates".into(), rates.clone()),
            ("Empty".into(), vec![]),
        ],
    );
    let sheets = SheetsClient::new(&w.fake.base, w.tokens(), w.http()).unwrap();
    let tabs = sheets.read_all("sheet-1").await.unwrap();
    let got: Vec<(&str, &Vec<Vec<serde_json::Value>>)> =
        tabs.iter().map(|t| (t.title.as_str(), &t.rows)).collect();
    assert_eq!(
        got,
        vec![
            ("Roster", &roster),
            ("O'Hara rates", &rates),
            ("Empty", &vec![])
        ]
    );
    let s = w.fake.state();
    assert_eq!((s.calls("sheets.get"), s.calls("sheets.batchGet")), (1, 1));
}

#[tokio::test]
async fn sheets_values_update_writes_a_range_read_back_by_the_next_batch_get() {
    let w = World::new().await;
    let j = |v: &str| serde_json::json!(v);
    w.fake.state().sheets.insert(
        "sheet-1".into(),
        vec![(
            "O'Hara days".into(),
            vec![vec![j("Ana"), j("May 3"), j("May 4"), j("May 5")]],
        )],
    );
    let sheets = SheetsClient::new(&w.fake.base, w.tokens(), w.http()).unwrap();
    let row = |cells: &[&str]| vec![cells.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    sheets
        .update(
            "sheet-1",
            "O'Hara days",
            "B1:D1",
            &row(&["2026-05-09", "", ""]),
        )
        .await
        .unwrap();
    let tabs = sheets.read_all("sheet-1").await.unwrap();
    assert_eq!(
        tabs[0].rows,
        vec![vec![j("Ana"), j("2026-05-09")]],
        "blanks dropped"
    );
    {
        let s = w.fake.state();
        assert_eq!(s.calls("sheets.valuesUpdate"), 1);
        assert_eq!(s.sheet_updates[0].1, "'O''Hara days'!B1:D1");
    }
    // What Google refuses: more cells than the range, a tab that is not there.
    let e = sheets
        .update("sheet-1", "O'Hara days", "B1:C1", &row(&["a", "b", "c"]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("tried writing to column"), "{e}");
    let e = sheets
        .update("sheet-1", "Nope", "A1", &row(&["a"]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Unable to parse range"), "{e}");
    // A token with the read-only Sheets scope alone may not write.
    let readonly = Arc::new(dispatch_google::auth::JwtTokenSource::new(
        w.key(),
        &[dispatch_google::auth::key::SCOPE_SHEETS_READONLY],
        Some(MAILBOX.to_owned()),
    ));
    let reader = SheetsClient::new(&w.fake.base, readonly, w.http()).unwrap();
    let e = reader
        .update("sheet-1", "O'Hara days", "B1", &row(&["x"]))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("insufficient authentication scopes"),
        "{e}"
    );
    assert_eq!(
        w.fake.state().sheet_updates.len(),
        1,
        "nothing else written"
    );
}

async fn send_with(w: &World, failure: Failure, n: usize) -> (Result<String, GoogleError>, usize) {
    w.fake.fail_next(failure, n);
    let r = gmail(w)
        .send_raw(&statement(&strings(&["ana@crew.example"]), &[], "retry"))
        .await;
    (r, w.fake.state().calls("gmail.send"))
}

#[tokio::test]
async fn retries_on_429_honouring_retry_after() {
    let w = World::new().await;
    let start = Instant::now();
    let (r, calls) = send_with(&w, Failure::TooMany(1), 1).await;
    r.unwrap();
    assert_eq!(calls, 2);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited the Retry-After"
    );
    assert_eq!(w.fake.state().sent.len(), 1);
}

#[tokio::test]
async fn retries_on_503_and_403_rate_limits() {
    let w = World::new().await;
    let (r, calls) = send_with(&w, Failure::Unavailable, 2).await;
    r.unwrap();
    assert_eq!(calls, 3);
    let w = World::new().await;
    let (r, calls) = send_with(&w, Failure::RateLimit403, 1).await;
    r.unwrap();
    assert_eq!(calls, 2);
}

#[tokio::test]
async fn gives_up_after_max_retries() {
    let w = World::new().await;
    let (r, calls) = send_with(&w, Failure::Unavailable, 10).await;
    let err = r.unwrap_err();
    assert!(matches!(err, GoogleError::Api { status: 503, .. }), "{err}");
    assert_eq!(calls, 4, "one try and three retries");
}

#[tokio::test]
async fn stops_on_400_with_googles_message() {
    let w = World::new().await;
    let (r, calls) = send_with(&w, Failure::BadRequest, 3).await;
    let err = r.unwrap_err();
    assert_eq!(calls, 1, "400 is not retried");
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        "Google API 400 (invalid): Invalid value at 'message.raw'"
    );
    assert!(w.fake.state().sent.is_empty());
}

struct Forged;

#[async_trait::async_trait]
impl TokenSource for Forged {
    async fn access_token(&self) -> Result<AccessToken, GoogleError> {
        Ok(AccessToken {
            secret: "ya29.forged".into(),
            expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        })
    }
}

#[tokio::test]
async fn wrong_bearer_token_is_a_401_not_retried() {
    let w = World::new().await;
    let g = GmailClient::new(&w.fake.base, Arc::new(Forged), w.http()).unwrap();
    let err = g.search("to:ana@crew.example").await.unwrap_err();
    assert!(matches!(err, GoogleError::Api { status: 401, .. }), "{err}");
    assert_eq!(w.fake.state().calls("gmail.list"), 1);
}
