//! Wiring shared by `dispatch run`, the CLI commands and the Lambda binaries: settings in,
//! clients and handlers out, each built once from the settings and the backend and handed to
//! library code. It never imports the CLI (the CLI calls it).
//!
//! - this file: settings and backend, the stream's record handler, the cascade, the consumer,
//!   the workers and their job registry.
//! - [`keys`]: the magic-link keys (from settings, or made once on the embedded backend).
//! - [`google`]: the Google token source and clients, the Gmail sender.
//! - [`mail`]: where mail goes (outbox, Gmail or SMTP), the SMTP password.
//! - [`monthend`]: the month-end jobs' context (files, recipients, availability) from the settings.
//! - [`availability`]: the availability Sheet the crew page writes to (`drive = "google"`).

pub mod availability;
mod google;
mod keys;
mod mail;
mod monthend;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dispatch_cascade::{Cascade, CascadeSettings};
use dispatch_core::config::StreamStart;
use dispatch_core::domain::EmailAddress;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::{QueueId, StartAt};
use dispatch_core::{Backend, Settings};
use dispatch_ingest::consumer::{Consumer, ConsumerConfig, RecordHandler, RouterHandler};
use dispatch_ingest::sink::QueueSink;
use dispatch_ingest::worker::{Registry, Worker, WorkerConfig};
use dispatch_mailer::MailSender;

pub use google::{auth_config, drive_client, gmail_mailer, google_tokens};
pub use keys::link_keys;
pub use mail::{mailer, smtp_mailer};
pub use monthend::{month_context, month_context_with};

/// Loads and checks the settings (`dispatch.toml` or `file`, then `DISPATCH_*`).
pub fn load_settings(file: Option<&std::path::Path>) -> anyhow::Result<Settings> {
    Settings::load(file).context("loading settings")
}

/// Opens the configured backend.
pub async fn open(settings: &Settings) -> anyhow::Result<Backend> {
    dispatch_core::open_backend(settings)
        .await
        .with_context(|| format!("opening the {:?} backend", settings.backend))
}

/// The stream's record handler: route, then enqueue each event's job once.
pub fn record_handler(backend: &Backend) -> Arc<dyn RecordHandler> {
    Arc::new(RouterHandler {
        sink: Arc::new(QueueSink {
            queues: backend.queues.clone(),
            idempotency: backend.idempotency.clone(),
            config: IdempotencyConfig::default(),
        }),
    })
}

/// The job handlers of this build, by kind. Kinds without a handler are dead-lettered with a
/// reason naming the kind (and can be replayed once a build handles them).
pub fn registry(settings: &Settings, backend: &Backend) -> anyhow::Result<Registry> {
    // One mailer for both (a Gmail mailer is a token source and a client: built once).
    let mailer = mailer(settings)?;
    // The worker writes the availability the web function queued (it holds the Google key).
    let sheet = match settings.drive {
        dispatch_core::config::DriveKind::Google => {
            availability::SheetAvailability::of(settings, google::google_tokens(settings)?)?
        }
        dispatch_core::config::DriveKind::Folder => None,
    };
    let cascade = build_cascade(settings, backend, mailer.clone(), sheet)?;
    let registry = dispatch_cascade::jobs::register(Registry::new(), cascade);
    Ok(dispatch_monthend::jobs::register(
        registry,
        month_context_with(settings, backend, mailer)?,
    ))
}

/// The cascade service; with `drive = "google"` the crew page writes availability to the Sheet
/// (this process holds the Google key).
pub fn cascade(settings: &Settings, backend: &Backend) -> anyhow::Result<Arc<Cascade>> {
    let sheet = match settings.drive {
        dispatch_core::config::DriveKind::Google => {
            availability::SheetAvailability::of(settings, google::google_tokens(settings)?)?
        }
        dispatch_core::config::DriveKind::Folder => None,
    };
    build_cascade(settings, backend, mailer(settings)?, sheet)
}

/// The cascade service sending mail through `mailer`, without the availability Sheet.
pub fn cascade_with_mailer(
    settings: &Settings,
    backend: &Backend,
    mailer: Arc<dyn MailSender>,
) -> anyhow::Result<Arc<Cascade>> {
    build_cascade(settings, backend, mailer, None)
}

/// The web Lambda function's cascade (no mailer, no Google key): with `drive = "google"`, a
/// member's availability change is queued for the worker to write to the Sheet.
pub fn web_cascade(
    settings: &Settings,
    backend: &Backend,
    mailer: Arc<dyn MailSender>,
) -> anyhow::Result<Arc<Cascade>> {
    let sheet: Option<Arc<dyn dispatch_cascade::service::AvailabilitySheet>> = match settings.drive
    {
        dispatch_core::config::DriveKind::Google => Some(Arc::new(availability::QueuedForWorker {
            backend: backend.clone(),
        })),
        dispatch_core::config::DriveKind::Folder => None,
    };
    build_cascade(settings, backend, mailer, sheet)
}

fn build_cascade(
    settings: &Settings,
    backend: &Backend,
    mailer: Arc<dyn MailSender>,
    availability_sheet: Option<Arc<dyn dispatch_cascade::service::AvailabilitySheet>>,
) -> anyhow::Result<Arc<Cascade>> {
    let cfg = CascadeSettings {
        public_url: settings.public_url.clone(),
        offer_timeout: settings.offer_timeout(),
        link_ttl: chrono::Duration::days(7),
        page_link_ttl: chrono::Duration::days(settings.page_link_days.into()),
        drop_cutoff: chrono::Duration::hours(settings.drop_cutoff_hours.into()),
        alert_before_hours: settings.alert_before_hours.clone(),
        from: EmailAddress::parse(&settings.mail_from)?,
        from_name: settings.mail_from_name.clone(),
        ops: settings
            .ops_emails
            .iter()
            .map(|e| EmailAddress::parse(e))
            .collect::<Result<_, _>>()?,
        vessels: settings.vessels.clone().into_iter().collect(),
        zone: settings.zone(),
        office_phone: settings.office_phone.clone(),
    };
    Ok(Arc::new(Cascade {
        backend: backend.clone(),
        mailer,
        links: link_keys(settings)?,
        cfg,
        idem: IdempotencyConfig::default(),
        clock: Arc::new(dispatch_core::clock::SystemClock),
        availability_sheet,
    }))
}

/// A stream consumer with a unique owner name.
pub fn consumer(settings: &Settings, backend: &Backend) -> Consumer {
    let owner = format!(
        "{}-{}-{}",
        hostname(),
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let mut cfg = ConsumerConfig::new(owner);
    cfg.start = match settings.stream_start {
        StreamStart::TrimHorizon => StartAt::TrimHorizon,
        StreamStart::Latest => StartAt::Latest,
    };
    match settings.backend {
        // Polling SQLite costs nothing: keep new bookings quick.
        dispatch_core::config::BackendKind::Local => {
            cfg.idle_sleep = Duration::from_millis(200);
            cfg.idle_max = cfg.idle_sleep;
        }
        // Every read is a billed request (benches/cost measures them): an idle stream is read
        // every 4 s at most, a lease renewed every 15 s (45 s leases), the lease table
        // rebalanced every minute and the shard list read every 5 minutes or when a shard
        // ends. A crashed process's shards are still taken over when its leases end (the
        // rebalance is timed to that), within 45 s.
        dispatch_core::config::BackendKind::Aws => {
            cfg.lease_ttl = Duration::from_secs(45);
            cfg.renew_every = Duration::from_secs(15);
            cfg.rebalance_every = Duration::from_secs(60);
            cfg.shards_every = Duration::from_secs(300);
        }
    }
    Consumer::for_backend(backend, record_handler(backend), cfg)
}

/// One worker per work queue, sharing the registry.
pub fn workers(settings: &Settings, backend: &Backend) -> anyhow::Result<Vec<Arc<Worker>>> {
    let registry = Arc::new(registry(settings, backend)?);
    Ok(QueueId::WORK
        .into_iter()
        .map(|q| {
            // Monthly reports and roster syncs can wait a minute: on AWS their queues are
            // long-polled once a minute when empty, not three times (each receive is billed).
            let idle_pause = match (settings.backend, q) {
                (dispatch_core::config::BackendKind::Aws, QueueId::Reports | QueueId::Roster) => {
                    Duration::from_secs(40)
                }
                _ => Duration::ZERO,
            };
            let cfg = WorkerConfig {
                max_attempts: settings.job_attempts,
                idle_pause,
                ..WorkerConfig::default()
            };
            Arc::new(Worker::new(
                q,
                backend.queues.clone(),
                backend.idempotency.clone(),
                registry.clone(),
                cfg,
            ))
        })
        .collect())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}
