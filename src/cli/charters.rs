//! `dispatch charter add|import` and `dispatch roster import`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dispatch_core::domain::{Charter, CharterDate, CharterId, CharterStatus, Money};
use dispatch_core::ports::Inserted;
use dispatch_core::{Backend, Settings};

use crate::import;

#[derive(Debug, Subcommand)]
pub enum CharterCommand {
    /// Book one charter (as the booking system would).
    Add(AddArgs),
    /// Import charters from a JSON array (plain or DynamoDB JSON). Good rows are stored, bad rows
    /// are named, and the command exits non-zero if any row was bad. Re-importing is harmless.
    Import {
        /// The JSON file.
        file: PathBuf,
    },
    /// Charters by date: vessel, status, captain and crew by name, crew needed, whom we are
    /// waiting on and until when, and why a charter needs attention (names to call).
    List(super::ops::ListArgs),
    /// One charter (by name: captain, crew of crew needed, whom we wait on, why it needs
    /// attention) and its thread (offers, answers, lapses, escalations, staffing), oldest first.
    Show {
        /// The charter id.
        id: String,
    },
    /// Put a member on a charter by hand (after a phone call): takes their day's hold as an
    /// accept does, refuses a member booked that day, withdraws the slot's open offer.
    Assign(super::ops::AssignArgs),
    /// Take a member off a charter: their hold is released and the slot is offered again.
    Unassign {
        /// The charter id.
        id: String,
        /// The member's crew id.
        member: String,
    },
    /// Cancel a charter: open offers withdrawn, holds released, the assigned crew told.
    Cancel {
        /// The charter id.
        id: String,
    },
    /// Ask again: clear "already asked" for the named members (default: everyone who let an
    /// offer of this charter lapse), then reconcile, so an escalated charter gets offers again.
    Reoffer {
        /// The charter id.
        id: String,
        /// A member (crew id) to ask again, e.g. one who declined; repeat for several.
        #[arg(long = "include", value_name = "MEMBER")]
        include: Vec<String>,
    },
    /// Reconcile a charter now (or, with --all, every unsettled charter from today to +60 days,
    /// as the sweep does): lapse what is overdue, make the next offer, escalate, release.
    Reconcile {
        /// The charter id.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every unsettled charter in the horizon.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Import roster members from a JSON array (same rules as `charter import`; members are upserted).
    Import {
        /// The JSON file.
        file: PathBuf,
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

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Charter date, YYYY-MM-DD (the business's local date).
    #[arg(long)]
    pub date: String,
    /// Vessel name.
    #[arg(long)]
    pub vessel: String,
    /// Number of guests.
    #[arg(long, default_value_t = 0)]
    pub guests: u32,
    /// A guest's name (repeat for several).
    #[arg(long = "guest-name")]
    pub guest_names: Vec<String>,
    /// Reportable revenue, e.g. 1850.25 (never negative).
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub revenue: String,
    /// Tips, e.g. 200 (never negative).
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    pub tips: String,
    /// Crew slots besides the captain (default: from vessel config).
    #[arg(long)]
    pub crew_needed: Option<u32>,
    /// Charter id (a UUID; default: a new one).
    #[arg(long)]
    pub id: Option<String>,
}

pub async fn run_charter(
    settings: &Settings,
    backend: &Backend,
    cmd: CharterCommand,
) -> anyhow::Result<ExitCode> {
    use super::ops;
    match cmd {
        CharterCommand::Add(a) => add(backend, a).await,
        CharterCommand::Import { file } => import_charters(backend, &file).await,
        CharterCommand::List(a) => ops::list(settings, backend, a).await,
        CharterCommand::Show { id } => show(settings, backend, &id).await,
        CharterCommand::Assign(a) => ops::assign(settings, backend, a).await,
        CharterCommand::Unassign { id, member } => ops::unassign(settings, backend, &id, &member).await,
        CharterCommand::Cancel { id } => ops::cancel(settings, backend, &id).await,
        CharterCommand::Reoffer { id, include } => ops::reoffer(settings, backend, &id, &include).await,
        CharterCommand::Reconcile { .. } => {
            bail!("charter reconcile needs the settings; it is run by cli::run")
        }
    }
}

async fn show(settings: &Settings, backend: &Backend, raw: &str) -> anyhow::Result<ExitCode> {
    let id = CharterId::parse(raw).with_context(|| format!("`{raw}` is not a charter id (a UUID)"))?;
    let Some(o) = super::ops::show(settings, backend, &id).await? else {
        anyhow::bail!("no charter {id} in crew-dispatch (check the id and DISPATCH_PREFIX)");
    };
    let zone = settings.zone();
    super::ops::print_overview(&zone, &o);
    let thread = backend
        .thread
        .list(&id)
        .await
        .context("reading charter-chats")?;
    let roster = backend.roster.list().await.context("reading crew-roster")?.items;
    let name = |m: &dispatch_core::domain::CrewId| {
        roster.iter().find(|r| &r.crew_id == m).map_or(m.to_string(), |r| r.name.clone())
    };
    println!("thread ({} entries):", thread.len());
    for e in thread {
        println!(
            "  {}  {:<14} {:<16} {}",
            zone.format_time(e.ts),
            e.kind.as_str(),
            e.crew_id.as_ref().map_or(String::new(), name),
            e.text
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_roster(
    settings: &Settings,
    backend: &Backend,
    cmd: RosterCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        RosterCommand::Import { file } => import_roster(settings, backend, &file).await,
        RosterCommand::Sync { .. } => unreachable!("dispatched in cli::run (needs the settings)"),
    }
}

/// After a roster change: reconcile the upcoming unstaffed charters on the dates the changed
/// members are available, so an escalated charter is offered to a member just added.
pub async fn reconcile_after_roster(
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

async fn add(backend: &Backend, a: AddArgs) -> anyhow::Result<ExitCode> {
    let charter = Charter {
        charter_id: match &a.id {
            Some(id) => CharterId::parse(id).context("--id")?,
            None => CharterId::new_random(),
        },
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        charter_date: CharterDate::parse(&a.date).context("--date")?,
        vessel_name: a.vessel.trim().to_string(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: a.guests,
        guest_names: a.guest_names,
        reportable_revenue: Money::parse(&a.revenue).context("--revenue")?,
        tips: Money::parse(&a.tips).context("--tips")?,
        status: CharterStatus::Booked,
        crew_needed: a.crew_needed,
    };
    if charter.vessel_name.is_empty() {
        bail!("--vessel must not be empty");
    }
    if let Err(why) = charter.check_new() {
        // Name the flag rather than the attribute.
        let why = [
            ("`vessel_name`", "--vessel"),
            ("`reportable_revenue`", "--revenue"),
            ("`tips`", "--tips"),
            ("`guest_count`", "--guests"),
            ("`crew_needed`", "--crew-needed"),
            ("`guest_names[", "--guest-name ["),
            ("`guest_names`", "--guest-name"),
            ("]` ", "] "),
        ]
        .iter()
        .fold(why, |w, (a, flag)| w.replace(a, flag));
        bail!("{why}; nothing was booked");
    }
    match backend
        .charters
        .insert(&charter)
        .await
        .context("storing the charter")?
    {
        Inserted::New => println!(
            "booked charter {} on {} ({})",
            charter.charter_id, charter.charter_date, charter.vessel_name
        ),
        Inserted::AlreadyExists => println!(
            "charter {} already exists; left unchanged",
            charter.charter_id
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Stores every good charter of a file; returns (new, already there, bad rows).
pub async fn store_charters(
    backend: &Backend,
    parsed: &import::Parsed<Charter>,
) -> anyhow::Result<(usize, usize)> {
    let (mut new, mut existing) = (0, 0);
    for c in &parsed.good {
        match backend
            .charters
            .insert(c)
            .await
            .with_context(|| format!("storing charter {}", c.charter_id))?
        {
            Inserted::New => new += 1,
            Inserted::AlreadyExists => existing += 1,
        }
    }
    Ok((new, existing))
}

async fn import_charters(backend: &Backend, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let parsed = import::charters_from_file(file)?;
    let (new, existing) = store_charters(backend, &parsed).await?;
    println!(
        "{}: {new} charters stored, {existing} already there, {} bad rows",
        file.display(),
        parsed.bad.len()
    );
    report_bad(&parsed.bad)
}

async fn import_roster(
    settings: &Settings,
    backend: &Backend,
    file: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let parsed = import::members_from_file(file)?;
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
    reconcile_after_roster(settings, backend, &parsed.good).await?;
    report_bad(&parsed.bad)
}

fn report_bad(bad: &[import::BadRow]) -> anyhow::Result<ExitCode> {
    if bad.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for b in bad {
        eprintln!("  skipped {b}");
    }
    eprintln!(
        "fix the rows above and import the file again (rows already stored are left as they are)"
    );
    Ok(ExitCode::from(2))
}
