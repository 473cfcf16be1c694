//! Ops steer from the command line by name, through the real `dispatch` binary on the embedded
//! backend: charters imported by the booking system's reference (twice: nothing new, ids are
//! UUIDv5), members named by full name or e-mail (an ambiguous or unknown name lists the
//! candidates), `roster list|show`, `charter show HL-…`, and the input hygiene at the edge
//! (vessel typos, blank names, a list range over 400 days).

use std::path::Path;
use std::process::Output;

use dispatch_core::domain::{BookingRef, BOOKING_REF_NAMESPACE};
use serde_json::{json, Value};

use crate::common::Dispatch;

mod crew_link;
mod hygiene;
mod imports;

fn dispatch(dir: &Path, args: &[&str]) -> Output {
    dispatch_with(dir, args, &[])
}

/// `dispatch` on the embedded backend unless `env` says otherwise (the shared runner).
fn dispatch_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Dispatch::local(dir)
        .env("DISPATCH_OPS_EMAILS", "ops@example.com")
        .envs(env)
        .output(args)
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

mod aws {
    use super::*;

    /// The booking reference travels through the DynamoDB adapter too: stored on the item by
    /// the import, read back by `charter show` and `charter list`.
    #[test]
    fn a_booking_reference_is_kept_on_the_dynamodb_item() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let endpoint = crate::common::endpoint();
        let ddb = crate::common::dynamodb_endpoint();
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
