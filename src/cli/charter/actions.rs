//! `dispatch charter assign|unassign|cancel|reoffer`: the ops actions, each a thin call into
//! `dispatch_cascade::ops` that prints what it did (and the charter as it is now). A charter is
//! its id or booking reference, a member a crew id, e-mail or unique name.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use dispatch_cascade::ops::{self, By, Done, OpsError, SlotKind};
use dispatch_cascade::Cascade;
use dispatch_core::domain::{CharterId, CrewId};
use dispatch_core::{Backend, Settings};

use super::ids::charter_id;
use super::show::print_overview;
use crate::cli::member;

/// The arguments of `charter assign`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("slot").required(true).args(["captain", "crew"])))]
pub struct AssignArgs {
    /// The charter: its id or booking reference.
    pub id: String,
    /// Make this member the captain (crew id, e-mail or full name).
    #[arg(long, value_name = "MEMBER")]
    pub captain: Option<String>,
    /// Put this member on the crew (crew id, e-mail or full name).
    #[arg(long, value_name = "MEMBER")]
    pub crew: Option<String>,
    /// Assign a member who is inactive, not certified for the role or not available that day,
    /// for this reason (recorded in the charter's thread). A member booked on another charter
    /// that day is always refused.
    #[arg(long, value_name = "WHY")]
    pub anyway: Option<String>,
}

fn report(done: Result<Done, OpsError>) -> anyhow::Result<ExitCode> {
    match done {
        Ok(d) => {
            println!("{}", d.summary);
            for line in &d.changes {
                println!("  - {line}");
            }
            if d.changes.is_empty() {
                println!("  (nobody else was offered, withdrawn or told)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(OpsError::Cascade(e)) => Err(anyhow::Error::new(e)
            .context("the cascade step failed; run the command again (it is safe to repeat)")),
        Err(e) => bail!("{e}"),
    }
}

async fn after(cascade: &Cascade, id: &CharterId) {
    if let Ok(Some(o)) = cascade.overview(id).await {
        let r = cascade
            .backend
            .charters
            .booking_ref(id)
            .await
            .ok()
            .flatten();
        print_overview(&cascade.cfg.zone, &o, r.as_ref());
    }
}

/// `dispatch charter assign ID --captain|--crew MEMBER`.
pub async fn assign(
    settings: &Settings,
    backend: &Backend,
    a: AssignArgs,
) -> anyhow::Result<ExitCode> {
    let id = charter_id(&a.id)?;
    let (member, kind) = match (&a.captain, &a.crew) {
        (Some(m), None) => (
            member::crew_id(backend, "--captain", m).await?,
            SlotKind::Captain,
        ),
        (None, Some(m)) => (member::crew_id(backend, "--crew", m).await?, SlotKind::Crew),
        _ => bail!("give exactly one of --captain MEMBER or --crew MEMBER"),
    };
    let cascade = crate::app::cascade(settings, backend)?;
    if a.anyway.as_deref().is_some_and(|w| w.trim().is_empty()) {
        bail!(
            "--anyway needs the reason, e.g. --anyway \"certification renewed, paper copy seen\""
        );
    }
    let done = ops::assign(&cascade, &id, &member, kind, a.anyway.as_deref(), &By::Cli).await;
    let code = report(done)?;
    after(&cascade, &id).await;
    Ok(code)
}

/// `dispatch charter unassign ID MEMBER`. A crew id still on the charter is taken as it is, even
/// when the member has left the roster.
pub async fn unassign(
    settings: &Settings,
    backend: &Backend,
    id: &str,
    raw_member: &str,
) -> anyhow::Result<ExitCode> {
    let id = charter_id(id)?;
    let roster = member::roster(backend).await?;
    let member = match member::pick(&roster, "MEMBER", raw_member) {
        Ok(m) => m.crew_id,
        Err(e) => {
            let on_charter = match CrewId::parse(raw_member) {
                Ok(c) => backend
                    .charters
                    .get(&id)
                    .await
                    .context("reading crew-dispatch")?
                    .filter(|ch| {
                        ch.captain_assigned.as_ref() == Some(&c) || ch.crew_assigned.contains(&c)
                    })
                    .map(|_| c),
                Err(_) => None,
            };
            on_charter.ok_or(e)?
        }
    };
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(ops::unassign(&cascade, &id, &member, &By::Cli).await)?;
    after(&cascade, &id).await;
    Ok(code)
}

/// `dispatch charter cancel ID`.
pub async fn cancel(settings: &Settings, backend: &Backend, id: &str) -> anyhow::Result<ExitCode> {
    let id = charter_id(id)?;
    let cascade = crate::app::cascade(settings, backend)?;
    report(ops::cancel(&cascade, &id, &By::Cli).await)
}

/// `dispatch charter reoffer ID [--include MEMBER...]`.
pub async fn reoffer(
    settings: &Settings,
    backend: &Backend,
    id: &str,
    include: &[String],
) -> anyhow::Result<ExitCode> {
    let id = charter_id(id)?;
    let include = member::crew_ids(backend, "--include", include).await?;
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(ops::reoffer(&cascade, &id, &include, &By::Cli).await)?;
    after(&cascade, &id).await;
    Ok(code)
}
