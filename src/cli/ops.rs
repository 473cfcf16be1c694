//! `dispatch ops link`: a fresh link to the ops board. (The ops actions on charters are under
//! `dispatch charter`, in `cli::charter::actions`.)

use std::process::ExitCode;

use clap::Subcommand;
use dispatch_core::{Backend, Settings};

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// Print a fresh link to the ops board (the next 30 days; read-only).
    Link,
}

/// Runs an `ops` command.
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
