//! `dispatch jobs enqueue KIND`: put a job on its queue, keyed so a double trigger does nothing.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use dispatch_core::domain::{JobEnvelope, JobKind, Month};
use dispatch_core::ports::{OutMessage, QueueId};
use dispatch_core::Backend;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Enqueue a job: `report`, `statements` or `roster-sync` (month jobs need --month), or on the
    /// cascade queue `reconcile --charter ID` (one charter) or `sweep` (every unsettled charter
    /// from today to +60 days).
    Enqueue {
        /// report | statements | roster-sync | reconcile | sweep
        kind: String,
        /// The month, YYYY-MM or `previous` (report, statements).
        #[arg(long)]
        month: Option<String>,
        /// The charter id (reconcile).
        #[arg(long)]
        charter: Option<String>,
        /// Override the idempotency key (default: one per kind and month; roster-sync: one per minute).
        #[arg(long)]
        key: Option<String>,
    },
}

/// Runs a `jobs` command.
pub async fn run(backend: &Backend, cmd: JobsCommand) -> anyhow::Result<ExitCode> {
    let JobsCommand::Enqueue {
        kind,
        month,
        charter,
        key,
    } = cmd;
    // `previous` as the month-end schedule sends it, resolved now so the key names the month.
    let month: Option<Month> = month
        .as_deref()
        .map(|m| dispatch_monthend::resolve_month(m, chrono::Utc::now()))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--month: {e}"))?;
    if let Some(k) = &key {
        if k.trim().is_empty() {
            bail!("--key must not be empty: leave it out to use the default key (one per kind and month)");
        }
        if k.chars().count() > 200 || k.chars().any(char::is_control) {
            bail!("--key must be at most 200 characters without control characters");
        }
    }
    let (kind, queue, default_key, payload) = match kind.as_str() {
        "report" | "monthly-report" | "monthly_report" => {
            let m = month.context("`report` needs --month YYYY-MM (or previous)")?;
            (
                JobKind::MonthlyReport,
                QueueId::Reports,
                format!("monthly_report#{m}"),
                serde_json::json!({ "month": m }),
            )
        }
        "statements" => {
            let m = month.context("`statements` needs --month YYYY-MM (or previous)")?;
            (
                JobKind::Statements,
                QueueId::Reports,
                format!("statements#{m}"),
                serde_json::json!({ "month": m }),
            )
        }
        "roster-sync" | "roster_sync" | "roster" => {
            let minute = chrono::Utc::now().format("%Y-%m-%dT%H:%M");
            (
                JobKind::RosterSync,
                QueueId::Roster,
                format!("roster_sync#{minute}"),
                serde_json::json!({}),
            )
        }
        "reconcile" => {
            let raw = charter.context("`reconcile` needs --charter ID (a charter id)")?;
            let id = dispatch_core::domain::CharterId::parse(&raw)
                .with_context(|| format!("--charter: `{raw}` is not a charter id (a UUID)"))?;
            let minute = chrono::Utc::now().format("%Y-%m-%dT%H:%M");
            (
                JobKind::Reconcile,
                QueueId::Cascade,
                format!("reconcile#{id}#{minute}"),
                serde_json::json!({ "charter_id": id }),
            )
        }
        "sweep" => {
            let minute = chrono::Utc::now().format("%Y-%m-%dT%H:%M");
            (
                JobKind::Sweep,
                QueueId::Cascade,
                format!("sweep#{minute}"),
                serde_json::json!({}),
            )
        }
        other => bail!(
            "unknown job kind `{other}`: use report, statements, roster-sync, reconcile or sweep"
        ),
    };
    let env = JobEnvelope::new(kind, key.unwrap_or(default_key), payload);
    let ids = backend
        .queues
        .send(queue, &[OutMessage::new(env.to_body())])
        .await
        .with_context(|| format!("sending to {queue}"))?;
    println!(
        "enqueued {} (key {}) on {queue} as message {}",
        env.kind,
        env.key,
        ids.first().map(String::as_str).unwrap_or("?")
    );
    Ok(ExitCode::SUCCESS)
}
