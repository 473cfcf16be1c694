//! `dispatch report` and `dispatch statements`: the month-end jobs of `dispatch-monthend` run now,
//! in this process (the queue jobs run the same code). (`dispatch roster sync` is in `roster`.)

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::domain::Month;
use dispatch_core::{Backend, Settings};

use dispatch_monthend::{report, statements};

fn month(raw: &str) -> anyhow::Result<Month> {
    dispatch_monthend::resolve_month(raw, chrono::Utc::now())
        .map_err(|e| anyhow::anyhow!("--month: {e}"))
}

/// `dispatch report --month YYYY-MM`.
pub async fn report(settings: &Settings, backend: &Backend, raw: &str) -> anyhow::Result<ExitCode> {
    let m = month(raw)?;
    let ctx = crate::app::month_context(settings, backend)?;
    let started = std::time::Instant::now();
    let mut progress =
        |stage: &str| eprintln!("  {stage} ({:.1} s)", started.elapsed().as_secs_f64());
    let out = report::run_report(&ctx, m, &mut progress)
        .await
        .with_context(|| format!("monthly report for {m}"))?;
    println!(
        "report {}: {} charters ({} without revenue, {} cancelled left out){} -> {}",
        out.month,
        out.rows,
        out.without_revenue,
        out.cancelled,
        if out.prior_order {
            ", columns in the prior month's order"
        } else {
            ""
        },
        out.file.location
    );
    if !out.shared_with.is_empty() {
        println!("shared with {}", out.shared_with.join(", "));
    }
    for l in &out.left_out {
        eprintln!("warning: left out of the report: {l}");
    }
    if out.unreadable_records > 0 {
        eprintln!(
            "warning: {} charter records of {m} could not be read and are not in the report (see the log lines above)",
            out.unreadable_records
        );
    }
    if out.unreadable_records > 0 || !out.left_out.is_empty() {
        eprintln!("the rest of the month is in the report; fix the records named above and run the report again (it replaces the file)");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// `dispatch statements --month YYYY-MM [--dry-run] [--force]`.
pub async fn statements(
    settings: &Settings,
    backend: &Backend,
    raw: &str,
    dry_run: bool,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let m = month(raw)?;
    if !dry_run && !force {
        dispatch_monthend::refuse_unended(
            m,
            chrono::Utc::now(),
            "pass --force to send them anyway",
        )?;
    }
    let ctx = crate::app::month_context(settings, backend)?;
    if dry_run {
        let planned = statements::plan(&ctx, m)
            .await
            .context("planning statements")?;
        println!(
            "statements for {m} (dry run, nothing sent) via {}:",
            ctx.mailer.describe()
        );
        for p in &planned {
            println!("  {}", p.line());
        }
        if ctx.auditor.is_none() {
            println!(
                "  note: no auditor set (DISPATCH_AUDITOR_EMAIL), so statements go without a CC"
            );
        }
        let blocked = planned.iter().filter(|p| p.problem.is_some()).count();
        println!("{} statements, {blocked} cannot be sent", planned.len());
        return Ok(if blocked > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    match statements::send(&ctx, m).await {
        Ok(out) => {
            println!("{} (via {})", out.summary(), ctx.mailer.describe());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("statements already sent stay sent; run the same command again once fixed");
            Ok(ExitCode::from(2))
        }
    }
}
