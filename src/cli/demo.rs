//! `dispatch demo`: the whole story on the embedded backend with the sample data shipped in the
//! binary — offers out, members answering on the real crew page, lapses, a staffed charter, an
//! escalation — then a summary, and with `--serve` the page keeps running.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use dispatch_cascade::tokens::Scope;
use dispatch_core::config::BackendKind;
use dispatch_core::domain::ThreadKind;
use dispatch_core::Backend;

use crate::demo::season;
use crate::import;

const SAMPLE_CHARTERS: &str = include_str!("../../samples/charters.json");
const SAMPLE_ROSTER: &str = include_str!("../../samples/roster.json");

/// Offers lapse after this many seconds in the demo, so lapses happen while you watch.
const DEMO_OFFER_TIMEOUT_SECS: u64 = 3;

/// `dispatch demo [--serve]`.
pub async fn run(config: Option<&std::path::Path>, serve: bool) -> anyhow::Result<ExitCode> {
    let mut settings = crate::app::load_settings(config)?;
    if settings.backend != BackendKind::Local {
        println!(
            "note: the demo always runs on the embedded backend (DISPATCH_BACKEND={:?} ignored)",
            settings.backend
        );
        settings.backend = BackendKind::Local;
    }
    settings.mail = dispatch_core::config::MailKind::Outbox;
    settings.offer_timeout_secs = DEMO_OFFER_TIMEOUT_SECS;
    settings.drive = dispatch_core::config::DriveKind::Folder;
    if settings.ops_emails.is_empty() {
        settings.ops_emails = vec!["ops@charter.example.com".into()];
    }
    if settings.auditor_email.is_none() {
        settings.auditor_email = Some("auditor@charter.example.com".into());
    }
    let listen = if serve {
        settings.listen.clone()
    } else {
        "127.0.0.1:0".to_string()
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen} (DISPATCH_LISTEN)"))?;
    let addr = listener.local_addr()?;
    settings.public_url = format!("http://{addr}");

    let backend = crate::app::open(&settings).await?;
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
    // The sample season is dated from today (the business's today): its charters upcoming,
    // the month-end part on the month just ended.
    let today = settings.zone().today(chrono::Utc::now());
    let members = season::roster(&roster.good, today);
    // The roster arrives the way the ops team keeps it: an availability workbook, synced.
    let sheet = settings.roster_path();
    let bytes = dispatch_reporting::sheet::sample::sample_availability_workbook(
        &members,
        &format!(
            "JADA crew availability — from {}",
            dispatch_core::zone::format_date(today)
        ),
    )?;
    dispatch_monthend::files::write_atomic(&sheet, &bytes)?;
    let ctx = crate::app::month_context(&settings, &backend)?;
    let synced = dispatch_monthend::roster::sync(&ctx, None)
        .await
        .context("syncing the sample availability workbook")?;
    anyhow::ensure!(synced.problems.is_empty(), "sample workbook: {synced}");
    println!("{synced}");
    let samples = import::charters_from_values(&serde_json::from_str::<Vec<serde_json::Value>>(
        SAMPLE_CHARTERS,
    )?);
    anyhow::ensure!(
        samples.bad.is_empty(),
        "sample charters have bad rows: {:?}",
        samples.bad
    );
    let upcoming = season::upcoming(&samples.good, today);
    let ended = season::month_end(&samples.good, &members, today);
    let month = season::month_just_ended(today);
    println!(
        "sample season from {}: {} upcoming charters, {} sailed in {}",
        dispatch_core::zone::format_date(today),
        upcoming.len(),
        ended.len(),
        month.title()
    );
    let charters: Vec<_> = upcoming.iter().chain(ended.iter()).cloned().collect();
    let (new, existing) = store_charters(&backend, &charters).await?;
    println!("stored {new} new charters ({existing} were already there)");

    let cascade = crate::app::cascade(&settings, &backend)?;
    let router = dispatch_cascade::web::router(cascade.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    println!(
        "crew page on {} — offers lapse after {DEMO_OFFER_TIMEOUT_SECS} s in the demo\n",
        settings.public_url
    );

    let mut consumer = crate::app::consumer(&settings, &backend);
    let workers = crate::app::workers(&settings, &backend)?;
    let outbox = dispatch_mailer::Outbox::new(settings.data_dir.join("outbox"));
    println!("what the crew do (Ben declines everything, Fay never answers, the others accept):");
    crate::demo::run_story(
        &backend,
        &mut consumer,
        &workers,
        &outbox,
        &settings.public_url,
        Duration::from_secs(90),
        &upcoming,
    )
    .await?;
    // Its leases released and its heartbeat row removed (the serving consumer below is another).
    consumer.stop().await;
    summary(&backend, &upcoming).await?;
    month_end(&settings, &backend, month).await?;
    println!(
        "\nmail: {} files in {}",
        outbox.files().len(),
        outbox.dir().display()
    );
    println!("data: {}", settings.data_dir.display());

    if serve {
        println!("\nmember pages (valid 7 days):");
        for m in &roster.good {
            let t = cascade.links.issue(
                &m.crew_id,
                &Scope::Page,
                chrono::Utc::now(),
                chrono::Duration::days(7),
            );
            println!("  {:<14} {}/p/{t}", m.name, settings.public_url);
        }
        println!(
            "\nserving on {} with the stream consumer and workers; Ctrl-C to stop",
            settings.public_url
        );
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        let c = crate::app::consumer(&settings, &backend);
        let crx = rx.clone();
        tasks.spawn(async move {
            let _ = c.run(crx).await;
        });
        for w in workers {
            let wrx = rx.clone();
            tasks.spawn(async move { w.run(wrx).await });
        }
        let _ = tokio::signal::ctrl_c().await;
        let _ = tx.send(true);
        while tasks.join_next().await.is_some() {}
    }
    server.abort();
    Ok(ExitCode::SUCCESS)
}

/// The month-end paperwork for the month just ended: the revenue workbook into the `drive/` folder,
/// each member's statement into the outbox (once: a second demo run sends none again).
async fn month_end(
    settings: &dispatch_core::Settings,
    backend: &Backend,
    month: dispatch_core::domain::Month,
) -> anyhow::Result<()> {
    let ctx = crate::app::month_context(settings, backend)?;
    println!("\nmonth end for {}:", month.title());
    let report = dispatch_monthend::report::run_report(&ctx, month, &mut |_| {})
        .await
        .context("the month's revenue report")?;
    println!(
        "  revenue workbook: {} charters -> {} (shared with {})",
        report.rows,
        report.file.location,
        report.shared_with.join(", ")
    );
    let planned = dispatch_monthend::statements::plan(&ctx, month).await?;
    let sent = dispatch_monthend::statements::send(&ctx, month)
        .await
        .context("the month's crew statements")?;
    println!("  {}", sent.summary());
    let outbox = dispatch_mailer::Outbox::new(settings.data_dir.join("outbox"));
    for p in &planned {
        let key = dispatch_monthend::recipients::statement_key(month, &p.statement.crew_id);
        println!(
            "    {:<14} {} charters, share {:>9} -> {}",
            p.statement.name,
            p.statement.lines.len(),
            p.statement.total_share.to_string(),
            outbox.file_for(&key).display()
        );
    }
    Ok(())
}

async fn summary(
    backend: &Backend,
    charters: &[dispatch_core::domain::Charter],
) -> anyhow::Result<()> {
    println!("\ncharters:");
    let mut sorted = charters.to_vec();
    sorted.sort_by(|a, b| (a.charter_date, &a.created_at).cmp(&(b.charter_date, &b.created_at)));
    for c in &sorted {
        let now = backend
            .charters
            .get(&c.charter_id)
            .await?
            .context("charter")?;
        let thread = backend.thread.list(&c.charter_id).await?;
        let count = |k: ThreadKind| thread.iter().filter(|e| e.kind == k).count();
        let escalated = thread
            .iter()
            .find(|e| e.kind == ThreadKind::Escalated)
            .map(|e| e.text.clone());
        println!(
            "  {} {:<11} {:<9} captain:{:<10} crew:[{}]  offers:{} declined:{} lapsed:{}{}",
            now.charter_date,
            now.vessel_name,
            now.status.as_str(),
            now.captain_assigned.as_ref().map_or("-", |x| x.as_str()),
            now.crew_assigned
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(","),
            count(ThreadKind::OfferSent),
            count(ThreadKind::Declined),
            count(ThreadKind::Lapsed),
            escalated
                .map(|t| format!("\n      {t}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Stores the sample charters, never changing one already stored; returns (new, already there).
async fn store_charters(
    backend: &Backend,
    charters: &[dispatch_core::domain::Charter],
) -> anyhow::Result<(usize, usize)> {
    let r = dispatch_core::booking::store_all(backend.charters.as_ref(), charters, false).await?;
    for why in &r.refused {
        eprintln!("  left as stored: {why}");
    }
    Ok((r.new, r.unchanged + r.refused.len()))
}
