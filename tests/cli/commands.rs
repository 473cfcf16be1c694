//! The `dispatch` binary as scripts drive it, on a real SQLite file: the demo (twice), `doctor`
//! before bootstrap, settings that name themselves, and `auth check` in one line.

use std::path::Path;

use crate::common::{dispatch, text};

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
    let ended = dispatch_core::domain::CharterDate::from_naive(today)
        .month()
        .previous();
    assert!(out.contains("stored 18 new charters"), "{out}");
    assert!(
        out.contains(&format!("sailed in {}", ended.title())),
        "{out}"
    );
    assert!(dir.path().join("data/availability.xlsx").exists());
    // Month end: the report in the drive folder, one statement per member who worked.
    assert!(
        dir.path()
            .join(format!(
                "data/drive/JADA Business/Reports/Revenue {ended}.xlsx"
            ))
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
        assert!(
            date > today.format("%Y-%m-%d").to_string().as_str(),
            "{line}"
        );
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
