//! `dispatch auth check|refresh`: the Google token service, one clear line either way.

use std::process::ExitCode;

use clap::Subcommand;
use dispatch_core::Settings;
use dispatch_google::auth::AuthConfig;

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Validate the service-account key (file, fields, permissions), obtain a token, print the
    /// scopes and expiry. Exits non-zero with a one-line reason on any failure.
    Check,
    /// Obtain a token and write it to the token file (atomically, mode 0600).
    Refresh,
}

/// The Google auth settings (key path, token file, delegated mailbox).
pub fn auth_config(settings: &Settings) -> AuthConfig {
    AuthConfig {
        key_path: settings.google_key_file.clone(),
        token_file: Some(settings.google_token_path()),
        subject: Some(settings.mail_from.clone()),
        allow_loose_permissions: settings.google_allow_loose_permissions,
    }
}

pub async fn run(settings: &Settings, cmd: AuthCommand) -> anyhow::Result<ExitCode> {
    let cfg = auth_config(settings);
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
