//! Ops steer from the command line by name, through the real `dispatch` binary on the embedded
//! backend: charters imported by the booking system's reference (twice: nothing new, ids are
//! UUIDv5), members named by full name or e-mail (an ambiguous or unknown name lists the
//! candidates), `roster list|show`, `charter show HL-…`, and the input hygiene at the edge
//! (vessel typos, blank names, a list range over 400 days).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use dispatch_core::domain::{BookingRef, BOOKING_REF_NAMESPACE};
use serde_json::{json, Value};

fn dispatch(dir: &Path, args: &[&str]) -> Output {
    dispatch_with(dir, args, &[])
}

/// `dispatch` on the embedded backend unless `env` says otherwise.
fn dispatch_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dispatch"));
    cmd.args(args)
        .current_dir(dir)
        .env("DISPATCH_DATA_DIR", dir.join("data"))
        .env("DISPATCH_OPS_EMAILS", "ops@example.com")
        .env_remove("DISPATCH_BACKEND")
        .env_remove("DISPATCH_CONFIG")
        .env_remove("DISPATCH_TIME_ZONE")
        .env_remove("DISPATCH_PREFIX");
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

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = dispatch(dir, args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    text(&out)
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = dispatch(dir, args);
    assert!(!out.status.success(), "{args:?} succeeded: {}", text(&out));
    text(&out)
}

/// `today + n` as YYYY-MM-DD (UTC: the tests' business zone).
fn day(n: u64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(n))
        .format("%Y-%m-%d")
        .to_string()
}

fn write(dir: &Path, name: &str, v: &Value) {
    std::fs::write(dir.join(name), serde_json::to_string_pretty(v).unwrap()).unwrap();
}

const SETTINGS: &str =
    "[vessels.\"Osprey\"]\ncrew_needed = 1\n[vessels.\"Sea Breeze\"]\ncrew_needed = 1\n";

/// A fresh data folder with settings naming two vessels, a roster (two members called Sam Reed)
/// and a week of charters imported by booking reference.
fn season() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("dispatch.toml"), SETTINGS).unwrap();
    ok(d, &["bootstrap"]);
    let week: Vec<String> = (1..=7).map(day).collect();
    let member = |id: &str, name: &str, email: &str, captain: bool| {
        json!({"crew_id": id, "name": name, "email": email, "captain_certified": captain,
            "certifications": ["deckhand"], "active": true, "available_dates": week})
    };
    write(
        d,
        "roster.json",
        &json!([
            member("crew-0001", "  Ana   Lopez ", "ana@crew.example.com", true),
            member(
                "crew-0002",
                "Ben Ortiz",
                "ben.ortiz@crew.example.com",
                false
            ),
            member("crew-0003", "Sam Reed", "sam.reed@crew.example.com", false),
            member("crew-0004", "Sam Reed", "sam.r@crew.example.com", false),
        ]),
    );
    ok(d, &["roster", "import", "roster.json"]);
    write(d, "week.json", &week_of_charters());
    ok(d, &["charter", "import", "week.json"]);
    dir
}

fn reference(n: u64) -> String {
    format!("HL-12{n:02}-OSP")
}

fn week_of_charters() -> Value {
    Value::Array(
        (1..=7)
            .map(|n| {
                json!({"booking_ref": reference(n), "charter_date": day(n),
                    "vessel_name": if n % 2 == 0 { "Sea Breeze" } else { " Osprey " },
                    "guest_count": 6, "reportable_revenue": "1200.00"})
            })
            .collect(),
    )
}

fn list_json(d: &Path) -> Vec<Value> {
    let out = dispatch(d, &["charter", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_week_imported_by_booking_reference_twice_is_stored_once_under_uuid_v5_ids() {
    let dir = season();
    let d = dir.path();
    let again = ok(d, &["charter", "import", "week.json"]);
    assert!(
        again.contains("0 charters stored, 7 already there, 0 bad rows"),
        "{again}"
    );
    let rows = list_json(d);
    assert_eq!(rows.len(), 7, "{rows:#?}");
    for n in 1..=7 {
        let r = reference(n);
        let row = rows
            .iter()
            .find(|row| row["booking_ref"] == r.as_str())
            .unwrap_or_else(|| panic!("{r} not listed: {rows:#?}"));
        let id = uuid::Uuid::parse_str(row["charter_id"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 5, "{row}");
        assert_eq!(id, uuid::Uuid::new_v5(&BOOKING_REF_NAMESPACE, r.as_bytes()));
        assert_eq!(row["charter_date"], day(n).as_str());
        // The vessel was trimmed on the way in.
        assert!(
            row["vessel"] == "Osprey" || row["vessel"] == "Sea Breeze",
            "{row}"
        );
    }
    // The plain list shows the reference; `charter show` takes it.
    let list = ok(d, &["charter", "list"]);
    assert!(
        list.lines().next().unwrap().ends_with("REF") && list.contains("HL-1203-OSP"),
        "{list}"
    );
    let r3 = reference(3);
    let show = ok(d, &["charter", "show", &r3]);
    let id3 = BookingRef::parse(&r3).unwrap().charter_id();
    assert!(
        show.contains(&format!("charter {id3} (booking HL-1203-OSP) on")),
        "{show}"
    );
    // Lower case names the same booking; an unknown one says where to look.
    ok(d, &["charter", "show", "hl-1203-osp"]);
    let none = fails(d, &["charter", "show", "HL-9999-XXX"]);
    assert!(
        none.contains("no charter was imported under the booking reference HL-9999-XXX"),
        "{none}"
    );
}

#[test]
fn members_are_named_by_full_name_or_email_and_a_doubtful_name_lists_the_candidates() {
    let dir = season();
    let d = dir.path();
    let r1 = reference(1);
    let out = ok(d, &["charter", "assign", &r1, "--captain", " ana LOPEZ "]);
    assert!(out.contains("captain: Ana Lopez (crew-0001)"), "{out}");
    let out = ok(
        d,
        &[
            "charter",
            "assign",
            &r1,
            "--crew",
            "Ben.Ortiz@crew.example.com",
        ],
    );
    assert!(
        out.contains("crew: 1 of 1 needed: Ben Ortiz (crew-0002)"),
        "{out}"
    );

    // Two members are called Sam Reed: nothing is done, both are listed.
    let r2 = reference(2);
    let t = fails(d, &["charter", "assign", &r2, "--crew", "sam reed"]);
    assert!(
        t.contains("2 members are called `sam reed`")
            && t.contains("Sam Reed (id crew-0003, sam.reed@crew.example.com)")
            && t.contains("Sam Reed (id crew-0004, sam.r@crew.example.com)"),
        "{t}"
    );
    // Unknown: a near miss is offered, a stranger is pointed at the roster.
    let t = fails(d, &["charter", "assign", &r2, "--captain", "Ana Lopes"]);
    assert!(
        t.contains("no member has the crew id, e-mail or name `Ana Lopes`; did you mean:")
            && t.contains("Ana Lopez (id crew-0001, ana@crew.example.com)"),
        "{t}"
    );
    let t = fails(d, &["charter", "unassign", &r1, "Zed Quux"]);
    assert!(t.contains("dispatch roster list"), "{t}");
    let t = fails(d, &["charter", "reoffer", &r2, "--include", "Sam Reed"]);
    assert!(t.contains("--include: 2 members"), "{t}");
    let list = list_json(d);
    let row = list
        .iter()
        .find(|r| r["booking_ref"] == r2.as_str())
        .unwrap();
    assert!(
        row["captain"].is_null() && row["crew"] == json!([]),
        "{row}"
    );

    // Unassign by name too.
    let out = ok(d, &["charter", "unassign", &r1, "Ben Ortiz"]);
    assert!(out.contains("crew: 0 of 1 needed"), "{out}");
}

#[test]
fn roster_list_and_show() {
    let dir = season();
    let d = dir.path();
    ok(
        d,
        &["charter", "assign", &reference(2), "--captain", "Ana Lopez"],
    );
    let list = ok(d, &["roster", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("NEXT AVAILABLE"),
        "{list}"
    );
    let ana = lines.iter().find(|l| l.starts_with("Ana Lopez ")).unwrap();
    let next = format!("{}, ", day(1));
    assert!(
        ana.contains("crew-0001")
            && ana.contains("captain, crew")
            && ana.contains("deckhand")
            && ana.contains("yes")
            && ana.contains(&next)
            && ana.contains(&day(3))
            && !ana.contains(&day(4)),
        "{ana}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("Sam Reed")).count(),
        2,
        "{list}"
    );
    assert!(list.contains("4 members (4 active)"), "{list}");

    let show = ok(d, &["roster", "show", "ana@crew.example.com"]);
    assert!(
        show.starts_with("Ana Lopez (crew-0001)")
            && show.contains("e-mail: ana@crew.example.com")
            && show.contains("roles: captain, crew")
            && show.contains("available from today (7 days)"),
        "{show}"
    );
    let id2 = BookingRef::parse(&reference(2)).unwrap().charter_id();
    let held = show.lines().find(|l| l.contains("charters from")).unwrap();
    assert!(
        held.contains(&format!("charters from {} to ", day(0))) && held.ends_with(": 1"),
        "{held}"
    );
    let line = show
        .lines()
        .find(|l| l.contains(id2.as_str()))
        .unwrap_or_else(|| panic!("{show}"));
    assert!(
        line.contains(&day(2))
            && line.contains("captain")
            && line.contains("Sea Breeze")
            && line.contains("(HL-1202-OSP)"),
        "{line}"
    );
    let t = fails(d, &["roster", "show", "Sam Reed"]);
    assert!(t.contains("crew-0003") && t.contains("crew-0004"), "{t}");
}

#[test]
fn a_vessel_typo_is_refused_by_add_and_warned_about_by_import() {
    let dir = season();
    let d = dir.path();
    let t = fails(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Ospery",
            "--ref",
            "HL-9001-OSP",
        ],
    );
    assert!(
        t.contains("vessel `Ospery` is not in the settings' vessels")
            && t.contains("did you mean `Osprey`?")
            && t.contains("nothing was booked"),
        "{t}"
    );
    let out = ok(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            " Osprey ",
            "--ref",
            "HL-9001-OSP",
        ],
    );
    let id = BookingRef::parse("HL-9001-OSP").unwrap().charter_id();
    assert!(
        out.contains(&format!("booked charter {id} (booking HL-9001-OSP)")),
        "{out}"
    );
    // The same reference again books nothing new.
    let again = ok(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Osprey",
            "--ref",
            "HL-9001-OSP",
        ],
    );
    assert!(again.contains("already stored like this"), "{again}");
    ok(
        d,
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Ospery",
            "--vessel-unknown-ok",
        ],
    );

    write(
        d,
        "typo.json",
        &json!([
            {"booking_ref": "HL-9101-OSP", "charter_date": day(10), "vessel_name": "Osprey"},
            {"booking_ref": "HL-9102-OSP", "charter_date": day(10), "vessel_name": "Sea Breze"},
        ]),
    );
    let out = dispatch(d, &["charter", "import", "typo.json"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("warning: row 2: vessel `Sea Breze` is not in the settings' vessels")
            && t.contains("did you mean `Sea Breeze`?")
            && !t.contains("row 1:")
            && t.contains("2 charters stored"),
        "{t}"
    );
    let quiet = ok(
        d,
        &["charter", "import", "typo.json", "--vessel-unknown-ok"],
    );
    assert!(!quiet.contains("warning"), "{quiet}");

    // An operator without vessel settings is never blocked.
    let bare = tempfile::tempdir().unwrap();
    ok(bare.path(), &["bootstrap"]);
    ok(
        bare.path(),
        &[
            "charter",
            "add",
            "--date",
            &day(9),
            "--vessel",
            "Anything Goes",
        ],
    );
}

#[test]
fn blank_names_are_refused_naming_the_row() {
    let dir = season();
    let d = dir.path();
    write(
        d,
        "blank.json",
        &json!([
            {"crew_id": "crew-0009", "name": "Dee Stone", "email": "dee@crew.example.com"},
            {"crew_id": "crew-0010", "name": "   ", "email": "nobody@crew.example.com"},
        ]),
    );
    let out = dispatch(d, &["roster", "import", "blank.json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("row 2: `name` is blank for crew id `crew-0010`")
            && t.contains("1 members upserted"),
        "{t}"
    );
    write(
        d,
        "blank_vessel.json",
        &json!([{"booking_ref": "HL-9201-OSP", "charter_date": day(5), "vessel_name": " "}]),
    );
    let out = dispatch(d, &["charter", "import", "blank_vessel.json"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("row 1: `vessel_name` is blank"), "{t}");
    let t = fails(d, &["charter", "add", "--date", &day(5), "--vessel", "  "]);
    assert!(t.contains("--vessel must not be empty"), "{t}");
    // A row with neither id nor reference says what to give.
    write(
        d,
        "anon.json",
        &json!([{"charter_date": day(5), "vessel_name": "Osprey"}]),
    );
    let t = text(&dispatch(d, &["charter", "import", "anon.json"]));
    assert!(
        t.contains("row 1: `charter_id` is missing") && t.contains("booking_ref"),
        "{t}"
    );
}

#[test]
fn a_list_range_over_400_days_is_refused() {
    let dir = season();
    let d = dir.path();
    let t = fails(
        d,
        &[
            "charter",
            "list",
            "--from",
            "2024-01-01",
            "--to",
            "2025-02-04",
        ],
    );
    assert!(
        t.contains("is 401 days") && t.contains("at most 400 days"),
        "{t}"
    );
    let out = ok(
        d,
        &[
            "charter",
            "list",
            "--from",
            "2024-01-01",
            "--to",
            "2025-02-03",
        ],
    );
    assert!(
        out.contains("no charters from 2024-01-01 to 2025-02-03"),
        "{out}"
    );
}

mod aws {
    use super::*;

    /// The booking reference travels through the DynamoDB adapter too: stored on the item by
    /// the import, read back by `charter show` and `charter list`.
    #[test]
    fn a_booking_reference_is_kept_on_the_dynamodb_item() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let endpoint = common::endpoint();
        let ddb = common::dynamodb_endpoint();
        let prefix = format!("names{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let env = [
            ("DISPATCH_BACKEND", "aws"),
            ("DISPATCH_PREFIX", prefix.as_str()),
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ENDPOINT_URL_DYNAMODB", ddb.as_str()),
            ("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", ddb.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            // The cascade (charter show) signs links; the embedded backend keeps its own key.
            (
                "DISPATCH_LINK_KEYS",
                "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ),
        ];
        let run = |args: &[&str]| {
            let out = dispatch_with(d, args, &env);
            assert!(out.status.success(), "{args:?}: {}", text(&out));
            text(&out)
        };
        run(&["bootstrap"]);
        write(d, "week.json", &week_of_charters());
        assert!(run(&["charter", "import", "week.json"]).contains("7 charters stored"));
        let again = run(&["charter", "import", "week.json"]);
        assert!(
            again.contains("0 charters stored, 7 already there"),
            "{again}"
        );
        let id = BookingRef::parse(&reference(4)).unwrap().charter_id();
        let show = run(&["charter", "show", &reference(4)]);
        assert!(
            show.contains(&format!("charter {id} (booking HL-1204-OSP) on")),
            "{show}"
        );
        let list = run(&["charter", "list"]);
        assert!(list.contains(&format!("{id}  HL-1204-OSP")), "{list}");
    }
}
