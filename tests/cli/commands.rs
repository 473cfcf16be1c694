//! The `dispatch` binary as scripts drive it: real processes, real SQLite files, moto for AWS.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn dispatch(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dispatch"));
    cmd.args(args)
        .current_dir(data_dir)
        .env("DISPATCH_DATA_DIR", data_dir.join("data"))
        .env_remove("DISPATCH_BACKEND");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run dispatch")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn demo_stores_the_samples_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let first = dispatch(dir.path(), &["demo"], &[]);
    assert!(first.status.success(), "{}", text(&first));
    let out = text(&first);
    assert!(
        out.contains("roster sync from workbook") && out.contains("created 8, updated 0"),
        "{out}"
    );
    // The sample season is dated from today: its cascade upcoming, its month end on the month
    // just ended (the test's business is on UTC, the default).
    let today = chrono::Utc::now().date_naive();
    let ended = dispatch_core::domain::CharterDate::from_naive(today).month().previous();
    assert!(out.contains("stored 18 new charters"), "{out}");
    assert!(out.contains(&format!("sailed in {}", ended.title())), "{out}");
    assert!(dir.path().join("data/availability.xlsx").exists());
    // Month end: the report in the drive folder, one statement per member who worked.
    assert!(
        dir.path()
            .join(format!("data/drive/JADA Business/Reports/Revenue {ended}.xlsx"))
            .exists(),
        "{out}"
    );
    let sent: usize = out
        .split(&format!("statements for {ended}: "))
        .nth(1)
        .and_then(|r| r.split(" sent").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no statements line: {out}"));
    assert!(sent >= 5, "{out}");
    assert!(
        out.contains("presses accept")
            && out.contains("presses decline")
            && out.contains("it will lapse"),
        "{out}"
    );
    assert!(out.contains("You are confirmed as captain for "), "{out}");
    assert!(!out.contains("(slot "), "no internal wording: {out}");
    assert!(out.matches(" staffed ").count() >= 3, "{out}");
    assert!(
        out.contains("NEEDS ATTENTION: nobody left to ask for the captain slot"),
        "{out}"
    );
    // Every cascade charter is upcoming: none dated before today.
    for line in out.lines().filter(|l| l.contains(" captain:")) {
        let date = line.split_whitespace().next().unwrap();
        assert!(date > today.format("%Y-%m-%d").to_string().as_str(), "{line}");
    }
    assert!(dir.path().join("data/outbox").read_dir().unwrap().count() > 5);
    assert!(dir.path().join("data/dispatch.sqlite3").exists());
    let again = dispatch(dir.path(), &["demo"], &[]);
    assert!(again.status.success());
    let again_out = text(&again);
    assert!(
        again_out.contains("0 new charters (18 were already there)")
            && again_out.contains("created 0, updated 0, unchanged 8")
            && again_out.contains(&format!("0 sent, {sent} already sent earlier")),
        "{again_out}"
    );
    // The month-end commands on the same data: the dry run names recipients, sends nothing.
    let dry = dispatch(
        dir.path(),
        &["statements", "--month", &ended.to_string(), "--dry-run"],
        &[],
    );
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains("to ana@crew.example.com"),
        "{}",
        text(&dry)
    );
    let bad = dispatch(dir.path(), &["report", "--month", "May"], &[]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("YYYY-MM"), "{}", text(&bad));
    let sync = dispatch(
        dir.path(),
        &["roster", "sync", "--file", "missing.xlsx"],
        &[],
    );
    assert!(!sync.status.success());
    assert!(text(&sync).contains("missing.xlsx"), "{}", text(&sync));
    let doctor = dispatch(dir.path(), &["doctor"], &[]);
    assert!(doctor.status.success(), "{}", text(&doctor));
    assert!(text(&doctor).contains("all 12 tables and queues are as expected"));
}

#[test]
fn doctor_names_what_is_missing_before_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let out = dispatch(dir.path(), &["doctor"], &[]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("FAIL  table crew-dispatch: missing: run `dispatch bootstrap`"),
        "{t}"
    );
    assert!(t.contains("FAIL  queue cascade-dlq"), "{t}");
}

#[test]
fn import_keeps_good_rows_and_names_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dispatch(dir.path(), &["bootstrap"], &[]).status.success());
    let file = dir.path().join("charters.json");
    std::fs::write(
        &file,
        r#"[
          {"charter_id": "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03", "vessel_name": "A", "guest_count": 4},
          {"charter_id": "1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-02-30", "vessel_name": "B"},
          {"charter_id": "2b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-04", "vessel_name": "C", "reportable_revenue": "12.50"}
        ]"#,
    )
    .unwrap();
    let out = dispatch(
        dir.path(),
        &["charter", "import", file.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("2 charters stored, 0 already there, 1 bad rows"),
        "{t}"
    );
    assert!(
        t.contains("row 2: record charter_id=1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a"),
        "{t}"
    );
    assert!(t.contains("charter_date"), "{t}");
    let again = dispatch(
        dir.path(),
        &["charter", "import", file.to_str().unwrap()],
        &[],
    );
    assert!(
        text(&again).contains("0 charters stored, 2 already there"),
        "{}",
        text(&again)
    );
    let not_json = dir.path().join("bad.json");
    std::fs::write(&not_json, "{oops").unwrap();
    let out = dispatch(
        dir.path(),
        &["charter", "import", not_json.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("not valid JSON"), "{}", text(&out));
}

#[test]
fn charter_add_validates_input() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dispatch(dir.path(), &["bootstrap"], &[]).status.success());
    let ok = dispatch(
        dir.path(),
        &[
            "charter",
            "add",
            "--date",
            "2024-05-03",
            "--vessel",
            "Marlin",
            "--guests",
            "12",
            "--revenue",
            "1200.50",
        ],
        &[],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("booked charter"));
    let bad = dispatch(
        dir.path(),
        &["charter", "add", "--date", "May 3", "--vessel", "Marlin"],
        &[],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--date"), "{}", text(&bad));
    let bad = dispatch(
        dir.path(),
        &[
            "charter",
            "add",
            "--date",
            "2024-05-03",
            "--vessel",
            "Marlin",
            "--revenue",
            "$12",
        ],
        &[],
    );
    assert!(text(&bad).contains("--revenue"), "{}", text(&bad));
}

#[test]
fn dlq_commands_take_source_names_show_original_ids_and_explain_stream_failures() {
    use dispatch_core::ports::{OutMessage, QueueId};
    let dir = tempfile::tempdir().unwrap();
    assert!(dispatch(dir.path(), &["bootstrap"], &[]).status.success());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let local = dispatch_core::local::Local::open_path(
            &dir.path().join("data/dispatch.sqlite3"),
            "",
            5,
        )
        .unwrap();
        let job = dispatch_core::domain::JobEnvelope::new(
            dispatch_core::domain::JobKind::CaptainCascade,
            "captain_cascade#c-1",
            serde_json::json!({}),
        );
        let queues = local.backend().queues;
        queues
            .send(
                QueueId::CascadeDlq,
                &[OutMessage::new(job.to_body())
                    .attribute("dispatch-error", "gave up after 5 attempts: Gmail 503")
                    .attribute("dispatch-original-message-id", "orig-7f3a")],
            )
            .await
            .unwrap();
        let on_failure = serde_json::json!({
            "requestContext": {"condition": "RecordAgeExceeded"},
            "responseContext": {"functionError": "Unhandled"},
            "DDBStreamBatchInfo": {"shardId": "shardId-00000001", "startSequenceNumber": "100",
                "endSequenceNumber": "140", "batchSize": 4,
                "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/crew-dispatch/stream/2024-05-01T00:00:00.000"}
        });
        queues
            .send(QueueId::StreamFailures, &[OutMessage::new(on_failure.to_string())])
            .await
            .unwrap();
    });
    // The source queue's name means its DLQ; the original id is shown, and `show` takes it.
    let list = dispatch(dir.path(), &["dlq", "list", "--queue", "cascade"], &[]);
    assert!(list.status.success(), "{}", text(&list));
    let t = text(&list);
    assert!(
        t.contains("cascade-dlq: 1 message(s)") && t.contains("original:orig-7f3a"),
        "{t}"
    );
    let show = dispatch(
        dir.path(),
        &["dlq", "show", "orig-7f3a", "--queue", "cascade"],
        &[],
    );
    assert!(show.status.success(), "{}", text(&show));
    assert!(
        text(&show).contains("original: orig-7f3a"),
        "{}",
        text(&show)
    );
    // Lambda's on-failure records are listed plainly...
    let list = dispatch(
        dir.path(),
        &["dlq", "list", "--queue", "stream-failures"],
        &[],
    );
    let t = text(&list);
    assert!(
        t.contains("stream_batch")
            && t.contains("shardId-00000001/100..140")
            && t.contains("Lambda gave up on 4 record(s) (RecordAgeExceeded"),
        "{t}"
    );
    // ...and replay says exactly why this one cannot be re-read, leaving it in place.
    let replay = dispatch(
        dir.path(),
        &["dlq", "replay", "--queue", "stream-failures"],
        &[],
    );
    assert!(!replay.status.success(), "{}", text(&replay));
    let t = text(&replay);
    assert!(
        t.contains("0 replayed, 1 failed") && t.contains("the table's stream is now"),
        "{t}"
    );
    let again = dispatch(
        dir.path(),
        &["dlq", "list", "--queue", "stream-failures"],
        &[],
    );
    assert!(
        text(&again).contains("stream-failures: 1 message(s)"),
        "{}",
        text(&again)
    );
    let bad = dispatch(dir.path(), &["dlq", "list", "--queue", "nope"], &[]);
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("unknown queue `nope`"),
        "{}",
        text(&bad)
    );
}

#[test]
fn bad_settings_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = dispatch(dir.path(), &["doctor"], &[("DISPATCH_BACKEND", "azure")]);
    assert!(!out.status.success());
    assert!(text(&out).contains("DISPATCH_BACKEND"), "{}", text(&out));
    let out = dispatch(
        dir.path(),
        &["doctor"],
        &[("DISPATCH_LISTEN", "everywhere")],
    );
    assert!(text(&out).contains("DISPATCH_LISTEN"), "{}", text(&out));
}

/// Tests that need the emulator live under `aws::` so `scripts/test` counts them.
mod aws {
    use super::*;

    #[test]
    fn bootstrap_and_doctor_against_the_emulator() {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = std::env::var(common::ENDPOINT_VAR).unwrap_or_else(|_| {
            panic!(
                "{} is not set: run ./scripts/test, which starts moto",
                common::ENDPOINT_VAR
            )
        });
        let ddb_endpoint = common::dynamodb_endpoint();
        let prefix = format!("cli{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let env = [
            ("DISPATCH_BACKEND", "aws"),
            ("DISPATCH_PREFIX", prefix.as_str()),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ENDPOINT_URL_DYNAMODB", ddb_endpoint.as_str()),
            ("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", ddb_endpoint.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ];
        let before = dispatch(dir.path(), &["doctor"], &env);
        assert!(!before.status.success());
        assert!(
            text(&before).contains("missing: run `dispatch bootstrap`"),
            "{}",
            text(&before)
        );
        let boot = dispatch(dir.path(), &["bootstrap"], &env);
        assert!(boot.status.success(), "{}", text(&boot));
        assert_eq!(
            text(&boot).matches(" created").count(),
            12,
            "{}",
            text(&boot)
        );
        let twice = dispatch(dir.path(), &["bootstrap"], &env);
        assert_eq!(
            text(&twice).matches("already there").count(),
            12,
            "{}",
            text(&twice)
        );
        let doctor = dispatch(dir.path(), &["doctor"], &env);
        assert!(doctor.status.success(), "{}", text(&doctor));
        assert!(text(&doctor).contains("all 12 tables and queues are as expected"));
        let add = dispatch(
            dir.path(),
            &[
                "charter",
                "add",
                "--date",
                "2024-05-03",
                "--vessel",
                "Marlin",
            ],
            &env,
        );
        assert!(add.status.success(), "{}", text(&add));
    }
}

#[test]
fn run_offers_a_new_charter_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dispatch(dir.path(), &["bootstrap"], &[]).status.success());
    let roster = format!("{}/samples/roster.json", env!("CARGO_MANIFEST_DIR"));
    assert!(dispatch(dir.path(), &["roster", "import", &roster], &[])
        .status
        .success());
    let add = dispatch(
        dir.path(),
        &[
            "charter",
            "add",
            "--date",
            "2024-05-04",
            "--vessel",
            "Marlin",
            "--guests",
            "6",
        ],
        &[],
    );
    assert!(add.status.success(), "{}", text(&add));
    let mut child = Command::new(env!("CARGO_BIN_EXE_dispatch"))
        .args(["run", "--only", "ingest,workers"])
        .current_dir(dir.path())
        .env("DISPATCH_DATA_DIR", dir.path().join("data"))
        .env_remove("DISPATCH_BACKEND")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The new charter becomes a captain offer, mailed to the outbox.
    let outbox = dir.path().join("data/outbox");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mail = loop {
        let found = std::fs::read_dir(&outbox).ok().and_then(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "eml"))
        });
        if let Some(p) = found {
            break std::fs::read_to_string(p).unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "no offer mail");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        mail.contains("Subject: Charter offer: Marlin on Sat 4 May 2024"),
        "{mail}"
    );
    assert!(mail.contains("http://127.0.0.1:8080/o/"), "{mail}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "dispatch run did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn auth_check_says_what_is_wrong_in_one_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let key = keys.join("sa.json");
    std::fs::write(&key, "{}").unwrap();
    let set = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let check = |env: &[(&str, &str)]| {
        let out = dispatch(
            dir.path(),
            &["auth", "check"],
            &[&[("GOOGLE_APPLICATION_CREDENTIALS", "")], env].concat(),
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        err
    };
    let k = key.to_str().unwrap();
    assert!(check(&[]).contains("no service-account key configured"));
    assert!(
        check(&[("DISPATCH_GOOGLE_KEY_FILE", "/nonexistent/sa.json")]).contains("does not exist")
    );
    set(&keys, 0o755);
    set(&key, 0o600);
    assert!(check(&[("DISPATCH_GOOGLE_KEY_FILE", k)])
        .contains(&format!("chmod 700 {}", keys.display())));
    set(&keys, 0o700);
    set(&key, 0o644);
    assert!(check(&[("DISPATCH_GOOGLE_KEY_FILE", k)]).contains(&format!("chmod 600 {k}")));
    set(&key, 0o600);
    std::fs::write(&key, "not json").unwrap();
    assert!(check(&[("DISPATCH_GOOGLE_KEY_FILE", k)]).contains("is not JSON"));
    std::fs::write(&key, "{}").unwrap();
    assert!(check(&[("DISPATCH_GOOGLE_KEY_FILE", k)]).contains("no `client_email` field"));
}
