//! Ops steer a week by name and from the board, through the real `dispatch` binary on the
//! embedded backend: a roster and a week of charters imported by booking reference (twice:
//! nothing new), an escalated charter assigned from the board by a named ops person (refused
//! first: not available; then "anyway", and the thread names them), an inactive member refused,
//! a re-offer of an unavailable member refused, and a displaced offer given back on unassign.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{text, Dispatch};

fn day(n: u64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(n))
        .format("%Y-%m-%d")
        .to_string()
}

fn reference(n: u64) -> String {
    format!("HL-12{n:02}-OSP")
}

fn ok(ops: &Dispatch, args: &[&str]) -> String {
    let out = ops.output(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    text(&out)
}

fn fails(ops: &Dispatch, args: &[&str]) -> String {
    let out = ops.output(args);
    assert!(!out.status.success(), "{args:?} succeeded: {}", text(&out));
    text(&out)
}

/// The open offer ops wait on for `role` of the charter `r`: the member's name.
fn waiting_on(ops: &Dispatch, r: &str, role: &str) -> Option<String> {
    let rows: Vec<Value> = serde_json::from_str(
        ok(ops, &["charter", "list", "--json"])
            .lines()
            .find(|l| l.starts_with('['))
            .unwrap(),
    )
    .unwrap();
    let row = rows.iter().find(|x| x["booking_ref"] == r).unwrap();
    row["waiting"]
        .as_array()?
        .iter()
        .find(|w| w["role"].as_str().is_some_and(|x| x.starts_with(role)))
        .map(|w| w["who"]["name"].as_str().unwrap_or_default().to_string())
}

/// The first value of `name="FIELD" value="…"` on a page.
fn field(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no {name} field: {page}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_steered_by_name_and_from_the_board() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let ops = Dispatch::local(d)
        .env("DISPATCH_OPS_EMAILS", "ops@example.com")
        .env("DISPATCH_PUBLIC_URL", base.clone())
        .env("DISPATCH_LISTEN", format!("127.0.0.1:{port}"));
    std::fs::write(
        d.join("dispatch.toml"),
        "[vessels.\"Osprey\"]\ncrew_needed = 1\n[vessels.\"Sea Breeze\"]\ncrew_needed = 1\n",
    )
    .unwrap();
    let days = |a: u64, b: u64| (a..=b).map(day).collect::<Vec<_>>();
    let member = |id: &str, name: &str, captain: bool, active: bool, dates: Vec<String>| {
        json!({"crew_id": id, "name": name, "email": format!("{id}@crew.example.com"),
            "captain_certified": captain, "certifications": ["deckhand"], "active": active,
            "available_dates": dates})
    };
    let roster = json!([
        member("crew-ana", "Ana Lopez", true, true, days(1, 4)),
        member("crew-ben", "Ben Ortiz", false, true, days(1, 7)),
        member("crew-cy", "Cy Park", false, false, days(1, 7)),
        member("crew-dee", "Dee Moss", false, true, days(1, 3)),
        member("crew-eve", "Eve Lane", false, true, days(1, 7)),
    ]);
    std::fs::write(d.join("roster.json"), roster.to_string()).unwrap();
    let week: Vec<Value> = (1..=7)
        .map(|n| {
            json!({"booking_ref": reference(n), "charter_date": day(n),
                "vessel_name": if n % 2 == 0 { "Sea Breeze" } else { "Osprey" },
                "guest_count": 6, "reportable_revenue": "900.00"})
        })
        .collect();
    std::fs::write(d.join("week.json"), Value::Array(week).to_string()).unwrap();
    ok(&ops, &["bootstrap"]);
    ok(&ops, &["roster", "import", "roster.json"]);
    ok(&ops, &["charter", "import", "week.json"]);
    let again = ok(&ops, &["charter", "import", "week.json"]);
    assert!(
        again.contains("0 charters stored, 7 already there"),
        "{again}"
    );

    // Day 5: no captain is available: escalated, and ops@example.com gets their own link.
    let (r5, r1) = (reference(5), reference(1));
    ok(&ops, &["charter", "reconcile", &r5]);
    let mail = std::fs::read_dir(d.join("data/outbox"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .find(|m| m.contains("Needs attention: Osprey"))
        .expect("an escalation mail");
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    assert!(flat.contains("To: ops@example.com"), "{flat}");
    let link = flat
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{base}/ops/")))
        .expect("a sign-in link")
        .to_string();

    // The board, served by `dispatch run`: sign in, then assign the captain from it.
    let mut run = ops.start_run("web", Stdio::null());
    let http = dispatch_google::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the web part never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign in as ops@example.com"), "{page}");
    let res = http
        .post(&link)
        .form(&[("guard", field(&page, "guard"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let id5 = dispatch_core::domain::BookingRef::parse(&r5)
        .unwrap()
        .charter_id();
    let at = format!("{base}/ops/charters/{id5}");
    let page = http
        .get(&at)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Ana Lopez <span class=\"off\">— not available that day"),
        "{page}"
    );
    let csrf = field(&page, "csrf");
    let assign = |anyway: &'static str| {
        http.post(format!("{at}/assign"))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("member", "crew-ana"),
                ("role", "captain"),
                ("anyway", anyway),
            ])
            .send()
    };
    let refused = assign("").await.unwrap();
    assert_eq!(refused.status(), 409);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("not available that day"));
    let done = assign("Ana swapped her day off").await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Ana Lopez is captain"));
    // Links are for the addresses of ops_emails only; revoking ends the session at once.
    let out = fails(&ops, &["ops", "link", "--for", "stranger@example.com"]);
    assert!(
        out.contains("stranger@example.com is not in ops_emails"),
        "{out}"
    );
    let fresh = ok(&ops, &["ops", "link", "--for", "ops@example.com"]);
    assert!(fresh.starts_with(&format!("{base}/ops/")), "{fresh}");
    let out = ok(&ops, &["ops", "revoke", "ops@example.com"]);
    assert!(out.contains("every session ended"), "{out}");
    let gone = http
        .get(format!("{base}/ops"))
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(gone.unwrap().status(), 403);
    let spent = fresh.lines().next().unwrap().trim();
    let page = http.get(spent).send().await.unwrap().text().await.unwrap();
    let res = http
        .post(spent)
        .form(&[("guard", field(&page, "guard"))])
        .send()
        .await;
    assert_eq!(res.unwrap().status(), 403, "a revoked link opens nothing");
    run.terminate();
    let show = ok(&ops, &["charter", "show", &r5]);
    assert!(
        show.contains("by ops@example.com on the ops board"),
        "{show}"
    );
    assert!(show.contains("anyway: Ana swapped her day off"), "{show}");

    // By name: an inactive member is refused, and so is asking again someone not available.
    let out = fails(
        &ops,
        &["charter", "assign", &reference(2), "--crew", "Cy Park"],
    );
    assert!(out.contains("Cy Park is inactive"), "{out}");
    assert!(out.contains("--anyway"), "{out}");
    let out = fails(
        &ops,
        &["charter", "reoffer", &reference(6), "--include", "Dee Moss"],
    );
    assert!(out.contains("Dee Moss is not available that day"), "{out}");

    // Day 1: Ana captains; the crew slot is offered to someone; ops put another deckhand on
    // it, which withdraws that offer (named, and its member told); unassigning gives it back.
    ok(&ops, &["charter", "assign", &r1, "--captain", "Ana Lopez"]);
    let asked = waiting_on(&ops, &r1, "crew").expect("the crew slot is offered");
    let other = ["Ben Ortiz", "Dee Moss", "Eve Lane"]
        .into_iter()
        .find(|n| *n != asked)
        .unwrap();
    let out = ok(&ops, &["charter", "assign", &r1, "--crew", other]);
    assert!(out.contains(&format!("{other} is crew")), "{out}");
    assert!(
        out.contains(&format!("offer to {asked}; they are told")),
        "{out}"
    );
    let told = std::fs::read_dir(d.join("data/outbox"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("withdrawn"))
        .count();
    assert_eq!(told, 1, "the displaced member is told once");
    let out = ok(&ops, &["charter", "unassign", &r1, other]);
    assert!(out.contains(&format!("given back to {asked}")), "{out}");
    assert_eq!(
        waiting_on(&ops, &r1, "crew").as_deref(),
        Some(asked.as_str())
    );

    // A cancelled charter's crew is history: unassign is refused and changes nothing.
    ok(&ops, &["charter", "cancel", &r1]);
    let out = fails(&ops, &["charter", "unassign", &r1, "Ana Lopez"]);
    assert!(out.contains("is cancelled"), "{out}");
    assert!(ok(&ops, &["charter", "show", &r1]).contains("captain: Ana Lopez"));
}
