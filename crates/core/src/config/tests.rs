//! Loading and checking settings, end to end: defaults, file and environment layering, and
//! errors that name the setting.

use std::path::PathBuf;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_match_the_design() {
    let s = Settings::load_from(None, &[]).unwrap();
    assert_eq!(s.backend, BackendKind::Local);
    assert_eq!(s.data_dir, PathBuf::from("./dispatch-data"));
    assert_eq!(s.public_url, "http://127.0.0.1:8080");
    assert_eq!(s.listen, "127.0.0.1:8080");
    assert_eq!(s.mail, MailKind::Outbox);
    assert_eq!(s.drive, DriveKind::Folder);
    assert_eq!(s.prefix, "");
}

#[test]
fn env_overrides_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dispatch.toml");
    std::fs::write(
        &f,
        "backend = \"aws\"\nprefix = \"file-\"\nmax_receive_count = 3\n",
    )
    .unwrap();
    let s = Settings::load_from(
        Some(&f),
        &env(&[
            ("DISPATCH_PREFIX", "env-"),
            ("DISPATCH_OPS_EMAILS", "a@x.com, b@x.com"),
        ]),
    )
    .unwrap();
    assert_eq!(s.backend, BackendKind::Aws);
    assert_eq!(s.prefix, "env-");
    assert_eq!(s.max_receive_count, 3);
    assert_eq!(s.ops_emails, vec!["a@x.com", "b@x.com"]);
}

#[test]
fn errors_name_the_setting() {
    let e = Settings::load_from(None, &env(&[("DISPATCH_BACKEND", "azure")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("backend") && e.contains("DISPATCH_BACKEND"),
        "{e}"
    );
    let e = Settings::load_from(None, &env(&[("DISPATCH_PUBLIC_URL", "example.com")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("DISPATCH_PUBLIC_URL"), "{e}");
    let e = Settings::load_from(None, &env(&[("DISPATCH_MAX_RECEIVE_COUNT", "five")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("DISPATCH_MAX_RECEIVE_COUNT"), "{e}");
    let e = Settings::load_from(None, &env(&[("DISPATCH_OPS_EMAILS", "ops")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ops_emails"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dispatch.toml");
    std::fs::write(&f, "bakend = \"aws\"\n").unwrap();
    let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
    assert!(e.contains("bakend"), "{e}");
}
#[test]
fn hostile_values_are_refused_with_the_setting_named() {
    let err = |pairs: &[(&str, &str)]| {
        Settings::load_from(None, &env(pairs))
            .unwrap_err()
            .to_string()
    };
    let e = err(&[("DISPATCH_MAIL_FROM_NAME", "Crew\r\nBcc: x@evil.com")]);
    assert!(
        e.contains("DISPATCH_MAIL_FROM_NAME") && e.contains("control character"),
        "{e}"
    );
    for url in [
        "https://crew.example.com/?a=1",
        "https://crew.example.com#x",
        "https:///p",
        "https://crew example.com",
    ] {
        let e = err(&[("DISPATCH_PUBLIC_URL", url)]);
        assert!(e.contains("DISPATCH_PUBLIC_URL"), "{url}: {e}");
    }
    assert!(Settings::load_from(
        None,
        &env(&[("DISPATCH_PUBLIC_URL", "https://crew.example.com/base")])
    )
    .is_ok());
    let key = "A".repeat(43);
    let e = err(&[("DISPATCH_LINK_KEYS", &format!("k1:{key},k1:{key}"))]);
    assert!(
        e.contains("DISPATCH_LINK_KEYS") && e.contains("`k1`"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dispatch.toml");
    std::fs::write(&f, "[vessels.\"Sea Breeze\"]\ncrew_needed = -2\n").unwrap();
    let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
    assert!(e.contains("vessels.\"Sea Breeze\".crew_needed"), "{e}");
}

#[test]
fn time_zone_is_an_iana_name() {
    let s = Settings::load_from(None, &[]).unwrap();
    assert_eq!(s.time_zone, "UTC");
    assert_eq!(s.zone().name(), "UTC");
    let s =
        Settings::load_from(None, &env(&[("DISPATCH_TIME_ZONE", "America/Los_Angeles")])).unwrap();
    assert_eq!(s.zone().name(), "America/Los_Angeles");
    let e = Settings::load_from(None, &env(&[("DISPATCH_TIME_ZONE", "Pacific Time")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("time_zone")
            && e.contains("DISPATCH_TIME_ZONE")
            && e.contains("America/New_York"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dispatch.toml");
    std::fs::write(&f, "time_zone = \"Europe/Pariss\"\n").unwrap();
    let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
    assert!(e.contains("Europe/Pariss"), "{e}");
}

#[test]
fn vessels_carry_start_time_and_meeting_point() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dispatch.toml");
    std::fs::write(&f, "office_phone = \"+1 555 0100\"\n[vessels.\"Sea Breeze\"]\nstart_time = \"08:30\"\nmeeting_point = \"Dock B\"\n").unwrap();
    let s = Settings::load_from(Some(&f), &[]).unwrap();
    let v = &s.vessels["Sea Breeze"];
    assert_eq!(v.start(), chrono::NaiveTime::from_hms_opt(8, 30, 0));
    assert_eq!(v.meeting_point.as_deref(), Some("Dock B"));
    assert_eq!(v.duration(), chrono::Duration::hours(4));
    assert_eq!(s.office_phone.as_deref(), Some("+1 555 0100"));
    std::fs::write(
        &f,
        "[vessels.\"Sea Breeze\"]\nstart_time = \"half past eight\"\n",
    )
    .unwrap();
    let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
    assert!(
        e.contains("vessels.\"Sea Breeze\".start_time") && e.contains("HH:MM"),
        "{e}"
    );
}

#[test]
fn misspelled_dispatch_variables_are_named() {
    let unknown = unknown_env_vars(&env(&[
        ("DISPATCH_PUBLC_URL", "x"),
        ("DISPATCH_BACKEND", "local"),
        ("DISPATCH_TEST_AWS_ENDPOINT", "x"),
        ("DISPATCH_WHATEVER_THING", "x"),
    ]));
    assert_eq!(
        unknown,
        vec![
            (
                "DISPATCH_PUBLC_URL".to_string(),
                Some("DISPATCH_PUBLIC_URL".to_string())
            ),
            ("DISPATCH_WHATEVER_THING".to_string(), None),
        ]
    );
}

/// Every duration setting has an upper bound checked at load: the hostile-input finding was an
/// offer timeout that passed `doctor` and then overflowed date arithmetic in `run`.
#[test]
fn durations_have_upper_bounds_checked_at_load() {
    for (var, value, named) in [
        (
            "DISPATCH_OFFER_TIMEOUT_SECS",
            "99999999999999",
            "offer_timeout_secs",
        ),
        (
            "DISPATCH_OFFER_TIMEOUT_SECS",
            "2592001",
            "offer_timeout_secs",
        ),
        ("DISPATCH_OFFER_TIMEOUT_SECS", "0", "offer_timeout_secs"),
        (
            "DISPATCH_SWEEP_INTERVAL_SECS",
            "86401",
            "sweep_interval_secs",
        ),
        ("DISPATCH_PAGE_LINK_DAYS", "366", "page_link_days"),
    ] {
        let err = Settings::load_from(None, &env(&[(var, value)]))
            .expect_err(var)
            .to_string();
        assert!(
            err.contains(named) && err.contains(var),
            "{var}={value}: {err}"
        );
    }
    for (var, value) in [
        ("DISPATCH_OFFER_TIMEOUT_SECS", "2592000"),
        ("DISPATCH_SWEEP_INTERVAL_SECS", "86400"),
        ("DISPATCH_SWEEP_INTERVAL_SECS", "0"),
    ] {
        Settings::load_from(None, &env(&[(var, value)])).expect(var);
    }
}

#[test]
fn alert_thresholds_are_hours_kept_largest_first_and_bounded() {
    assert_eq!(
        Settings::load_from(None, &[]).unwrap().alert_before_hours,
        vec![72, 24]
    );
    let s = Settings::load_from(
        None,
        &env(&[("DISPATCH_ALERT_BEFORE_HOURS", "24, 72,24,6")]),
    )
    .unwrap();
    assert_eq!(s.alert_before_hours, vec![72, 24, 6]);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dispatch.toml");
    std::fs::write(&f, "alert_before_hours = [48]\n").unwrap();
    assert_eq!(
        Settings::load_from(Some(&f), &[])
            .unwrap()
            .alert_before_hours,
        vec![48]
    );
    for bad in ["0", "721", "1,2,3,4,5,6", "72h", "-1"] {
        let e = Settings::load_from(None, &env(&[("DISPATCH_ALERT_BEFORE_HOURS", bad)]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("alert_before_hours") && e.contains("DISPATCH_ALERT_BEFORE_HOURS"),
            "{bad}: {e}"
        );
    }
}
