//! `dispatch report` and `dispatch statements`: the month-end jobs of `dispatch-monthend` run now,
//! in this process (the queue jobs run the same code). (`dispatch roster sync` is in `roster`.)

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::domain::Month;
use dispatch_core::{Backend, Settings};

use dispatch_monthend::{corrections, report, statements};

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

/// How `dispatch statements` runs.
#[derive(Debug, Clone, Copy)]
pub struct How {
    /// Print who would get what (and whose sent statement is out of date); send nothing.
    pub dry_run: bool,
    /// Send for a month that has not ended.
    pub force: bool,
    /// Send corrected statements to the members whose sent statement is out of date.
    pub corrections: bool,
}

/// `dispatch statements --month YYYY-MM [--dry-run] [--force] [--corrections]`.
pub async fn statements(
    settings: &Settings,
    backend: &Backend,
    raw: &str,
    how: How,
) -> anyhow::Result<ExitCode> {
    let How {
        dry_run,
        force,
        corrections,
    } = how;
    let m = month(raw)?;
    if !dry_run && !force {
        dispatch_monthend::refuse_unended(
            m,
            chrono::Utc::now(),
            "pass --force to send them anyway",
        )?;
    }
    let ctx = crate::app::month_context(settings, backend)?;
    if corrections {
        let out = corrections::send_corrections(&ctx, m)
            .await
            .context("sending corrected statements")?;
        println!(
            "corrected statements for {m}: {} sent, {} up to date, {} not sent (via {})",
            out.sent.len(),
            out.up_to_date,
            out.not_sent.len(),
            ctx.mailer.describe()
        );
        for id in &out.sent {
            println!("  sent a corrected statement to {id}");
        }
        for (id, why) in &out.not_sent {
            eprintln!("  NOT SENT {id}: {why}");
        }
        return Ok(if out.not_sent.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        });
    }
    if dry_run {
        let (planned, left_out) = statements::plan_naming_left_out(&ctx, m)
            .await
            .context("planning statements")?;
        println!(
            "statements for {m} (dry run, nothing sent) via {}:",
            ctx.mailer.describe()
        );
        let mut stale = 0;
        for p in &planned {
            let out_of_date = corrections::out_of_date(&ctx, m, p)
                .await
                .context("reading what was sent")?;
            stale += usize::from(out_of_date);
            println!(
                "  {}{}",
                p.line(),
                if out_of_date {
                    "  OUT OF DATE: sent before with other content; --corrections sends a corrected statement"
                } else {
                    ""
                }
            );
        }
        if stale > 0 {
            println!("{stale} sent statement(s) out of date: dispatch statements --month {m} --corrections");
        }
        for l in &left_out {
            println!("  left out (record cannot be read): {l}");
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
            for l in &out.left_out {
                eprintln!("warning: left out of every statement (record cannot be read): {l}");
            }
            Ok(if out.left_out.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("statements already sent stay sent; run the same command again once fixed");
            Ok(ExitCode::from(2))
        }
    }
}
