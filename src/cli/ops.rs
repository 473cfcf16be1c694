//! The ops commands: `dispatch charter list|assign|unassign|cancel|reoffer` and `dispatch ops
//! link`, each a thin call into the cascade ([`dispatch_cascade::ops`],
//! [`dispatch_cascade::overview`]); and the overview lines `charter show` prints.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dispatch_cascade::ops::{Done, OpsError, SlotKind};
use dispatch_cascade::overview::Overview;
use dispatch_cascade::Cascade;
use dispatch_core::domain::{CharterDate, CharterId, CrewId, Month};
use dispatch_core::zone::BusinessZone;
use dispatch_core::{Backend, Settings};

/// Days `charter list` shows without --to or --month.
const LIST_DAYS: u64 = 30;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// First date, YYYY-MM-DD (default: today, UTC).
    #[arg(long, conflicts_with = "month")]
    pub from: Option<String>,
    /// Last date, YYYY-MM-DD (default: 30 days from --from).
    #[arg(long, conflicts_with = "month")]
    pub to: Option<String>,
    /// One month, YYYY-MM, instead of --from/--to.
    #[arg(long)]
    pub month: Option<String>,
    /// Only the charters that need attention (nobody left to ask, a double booking).
    #[arg(long)]
    pub needs_attention: bool,
    /// One JSON array, for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("slot").required(true).args(["captain", "crew"])))]
pub struct AssignArgs {
    /// The charter id.
    pub id: String,
    /// Make this member (crew id) the captain.
    #[arg(long, value_name = "MEMBER")]
    pub captain: Option<String>,
    /// Put this member (crew id) on the crew.
    #[arg(long, value_name = "MEMBER")]
    pub crew: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// Print a fresh link to the ops board (the next 30 days; read-only).
    Link,
}

fn charter_id(raw: &str) -> anyhow::Result<CharterId> {
    CharterId::parse(raw).with_context(|| {
        format!("`{raw}` is not a charter id (a UUID; `dispatch charter list` shows them)")
    })
}

fn crew_id(raw: &str) -> anyhow::Result<CrewId> {
    CrewId::parse(raw).with_context(|| format!("`{raw}` is not a crew id"))
}

fn date(flag: &str, raw: &str) -> anyhow::Result<CharterDate> {
    CharterDate::parse(raw).with_context(|| format!("{flag}: `{raw}` is not a date (YYYY-MM-DD)"))
}

fn today(zone: &BusinessZone) -> CharterDate {
    zone.today(chrono::Utc::now())
}

/// The dates `charter list` covers.
fn range(a: &ListArgs, zone: &BusinessZone) -> anyhow::Result<(CharterDate, CharterDate)> {
    if let Some(m) = &a.month {
        let m = Month::parse(m).map_err(|e| anyhow::anyhow!("--month: {e}"))?;
        let first = CharterDate::from_naive(m.first_day());
        let last = m.days().last().unwrap_or(first);
        return Ok((first, last));
    }
    let from = a
        .from
        .as_deref()
        .map(|d| date("--from", d))
        .transpose()?
        .unwrap_or_else(|| today(zone));
    let to = match a.to.as_deref() {
        Some(d) => date("--to", d)?,
        None => from
            .naive()
            .checked_add_days(chrono::Days::new(LIST_DAYS))
            .map(CharterDate::from_naive)
            .unwrap_or(from),
    };
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    Ok((from, to))
}

pub async fn list(settings: &Settings, backend: &Backend, a: ListArgs) -> anyhow::Result<ExitCode> {
    let zone = settings.zone();
    let (from, to) = range(&a, &zone)?;
    let cascade = crate::app::cascade(settings, backend)?;
    let mut all = cascade
        .overviews(from, to)
        .await
        .with_context(|| format!("reading the charters from {from} to {to}"))?;
    if a.needs_attention {
        all.retain(Overview::needs_attention);
    }
    if a.json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .map(|o| {
                let mut v = serde_json::to_value(o).unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    m.insert("needs_attention".into(), o.needs_attention().into());
                }
                v
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    let what = if a.needs_attention {
        "charters needing attention"
    } else {
        "charters"
    };
    if all.is_empty() {
        println!("no {what} from {from} to {to}");
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&zone, &all);
    println!(
        "{} {what} from {from} to {to} (times in {})",
        all.len(),
        zone.name()
    );
    Ok(ExitCode::SUCCESS)
}

fn crew_cell(o: &Overview) -> String {
    let names: Vec<&str> = o.crew.iter().map(|p| p.name.as_str()).collect();
    format!(
        "{} ({}/{})",
        if names.is_empty() {
            "-".to_string()
        } else {
            names.join(", ")
        },
        o.crew.len(),
        o.crew_needed
    )
}

fn waiting_cell(zone: &BusinessZone, o: &Overview) -> String {
    if o.waiting.is_empty() {
        return "-".into();
    }
    o.waiting
        .iter()
        .map(|w| {
            format!(
                "{} ({}) until {}{}",
                w.who.name,
                w.role,
                zone.format_time(w.until),
                if w.overdue { " (overdue)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The table of `charter list`: one line per charter, its reasons under it.
fn print_table(zone: &BusinessZone, all: &[Overview]) {
    let rows: Vec<[String; 7]> = all
        .iter()
        .map(|o| {
            [
                format!("{} {}", o.charter_date.naive().format("%a"), o.charter_date),
                o.vessel.clone(),
                o.status.as_str().to_string(),
                o.captain
                    .as_ref()
                    .map_or("-".to_string(), |p| p.name.clone()),
                crew_cell(o),
                waiting_cell(zone, o),
                o.charter_id.to_string(),
            ]
        })
        .collect();
    let head = [
        "DATE",
        "VESSEL",
        "STATUS",
        "CAPTAIN",
        "CREW (have/needed)",
        "WAITING ON",
        "ID",
    ];
    let mut width = head.map(|h| h.chars().count());
    for r in &rows {
        for (w, cell) in width.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(width.iter())
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(&head.map(String::from)));
    for (r, o) in rows.iter().zip(all) {
        println!("{}", line(r));
        for why in &o.attention {
            println!("    NEEDS ATTENTION: {why}");
        }
    }
}

/// The head of `charter show`: the charter by name, its crew needed, whom we wait on, and why it
/// needs attention.
pub fn print_overview(zone: &BusinessZone, o: &Overview) {
    println!(
        "charter {} on {} aboard {}: {} · {} guests",
        o.charter_id,
        dispatch_core::zone::format_date(o.charter_date),
        o.vessel,
        o.status.as_str(),
        o.guest_count
    );
    println!(
        "  captain: {}",
        o.captain
            .as_ref()
            .map_or("-".to_string(), |p| format!("{} ({})", p.name, p.crew_id))
    );
    let crew: Vec<String> = o
        .crew
        .iter()
        .map(|p| format!("{} ({})", p.name, p.crew_id))
        .collect();
    println!(
        "  crew: {} of {} needed{}",
        o.crew.len(),
        o.crew_needed,
        if crew.is_empty() {
            String::new()
        } else {
            format!(": {}", crew.join(", "))
        }
    );
    for w in &o.waiting {
        println!(
            "  waiting on {} ({}) for {} until {}{}",
            w.who.name,
            w.who.crew_id,
            w.role,
            zone.format_time(w.until),
            if w.overdue {
                " (overdue: the next sweep lapses it)"
            } else {
                ""
            }
        );
    }
    for why in &o.attention {
        println!("  NEEDS ATTENTION: {why}");
    }
    if o.needs_attention() {
        println!(
            "  what you can do: dispatch charter assign {id} --captain|--crew MEMBER · dispatch charter reoffer {id} [--include MEMBER...] · dispatch charter cancel {id}",
            id = o.charter_id
        );
    }
}

fn report(done: Result<Done, OpsError>) -> anyhow::Result<ExitCode> {
    match done {
        Ok(d) => {
            println!(
                "{} ({} reconcile action(s))",
                d.summary, d.reconciled.actions
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(OpsError::Cascade(e)) => Err(anyhow::Error::new(e)
            .context("the cascade step failed; run the command again (it is safe to repeat)")),
        Err(e) => bail!("{e}"),
    }
}

async fn after(cascade: &Cascade, id: &CharterId) {
    if let Ok(Some(o)) = cascade.overview(id).await {
        print_overview(&cascade.cfg.zone, &o);
    }
}

pub async fn assign(
    settings: &Settings,
    backend: &Backend,
    a: AssignArgs,
) -> anyhow::Result<ExitCode> {
    let id = charter_id(&a.id)?;
    let (member, kind) = match (&a.captain, &a.crew) {
        (Some(m), None) => (crew_id(m)?, SlotKind::Captain),
        (None, Some(m)) => (crew_id(m)?, SlotKind::Crew),
        _ => bail!("give exactly one of --captain MEMBER or --crew MEMBER"),
    };
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(cascade.assign(&id, &member, kind).await)?;
    after(&cascade, &id).await;
    Ok(code)
}

pub async fn unassign(
    settings: &Settings,
    backend: &Backend,
    id: &str,
    member: &str,
) -> anyhow::Result<ExitCode> {
    let (id, member) = (charter_id(id)?, crew_id(member)?);
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(cascade.unassign(&id, &member).await)?;
    after(&cascade, &id).await;
    Ok(code)
}

pub async fn cancel(settings: &Settings, backend: &Backend, id: &str) -> anyhow::Result<ExitCode> {
    let id = charter_id(id)?;
    let cascade = crate::app::cascade(settings, backend)?;
    report(cascade.cancel(&id).await)
}

pub async fn reoffer(
    settings: &Settings,
    backend: &Backend,
    id: &str,
    include: &[String],
) -> anyhow::Result<ExitCode> {
    let id = charter_id(id)?;
    let include = include
        .iter()
        .map(|m| crew_id(m))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(cascade.reoffer(&id, &include).await)?;
    after(&cascade, &id).await;
    Ok(code)
}

pub async fn show(
    settings: &Settings,
    backend: &Backend,
    id: &CharterId,
) -> anyhow::Result<Option<Overview>> {
    let cascade = crate::app::cascade(settings, backend)?;
    cascade
        .overview(id)
        .await
        .with_context(|| format!("reading charter {id}"))
}

pub async fn run(
    settings: &Settings,
    backend: &Backend,
    cmd: OpsCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        OpsCommand::Link => {
            let cascade = crate::app::cascade(settings, backend)?;
            println!("{}", cascade.ops_link(chrono::Utc::now()));
            eprintln!("valid for 7 days; anyone with this link can read the board (not change it)");
            Ok(ExitCode::SUCCESS)
        }
    }
}
