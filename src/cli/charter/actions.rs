//! `dispatch charter assign|unassign|cancel|reoffer`: the ops actions, each a thin call into
//! `dispatch_cascade::ops` that prints what it did (and the charter as it is now).

use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use dispatch_cascade::ops::{Done, OpsError, SlotKind};
use dispatch_cascade::Cascade;
use dispatch_core::domain::CharterId;
use dispatch_core::{Backend, Settings};

use super::ids::{charter_id, crew_id};
use super::show::print_overview;

/// The arguments of `charter assign`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("slot").required(true).args(["captain", "crew"])))]
pub struct AssignArgs {
    /// The charter id.
    pub id: String,
    /// Make this member (crew id) the captain.
    #[arg(long, value_name = "MEMBER")]
    pub captain: Option<String>,
    /// Put this member (crew id) on the crew.
    #[arg(long, value_name = "MEMBER")]
    pub crew: Option<String>,
}

fn report(done: Result<Done, OpsError>) -> anyhow::Result<ExitCode> {
    match done {
        Ok(d) => {
            println!(
                "{} ({} reconcile action(s))",
                d.summary, d.reconciled.actions
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(OpsError::Cascade(e)) => Err(anyhow::Error::new(e)
            .context("the cascade step failed; run the command again (it is safe to repeat)")),
        Err(e) => bail!("{e}"),
    }
}

async fn after(cascade: &Cascade, id: &CharterId) {
    if let Ok(Some(o)) = cascade.overview(id).await {
        print_overview(&cascade.cfg.zone, &o);
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
        (Some(m), None) => (crew_id(m)?, SlotKind::Captain),
        (None, Some(m)) => (crew_id(m)?, SlotKind::Crew),
        _ => bail!("give exactly one of --captain MEMBER or --crew MEMBER"),
    };
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(cascade.assign(&id, &member, kind).await)?;
    after(&cascade, &id).await;
    Ok(code)
}

/// `dispatch charter unassign ID MEMBER`.
pub async fn unassign(
    settings: &Settings,
    backend: &Backend,
    id: &str,
    member: &str,
) -> anyhow::Result<ExitCode> {
    let (id, member) = (charter_id(id)?, crew_id(member)?);
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(cascade.unassign(&id, &member).await)?;
    after(&cascade, &id).await;
    Ok(code)
}

/// `dispatch charter cancel ID`.
pub async fn cancel(settings: &Settings, backend: &Backend, id: &str) -> anyhow::Result<ExitCode> {
    let id = charter_id(id)?;
    let cascade = crate::app::cascade(settings, backend)?;
    report(cascade.cancel(&id).await)
}

/// `dispatch charter reoffer ID [--include MEMBER...]`.
pub async fn reoffer(
    settings: &Settings,
    backend: &Backend,
    id: &str,
    include: &[String],
) -> anyhow::Result<ExitCode> {
    let id = charter_id(id)?;
    let include = include
        .iter()
        .map(|m| crew_id(m))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let cascade = crate::app::cascade(settings, backend)?;
    let code = report(cascade.reoffer(&id, &include).await)?;
    after(&cascade, &id).await;
    Ok(code)
}
