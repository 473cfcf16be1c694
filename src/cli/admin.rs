//! `dispatch bootstrap` and `dispatch doctor`.

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::ports::Provisioned;
use dispatch_core::{Backend, Settings};

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

pub async fn doctor(settings: &Settings, backend: &Backend) -> anyhow::Result<ExitCode> {
    for line in describe_google(settings) {
        println!("{line}");
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
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{bad} of {} checks failed", checks.len());
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::config::{DriveKind, MailKind};

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
