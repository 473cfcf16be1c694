//! The long-running process and the other backend: `dispatch run` offers a new charter and stops
//! cleanly on SIGTERM; `bootstrap` and `doctor` against the emulator.

use std::process::Stdio;

use crate::common::{dispatch, text, Dispatch};

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
    let mut child = Dispatch::local(dir.path()).start_run("ingest,workers", Stdio::null());
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
    let status = child.terminate();
    assert!(status.success(), "{status:?}");
}

/// Tests that need the emulator live under `aws::` so `scripts/test` counts them.
mod aws {
    use crate::common::{text, Dispatch};

    #[test]
    fn bootstrap_and_doctor_against_the_emulator() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("cli{}-", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let aws = Dispatch::local(dir.path()).aws(&prefix);
        let before = aws.output(&["doctor"]);
        assert!(!before.status.success());
        assert!(
            text(&before).contains("missing: run `dispatch bootstrap`"),
            "{}",
            text(&before)
        );
        let boot = aws.output(&["bootstrap"]);
        assert!(boot.status.success(), "{}", text(&boot));
        assert_eq!(
            text(&boot).matches(" created").count(),
            12,
            "{}",
            text(&boot)
        );
        let twice = aws.output(&["bootstrap"]);
        assert_eq!(
            text(&twice).matches("already there").count(),
            12,
            "{}",
            text(&twice)
        );
        let doctor = aws.output(&["doctor"]);
        assert!(doctor.status.success(), "{}", text(&doctor));
        assert!(text(&doctor).contains("all 12 tables and queues are as expected"));
        let add = aws.output(&[
            "charter",
            "add",
            "--date",
            "2024-05-03",
            "--vessel",
            "Marlin",
        ]);
        assert!(add.status.success(), "{}", text(&add));
    }
}
