//! `dispatch bootstrap` and `dispatch doctor`.

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::ports::Provisioned;
use dispatch_core::Backend;

pub async fn bootstrap(backend: &Backend) -> anyhow::Result<ExitCode> {
    println!("bootstrapping {}", backend.admin.describe());
    let done = backend
        .admin
        .bootstrap()
        .await
        .context("creating tables and queues")?;
    for (what, status) in done {
        let s = match status {
            Provisioned::Created => "created",
            Provisioned::AlreadyThere => "already there",
        };
        println!("  {what:<40} {s}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn doctor(backend: &Backend) -> anyhow::Result<ExitCode> {
    println!("checking {}", backend.admin.describe());
    let checks = backend
        .admin
        .doctor()
        .await
        .context("checking tables and queues (is the backend reachable?)")?;
    let mut bad = 0;
    for c in &checks {
        match &c.problem {
            None => println!("  ok    {}", c.subject),
            Some(p) => {
                bad += 1;
                println!("  FAIL  {}: {p}", c.subject);
            }
        }
    }
    if bad == 0 {
        println!("all {} tables and queues are as expected", checks.len());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{bad} of {} checks failed", checks.len());
        Ok(ExitCode::FAILURE)
    }
}
