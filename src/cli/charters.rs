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
    /// are named, and the command exits non-zero if any row was bad. Re-importing is harmless. A
    /// row whose charter id is already stored with other booking details is refused (named)
    /// unless `--update` is given.
    Import {
        /// The JSON file.
        file: PathBuf,
        /// Rows of charters already stored update them in place (date, vessel, guests, revenue,
        /// tips, crew needed; a `cancelled` or `completed` status is applied), keeping who is
        /// assigned.
        #[arg(long)]
        update: bool,
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
    #[arg(long, required_unless_present = "update")]
    pub date: Option<String>,
    /// Vessel name.
    #[arg(long, required_unless_present = "update")]
    pub vessel: Option<String>,
    /// Number of guests (default 0).
    #[arg(long)]
    pub guests: Option<u32>,
    /// A guest's name (repeat for several).
    #[arg(long = "guest-name")]
    pub guest_names: Vec<String>,
    /// Reportable revenue, e.g. 1850.25 (never negative; default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub revenue: Option<String>,
    /// Tips, e.g. 200 (never negative; default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub tips: Option<String>,
    /// Crew slots besides the captain (default: from vessel config).
    #[arg(long)]
    pub crew_needed: Option<u32>,
    /// Charter id (a UUID; default: a new one). An id already stored is refused unless --update.
    #[arg(long)]
    pub id: Option<String>,
    /// Change the stored charter `--id` in place: the flags given replace its date, vessel,
    /// guests, revenue, tips or crew needed; the rest, its captain, crew and status are kept.
    #[arg(long, requires = "id")]
    pub update: bool,
}

pub async fn run_charter(
    settings: &Settings,
    backend: &Backend,
    cmd: CharterCommand,
) -> anyhow::Result<ExitCode> {
    use super::ops;
    match cmd {
        CharterCommand::Add(a) => add(backend, a).await,
        CharterCommand::Import { file, update } => import_charters(backend, &file, update).await,
        CharterCommand::List(a) => ops::list(settings, backend, a).await,
        CharterCommand::Show { id } => show(settings, backend, &id).await,
        CharterCommand::Assign(a) => ops::assign(settings, backend, a).await,
        CharterCommand::Unassign { id, member } => {
            ops::unassign(settings, backend, &id, &member).await
        }
        CharterCommand::Cancel { id } => ops::cancel(settings, backend, &id).await,
        CharterCommand::Reoffer { id, include } => {
            ops::reoffer(settings, backend, &id, &include).await
        }
        CharterCommand::Reconcile { .. } => {
            bail!("charter reconcile needs the settings; it is run by cli::run")
        }
    }
}

async fn show(settings: &Settings, backend: &Backend, raw: &str) -> anyhow::Result<ExitCode> {
    let id =
        CharterId::parse(raw).with_context(|| format!("`{raw}` is not a charter id (a UUID)"))?;
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
    let roster = backend
        .roster
        .list()
        .await
        .context("reading crew-roster")?
        .items;
    let name = |m: &dispatch_core::domain::CrewId| {
        roster
            .iter()
            .find(|r| &r.crew_id == m)
            .map_or(m.to_string(), |r| r.name.clone())
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
    for line in super::dead_letters::lines_for(backend, &id).await {
        println!("{line}");
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
    let charter_id = match &a.id {
        Some(id) => CharterId::parse(id).context("--id")?,
        None => CharterId::new_random(),
    };
    // With --update, the flags given change the stored charter; without, a new one.
    let base = if a.update {
        backend
            .charters
            .get(&charter_id)
            .await
            .context("reading crew-dispatch")?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no charter {charter_id} to update (check the id and DISPATCH_PREFIX); \
                     without --update it is booked as a new charter"
                )
            })?
    } else {
        Charter {
            charter_id: charter_id.clone(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            charter_date: CharterDate::parse(a.date.as_deref().unwrap_or_default())
                .context("--date")?,
            vessel_name: String::new(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 0,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        }
    };
    let mut charter = base;
    if let Some(d) = &a.date {
        charter.charter_date = CharterDate::parse(d).context("--date")?;
    }
    if let Some(v) = &a.vessel {
        charter.vessel_name = v.trim().to_string();
    }
    if let Some(g) = a.guests {
        charter.guest_count = g;
    }
    if !a.guest_names.is_empty() {
        charter.guest_names = a.guest_names.clone();
    }
    if let Some(r) = &a.revenue {
        charter.reportable_revenue = Money::parse(r).context("--revenue")?;
    }
    if let Some(t) = &a.tips {
        charter.tips = Money::parse(t).context("--tips")?;
    }
    if a.crew_needed.is_some() {
        charter.crew_needed = a.crew_needed;
    }
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
    let id = charter.charter_id.clone();
    match store_charter(backend, &charter, a.update).await? {
        Stored::New => println!(
            "booked charter {} on {} ({})",
            charter.charter_id, charter.charter_date, charter.vessel_name
        ),
        Stored::Unchanged => println!("charter {id} is already stored like this; left unchanged"),
        Stored::Updated(c) => println!(
            "updated charter {id}: {} aboard {}, {} guests, revenue {}, tips {} (captain, crew and status kept)",
            c.charter_date, c.vessel_name, c.guest_count, c.reportable_revenue, c.tips
        ),
        Stored::Refused(why) => bail!(
            "{why}; nothing was {}",
            if a.update { "changed" } else { "booked" }
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// What storing one charter did.
#[derive(Debug)]
pub enum Stored {
    New,
    /// Already stored with the same booking details.
    Unchanged,
    /// The stored charter's booking details were changed in place; it as it is now.
    Updated(Charter),
    /// Not stored, and why (what to do).
    Refused(String),
}

/// The booking details of two versions agree (the cascade's fields are left out).
fn same_booking(a: &Charter, b: &Charter) -> bool {
    a.charter_date == b.charter_date
        && a.vessel_name == b.vessel_name
        && a.guest_count == b.guest_count
        && a.guest_names == b.guest_names
        && a.reportable_revenue == b.reportable_revenue
        && a.tips == b.tips
        && a.crew_needed == b.crew_needed
        && (!dispatch_core::ports::booking_sets_status(b) || a.status == b.status)
}

/// Stores a charter under the one-charter-one-record rule: a new id is inserted; an id already
/// stored is refused unless `update`, which rewrites its newest version's booking details in
/// place (never a second item with the same `charter_id`).
pub async fn store_charter(
    backend: &Backend,
    charter: &Charter,
    update: bool,
) -> anyhow::Result<Stored> {
    let id = &charter.charter_id;
    let existing = backend
        .charters
        .get(id)
        .await
        .with_context(|| format!("reading charter {id} from crew-dispatch"))?;
    let Some(old) = existing else {
        return Ok(
            match backend
                .charters
                .insert(charter)
                .await
                .with_context(|| format!("storing charter {id}"))?
            {
                Inserted::New => Stored::New,
                Inserted::AlreadyExists => Stored::Unchanged,
            },
        );
    };
    if same_booking(&old, charter) {
        return Ok(Stored::Unchanged);
    }
    if !update {
        return Ok(Stored::Refused(format!(
            "charter {id} already exists ({} aboard {}, {}); to change it use --update",
            old.charter_date,
            old.vessel_name,
            old.status.as_str()
        )));
    }
    let assigned = old.captain_assigned.is_some() || !old.crew_assigned.is_empty();
    if old.charter_date != charter.charter_date && assigned {
        return Ok(Stored::Refused(format!(
            "charter {id} has crew assigned on {}; moving it to {} would leave their day held: \
             unassign them first, or cancel it and book a new charter",
            old.charter_date, charter.charter_date
        )));
    }
    match backend
        .charters
        .update_booking(&old.key(), charter)
        .await
        .with_context(|| format!("updating charter {id}"))?
    {
        Some(now) => Ok(Stored::Updated(now)),
        None => Ok(Stored::Refused(format!(
            "charter {id} was deleted while being updated; run the command again"
        ))),
    }
}

/// How storing the charters of a file went.
#[derive(Debug, Default)]
pub struct StoreReport {
    pub new: usize,
    pub unchanged: usize,
    pub updated: usize,
    /// Rows not stored, each naming its charter and why.
    pub refused: Vec<String>,
}

/// Stores every good charter of a file (see [`store_charter`]).
pub async fn store_charter_rows(
    backend: &Backend,
    parsed: &import::Parsed<Charter>,
    update: bool,
) -> anyhow::Result<StoreReport> {
    let mut r = StoreReport::default();
    for c in &parsed.good {
        match store_charter(backend, c, update).await? {
            Stored::New => r.new += 1,
            Stored::Unchanged => r.unchanged += 1,
            Stored::Updated(_) => r.updated += 1,
            Stored::Refused(why) => r.refused.push(why),
        }
    }
    Ok(r)
}

/// Stores every good charter of a file, never changing one already stored; returns (new,
/// already there). The demo's loader.
pub async fn store_charters(
    backend: &Backend,
    parsed: &import::Parsed<Charter>,
) -> anyhow::Result<(usize, usize)> {
    let r = store_charter_rows(backend, parsed, false).await?;
    for why in &r.refused {
        eprintln!("  left as stored: {why}");
    }
    Ok((r.new, r.unchanged + r.refused.len()))
}

async fn import_charters(
    backend: &Backend,
    file: &std::path::Path,
    update: bool,
) -> anyhow::Result<ExitCode> {
    let parsed = import::charters_from_file(file)?;
    let r = store_charter_rows(backend, &parsed, update).await?;
    let changed = if r.updated + r.refused.len() > 0 {
        format!("; {} updated, {} refused", r.updated, r.refused.len())
    } else {
        String::new()
    };
    println!(
        "{}: {} charters stored, {} already there, {} bad rows{changed}",
        file.display(),
        r.new,
        r.unchanged,
        parsed.bad.len()
    );
    for why in &r.refused {
        eprintln!("  refused {why}");
    }
    if !r.refused.is_empty() && parsed.bad.is_empty() {
        eprintln!("import the file again with --update to change the charters refused above");
        return Ok(ExitCode::from(2));
    }
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
