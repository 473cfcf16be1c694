//! `dispatch charter show`: one charter (by id or booking reference) by name (captain, crew of crew needed, whom we wait on,
//! why it needs attention), its thread oldest first, and its dead letters with the command that
//! replays each; and [`print_overview`], the head the ops actions print after acting too.

use std::process::ExitCode;

use anyhow::Context;
use dispatch_cascade::overview::Overview;
use dispatch_core::domain::{BookingRef, CharterId};
use dispatch_core::zone::BusinessZone;
use dispatch_core::{Backend, Settings};

use super::ids::{charter_id, no_charter};
use super::undelivered;
use crate::cli::dlq_charter as dlq;

/// `dispatch charter show ID|REF`.
pub async fn show(settings: &Settings, backend: &Backend, raw: &str) -> anyhow::Result<ExitCode> {
    let id = charter_id(raw)?;
    if let Some(code) = super::show_malformed::show(backend, &id).await? {
        return Ok(code);
    }
    let Some(o) = overview(settings, backend, &id).await? else {
        anyhow::bail!("{}", no_charter(raw, &id));
    };
    let zone = settings.zone();
    let booking_ref = booking_ref(backend, &id).await?;
    let thread = backend
        .thread
        .list(&id)
        .await
        .context("reading charter-chats")?;
    print_overview_with(
        &zone,
        &o,
        booking_ref.as_ref(),
        &undelivered::last_errors(&thread),
    );
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
    for line in dlq::lines_for(backend, &id).await {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The booking system's reference of a charter, if it was stored with one.
pub async fn booking_ref(backend: &Backend, id: &CharterId) -> anyhow::Result<Option<BookingRef>> {
    backend
        .charters
        .booking_ref(id)
        .await
        .with_context(|| format!("reading charter {id} from crew-dispatch"))
}

/// The charter by name, as the cascade sees it now; `None` if there is no such charter.
async fn overview(
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

/// The head of `charter show`: the charter (and its booking reference) by name, its crew needed,
/// whom we wait on, and why it needs attention.
pub fn print_overview(zone: &BusinessZone, o: &Overview, booking_ref: Option<&BookingRef>) {
    print_overview_with(zone, o, booking_ref, &Default::default());
}

/// [`print_overview`], with the last mail error of each member whose offer has not gone out.
fn print_overview_with(
    zone: &BusinessZone,
    o: &Overview,
    booking_ref: Option<&BookingRef>,
    last_errors: &std::collections::HashMap<dispatch_core::domain::CrewId, String>,
) {
    println!(
        "charter {}{} on {} aboard {}: {} · {} guests",
        o.charter_id,
        booking_ref.map_or(String::new(), |r| format!(" (booking {r})")),
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
        if let Some(n) = undelivered::note(zone, w, last_errors.get(&w.who.crew_id)) {
            println!("    {n}");
        }
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
