//! `dispatch demo`: the story on the embedded backend with the sample data shipped in the binary.

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::config::BackendKind;
use dispatch_core::ports::{QueueId, StartAt};
use dispatch_core::Backend;

use crate::import;

const SAMPLE_CHARTERS: &str = include_str!("../../samples/charters.json");
const SAMPLE_ROSTER: &str = include_str!("../../samples/roster.json");

pub async fn run(config: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let mut settings = super::load_settings(config)?;
    if settings.backend != BackendKind::Local {
        println!(
            "note: the demo always runs on the embedded backend (DISPATCH_BACKEND={:?} ignored)",
            settings.backend
        );
        settings.backend = BackendKind::Local;
    }
    let backend = super::open(&settings).await?;
    println!("crew-dispatch demo — {}", backend.admin.describe());
    backend
        .admin
        .bootstrap()
        .await
        .context("bootstrapping the embedded backend")?;

    let roster = import::members_from_values(&serde_json::from_str::<Vec<serde_json::Value>>(
        SAMPLE_ROSTER,
    )?);
    anyhow::ensure!(
        roster.bad.is_empty(),
        "sample roster has bad rows: {:?}",
        roster.bad
    );
    backend
        .roster
        .upsert_batch(&roster.good)
        .await
        .context("storing the sample roster")?;
    let charters = import::charters_from_values(&serde_json::from_str::<Vec<serde_json::Value>>(
        SAMPLE_CHARTERS,
    )?);
    anyhow::ensure!(
        charters.bad.is_empty(),
        "sample charters have bad rows: {:?}",
        charters.bad
    );
    let (new, existing) = super::charters::store_charters(&backend, &charters).await?;
    println!(
        "stored {} roster members and {new} new charters ({existing} were already there)\n",
        roster.good.len()
    );

    print_story(&backend).await?;
    Ok(ExitCode::SUCCESS)
}

async fn print_story(backend: &Backend) -> anyhow::Result<()> {
    let members = backend.roster.list().await?;
    println!("roster ({} members):", members.items.len());
    for m in &members.items {
        println!(
            "  {:<10} {:<16} captain:{:<3} certs:{:<20} available:{} active:{}",
            m.crew_id.as_str(),
            m.name,
            if m.captain_certified { "yes" } else { "no" },
            m.certifications
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(","),
            m.available_dates.len(),
            if m.active { "yes" } else { "no" }
        );
    }
    let mut months: Vec<_> = Vec::new();
    let parsed = import::charters_from_values(&serde_json::from_str::<Vec<serde_json::Value>>(
        SAMPLE_CHARTERS,
    )?);
    for c in &parsed.good {
        if !months.contains(&c.charter_date.month()) {
            months.push(c.charter_date.month());
        }
    }
    months.sort();
    for month in months {
        let listing = backend.charters.in_month(month).await?;
        println!(
            "\ncharters in {} (read by date index, one query per day):",
            month.title()
        );
        for c in &listing.items {
            println!(
                "  {} {:<11} {:<10} guests:{:>2} revenue:{:>8} status:{} captain:{}",
                c.charter_date,
                c.vessel_name,
                &c.charter_id.as_str()[..8],
                c.guest_count,
                c.reportable_revenue.to_string(),
                c.status,
                c.captain_assigned.as_ref().map_or("-", |x| x.as_str())
            );
        }
    }
    let feed = &backend.feed;
    let shard = feed
        .shards()
        .await?
        .into_iter()
        .next()
        .context("the embedded feed has a shard")?;
    let mut it = feed.iterator(&shard.id, &StartAt::TrimHorizon).await?;
    let mut changes = 0;
    loop {
        let page = feed.read(&it, 1000).await?;
        if page.records.is_empty() {
            break;
        }
        changes += page.records.len();
        it = page.next.context("open shard")?;
    }
    println!("\nchange feed: {changes} records waiting for the stream consumer (INSERTs of the charters above)");
    for q in QueueId::WORK {
        let d = backend.queues.depth(q).await?;
        println!(
            "queue {q:<8} visible:{} in flight:{} delayed:{}",
            d.visible, d.in_flight, d.delayed
        );
    }
    println!("\nrun `dispatch doctor` to check the tables and queues; data is in DISPATCH_DATA_DIR (default ./dispatch-data)");
    Ok(())
}
