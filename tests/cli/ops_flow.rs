//! Ops steering the season through the real `dispatch` binary on the embedded backend: import,
//! `dispatch run` until every offer lapsed and each charter needs attention, then `reoffer`,
//! `assign` (one refused: the member is booked that day), `cancel`, `unassign`, and
//! `charter list --needs-attention` showing exactly the right rows before and after.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{text, Dispatch};

const A: &str = "0a000000-0000-4000-8000-00000000000a";
const B: &str = "0b000000-0000-4000-8000-00000000000b";
const C: &str = "0c000000-0000-4000-8000-00000000000c";
const D: &str = "0d000000-0000-4000-8000-00000000000d";

/// `charter list --needs-attention --json`: charter id → its reasons.
fn needing_attention(ops: &Dispatch) -> Vec<(String, Vec<String>)> {
    let out = ops.output(&["charter", "list", "--needs-attention", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.iter()
        .map(|r| {
            assert_eq!(r["needs_attention"], true, "{r}");
            (
                r["charter_id"].as_str().unwrap().to_string(),
                r["attention"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

fn ids(rows: &[(String, Vec<String>)]) -> Vec<&str> {
    rows.iter().map(|(id, _)| id.as_str()).collect()
}

fn list_json(ops: &Dispatch) -> Vec<Value> {
    let out = ops.output(&["charter", "list", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["charter_id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {rows:?}"))
}

#[test]
fn ops_reoffer_assign_and_cancel_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Every command as ops run it: the escalations go to ops@example.com.
    let ops = Dispatch::local(d).env("DISPATCH_OPS_EMAILS", "ops@example.com");
    let day = |n: u64| {
        (chrono::Utc::now().date_naive() + chrono::Days::new(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (d1, d2, d3) = (day(3), day(4), day(5));
    let member = |id: &str, name: &str, captain: bool| {
        serde_json::json!({"crew_id": id, "name": name, "email": format!("{id}@crew.example.com"),
            "captain_certified": captain, "certifications": ["deckhand"], "active": true,
            "available_dates": [d1, d2, d3]})
    };
    std::fs::write(
        d.join("roster.json"),
        serde_json::to_string(&vec![
            member("ana", "Ana Lopez", true),
            member("ben", "Ben Ortiz", true),
            member("cy", "Cy Park", false),
            member("dee", "Dee Moss", false),
        ])
        .unwrap(),
    )
    .unwrap();
    let charter = |id: &str, date: &str, vessel: &str| {
        serde_json::json!({"charter_id": id, "created_at": "2026-01-01T00:00:00Z", "charter_date": date,
            "vessel_name": vessel, "guest_count": 6, "crew_needed": 1})
    };
    std::fs::write(
        d.join("charters.json"),
        serde_json::to_string(&vec![
            charter(A, &d1, "Sea Breeze"),
            charter(B, &d2, "Blue Fin"),
            charter(C, &d3, "Marlin"),
            charter(D, &d2, "Osprey"),
        ])
        .unwrap(),
    )
    .unwrap();
    // Offers lapse after a second while `dispatch run` works through the roster.
    let fast = [("DISPATCH_OFFER_TIMEOUT_SECS", "1")];
    for args in [
        &["bootstrap"][..],
        &["roster", "import", "roster.json"],
        &["charter", "import", "charters.json"],
    ] {
        let out = ops.clone().envs(&fast).output(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let mut run = ops
        .clone()
        .envs(&fast)
        .start_run("ingest,workers", Stdio::null());
    // Both captains let every offer lapse: each charter ends up needing attention.
    let deadline = Instant::now() + Duration::from_secs(120);
    let before = loop {
        let rows = needing_attention(&ops);
        if rows.len() == 4 {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "not every charter escalated: {rows:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    // SIGTERM (a graceful stop: claims released), then wait for it to exit.
    run.terminate();
    // By date, then vessel.
    assert_eq!(ids(&before), vec![A, B, D, C]);
    for (id, why) in &before {
        assert_eq!(
            why,
            &vec!["no captain and nobody left to ask (let this charter's offer lapse: Ana Lopez, Ben Ortiz)".to_string()],
            "{id}"
        );
    }
    let outbox = d.join("data/outbox");
    let escalation = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .find(|m| m.contains("Needs attention: Sea Breeze"))
        .expect("an escalation mail for A");
    let flat = escalation
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(
        flat.contains(&format!("dispatch charter assign {A} --captain MEMBER")),
        "{flat}"
    );
    assert!(
        flat.contains(&format!("dispatch charter reoffer {A}")),
        "{flat}"
    );
    assert!(flat.contains("http://127.0.0.1:8080/ops/"), "{flat}");

    // From here offers stay open (the default two hours), so what ops see holds still.
    // Ask again everyone who let A's offer lapse.
    let out = ops.output(&["charter", "reoffer", A]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Ana Lopez, Ben Ortiz may be asked again"),
        "{}",
        text(&out)
    );
    // A phone call: Ben captains B. Its crew slot is then offered.
    let out = ops.output(&["charter", "assign", B, "--captain", "ben"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Ben Ortiz is captain on charter"),
        "{}",
        text(&out)
    );
    // Ben cannot also captain D, the same day.
    let out = ops.output(&["charter", "assign", D, "--captain", "ben"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains(&format!("Ben Ortiz is already booked on charter {B}")),
        "{}",
        text(&out)
    );
    let out = ops.output(&["charter", "cancel", C]);
    assert!(out.status.success(), "{}", text(&out));

    let after = needing_attention(&ops);
    assert_eq!(ids(&after), vec![D], "{after:?}");
    assert_eq!(
        after[0].1,
        vec!["no captain and nobody left to ask (let this charter's offer lapse: Ana Lopez; already booked that date: Ben Ortiz)".to_string()]
    );
    let all = list_json(&ops);
    let a = row(&all, A);
    let asked = a["waiting"][0]["who"]["name"].as_str().unwrap_or_default();
    assert!(["Ana Lopez", "Ben Ortiz"].contains(&asked), "{a}");
    assert_eq!(a["waiting"][0]["role"], "captain");
    let b = row(&all, B);
    assert_eq!(b["captain"]["name"], "Ben Ortiz", "{b}");
    assert_eq!(b["crew_needed"], 1);
    let crew_asked = b["waiting"][0]["who"]["name"].as_str().unwrap_or_default();
    assert!(["Cy Park", "Dee Moss"].contains(&crew_asked), "{b}");
    assert_eq!(row(&all, C)["status"], "cancelled");
    assert!(row(&all, C)["waiting"].as_array().unwrap().is_empty());

    // Unassigning Ben reopens B's captain slot; nobody is left (Ana lapsed, Ben was asked), so
    // B needs attention again, by name.
    let out = ops.output(&["charter", "unassign", B, "ben"]);
    assert!(out.status.success(), "{}", text(&out));
    let again = needing_attention(&ops);
    assert_eq!(ids(&again), vec![B, D], "{again:?}");
    assert!(
        again[0].1[0].contains("Ana Lopez") && again[0].1[0].contains("Ben Ortiz"),
        "{again:?}"
    );
    // The table for people says the same.
    let out = ops.output(&["charter", "list", "--needs-attention"]);
    let t = text(&out);
    assert!(
        t.contains("Blue Fin") && t.contains("Osprey") && !t.contains("Sea Breeze"),
        "{t}"
    );
    assert!(
        t.contains("NEEDS ATTENTION: no captain and nobody left to ask"),
        "{t}"
    );
    let show = ops.output(&["charter", "show", A]);
    let t = text(&show);
    assert!(
        t.contains("crew: 0 of 1 needed") && t.contains(&format!("waiting on {asked} (")),
        "{t}"
    );
    assert!(!t.contains("of ? needed"), "{t}");

    // A captain joins the roster for D's day: the import reconciles the charters it could help,
    // and B and D get offers again without anyone asking.
    std::fs::write(
        d.join("more.json"),
        serde_json::to_string(&vec![member("eve", "Eve Stone", true)]).unwrap(),
    )
    .unwrap();
    let out = ops.output(&["roster", "import", "more.json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("charter(s) on their dates reconciled"),
        "{}",
        text(&out)
    );
    let rows = needing_attention(&ops);
    assert!(rows.is_empty(), "{rows:?}");
    let all = list_json(&ops);
    for id in [B, D] {
        assert_eq!(
            row(&all, id)["waiting"][0]["who"]["name"],
            "Eve Stone",
            "{id}: {all:?}"
        );
    }
    // A reconcile job can be queued by hand too.
    let out = ops.output(&["jobs", "enqueue", "reconcile", "--charter", D]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("on cascade"), "{}", text(&out));
    let out = ops.output(&["jobs", "enqueue", "reconcile"]);
    assert!(
        !out.status.success() && text(&out).contains("--charter"),
        "{}",
        text(&out)
    );

    // The month's revenue workbook: the cancelled charter is left out, and a charter imported
    // again with a change (--update) is one row with the new figures, not two.
    let out = ops.output(&["charter", "import", "charters.json"]);
    assert!(
        out.status.success() && text(&out).contains("4 already there"),
        "the same rows again: {}",
        text(&out)
    );
    let mut newer = charter(A, &d1, "Sea Breeze");
    newer["reportable_revenue"] = serde_json::json!("1234.50"); // the others have no revenue yet
    let mut cancelled = charter(C, &d3, "Marlin");
    cancelled["reportable_revenue"] = serde_json::json!("999");
    cancelled["status"] = serde_json::json!("cancelled");
    std::fs::write(
        d.join("a-again.json"),
        serde_json::to_string(&vec![newer, cancelled]).unwrap(),
    )
    .unwrap();
    let out = ops.output(&["charter", "import", "a-again.json"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a changed row of a stored id is refused: {}",
        text(&out)
    );
    let out = ops.output(&["charter", "import", "a-again.json", "--update"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut months: Vec<String> = [&d1, &d2, &d3].iter().map(|x| x[..7].to_string()).collect();
    months.dedup();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for m in &months {
        let out = ops.output(&["report", "--month", m]);
        assert!(out.status.success(), "{}", text(&out));
        let path = text(&out)
            .lines()
            .find_map(|l| l.split(" -> ").nth(1).map(str::trim).map(str::to_string))
            .expect("the report names its file");
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
        let tab = book
            .sheet_names()
            .into_iter()
            .find(|n| n != "Template")
            .expect("a month tab");
        let range = book.worksheet_range(&tab).unwrap();
        rows.extend(
            range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
        );
    }
    let with = |id: &str| rows.iter().filter(|r| r.iter().any(|c| c == id)).count();
    assert_eq!(
        with(C),
        0,
        "the cancelled charter is not in the workbook: {rows:?}"
    );
    assert_eq!(with(A), 1, "one row per charter: {rows:?}");
    let a_row = rows.iter().find(|r| r.iter().any(|c| c == A)).unwrap();
    assert!(
        a_row.iter().any(|c| c == "1234.5"),
        "the newest version's revenue: {a_row:?}"
    );
}
