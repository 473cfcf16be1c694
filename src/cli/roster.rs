//! `dispatch roster import|sync|list|show`: roster members from a JSON file, or from the
//! availability workbook (`dispatch-monthend`'s roster sync); after either, the upcoming
//! unstaffed charters the change could help are reconciled. `list` and `show` are in
//! [`crate::cli::roster_view`].

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use dispatch_core::{Backend, Settings};
use dispatch_monthend::roster;

use crate::cli::charter::import::report_bad;
use crate::import;

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Import roster members from a JSON array (same rules as `charter import`; members are
    /// upserted; names are trimmed and must not be blank).
    Import {
        /// The JSON file.
        file: PathBuf,
    },
    /// Every member: name, id, roles (captain / crew), certifications, active, and the next 3
    /// days they are available from today (in the business's zone).
    List,
    /// Everything about one member and the charters they hold from today on.
    Show {
        /// The member: crew id, e-mail or full name.
        member: String,
    },
    /// Sync members and availability from the availability workbook (the Google Sheet, or a local
    /// .xlsx on the embedded default). Prints created/updated/unchanged and every unreadable cell;
    /// exit code 2 when some cells could not be read (the rest is synced).
    Sync {
        /// Read this .xlsx instead of the configured sheet.
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

/// Runs a `roster` command.
pub async fn run(
    settings: &Settings,
    backend: &Backend,
    cmd: RosterCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        RosterCommand::Import { file } => import_file(settings, backend, &file).await,
        RosterCommand::Sync { file } => sync(settings, backend, file).await,
        RosterCommand::List => crate::cli::roster_view::list(settings, backend).await,
        RosterCommand::Show { member } => {
            crate::cli::roster_view::show(settings, backend, &member).await
        }
    }
}

/// `dispatch roster import FILE`.
async fn import_file(
    settings: &Settings,
    backend: &Backend,
    file: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let parsed = import::members_from_file(file)?;
    // As stored before: only the charters whose candidates the import changes are reconciled.
    let before = backend
        .roster
        .list()
        .await
        .context("reading the roster before the import")?
        .items;
    backend
        .roster
        .upsert_batch(&parsed.good)
        .await
        .context("writing roster members")?;
    println!(
        "{}: {} members upserted, {} bad rows",
        file.display(),
        parsed.good.len(),
        parsed.bad.len()
    );
    let cascade = crate::app::cascade(settings, backend)?;
    let today = settings.zone().today(chrono::Utc::now());
    let r = cascade
        .reconcile_for_import(&before, &parsed.good, today)
        .await
        .context("reconciling the charters whose candidates the import changed")?;
    if r.reconciled > 0 {
        println!(
            "{} upcoming unstaffed charter(s) on their dates reconciled: {} moved, {} failed",
            r.reconciled, r.moved, r.failed
        );
    }
    report_bad(&parsed.bad)
}

/// `dispatch roster sync [--file X.xlsx]`.
async fn sync(
    settings: &Settings,
    backend: &Backend,
    file: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let ctx = crate::app::month_context(settings, backend)?;
    let report = roster::sync(&ctx, file).await.context("roster sync")?;
    println!("{report}");
    reconcile_after_roster(settings, backend, &report.written).await?;
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// After a roster change: reconcile the upcoming unstaffed charters on the dates the changed
/// members are available, so an escalated charter is offered to a member just added.
async fn reconcile_after_roster(
    settings: &Settings,
    backend: &Backend,
    members: &[dispatch_core::domain::CrewMember],
) -> anyhow::Result<()> {
    let cascade = crate::app::cascade(settings, backend)?;
    let today = settings.zone().today(chrono::Utc::now());
    let r = cascade
        .reconcile_for_roster(members, today, dispatch_cascade::jobs::SWEEP_DAYS)
        .await
        .context("reconciling the charters the roster change could help")?;
    if r.reconciled > 0 {
        println!(
            "{} upcoming unstaffed charter(s) on their dates reconciled: {} moved, {} failed",
            r.reconciled, r.moved, r.failed
        );
    }
    Ok(())
}
