//! Nothing stuck, whatever the charter's date: three `dispatch run` processes share one stack
//! (one SQLite file, or one moto stack), charters are dated years ahead (far beyond any date
//! window a sweep might read), captains answer through any process's crew page (accept, decline,
//! or let the offer lapse), and one process is killed with SIGKILL at random moments and
//! restarted. Every offer must be answered or lapse within its deadline plus one visibility
//! timeout, and every charter must end staffed or escalated.
//!
//! Run it many times in a row with `STUCK_RUNS=20 cargo nextest run --test stuck local`
//! (`STUCK_SEED` picks the first seed).

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use dispatch_core::domain::{CharterId, OfferStatus, Role};
use dispatch_core::Backend;

/// How long an offer stays open in this test: on the embedded backend, and on moto, whose
/// requests are slow enough under load that a shorter window could close before its mail is out
/// (the cascade then withdraws the unsent offer and asks again: correct, but it never lapses).
const OFFER_TIMEOUT_S: u64 = 6;
const AWS_OFFER_TIMEOUT_S: u64 = 20;
/// The sweep's interval in this test.
const SWEEP_S: u64 = 5;
/// The workers' visibility timeout (their default: a killed worker's message comes back then).
const VISIBILITY_S: i64 = 60;
/// Time to notice and carry out a lapse once it is due (a poll, a reconcile on a busy moto).
const SLACK_S: i64 = 15;
/// Captains on the roster: a charter nobody accepts lapses through all of them, then escalates.
const CAPTAINS: usize = 4;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The test's settings for every `dispatch` it starts.
struct Env {
    dir: PathBuf,
    vars: Vec<(String, String)>,
    offer_timeout_s: u64,
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dispatch"));
        cmd.args(args)
            .current_dir(&self.dir)
            .env("DISPATCH_DATA_DIR", self.dir.join("data"))
            .env("DISPATCH_SWEEP_INTERVAL_SECS", SWEEP_S.to_string())
            .env(
                "DISPATCH_OFFER_TIMEOUT_SECS",
                self.offer_timeout_s.to_string(),
            )
            .env("DISPATCH_OPS_EMAILS", "ops@charter.example.com")
            .env(
                "RUST_LOG",
                "warn,dispatch_mailer=info,dispatch_cascade=info",
            )
            .env_remove("DISPATCH_BACKEND")
            .env_remove("DISPATCH_LISTEN")
            .env_remove("DISPATCH_PUBLIC_URL");
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    fn ok(&self, args: &[&str]) {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "dispatch {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `dispatch run` (everything: stream, workers, sweep, crew page on `port`), log to `log`.
    fn run(&self, port: u16, log: &Path) -> Child {
        let file = std::fs::File::create(log).unwrap();
        self.command(&["run"])
            .env("DISPATCH_LISTEN", format!("127.0.0.1:{port}"))
            .env("DISPATCH_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap()
    }
}

/// The `dispatch run` processes of one scenario: killed (by pid) when the scenario ends, also
/// when an assertion fails, so a failing run leaves nothing running.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for p in &mut self.0 {
            if matches!(p.try_wait(), Ok(None)) {
                kill9(p);
            }
        }
    }
}

/// SIGKILL, by pid: the process gets no chance to release anything.
fn kill9(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 exchange with a crew page; `None` when the process is down.
fn http(port: u16, request: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    s.write_all(request.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// Answers an offer (its token from the mail) through the crew page on `port`: reads the page
/// for the form guard, then posts the answer. `false` if that process is down right now.
fn answer(port: u16, token: &str, accept: bool) -> bool {
    let page = match http(
        port,
        &format!("GET /o/{token} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    ) {
        Some(p) => p,
        None => return false,
    };
    let Some(guard) = page
        .split("name=\"guard\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
    else {
        // Already answered, lapsed or withdrawn: nothing to press.
        return true;
    };
    let body = format!("guard={guard}");
    let what = if accept { "accept" } else { "decline" };
    http(
        port,
        &format!(
            "POST /o/{token}/{what} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
    .is_some()
}

/// The offer token in an offer mail (the body may be quoted-printable).
fn token_in(mail: &Path) -> Option<String> {
    let raw = std::fs::read_to_string(mail).ok()?;
    let text = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let after = text.split("/o/").nth(1)?;
    let token: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .collect();
    (!token.is_empty()).then_some(token)
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// How one charter ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Staffed,
    Escalated,
}

async fn end_of(backend: &Backend, id: &CharterId) -> Option<End> {
    let c = backend.charters.get(id).await.ok()??;
    if c.captain_assigned.is_some() {
        return Some(End::Staffed);
    }
    let thread = backend.thread.list(id).await.ok()?;
    thread
        .iter()
        .any(|e| e.kind == dispatch_core::domain::ThreadKind::Escalated)
        .then_some(End::Escalated)
}

async fn scenario(backend: Backend, env: Env, charters: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    // Years ahead: beyond any horizon a sweep could read by date.
    let base = Utc::now().date_naive() + chrono::Days::new(3 * 365 + rng.below(200));
    let days: Vec<String> = (0..6)
        .map(|d| (base + chrono::Days::new(d)).format("%Y-%m-%d").to_string())
        .collect();
    let roster: Vec<serde_json::Value> = (0..CAPTAINS)
        .map(|i| {
            serde_json::json!({
                "crew_id": format!("crew-s{i}"), "name": format!("Sam {i}"),
                "email": format!("s{i}@crew.example.com"), "captain_certified": true,
                "available_dates": days, "certifications": [], "active": true
            })
        })
        .collect();
    write_json(&env.dir.join("roster.json"), &serde_json::json!(roster));
    env.ok(&["roster", "import", "roster.json"]);
    let ids: Vec<CharterId> = (0..charters)
        .map(|_| CharterId::parse(&uuid::Uuid::new_v4().to_string()).unwrap())
        .collect();
    let rows: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            // No crew slot is asked for: the captain's cascade is the one under test.
            serde_json::json!({
                "charter_id": id.to_string(), "created_at": format!("2026-11-01T10:00:{:02}.{:03}Z", i % 60, i),
                "charter_date": days[i % days.len()], "vessel_name": "Marlin", "crew_needed": 0,
                "guest_count": 4, "reportable_revenue": "100", "tips": "0", "status": "booked"
            })
        })
        .collect();
    write_json(&env.dir.join("charters.json"), &serde_json::json!(rows));

    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut logs = Vec::new();
    let mut procs = Procs(
        ports
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let log = env.dir.join(format!("p{i}-0.log"));
                logs.push(log.clone());
                env.run(*p, &log)
            })
            .collect(),
    );
    env.ok(&["charter", "import", "charters.json"]);

    let outbox = dispatch_mailer::Outbox::new(env.dir.join("data/outbox"));
    // What the test decided for each offer it saw: answer it (accept or decline) or let it lapse.
    let mut decided: HashMap<String, u64> = HashMap::new();
    let started = Instant::now();
    let mut next_kill = started + Duration::from_millis(2_000 + rng.below(8_000));
    let mut kills = 0;
    let give_up = started
        + Duration::from_secs(
            CAPTAINS as u64 * env.offer_timeout_s * 4 + VISIBILITY_S as u64 + 120,
        );
    let mut worst_overdue = chrono::Duration::zero();
    loop {
        let now = Utc::now();
        let mut settled = 0;
        for id in &ids {
            if end_of(&backend, id).await.is_some() {
                settled += 1;
                continue;
            }
            for o in backend.offers.for_charter(id).await.unwrap() {
                if o.status != OfferStatus::Open {
                    continue;
                }
                let overdue = now - o.expires_at;
                worst_overdue = worst_overdue.max(overdue);
                assert!(
                    overdue <= chrono::Duration::seconds(VISIBILITY_S + SLACK_S),
                    "charter {id}: offer {} to {} still open {}s after its deadline (seed {seed:#x}); logs in {}",
                    o.offer_id,
                    o.crew_id,
                    overdue.num_seconds(),
                    env.dir.display()
                );
                let choice = *decided
                    .entry(o.offer_id.to_string())
                    .or_insert_with(|| rng.below(3));
                // 0: let it lapse; 1: decline; 2: accept (only the last captain accepts, now
                // and then, so most charters see lapses and declines first).
                if choice == 0 {
                    continue;
                }
                let Some(token) = token_in(&outbox.file_for(&format!("mail#offer#{}", o.offer_id)))
                else {
                    continue;
                };
                let port = ports[rng.below(ports.len() as u64) as usize];
                if answer(port, &token, choice == 2 && rng.below(2) == 0) {
                    decided.insert(o.offer_id.to_string(), 0);
                }
            }
        }
        if settled == ids.len() {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "{} of {} charters neither staffed nor escalated after {:?} (seed {seed:#x}); logs in {}",
            ids.len() - settled,
            ids.len(),
            started.elapsed(),
            env.dir.display()
        );
        if Instant::now() > next_kill && kills < 4 {
            let victim = rng.below(procs.0.len() as u64) as usize;
            kill9(&mut procs.0[victim]);
            kills += 1;
            let log = env.dir.join(format!("p{victim}-{kills}.log"));
            logs.push(log.clone());
            procs.0[victim] = env.run(ports[victim], &log);
            next_kill = Instant::now() + Duration::from_millis(1_000 + rng.below(9_000));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(procs);
    // No member double-booked: a captain holds at most one charter a day.
    let mut booked: HashMap<(String, String), usize> = HashMap::new();
    for id in &ids {
        let c = backend.charters.get(id).await.unwrap().unwrap();
        if let Some(m) = &c.captain_assigned {
            *booked
                .entry((m.to_string(), c.charter_date.to_string()))
                .or_default() += 1;
        }
        let offers = backend.offers.for_charter(id).await.unwrap();
        let accepted = offers
            .iter()
            .filter(|o| o.status == OfferStatus::Accepted && o.role == Role::Captain)
            .count();
        assert!(accepted <= 1, "charter {id}: {accepted} captains accepted");
    }
    assert!(
        booked.values().all(|n| *n == 1),
        "a captain booked twice on one day: {booked:?}"
    );
    eprintln!(
        "{} charters settled in {:?} with {kills} kills; worst overdue open offer {}s",
        ids.len(),
        started.elapsed(),
        worst_overdue.num_seconds()
    );
}

/// The test's folder: kept after the run with `STUCK_KEEP=1`, to read the processes' logs.
fn test_dir() -> tempfile::TempDir {
    let mut dir = tempfile::tempdir().unwrap();
    if std::env::var_os("STUCK_KEEP").is_some() {
        dir.disable_cleanup(true);
    }
    dir
}

fn runs() -> u64 {
    std::env::var("STUCK_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1)
}

fn first_seed() -> u64 {
    std::env::var("STUCK_SEED")
        .ok()
        .and_then(|r| u64::from_str_radix(r.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x57ac)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_three_processes_and_sigkill_leave_no_offer_open_past_its_deadline() {
    for run in 0..runs() {
        let dir = test_dir();
        let env = Env {
            dir: dir.path().to_path_buf(),
            vars: vec![],
            offer_timeout_s: OFFER_TIMEOUT_S,
        };
        env.ok(&["bootstrap"]);
        let local = dispatch_core::local::Local::open_path(
            &dir.path().join("data/dispatch.sqlite3"),
            "",
            5,
        )
        .unwrap();
        scenario(local.backend(), env, 24, first_seed() + run).await;
    }
}

mod aws {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn three_processes_and_sigkill_leave_no_offer_open_past_its_deadline() {
        for run in 0..runs() {
            let dir = test_dir();
            let prefix = format!("s{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            let env = Env {
                dir: dir.path().to_path_buf(),
                offer_timeout_s: AWS_OFFER_TIMEOUT_S,
                vars: vec![
                    ("DISPATCH_BACKEND".into(), "aws".into()),
                    ("DISPATCH_PREFIX".into(), prefix.clone()),
                    ("AWS_ENDPOINT_URL".into(), common::endpoint()),
                    (
                        "AWS_ENDPOINT_URL_DYNAMODB".into(),
                        common::dynamodb_endpoint(),
                    ),
                    (
                        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS".into(),
                        common::dynamodb_endpoint(),
                    ),
                    ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
                    ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
                    ("AWS_REGION".into(), "us-east-1".into()),
                    // A key made for this test (never one kept in the repo).
                    (
                        "DISPATCH_LINK_KEYS".into(),
                        format!("k1:{}", {
                            use base64::Engine;
                            let bytes: Vec<u8> = (0..2)
                                .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
                                .collect();
                            base64::engine::general_purpose::STANDARD.encode(bytes)
                        }),
                    ),
                ],
            };
            env.ok(&["bootstrap"]);
            let backend = common::aws_with_prefix(&prefix, 5).await.backend();
            scenario(backend, env, 12, first_seed() + run).await;
        }
    }
}
