//! `dispatch run`: the stream consumer, the queue workers (and later the crew page) in one process,
//! until SIGTERM or Ctrl-C; then nothing half-done is deleted.

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::{Backend, Settings};
use tokio::sync::watch;

/// Parts of `dispatch run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Ingest,
    Workers,
    Web,
}

/// `dispatch run [--only PARTS]`: [`run_until`] a signal.
pub async fn run(
    settings: &Settings,
    backend: &Backend,
    only: &[Part],
) -> anyhow::Result<ExitCode> {
    let parts: Vec<Part> = if only.is_empty() {
        vec![Part::Ingest, Part::Workers, Part::Web]
    } else {
        only.to_vec()
    };
    eprintln!(
        "dispatch running ({}): {:?}; Ctrl-C or SIGTERM to stop",
        backend.admin.describe(),
        parts
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = dispatch_core::metrics::Snapshot::default();
    let requests_before = dispatch_core::requests::Requests::default();
    let runner = run_until(settings, backend, &parts, stop_rx);
    tokio::pin!(runner);
    let ran = tokio::select! {
        // It ends on its own only when a part cannot start (a port in use): say so at once.
        r = &mut runner => r,
        _ = shutdown_signal() => {
            eprintln!("stopping: finishing running jobs, releasing the rest");
            let _ = stop_tx.send(true);
            runner.await
        }
    };
    ran?;
    let counts = dispatch_core::metrics::Snapshot::now().since(&started);
    let requests = dispatch_core::requests::Requests::now().since(&requests_before);
    tracing::info!(summary = %counts.summary(), requests = %requests.summary(), "dispatch stopped");
    eprintln!("stopped. this run: {}", counts.summary());
    eprintln!("backend: {}", requests.summary());
    Ok(ExitCode::SUCCESS)
}

/// Runs `parts` (the stream consumer, the queue workers with the sweep, the crew page) and the
/// heartbeats until `stop` turns true, then waits for every part to stop (nothing half-done is
/// deleted). `dispatch run` and the cost benchmark run exactly this.
pub async fn run_until(
    settings: &Settings,
    backend: &Backend,
    parts: &[Part],
    stop_rx: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    if parts.contains(&Part::Ingest) {
        let consumer = crate::app::consumer(settings, backend);
        let rx = stop_rx.clone();
        tasks.spawn(async move {
            if let Err(e) = consumer.run(rx).await {
                tracing::error!(error = %e, "stream consumer stopped with an error");
            }
        });
    }
    if parts.contains(&Part::Workers) {
        for w in crate::app::workers(settings, backend)? {
            let rx = stop_rx.clone();
            tasks.spawn(async move { w.run(rx).await });
        }
        if let Some(every) = settings.sweep_interval() {
            let cascade = crate::app::cascade(settings, backend)?;
            tasks.spawn(sweep_every(cascade, every, stop_rx.clone()));
        }
    }
    if parts.contains(&Part::Web) {
        let router = dispatch_cascade::web::router(crate::app::cascade(settings, backend)?);
        let listener = tokio::net::TcpListener::bind(settings.listen_addr())
            .await
            .with_context(|| format!("listening on {} (DISPATCH_LISTEN)", settings.listen))?;
        eprintln!(
            "crew page on http://{} (links use {})",
            settings.listen, settings.public_url
        );
        let mut rx = stop_rx.clone();
        tasks.spawn(async move {
            let shutdown = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "crew page server stopped with an error");
            }
        });
    }
    tasks.spawn(super::heartbeat::beat_every(
        backend.clone(),
        parts.to_vec(),
        stop_rx.clone(),
    ));
    if settings.mail == dispatch_core::config::MailKind::Gmail {
        tasks.spawn(refresh_google_token(settings.clone(), stop_rx.clone()));
    }
    tracing::info!(backend = %backend.admin.describe(), ?parts, "dispatch running");
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// How often the day-before reminders are looked for: they go out from an hour of the
/// afternoon before, so ten minutes late is on time, and each look reads tomorrow's charters.
const REMINDERS_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Sweeps at once, then every `every`, until stopped: the net under every lapse timer and
/// message; the first pass and every [`REMINDERS_EVERY`] after it also send the day-before
/// reminders that are due (once per member and charter, so looking again sends nothing twice).
async fn sweep_every(
    cascade: std::sync::Arc<dispatch_cascade::Cascade>,
    every: std::time::Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reminded: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        // The sweep logs its own one line.
        let sweep = cascade.sweep();
        let swept = tokio::select! {
            r = sweep => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        // The sweep writes its own heartbeat.
        if let Err(e) = swept {
            tracing::warn!(error = %e, "sweep failed; trying again next period");
        }
        if reminded.is_some_and(|at| at.elapsed() < REMINDERS_EVERY) {
            continue;
        }
        reminded = Some(tokio::time::Instant::now());
        tokio::select! {
            r = cascade.send_reminders(chrono::Utc::now()) => if let Err(e) = r {
                tracing::warn!(error = %e, "reminders failed; trying again next period");
            },
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// The token service inside `dispatch run`: refreshes the Google token (and `unified-token.json`)
/// five minutes ahead of expiry; every failure is logged at error level with its cause and retried
/// within a minute, never silently.
async fn refresh_google_token(settings: Settings, mut stop: watch::Receiver<bool>) {
    let source = match crate::app::auth_config(&settings).token_source() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "Google token service cannot start: run `dispatch auth check`");
            return;
        }
    };
    loop {
        let wait = match source.refresh().await {
            Ok(token) => {
                let left = (token.expires_at - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default();
                left.saturating_sub(std::time::Duration::from_secs(300))
                    .max(std::time::Duration::from_secs(30))
            }
            Err(e) => {
                tracing::error!(error = %e, retryable = e.is_retryable(), "Google token refresh FAILED: mail will fail until it succeeds; run `dispatch auth check`");
                std::time::Duration::from_secs(60)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
