//! What the engineer on call and ops meet at the command line: one charter is one record
//! (`charter add --id` and `charter import` refuse a stored id unless `--update`), statements
//! wait for the month to end, `doctor` says what is missing in one line each, and `charter show`
//! names a charter's dead letters with the command that replays them.

use dispatch_core::domain::{CharterId, JobEnvelope, JobKind};
use dispatch_core::ports::{OutMessage, QueueId};

use crate::common::{dispatch, text, Dispatch};

/// A fresh data folder with its tables and queues.
fn bootstrapped() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dispatch(dir.path(), &["bootstrap"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    dir
}

const ID: &str = "5b1a7c3e-2f4d-4b8a-9c6e-0d1f2a3b4c5d";

#[test]
fn charter_add_of_a_stored_id_refuses_unless_update_and_never_writes_a_second_item() {
    let dir = bootstrapped();
    let d = dir.path();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "charter",
            "add",
            "--id",
            ID,
            "--date",
            "2024-05-18",
            "--vessel",
            "Blue Heron",
            "--guests",
            "6",
        ];
        args.extend_from_slice(extra);
        dispatch(d, &args, &[])
    };
    let first = add(&["--revenue", "16550"]);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains(&format!("booked charter {ID}")),
        "{}",
        text(&first)
    );

    let again = add(&["--revenue", "1850"]);
    assert!(!again.status.success(), "{}", text(&again));
    let t = text(&again);
    assert!(
        t.contains(&format!("charter {ID} already exists")) && t.contains("--update"),
        "{t}"
    );
    assert_eq!(t.lines().count(), 1, "one clear line: {t}");

    let updated = add(&["--revenue", "18400", "--update"]);
    assert!(updated.status.success(), "{}", text(&updated));
    assert!(
        text(&updated).contains(&format!("updated charter {ID}")),
        "{}",
        text(&updated)
    );
    // Only the flags given change: the tips, here; date, vessel, guests and revenue stay.
    let tips = dispatch(
        d,
        &["charter", "add", "--id", ID, "--tips", "50", "--update"],
        &[],
    );
    assert!(tips.status.success(), "{}", text(&tips));
    assert!(
        text(&tips)
            .contains("2024-05-18 aboard Blue Heron, 6 guests, revenue 18400.00, tips 50.00"),
        "{}",
        text(&tips)
    );
    let unknown = dispatch(
        d,
        &[
            "charter",
            "add",
            "--id",
            "00000000-0000-4000-8000-000000000009",
            "--tips",
            "5",
            "--update",
        ],
        &[],
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("no charter 00000000-0000-4000-8000-000000000009 to update"),
        "{}",
        text(&unknown)
    );

    // One item under the id, with the new revenue: the store holds no second version.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let settings = dispatch_core::Settings {
            data_dir: d.join("data"),
            ..Default::default()
        };
        let backend = dispatch_core::open_backend(&settings).await.unwrap();
        let id = CharterId::parse(ID).unwrap();
        let c = backend.charters.get(&id).await.unwrap().unwrap();
        assert_eq!(c.reportable_revenue.to_string(), "18400.00");
        assert_eq!(c.guest_count, 6);
        let day = backend
            .charters
            .on_date(c.charter_date)
            .await
            .unwrap()
            .items;
        assert_eq!(day.len(), 1, "{day:?}");
    });

    let no_id = dispatch(
        d,
        &[
            "charter",
            "add",
            "--date",
            "2024-05-18",
            "--vessel",
            "X",
            "--update",
        ],
        &[],
    );
    assert!(!no_id.status.success());
    assert!(text(&no_id).contains("--id"), "{}", text(&no_id));
}

#[test]
fn charter_import_refuses_rows_of_stored_charters_by_name_unless_update() {
    let dir = bootstrapped();
    let d = dir.path();
    let row = |revenue: &str, status: &str| {
        format!(
            r#"{{"charter_id":"{ID}","created_at":"2024-04-01T10:00:00Z","charter_date":"2024-05-18","vessel_name":"Blue Heron","guest_count":6,"reportable_revenue":{revenue}{status}}}"#
        )
    };
    let file = d.join("charters.json");
    std::fs::write(&file, format!("[{}]", row("16550", ""))).unwrap();
    let first = dispatch(d, &["charter", "import", "charters.json"], &[]);
    assert!(first.status.success(), "{}", text(&first));
    // The same file again: harmless.
    let again = dispatch(d, &["charter", "import", "charters.json"], &[]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("0 charters stored, 1 already there"),
        "{}",
        text(&again)
    );

    // The booking system changed it (and cancelled it): refused, named, unless --update.
    std::fs::write(
        &file,
        format!("[{}]", row("18400", r#","status":"cancelled""#)),
    )
    .unwrap();
    let refused = dispatch(d, &["charter", "import", "charters.json"], &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let t = text(&refused);
    assert!(
        t.contains("1 refused") && t.contains(&format!("refused charter {ID} already exists")),
        "{t}"
    );
    assert!(t.contains("--update"), "{t}");
    let updated = dispatch(d, &["charter", "import", "charters.json", "--update"], &[]);
    assert!(updated.status.success(), "{}", text(&updated));
    assert!(
        text(&updated).contains("1 updated, 0 refused"),
        "{}",
        text(&updated)
    );
    let show = dispatch(d, &["charter", "show", ID], &[]);
    assert!(text(&show).contains("cancelled"), "{}", text(&show));

    // The revenue workbook of May: no cancelled charter, no duplicate.
    let report = dispatch(d, &["report", "--month", "2024-05"], &[]);
    assert!(report.status.success(), "{}", text(&report));
    assert!(
        text(&report)
            .contains("report 2024-05: 0 charters (0 without revenue, 1 cancelled left out)"),
        "{}",
        text(&report)
    );
}

#[test]
fn statements_refuse_a_month_that_has_not_ended_unless_forced() {
    let dir = bootstrapped();
    let d = dir.path();
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    let out = dispatch(d, &["statements", "--month", &this_month], &[]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains(&format!("{this_month} has not ended yet")) && t.contains("--force"),
        "{t}"
    );
    assert_eq!(t.lines().count(), 1, "{t}");
    // The dry run sends nothing, so it may look ahead.
    let dry = dispatch(d, &["statements", "--month", &this_month, "--dry-run"], &[]);
    assert!(dry.status.success(), "{}", text(&dry));
    let forced = dispatch(d, &["statements", "--month", &this_month, "--force"], &[]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(
        text(&forced).contains(&format!("statements for {this_month}")),
        "{}",
        text(&forced)
    );
    // A month that is over needs nothing.
    let past = dispatch(d, &["statements", "--month", "2024-05"], &[]);
    assert!(past.status.success(), "{}", text(&past));
}

#[test]
fn doctor_warns_without_ops_emails_and_checks_the_folders() {
    let dir = bootstrapped();
    let d = dir.path();
    let out = dispatch(d, &["doctor"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("WARN  ops_emails is empty") && t.contains("DISPATCH_OPS_EMAILS"),
        "{t}"
    );
    assert!(
        t.contains("ok    outbox folder") && t.contains("ok    reports folder"),
        "{t}"
    );
    let with_ops = dispatch(
        d,
        &["doctor"],
        &[("DISPATCH_OPS_EMAILS", "ops@jada.example")],
    );
    assert!(
        !text(&with_ops).contains("ops_emails is empty"),
        "{}",
        text(&with_ops)
    );
    // The reports folder cannot be made: a file stands where its parent should be.
    std::fs::remove_dir_all(d.join("data/drive")).unwrap();
    std::fs::write(d.join("data/drive"), b"not a folder").unwrap();
    let bad = dispatch(d, &["doctor"], &[]);
    assert!(!bad.status.success(), "{}", text(&bad));
    assert!(
        text(&bad).contains("FAIL  reports folder: cannot create"),
        "{}",
        text(&bad)
    );
}

#[test]
fn doctor_on_aws_without_credentials_prints_one_line_saying_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    // An endpoint on loopback that nothing would answer for: credentials are looked for first.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // The scrub removes every AWS_* variable (credentials, profiles, their files); an empty home
    // holds no ~/.aws either.
    let out = Dispatch::local(dir.path())
        .env("HOME", &home)
        .env("DISPATCH_BACKEND", "aws")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output(&["doctor"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err}");
    assert!(
        lines[0].contains(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        ),
        "{err}"
    );
    assert!(
        !err.contains("DispatchFailure") && !err.contains("ConnectorError") && !err.contains('{'),
        "no SDK Debug output: {err}"
    );
}

#[test]
fn charter_show_names_its_dead_letters_with_the_replay_command() {
    let dir = bootstrapped();
    let d = dir.path();
    let add = dispatch(
        d,
        &[
            "charter",
            "add",
            "--id",
            ID,
            "--date",
            "2030-05-18",
            "--vessel",
            "Blue Heron",
        ],
        &[],
    );
    assert!(add.status.success(), "{}", text(&add));
    let clean = dispatch(d, &["charter", "show", ID], &[]);
    assert!(
        text(&clean).contains("dead letters: none for this charter"),
        "{}",
        text(&clean)
    );

    // A cascade job for this charter (and one for another) that kept failing.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let settings = dispatch_core::Settings {
            data_dir: d.join("data"),
            ..Default::default()
        };
        let backend = dispatch_core::open_backend(&settings).await.unwrap();
        let mine = JobEnvelope::new(
            JobKind::OfferSend,
            format!("offer_send#{ID}"),
            serde_json::json!({ "charter_id": ID }),
        );
        let other = JobEnvelope::new(
            JobKind::Reconcile,
            "reconcile#other",
            serde_json::json!({ "charter_id": CharterId::new_random().to_string() }),
        );
        backend
            .queues
            .send(
                QueueId::CascadeDlq,
                &[
                    OutMessage::new(mine.to_body()).attribute("dispatch-error", "Gmail said 503"),
                    OutMessage::new(other.to_body()),
                ],
            )
            .await
            .unwrap();
    });
    let show = dispatch(d, &["charter", "show", ID], &[]);
    assert!(show.status.success(), "{}", text(&show));
    let t = text(&show);
    let dead: Vec<&str> = t.lines().filter(|l| l.starts_with("DEAD LETTER")).collect();
    assert_eq!(dead.len(), 1, "only this charter's: {t}");
    assert!(
        dead[0].contains("cascade-dlq") && dead[0].contains("offer_send"),
        "{t}"
    );
    let replay = t
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay it: "))
        .unwrap_or_else(|| panic!("no replay command: {t}"));
    assert!(
        replay.starts_with("dispatch dlq replay --queue cascade-dlq --id "),
        "{replay}"
    );
    // The command works as printed, and the letter was not consumed by looking.
    let args: Vec<&str> = replay.split_whitespace().skip(1).collect();
    let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();
    let out = dispatch(d, &dry, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 matched"), "{}", text(&out));
    let out = dispatch(d, &args, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 replayed"), "{}", text(&out));
    let after = dispatch(d, &["charter", "show", ID], &[]);
    assert!(
        text(&after).contains("dead letters: none for this charter"),
        "{}",
        text(&after)
    );
}
