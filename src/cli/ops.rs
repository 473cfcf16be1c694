//! `dispatch ops link --for ADDRESS` (a one-use sign-in link to the ops board for one person of
//! `ops_emails`) and `dispatch ops revoke ADDRESS` (ends that person's sessions and voids their
//! links). The ops actions on charters are under `dispatch charter`, in `cli::charter::actions`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use dispatch_cascade::board::access::{LinkError, OPS_LINK_DAYS, OPS_SESSION_HOURS};
use dispatch_core::domain::EmailAddress;
use dispatch_core::{Backend, Settings};

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// Print a one-use sign-in link to the ops board for one person (an address of
    /// ops_emails). Opening it shows "Sign in as …"; pressing it starts a 12-hour session.
    Link {
        /// The person's address; it must be one of the settings' ops_emails.
        #[arg(long = "for", value_name = "ADDRESS")]
        address: String,
    },
    /// End every session and void every unused link of one ops address.
    Revoke {
        /// The person's address.
        address: String,
    },
}

fn address(raw: &str) -> anyhow::Result<EmailAddress> {
    EmailAddress::parse(raw)
        .map_err(|e| anyhow::anyhow!("{e}: give an e-mail address such as ops@example.com"))
}

/// Runs an `ops` command.
pub async fn run(
    settings: &Settings,
    backend: &Backend,
    cmd: OpsCommand,
) -> anyhow::Result<ExitCode> {
    let cascade = crate::app::cascade(settings, backend)?;
    match cmd {
        OpsCommand::Link { address: raw } => {
            let a = address(&raw)?;
            match cascade.ops_sign_in_link(&a).await {
                Ok(link) => {
                    println!("{link}");
                    eprintln!(
                        "for {a} only: opens once within {OPS_LINK_DAYS} days, the session lasts {OPS_SESSION_HOURS} hours; `dispatch ops revoke {a}` ends it"
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(LinkError::NotOps(a)) => {
                    let known: Vec<String> =
                        cascade.cfg.ops.iter().map(|o| o.to_string()).collect();
                    anyhow::bail!(
                        "{a} is not in ops_emails ({}): add it to the settings (ops_emails in dispatch.toml or DISPATCH_OPS_EMAILS) first",
                        if known.is_empty() { "none configured".to_string() } else { known.join(", ") }
                    )
                }
                Err(LinkError::Cascade(e)) => {
                    Err(anyhow::Error::new(e).context("storing the sign-in link"))
                }
            }
        }
        OpsCommand::Revoke { address: raw } => {
            let a = address(&raw)?;
            let n = cascade
                .ops_revoke(&a)
                .await
                .context("revoking ops access in dispatch-state")?;
            println!("{a}: every session ended and every unused link voided ({n} record(s))");
            Ok(ExitCode::SUCCESS)
        }
    }
}
