//! The `dispatch` command tree, one module per command noun. Each command loads settings, builds
//! the backend once (through [`crate::app`]), and calls library code; errors say what to do and
//! exit non-zero. The CLI calls the app wiring; the wiring never calls the CLI.
//!
//! - [`admin`]: `bootstrap`, `doctor`.
//! - [`auth`]: `auth check|refresh`.
//! - [`charter`]: `charter add|import|list|show|assign|unassign|cancel|reoffer|reconcile`.
//! - [`roster`]: `roster import|sync`; [`roster_view`]: `roster list|show`.
//! - [`month`]: `report`, `statements` (the month-end jobs, now).
//! - [`jobs`]: `jobs enqueue`.
//! - [`dlq`]: `dlq list|show|replay` (and a charter's dead letters for `charter show`).
//! - [`ops`]: `ops link --for ADDRESS`, `ops revoke ADDRESS`.
//! - [`run`]: `run` (consumer, workers, sweep, crew page); [`heartbeat`]: its heartbeats.
//! - [`status`]: `status [--json]` (heartbeats, sweep, queues), the sweep's verdict for `doctor`.
//! - [`demo`]: `demo [--serve]`.
//! - [`table`]: terminal tables for people, shared by `charter list`, `roster list` and `dlq list`.
//! - [`crew`]: `crew link MEMBER [--revoke]` (a fresh page link by mail).
//! - [`member`]: how every command names a member (crew id, e-mail or unique name).

mod admin;
mod auth;
mod charter;
mod crew;
mod demo;
mod dlq;
mod dlq_charter;
mod dlq_discard;
mod heartbeat;
mod jobs;
mod member;
mod month;
mod ops;
mod roster;
mod roster_view;
pub mod run;
mod status;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app;

/// crew-dispatch: certified captains and enough crew for every charter, without phoning around.
///
/// Settings come from `dispatch.toml` (or --config) and `DISPATCH_*` environment variables;
/// see the README's configuration section.
#[derive(Debug, Parser)]
#[command(name = "dispatch", version, propagate_version = true)]
pub struct Cli {
    /// Settings file (default: ./dispatch.toml when present; env DISPATCH_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the story on the embedded backend with sample data (no AWS, no Google).
    Demo {
        /// Keep serving the crew page (on DISPATCH_LISTEN) after the story, with member links.
        #[arg(long)]
        serve: bool,
    },
    /// Create every table and queue in the configured backend (safe to run again).
    Bootstrap,
    /// Check the backend is reachable and every table and queue has the right shape, the mail
    /// server answers, and the sweep is running.
    Doctor,
    /// What the deployment is doing: each part's last heartbeat, the sweep, queue depths, the
    /// charters still open. Exit code 1 when the sweep has stopped.
    Status {
        /// One JSON object, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Add or import charters.
    #[command(subcommand)]
    Charter(charter::CharterCommand),
    /// The roster: import members, sync them from the availability workbook, list or show them.
    #[command(subcommand)]
    Roster(roster::RosterCommand),
    /// Run the stream consumer and the queue workers until SIGTERM / Ctrl-C.
    Run {
        /// Run only these parts (comma-separated): ingest, workers, web.
        #[arg(long, value_delimiter = ',', value_enum)]
        only: Vec<run::Part>,
    },
    /// Build the month's revenue workbook now, upload it (replacing that month's file) and share it with ops.
    Report {
        /// The month, YYYY-MM (or `previous`).
        #[arg(long)]
        month: String,
    },
    /// Mail each crew member's statement for the month (once per member and month), CC the auditor.
    Statements {
        /// The month, YYYY-MM (or `previous`).
        #[arg(long)]
        month: String,
        /// Print who would get what; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send for a month that has not ended yet (its later charters are then never in a statement).
        #[arg(long)]
        force: bool,
        /// Send a "Corrected statement" to each member whose statement was sent and no longer
        /// says what it would now (a charter added or changed since); once per distinct content.
        #[arg(long, conflicts_with = "dry_run")]
        corrections: bool,
    },
    /// Put a job on its queue.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Inspect and replay dead letters.
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// Crew members' links: mail a fresh page link, revoking the old ones.
    #[command(subcommand)]
    Crew(crew::CrewCommand),
    /// For ops: a one-person sign-in link to the ops board, or revoking one person's access.
    #[command(subcommand)]
    Ops(ops::OpsCommand),
    /// Check the Google service-account key and token (no backend needed).
    #[command(subcommand)]
    Auth(auth::AuthCommand),
}

/// Parses the command line and runs it; the exit code is 0 on success.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Long-running commands log their progress; one-shot commands only warnings.
    crate::telemetry::init(if matches!(cli.command, Command::Run { .. }) {
        "info"
    } else {
        "warn"
    });
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes as one line, `context: cause: cause`, leaving out a cause whose text
/// the line already holds (many errors print their source themselves, so `{:#}` says it twice).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Runs a parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo { serve } => demo::run(cli.config.as_deref(), serve).await,
        Command::Auth(c) => {
            let mut settings = app::load_settings(cli.config.as_deref())?;
            crate::secrets::apply_from_env(&mut settings).await?;
            auth::run(&settings, c).await
        }
        command => {
            let mut settings = app::load_settings(cli.config.as_deref())?;
            crate::secrets::apply_from_env(&mut settings).await?;
            let backend = app::open(&settings).await?;
            match command {
                Command::Bootstrap => admin::bootstrap(&backend).await,
                Command::Doctor => admin::doctor(&settings, &backend).await,
                Command::Status { json } => status::status(&settings, &backend, json).await,
                Command::Charter(c) => charter::run(&settings, &backend, c).await,
                Command::Ops(c) => ops::run(&settings, &backend, c).await,
                Command::Crew(c) => crew::run(&settings, &backend, c).await,
                Command::Roster(c) => roster::run(&settings, &backend, c).await,
                Command::Report { month: m } => month::report(&settings, &backend, &m).await,
                Command::Statements {
                    month: m,
                    dry_run,
                    force,
                    corrections,
                } => {
                    let how = month::How {
                        dry_run,
                        force,
                        corrections,
                    };
                    month::statements(&settings, &backend, &m, how).await
                }
                Command::Run { only } => run::run(&settings, &backend, &only).await,
                Command::Jobs(c) => jobs::run(&backend, c).await,
                Command::Dlq(c) => dlq::run(&backend, c).await,
                Command::Demo { .. } | Command::Auth(_) => unreachable!("handled above"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading availability workbook: {source}")]
    struct Read {
        source: std::io::Error,
    }

    #[test]
    fn error_chains_say_each_cause_once() {
        let io = std::io::Error::other("invalid Zip archive");
        let e = anyhow::Error::new(Read { source: io }).context("roster sync");
        assert_eq!(
            format!("{e:#}"),
            "roster sync: reading availability workbook: invalid Zip archive: invalid Zip archive"
        );
        assert_eq!(
            error_chain(&e),
            "roster sync: reading availability workbook: invalid Zip archive"
        );
    }
}
