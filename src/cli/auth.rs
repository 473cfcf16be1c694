//! `dispatch auth check|refresh`: the Google token service, one clear line either way.

use std::process::ExitCode;

use clap::Subcommand;
use dispatch_core::Settings;

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Validate the service-account key (file, fields, permissions), obtain a token, print the
    /// scopes and expiry. Exits non-zero with a one-line reason on any failure.
    Check,
    /// Obtain a token and write it to the token file (atomically, mode 0600).
    Refresh,
}

/// Runs an `auth` command.
pub async fn run(settings: &Settings, cmd: AuthCommand) -> anyhow::Result<ExitCode> {
    let cfg = crate::app::auth_config(settings);
    let write = matches!(cmd, AuthCommand::Refresh);
    match dispatch_google::auth::check(&cfg, write).await {
        Ok(report) => {
            println!("{report}");
            if write {
                println!(
                    "token written to {}",
                    settings.google_token_path().display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("auth {}: {e}", if write { "refresh" } else { "check" });
            Ok(ExitCode::FAILURE)
        }
    }
}
