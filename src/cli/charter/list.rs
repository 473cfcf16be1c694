//! `dispatch charter list`: the charters of a date range (at most 400 days) by name (captain, crew of crew needed,
//! whom we wait on, why one needs attention), as a table fitted to the terminal, the plain
//! layout when stdout is not a terminal, or `--json`.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use dispatch_cascade::overview::Overview;
use dispatch_core::domain::{BookingRef, CharterDate, Month};
use dispatch_core::zone::BusinessZone;
use dispatch_core::{Backend, Settings};
use futures::StreamExt;

use super::ids::date;
use crate::cli::table;

/// Days `charter list` shows without --to or --month.
const LIST_DAYS: u64 = 30;
/// The most days (both ends counted) `charter list` reads (one query per day): a longer range
/// is refused.
pub const MAX_LIST_DAYS: i64 = 400;

/// The flags of `charter list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// First date, YYYY-MM-DD (default: today, UTC).
    #[arg(long, conflicts_with = "month")]
    pub from: Option<String>,
    /// Last date, YYYY-MM-DD (default: 30 days from --from; a range is at most 400 days).
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
    // Both ends count: --from 2024-01-01 --to 2024-01-01 is one day.
    let days = (to.naive() - from.naive()).num_days() + 1;
    if days > MAX_LIST_DAYS {
        bail!(
            "--from {from} --to {to} is {days} days; charter list reads at most {MAX_LIST_DAYS} days at a time (one query per day): split the range, or use --month"
        );
    }
    Ok((from, to))
}

/// `dispatch charter list`.
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
    let refs = booking_refs(backend, &all).await?;
    if a.json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .zip(&refs)
            .map(|(o, r)| {
                let mut v = serde_json::to_value(o).unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    m.insert("needs_attention".into(), o.needs_attention().into());
                    m.insert(
                        "booking_ref".into(),
                        r.as_ref().map(|r| r.to_string()).into(),
                    );
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
    let rows: Vec<Row> = all.iter().zip(refs).collect();
    if table::stdout_is_terminal() {
        print!("{}", terminal_table(&zone, &rows, None));
    } else {
        for line in plain_table(&zone, &rows) {
            println!("{line}");
        }
    }
    println!(
        "{} {what} from {from} to {to} (times in {})",
        all.len(),
        zone.name()
    );
    Ok(ExitCode::SUCCESS)
}

/// A charter as listed: its overview and its booking reference.
type Row<'a> = (&'a Overview, Option<BookingRef>);

/// The booking reference of each charter, in order (read a few at a time).
async fn booking_refs(
    backend: &Backend,
    all: &[Overview],
) -> anyhow::Result<Vec<Option<BookingRef>>> {
    futures::stream::iter(all)
        .map(|o| async move {
            backend
                .charters
                .booking_ref(&o.charter_id)
                .await
                .with_context(|| format!("reading charter {} from crew-dispatch", o.charter_id))
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
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
                "{} ({}) until {}{}{}",
                w.who.name,
                w.role,
                zone.format_time(w.until),
                if w.overdue { " (overdue)" } else { "" },
                super::undelivered::note(zone, w, None)
                    .map_or(String::new(), |n| format!(" ({n})"))
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One charter's cells, in [`HEAD`]'s order.
fn cells(zone: &BusinessZone, (o, r): &Row) -> [String; 8] {
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
        r.as_ref().map_or(String::new(), |r| r.to_string()),
    ]
}

/// The columns of `charter list` (the booking reference last, so the columns before it stay
/// where scripts expect them; empty when the charter has none).
const HEAD: [&str; 8] = [
    "DATE",
    "VESSEL",
    "STATUS",
    "CAPTAIN",
    "CREW (have/needed)",
    "WAITING ON",
    "ID",
    "REF",
];

/// The plain layout of `charter list` (stdout not a terminal): one line per charter in padded
/// columns, its reasons under it as `NEEDS ATTENTION: …` lines. Stable: scripts and tests read it.
fn plain_table(zone: &BusinessZone, all: &[Row]) -> Vec<String> {
    let rows: Vec<[String; 8]> = all.iter().map(|o| cells(zone, o)).collect();
    let head = HEAD;
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
    let mut out = vec![line(&head.map(String::from))];
    for (r, (o, _)) in rows.iter().zip(all) {
        out.push(line(r));
        for why in &o.attention {
            out.push(format!("    NEEDS ATTENTION: {why}"));
        }
    }
    out
}

/// The table of `charter list` on a terminal: one row per charter, its date, vessel, id and
/// booking reference stacked in the first column (the id kept whole, so it can be copied), the
/// other cells wrapped to `width` (the terminal's when `None`); then each charter needing
/// attention with its reasons.
fn terminal_table(zone: &BusinessZone, all: &[Row], width: Option<u16>) -> String {
    let head = [
        "CHARTER",
        "STATUS",
        "CAPTAIN",
        "CREW (have/needed)",
        "WAITING ON",
    ];
    let mut t = table::for_people(&head, width);
    let head_cell = |date: &str, vessel: &str, id: &str, r: &str| {
        if r.is_empty() {
            format!("{date}\n{vessel}\n{id}")
        } else {
            format!("{date}\n{vessel}\n{id}\n{r}")
        }
    };
    for row in all {
        let [date, vessel, status, captain, crew, waiting, id, r] = cells(zone, row);
        t.add_row(vec![
            head_cell(&date, &vessel, &id, &r),
            status,
            captain,
            crew,
            waiting,
        ]);
    }
    table::keep_whole(&mut t, &[0]);
    let mut out = format!("{t}\n");
    let attention: Vec<&Row> = all.iter().filter(|(o, _)| o.needs_attention()).collect();
    if !attention.is_empty() {
        let mut why = table::for_people(&["CHARTER", "NEEDS ATTENTION"], width);
        for row in attention {
            let o = row.0;
            let [date, vessel, .., id, r] = cells(zone, row);
            why.add_row(vec![
                head_cell(&date, &vessel, &id, &r),
                o.attention.join("\n"),
            ]);
        }
        table::keep_whole(&mut why, &[0]);
        out.push_str(&format!("{why}\n"));
    }
    out
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
