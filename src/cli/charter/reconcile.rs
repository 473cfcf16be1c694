//! `dispatch charter reconcile ID|--all`: the reconciler by hand, for ops and the engineer on
//! call (the sweep does the same every minute inside `dispatch run`).

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::{Backend, Settings};

/// `dispatch charter reconcile ID|--all`.
pub async fn run(
    settings: &Settings,
    backend: &Backend,
    id: Option<&str>,
    all: bool,
) -> anyhow::Result<ExitCode> {
    let cascade = crate::app::cascade(settings, backend)?;
    if all {
        let today = cascade.today();
        let days = dispatch_cascade::jobs::RECONCILE_ALL_DAYS;
        let dated = cascade
            .reconcile_dates(today, days)
            .await
            .context("reconciling the charters of the next two years")?;
        let r = cascade
            .sweep()
            .await
            .context("reconciling the unsettled charters (the sweep)")?;
        println!(
            "{} charter(s) dated from {today} for {days} days: {} reconciled, {} moved, {} failed",
            dated.charters, dated.reconciled, dated.moved, dated.failed
        );
        println!(
            "{} unsettled charter(s) (any date): {} reconciled, {} moved, {} settled, {} failed",
            r.charters, r.reconciled, r.moved, r.settled, r.failed
        );
        let r = dispatch_cascade::sweep::SweepReport {
            failed: r.failed + dated.failed,
            ..r
        };
        return Ok(if r.failed > 0 {
            eprintln!("some charters could not be reconciled (see the log); run it again, or wait for the next sweep");
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    let raw = id.unwrap_or_default();
    let id = super::ids::charter_id(raw)?;
    if backend
        .charters
        .get(&id)
        .await
        .context("reading crew-dispatch")?
        .is_none()
        && backend
            .offers
            .for_charter(&id)
            .await
            .context("reading offers")?
            .is_empty()
    {
        anyhow::bail!("{}", super::ids::no_charter(raw, &id));
    }
    let r = cascade
        .reconcile(&id)
        .await
        .with_context(|| format!("reconciling charter {id}"))?;
    println!(
        "charter {id}: {} action(s); now {}",
        r.actions,
        r.status.map_or("removed", |s| s.as_str())
    );
    Ok(ExitCode::SUCCESS)
}
