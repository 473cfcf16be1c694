//! `dispatch crew link MEMBER [--revoke]`: mails the member a fresh link to their page; with
//! `--revoke`, every link they were sent before (page, offers, calendar feed) stops working
//! first (the roster's `links_not_before`). The member is named as every command names one.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use dispatch_core::{Backend, Settings};

use crate::cli::member;

#[derive(Debug, Subcommand)]
pub enum CrewCommand {
    /// Mail a member a fresh link to their crew page (offers, charters, availability).
    Link {
        /// The member: crew id, e-mail or full name.
        member: String,
        /// Void every link the member was sent before (a lost phone, a forwarded mail),
        /// their calendar feed's included, then mail the fresh one.
        #[arg(long)]
        revoke: bool,
    },
}

/// Runs a `crew` command.
pub async fn run(
    settings: &Settings,
    backend: &Backend,
    cmd: CrewCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        CrewCommand::Link {
            member: raw,
            revoke,
        } => {
            let roster = member::roster(backend).await?;
            let m = member::pick(&roster, "MEMBER", &raw)?;
            let cascade = crate::app::cascade(settings, backend)?;
            let done = dispatch_cascade::crew::relink::mail_page_link(&cascade, &m, revoke)
                .await
                .with_context(|| format!("mailing a page link to {}", m.email))?;
            if done.revoked {
                println!(
                    "{}: links issued before {} are void",
                    m.name,
                    done.issued_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
            println!(
                "mailed a fresh page link to {} ({}); it works for {} days",
                m.name, m.email, settings.page_link_days
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
