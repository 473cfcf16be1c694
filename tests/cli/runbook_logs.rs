//! The runbook's "Logs" commands, run as written (taken from docs/operations.md, the example
//! charter id replaced by a real one) after a mail outage: `grep ID dispatch.log` and the `jq`
//! line both find the line that says why the charter's mail is not going out.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{text, Dispatch};
use crate::write_json;

/// The charter id the runbook's examples use.
const EXAMPLE_ID: &str = "81e74ef5-e8e2-4d94-8ed9-04759531985d";

/// The commands of the runbook's "Logs" block (a command goes on over indented lines), with
/// `id` for the example's charter id; `dispatch run …` is left out (the test starts it).
fn runbook_log_commands(id: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"))
        .unwrap();
    let logs = &doc[doc.find("## Logs").expect("a Logs section")..];
    let block = logs
        .split("```sh")
        .nth(1)
        .expect("a sh block")
        .split("```")
        .next()
        .unwrap();
    let mut commands: Vec<String> = Vec::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        if line.starts_with(char::is_whitespace) {
            if let Some(last) = commands.last_mut() {
                last.push('\n');
                last.push_str(line);
            }
        } else {
            commands.push(line.to_string());
        }
    }
    commands
        .into_iter()
        .filter(|c| !c.starts_with("dispatch run"))
        .map(|c| c.replace(EXAMPLE_ID, id))
        .collect()
}

/// Runs `script` with `sh` in the runner's folder and environment, `dispatch` on the PATH.
fn sh(run: &Dispatch, script: &str) -> String {
    let base = run.command(&[]);
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).current_dir(run.dir());
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_dispatch"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    text(&cmd.env("PATH", path).output().unwrap())
}

#[test]
fn the_runbooks_grep_and_jq_find_why_a_charters_mail_is_stuck() {
    let dir = tempfile::tempdir().unwrap();
    // Mail goes to an SMTP server that is down: nothing listens on the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = Dispatch::local(dir.path())
        .env("DISPATCH_MAIL", "smtp")
        .env("DISPATCH_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("DISPATCH_MAIL_FROM", "office@example.com");
    run.ok(&["bootstrap"]);
    let day = (chrono::Utc::now().date_naive() + chrono::Days::new(5))
        .format("%Y-%m-%d")
        .to_string();
    write_json(
        &run.dir().join("roster.json"),
        &serde_json::json!([{"crew_id": "crew-cap", "name": "Cora Cap", "email": "cap@crew.example.com",
            "captain_certified": true, "available_dates": [day], "certifications": ["deckhand"], "active": true}]),
    );
    run.ok(&["roster", "import", "roster.json"]);
    let id = uuid::Uuid::new_v4().to_string();
    run.ok(&[
        "charter", "add", "--id", &id, "--date", &day, "--vessel", "Marlin", "--guests", "4",
    ]);

    // `dispatch run 2>> dispatch.log &`, as the runbook starts it.
    let log = run.dir().join("dispatch.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    let mut running = run.start(
        &["run", "--only", "ingest,workers"],
        Stdio::null(),
        Stdio::from(file),
    );
    let end = Instant::now() + Duration::from_secs(90);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("job failed; will retry")
    {
        assert!(
            Instant::now() < end,
            "no retry logged:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    running.terminate();
    let _ = std::io::stdout().flush();

    let commands = runbook_log_commands(&id);
    let grep = commands
        .iter()
        .find(|c| c.starts_with("grep "))
        .expect("the grep line");
    let jq = commands
        .iter()
        .find(|c| c.starts_with("jq "))
        .expect("the jq line");
    for (name, command) in [("grep", grep), ("jq", jq)] {
        let out = sh(&run, command);
        let line = out
            .lines()
            .find(|l| l.contains("job failed; will retry"))
            .unwrap_or_else(|| panic!("{name} finds no retry line:\n{command}\n{out}"));
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let reason = v["reason"].as_str().unwrap_or_default();
        assert!(!reason.is_empty(), "{name}: the line says why: {line}");
        let spans = v["spans"].as_array().cloned().unwrap_or_default();
        for field in ["kind", "key", "charter_id"] {
            assert!(
                spans.iter().any(|s| s.get(field).is_some()),
                "{name}: the line carries the job's {field}: {line}"
            );
        }
    }
    // The one-charter reconcile line of the block runs too (the mail still cannot go).
    let reconcile = commands
        .iter()
        .find(|c| c.starts_with("RUST_LOG=info dispatch charter reconcile"))
        .expect("the reconcile line");
    let out = sh(&run, reconcile);
    assert!(out.contains(&id), "{reconcile}\n{out}");
}
