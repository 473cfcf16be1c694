//! `dispatch bootstrap` and `dispatch doctor`.

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::ports::Provisioned;
use dispatch_core::{Backend, Settings};
use dispatch_mailer::MailSender;

pub async fn bootstrap(backend: &Backend) -> anyhow::Result<ExitCode> {
    println!("bootstrapping {}", backend.admin.describe());
    let done = backend
        .admin
        .bootstrap()
        .await
        .context("creating tables and queues")?;
    for (what, status) in done {
        let s = match status {
            Provisioned::Created => "created",
            Provisioned::AlreadyThere => "already there",
        };
        println!("  {what:<40} {s}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Where mail, reports and the availability sheet go and come from, as configured (no calls).
pub fn describe_google(settings: &Settings) -> Vec<String> {
    use dispatch_core::config::{DriveKind, MailKind};
    let mail = match settings.mail {
        MailKind::Outbox => format!(
            "mail: outbox folder {}",
            settings.data_dir.join("outbox").display()
        ),
        MailKind::Gmail => format!(
            "mail: Gmail as {} (domain-wide delegation)",
            settings.mail_from
        ),
        MailKind::Smtp => match crate::app::smtp_mailer(settings) {
            Ok(m) => format!("mail: {} from {}", m.describe(), settings.mail_from),
            Err(e) => format!("mail: SMTP, not usable: {e:#}"),
        },
    };
    let (files, roster) = match settings.drive {
        DriveKind::Folder => (
            format!(
                "reports: folder {}",
                settings.data_dir.join("drive").join(&settings.reports_folder).display()
            ),
            format!("availability: workbook {}", settings.roster_path().display()),
        ),
        DriveKind::Google => (
            format!(
                "reports: Drive folder `{}` in {}",
                settings.reports_folder,
                match &settings.shared_drive_id {
                    Some(id) => format!("shared drive {id}"),
                    None => format!("My Drive of {} (domain-wide delegation; a service account has no Drive storage of its own)", settings.mail_from),
                }
            ),
            format!("availability: Google Sheet `{}`", settings.roster_sheet),
        ),
    };
    let auditor = match &settings.auditor_email {
        Some(a) => format!("statements: CC {a}"),
        None => "statements: no auditor set (DISPATCH_AUDITOR_EMAIL): no CC".to_string(),
    };
    vec![mail, files, roster, auditor]
}

/// Settings that work but will surprise someone (each line says what to set).
pub fn setting_warnings(settings: &Settings) -> Vec<String> {
    use dispatch_core::config::MailKind;
    let mut out = Vec::new();
    match settings.mail {
        MailKind::Outbox => out.push(format!(
            "mail is `outbox`: offers, confirmations and statements are only written to {}; \
             nobody receives these: set DISPATCH_MAIL (smtp with DISPATCH_SMTP_URL, or gmail) \
             to reach people",
            settings.data_dir.join("outbox").display()
        )),
        MailKind::Smtp | MailKind::Gmail => {
            if let Some(p) = public_url_problem(&settings.public_url) {
                out.push(p);
            }
        }
    }
    if settings.ops_emails.is_empty() {
        out.push(
            "ops_emails is empty: escalations (a charter nobody is left to crew) and the shared \
             revenue workbook go to nobody; set DISPATCH_OPS_EMAILS (comma-separated) or \
             ops_emails in dispatch.toml"
                .to_string(),
        );
    }
    out
}

/// Why crew could not open the links of a mail that reaches them, if they could not: the public
/// URL is loopback (the crew's phone is not this machine) or plain http on a real host.
pub fn public_url_problem(public_url: &str) -> Option<String> {
    let (scheme, rest) = public_url.split_once("://")?;
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    if loopback {
        Some(format!(
            "public_url {public_url} is this machine: links in mails to crew will not open on \
             their phones; put the crew page behind a reverse proxy with HTTPS and set \
             DISPATCH_PUBLIC_URL to its address (README, \"Going live\")"
        ))
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(format!(
            "public_url {public_url} is plain http: magic links travel unencrypted; serve the \
             crew page over HTTPS (README, \"Going live\") and set DISPATCH_PUBLIC_URL to https://…"
        ))
    } else {
        None
    }
}

/// The local folders this configuration writes to: the outbox (`DISPATCH_MAIL=outbox`) and the
/// reports folder (`DISPATCH_DRIVE=folder`).
pub fn local_folders(settings: &Settings) -> Vec<(&'static str, std::path::PathBuf)> {
    use dispatch_core::config::{DriveKind, MailKind};
    let mut out = Vec::new();
    if settings.mail == MailKind::Outbox {
        out.push(("outbox folder", settings.data_dir.join("outbox")));
    }
    if settings.drive == DriveKind::Folder {
        out.push((
            "reports folder",
            settings
                .data_dir
                .join("drive")
                .join(&settings.reports_folder),
        ));
    }
    out
}

/// Whether a file can be written in `dir` (made if missing): `None` when it can, else what is
/// wrong and what to do.
pub fn folder_problem(dir: &std::path::Path) -> Option<String> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return Some(format!(
            "cannot create {}: {e}; create it or point DISPATCH_DATA_DIR elsewhere",
            dir.display()
        ));
    }
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    match std::fs::write(&probe, b"doctor") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => Some(format!(
            "cannot write in {}: {e}; give the user running dispatch write access (e.g. chmod u+w {})",
            dir.display(),
            dir.display()
        )),
    }
}

pub async fn doctor(settings: &Settings, backend: &Backend) -> anyhow::Result<ExitCode> {
    for line in describe_google(settings) {
        println!("{line}");
    }
    for w in setting_warnings(settings) {
        println!("  WARN  {w}");
    }
    let mut folders_bad = 0;
    if settings.mail == dispatch_core::config::MailKind::Smtp {
        // Connect, secure and authenticate as a send would; no mail is sent.
        let checked = match crate::app::smtp_mailer(settings) {
            Ok(m) => m.check().await.map_err(anyhow::Error::from),
            Err(e) => Err(e),
        };
        match checked {
            Ok(line) => println!("  ok    mail server: {line}"),
            Err(e) => {
                folders_bad += 1;
                println!("  FAIL  mail server: {e:#}");
            }
        }
    }
    for (what, dir) in local_folders(settings) {
        match folder_problem(&dir) {
            None => println!("  ok    {what} {} is writable", dir.display()),
            Some(p) => {
                folders_bad += 1;
                println!("  FAIL  {what}: {p}");
            }
        }
    }
    println!("checking {}", backend.admin.describe());
    let checks = backend
        .admin
        .doctor()
        .await
        .context("checking tables and queues (is the backend reachable?)")?;
    let mut bad = 0;
    for c in &checks {
        match &c.problem {
            None => println!("  ok    {}", c.subject),
            Some(p) => {
                bad += 1;
                println!("  FAIL  {}: {p}", c.subject);
            }
        }
    }
    if bad == 0 {
        println!("all {} tables and queues are as expected", checks.len());
    } else {
        println!("{bad} of {} checks failed", checks.len());
    }
    if bad == 0 {
        // Is anything running? The sweep's heartbeat says (tables first: they hold it).
        let now = chrono::Utc::now();
        let beats = backend
            .heartbeats
            .all()
            .await
            .context("reading the heartbeats")?;
        let health = super::status::sweep_health(settings, &beats, now);
        match super::status::sweep_line(&health, now) {
            Ok(line) if health == super::status::SweepHealth::NeverRan => {
                println!("  WARN  {line}")
            }
            Ok(line) => println!("  ok    {line}"),
            Err(line) => {
                bad += 1;
                println!("  FAIL  {line}");
            }
        }
    }
    if folders_bad > 0 {
        println!("{folders_bad} of the mail server and local folders failed (see FAIL above)");
    }
    Ok(if bad + folders_bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::config::{DriveKind, MailKind};

    #[test]
    fn empty_ops_emails_is_a_warning_naming_the_setting() {
        let w = setting_warnings(&Settings::default()).join("\n");
        assert!(
            w.contains("ops_emails is empty") && w.contains("DISPATCH_OPS_EMAILS"),
            "{w}"
        );
        let set = Settings {
            ops_emails: vec!["ops@jada.example".into()],
            mail: MailKind::Smtp,
            smtp_url: Some("smtps://ops%40jada.example@smtp.jada.example:465".into()),
            public_url: "https://crew.jada.example/crew".into(),
            ..Settings::default()
        };
        assert!(setting_warnings(&set).is_empty());
    }

    #[test]
    fn outbox_and_unreachable_links_are_warnings_saying_what_to_set() {
        let w = setting_warnings(&Settings::default()).join("\n");
        assert!(
            w.contains("nobody receives these") && w.contains("DISPATCH_MAIL"),
            "{w}"
        );
        let people = |url: &str| Settings {
            ops_emails: vec!["ops@jada.example".into()],
            mail: MailKind::Gmail,
            public_url: url.into(),
            ..Settings::default()
        };
        for url in [
            "http://127.0.0.1:8080",
            "https://localhost",
            "http://[::1]:8080/crew",
            "http://0.0.0.0:8080",
        ] {
            let w = setting_warnings(&people(url)).join("\n");
            assert!(
                w.contains("is this machine") && w.contains("DISPATCH_PUBLIC_URL"),
                "{url}: {w}"
            );
        }
        let w = setting_warnings(&people("http://crew.jada.example")).join("\n");
        assert!(w.contains("plain http") && w.contains("https://"), "{w}");
        assert!(setting_warnings(&people("https://crew.jada.example")).is_empty());
    }

    #[test]
    fn folders_are_checked_by_writing_in_them() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        let folders = local_folders(&s);
        assert_eq!(
            folders.len(),
            2,
            "outbox and reports folder on the embedded default"
        );
        for (_, f) in &folders {
            assert_eq!(folder_problem(f), None);
            assert_eq!(
                std::fs::read_dir(f).unwrap().count(),
                0,
                "the probe is removed"
            );
        }
        // A file where the folder should be cannot be made into one.
        let blocked = dir.path().join("blocked");
        std::fs::write(&blocked, b"x").unwrap();
        let p = folder_problem(&blocked.join("outbox")).unwrap();
        assert!(p.contains("cannot create") && p.contains("outbox"), "{p}");
    }

    #[test]
    fn doctor_says_shared_drive_or_delegation() {
        let mut s = Settings {
            drive: DriveKind::Google,
            mail: MailKind::Gmail,
            mail_from: "office@jada.example".into(),
            ..Settings::default()
        };
        let lines = describe_google(&s).join("\n");
        assert!(
            lines.contains("My Drive of office@jada.example (domain-wide delegation"),
            "{lines}"
        );
        assert!(lines.contains("Gmail as office@jada.example"), "{lines}");
        s.shared_drive_id = Some("0ABCdrive".into());
        assert!(describe_google(&s)
            .join("\n")
            .contains("shared drive 0ABCdrive"));
        let local = describe_google(&Settings::default()).join("\n");
        assert!(
            local.contains("reports: folder") && local.contains("availability.xlsx"),
            "{local}"
        );
    }
}
