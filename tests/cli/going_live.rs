//! A small operator going live on one box (README, "Going live"): mail through their SMTP
//! server, checked by `doctor` (connect, STARTTLS, AUTH; no mail), and sent by `dispatch run`;
//! `doctor` warns about links crew cannot open and about the outbox nobody reads. A real SMTP
//! server on loopback (aiosmtpd, `scripts/smtp_server.py`) with a CA made by the test.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{text, Dispatch};
use crate::smtp;

/// `dispatch` in `dir` on the embedded backend, mailing as the office to ops, with `env` set.
fn runner(dir: &Path, env: &[(&str, String)]) -> Dispatch {
    let base = Dispatch::local(dir)
        .env("DISPATCH_OPS_EMAILS", "ops@charter.example.com")
        .env("DISPATCH_MAIL_FROM", "office@charter.example.com");
    env.iter().fold(base, |run, (k, v)| run.env(k, v))
}

/// Runs `dispatch ARGS` in `dir` to the end.
fn dispatch(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    runner(dir, env).output(args)
}

/// The SMTP settings of `server` (STARTTLS required, AUTH, the test's CA).
fn smtp_env(server: &smtp::Server, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DISPATCH_MAIL", "smtp".into()),
        (
            "DISPATCH_SMTP_URL",
            format!(
                "smtp://ops%40example.com@127.0.0.1:{}?tls=required",
                server.port
            ),
        ),
        ("DISPATCH_SMTP_PASSWORD", password.into()),
        ("DISPATCH_SMTP_CA_FILE", server.ca().display().to_string()),
    ]
}

#[test]
fn doctor_connects_and_authenticates_to_the_smtp_server_and_never_prints_the_password() {
    let server = smtp::Server::start("starttls", "none");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(dispatch(d, &["bootstrap"], &[]).status.success());

    let out = dispatch(d, &["doctor"], &smtp_env(&server, smtp::PASSWORD));
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("ok    mail server: SMTP 127.0.0.1:"), "{t}");
    assert!(
        t.contains("(STARTTLS") && t.contains("connected, AUTH PLAIN accepted; no mail sent"),
        "{t}"
    );
    // Loopback public URL while mail goes to people: a warning, not a failure.
    assert!(
        t.contains("WARN  public_url http://127.0.0.1:8080 is this machine"),
        "{t}"
    );
    assert!(!t.contains("nobody receives these"), "{t}");
    assert!(!t.contains(smtp::PASSWORD), "{t}");
    assert!(server.received().is_empty(), "doctor sends no mail");

    let wrong = dispatch(d, &["doctor"], &smtp_env(&server, "wrong horse"));
    let t = text(&wrong);
    assert!(!wrong.status.success(), "{t}");
    assert!(t.contains("FAIL  mail server:"), "{t}");
    assert!(!t.contains("wrong horse"), "{t}");

    // mail = smtp without a server is refused at load, naming the variable.
    let none = dispatch(d, &["doctor"], &[("DISPATCH_MAIL", "smtp".into())]);
    assert!(!none.status.success());
    assert!(text(&none).contains("DISPATCH_SMTP_URL"), "{}", text(&none));
}

#[test]
fn doctor_on_the_embedded_default_warns_that_nobody_receives_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(dispatch(d, &["bootstrap"], &[]).status.success());
    let out = dispatch(d, &["doctor"], &[]);
    let t = text(&out);
    assert!(out.status.success(), "warnings do not fail doctor: {t}");
    assert!(
        t.contains("WARN  mail is `outbox`") && t.contains("nobody receives these"),
        "{t}"
    );
    assert!(t.contains("set DISPATCH_MAIL"), "{t}");
}

#[test]
fn dispatch_run_mails_the_offer_through_the_smtp_server() {
    let server = smtp::Server::start("starttls", "none");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = smtp_env(&server, smtp::PASSWORD);
    assert!(dispatch(d, &["bootstrap"], &env).status.success());
    let date = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    std::fs::write(
        d.join("roster.json"),
        serde_json::json!([{
            "crew_id": "crew-ana", "name": "Ana Silva", "email": "ana@crew.example.com",
            "captain_certified": true, "available_dates": [date],
            "certifications": ["deckhand"], "active": true
        }])
        .to_string(),
    )
    .unwrap();
    let out = dispatch(d, &["roster", "import", "roster.json"], &env);
    assert!(out.status.success(), "{}", text(&out));
    let out = dispatch(
        d,
        &[
            "charter", "add", "--date", &date, "--vessel", "Marlin", "--guests", "4",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", text(&out));

    // Killed (by pid) when the test ends, also when an assertion fails.
    let _run = runner(d, &env)
        .env("DISPATCH_LISTEN", "127.0.0.1:0")
        .start_logged(&["run"], &d.join("run.log"));

    let deadline = Instant::now() + Duration::from_secs(60);
    let offer = loop {
        if let Some(m) = server.received().into_iter().find(|m| {
            m["rcpt_tos"]
                .as_array()
                .is_some_and(|r| r.iter().any(|a| a == "ana@crew.example.com"))
        }) {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "no offer reached the SMTP server in 60 s; dispatch run said:\n{}",
            std::fs::read_to_string(d.join("run.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(offer["auth_user"], "ops@example.com");
    assert_eq!(offer["tls"], true);
    let data = offer["data"].as_str().unwrap();
    assert!(data.contains("Message-ID: <"), "{data}");
    assert!(
        data.contains("/o/"),
        "the offer carries its magic link: {data}"
    );
    let log = std::fs::read_to_string(d.join("run.log")).unwrap_or_default();
    assert!(!log.contains(smtp::PASSWORD), "{log}");
}

#[test]
fn status_and_doctor_tell_a_running_sweep_from_a_stopped_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fast = [("DISPATCH_SWEEP_INTERVAL_SECS", "1".to_string())];
    assert!(dispatch(d, &["bootstrap"], &fast).status.success());
    // A fresh bootstrap: nothing ever ran; a warning, not a failure.
    let out = dispatch(d, &["doctor"], &fast);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("WARN  sweep: never ran"),
        "{}",
        text(&out)
    );
    let status = |d: &Path| -> serde_json::Value {
        let out = dispatch(d, &["status", "--json"], &fast);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("status --json is JSON ({e}): {}", text(&out)))
    };
    let s = status(d);
    assert!(s["parts"]["sweep"].is_null(), "{s}");
    assert_eq!(s["sweep"]["ok"], true, "{s}");
    assert_eq!(s["queues"]["cascade-dlq"]["visible"], 0, "{s}");

    // `dispatch run` beats: the sweep after each pass, the other parts every 30 s from the start.
    // Killed (by pid) when dropped below, or when an assertion fails before.
    let run = runner(d, &fast)
        .env("DISPATCH_LISTEN", "127.0.0.1:0")
        .start_logged(&["run"], &d.join("run.log"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let s = loop {
        let s = status(d);
        if !s["parts"]["sweep"].is_null()
            && !s["parts"]["consumer"].is_null()
            && !s["parts"]["workers"].is_null()
            && !s["parts"]["web"].is_null()
        {
            break s;
        }
        assert!(Instant::now() < deadline, "no heartbeats in 60 s: {s}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(s["parts"]["sweep"]["did"]["charters"].is_u64(), "{s}");
    assert!(
        s["parts"]["workers"]["did"]["JobsProcessed"].is_u64(),
        "{s}"
    );
    let out = dispatch(d, &["doctor"], &fast);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("ok    sweep: last completed"),
        "{}",
        text(&out)
    );
    let human = dispatch(d, &["status"], &fast);
    assert!(human.status.success(), "{}", text(&human));
    assert!(text(&human).contains("sweep     "), "{}", text(&human));

    // Stopped: after three sweep intervals without a sweep, doctor and status fail, naming it.
    drop(run);
    let deadline = Instant::now() + Duration::from_secs(60);
    let out = loop {
        let out = dispatch(d, &["doctor"], &fast);
        if !out.status.success() {
            break out;
        }
        assert!(
            Instant::now() < deadline,
            "doctor still passes a minute after dispatch run stopped: {}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let t = text(&out);
    assert!(
        t.contains("FAIL  sweep: none completed for 3 sweep intervals")
            && t.contains("dispatch run"),
        "{t}"
    );
    let st = dispatch(d, &["status", "--json"], &fast);
    assert!(!st.status.success());
    let s: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(s["sweep"]["ok"], false, "{s}");
}

#[cfg(unix)]
#[test]
fn the_data_folder_is_the_owners_alone_and_wide_open_link_keys_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = dispatch(d, &["demo"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let data = d.join("data");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data folder");
    assert_eq!(mode(&data.join("outbox")), 0o700, "the outbox");
    assert_eq!(mode(&data.join("link-keys")), 0o600, "the magic-link keys");
    let mut files = 0;
    for e in std::fs::read_dir(&data)
        .unwrap()
        .chain(std::fs::read_dir(data.join("outbox")).unwrap())
    {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_file()
            && (name.ends_with(".eml") || name.contains(".sqlite") || name.ends_with(".db"))
        {
            files += 1;
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    assert!(files > 2, "the database and the mails were checked");

    std::fs::set_permissions(
        data.join("link-keys"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = dispatch(
        d,
        &["ops", "link", "--for", "ops@example.com"],
        &[("DISPATCH_OPS_EMAILS", "ops@example.com".to_string())],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("link-keys") && t.contains("chmod 600"), "{t}");
}

#[test]
fn a_bad_magic_link_key_fails_doctor_naming_the_key_and_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(dispatch(d, &["bootstrap"], &[]).status.success());
    // In the setting: refused at load, naming the setting.
    let bad = [("DISPATCH_LINK_KEYS", "k1:-not-base64-".to_string())];
    let out = dispatch(d, &["doctor"], &bad);
    assert!(!out.status.success());
    assert!(text(&out).contains("DISPATCH_LINK_KEYS"), "{}", text(&out));
    // In the embedded key file (or a secret), which the settings never see: doctor names the
    // key, where it is and what to do, instead of `run` failing with "Invalid symbol".
    let file = d.join("data/link-keys");
    std::fs::write(&file, "local1:-not-base64-\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = dispatch(d, &["doctor"], &[]);
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("FAIL  magic-link key `local1` (entry 1 in ")
            && t.contains("link-keys")
            && t.contains("openssl rand -base64 32"),
        "{t}"
    );
    let good = [(
        "DISPATCH_LINK_KEYS",
        "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
    )];
    let out = dispatch(d, &["doctor"], &good);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("ok    magic-link keys"),
        "{}",
        text(&out)
    );
}
