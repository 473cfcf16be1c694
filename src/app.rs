//! Wiring shared by `dispatch run`, the CLI commands and the Lambda binaries: the same handlers,
//! built once from the settings and the backend.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use dispatch_cascade::tokens::{LinkKey, MagicLinks};
use dispatch_cascade::{Cascade, CascadeSettings};
use dispatch_core::config::{BackendKind, MailKind, StreamStart};
use dispatch_core::domain::EmailAddress;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::{QueueId, StartAt};
use dispatch_core::{Backend, Settings};
use dispatch_ingest::consumer::{Consumer, ConsumerConfig, RecordHandler, RouterHandler};
use dispatch_ingest::sink::QueueSink;
use dispatch_ingest::worker::{Registry, Worker, WorkerConfig};
use dispatch_mailer::{MailSender, Outbox};

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
    let cascade = cascade_with_mailer(settings, backend, mailer.clone())?;
    let registry = dispatch_cascade::jobs::register(Registry::new(), cascade);
    Ok(crate::month::jobs::register(
        registry,
        month_context_with(settings, backend, mailer)?,
    ))
}

/// Where mail goes.
pub fn mailer(settings: &Settings) -> anyhow::Result<Arc<dyn MailSender>> {
    match settings.mail {
        MailKind::Outbox => Ok(Arc::new(Outbox::new(settings.data_dir.join("outbox")))),
        MailKind::Gmail => Ok(Arc::new(crate::gmail::GmailMailer::from_settings(
            settings,
        )?)),
    }
}

/// The magic-link keys: from settings, or on the embedded backend a key made once and kept in
/// `<data_dir>/link-keys` (mode 0600).
pub fn link_keys(settings: &Settings) -> anyhow::Result<MagicLinks> {
    use base64::Engine as _;
    let mut specs = settings.link_keys.clone();
    if specs.is_empty() {
        if settings.backend != BackendKind::Local {
            bail!("no magic-link keys: set DISPATCH_LINK_KEYS=id:base64secret (from `openssl rand -base64 32`)");
        }
        let path = settings.data_dir.join("link-keys");
        if !path.exists() {
            std::fs::create_dir_all(&settings.data_dir)
                .with_context(|| format!("creating {}", settings.data_dir.display()))?;
            let secret: [u8; 32] = rand::random();
            let line = format!(
                "local1:{}\n",
                base64::engine::general_purpose::STANDARD.encode(secret)
            );
            write_private(&path, line.as_bytes())?;
        }
        specs = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .lines()
            .map(str::to_string)
            .filter(|l| !l.trim().is_empty())
            .collect();
    }
    // Also for keys from the Secrets Manager secret or the key file, which Settings::load never saw.
    dispatch_core::config::check_link_key_ids(&specs)
        .map_err(|m| anyhow::anyhow!("magic-link keys: {m}"))?;
    let keys = specs
        .iter()
        .map(|spec| {
            let (id, b64) = spec
                .split_once(':')
                .context("link key must be id:base64secret")?;
            let secret = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .context("link key secret is not base64")?;
            LinkKey::new(id.trim(), secret).map_err(anyhow::Error::msg)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    MagicLinks::new(keys).map_err(anyhow::Error::msg)
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// The cascade service.
pub fn cascade(settings: &Settings, backend: &Backend) -> anyhow::Result<Arc<Cascade>> {
    cascade_with_mailer(settings, backend, mailer(settings)?)
}

/// The cascade service sending mail through `mailer` (the web Lambda function has no mailer).
pub fn cascade_with_mailer(
    settings: &Settings,
    backend: &Backend,
    mailer: Arc<dyn MailSender>,
) -> anyhow::Result<Arc<Cascade>> {
    let cfg = CascadeSettings {
        public_url: settings.public_url.clone(),
        offer_timeout: settings.offer_timeout(),
        link_ttl: chrono::Duration::days(7),
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
    if settings.backend == dispatch_core::config::BackendKind::Local {
        cfg.idle_sleep = Duration::from_millis(200);
    }
    Consumer::for_backend(backend, record_handler(backend), cfg)
}

/// One worker per work queue, sharing the registry.
pub fn workers(settings: &Settings, backend: &Backend) -> anyhow::Result<Vec<Arc<Worker>>> {
    let registry = Arc::new(registry(settings, backend)?);
    Ok(QueueId::WORK
        .into_iter()
        .map(|q| {
            let cfg = WorkerConfig {
                max_attempts: settings.job_attempts,
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

/// One Google token source for every client of this process (`dispatch auth` settings).
pub fn google_tokens(settings: &Settings) -> anyhow::Result<Arc<dyn dispatch_google::TokenSource>> {
    let source = crate::cli::auth_config(settings)
        .token_source()
        .map_err(|e| anyhow::anyhow!("Google: {e}"))?;
    Ok(Arc::new(source))
}

/// The Drive client for reports and the availability sheet.
pub fn drive_client(
    settings: &Settings,
    tokens: Arc<dyn dispatch_google::TokenSource>,
) -> anyhow::Result<dispatch_google::drive::DriveClient> {
    let cfg = dispatch_google::drive::DriveConfig {
        base: settings.drive_base_url.clone(),
        upload_base: settings.drive_base_url.clone(),
        shared_drive_id: settings.shared_drive_id.clone(),
        ..Default::default()
    };
    dispatch_google::drive::DriveClient::new(cfg, tokens).map_err(|e| anyhow::anyhow!("Drive: {e}"))
}

/// What the month-end and roster jobs use: files (folder or Drive), mail (outbox or Gmail), the
/// prior-recipients lookup and the availability workbook, from the settings.
pub fn month_context(
    settings: &Settings,
    backend: &Backend,
) -> anyhow::Result<Arc<crate::month::MonthContext>> {
    month_context_with(settings, backend, mailer(settings)?)
}

/// [`month_context`] sending its mail through `mailer`.
pub fn month_context_with(
    settings: &Settings,
    backend: &Backend,
    mailer: Arc<dyn MailSender>,
) -> anyhow::Result<Arc<crate::month::MonthContext>> {
    use crate::month::{files, recipients, roster};
    use dispatch_core::config::DriveKind;
    let needs_google = settings.drive == DriveKind::Google || settings.mail == MailKind::Gmail;
    let tokens = if needs_google {
        Some(google_tokens(settings)?)
    } else {
        None
    };
    let http = dispatch_google::http::HttpConfig::default;
    let (files, availability): (
        Arc<dyn files::ReportFiles>,
        Arc<dyn roster::AvailabilitySource>,
    ) = match (settings.drive, &tokens) {
        (DriveKind::Google, Some(t)) => {
            let drive = drive_client(settings, t.clone())?;
            let where_ = match &settings.shared_drive_id {
                Some(id) => format!("shared drive {id}"),
                None => format!(
                    "My Drive of {} (domain-wide delegation)",
                    settings.mail_from
                ),
            };
            let sheets = dispatch_google::sheets::SheetsClient::new(
                &settings.sheets_base_url,
                t.clone(),
                http(),
            )
            .map_err(|e| anyhow::anyhow!("Sheets: {e}"))?;
            (
                files::GoogleDriveFiles::new(
                    drive.clone(),
                    &settings.reports_folder,
                    false,
                    where_,
                ),
                Arc::new(roster::GoogleSheet {
                    sheets,
                    drive,
                    spec: settings.roster_sheet.clone(),
                }),
            )
        }
        _ => (
            Arc::new(files::DriveFolder::new(
                settings.data_dir.join("drive"),
                &settings.reports_folder,
            )),
            Arc::new(roster::XlsxFile(settings.roster_path())),
        ),
    };
    let recipients: Arc<dyn recipients::PriorRecipients> = match (settings.mail, &tokens) {
        (MailKind::Gmail, Some(t)) => Arc::new(recipients::GmailRecipients(
            dispatch_google::gmail::GmailClient::new(&settings.gmail_base_url, t.clone(), http())
                .map_err(|e| anyhow::anyhow!("Gmail: {e}"))?,
        )),
        _ => Arc::new(recipients::OutboxRecipients(Outbox::new(
            settings.data_dir.join("outbox"),
        ))),
    };
    Ok(Arc::new(crate::month::MonthContext {
        backend: backend.clone(),
        files,
        mailer,
        recipients,
        availability,
        from: EmailAddress::parse(&settings.mail_from)?,
        from_name: settings.mail_from_name.clone(),
        auditor: settings
            .auditor_email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()?,
        ops: settings
            .ops_emails
            .iter()
            .map(|e| EmailAddress::parse(e))
            .collect::<Result<_, _>>()?,
        roster_year: settings.roster_year,
        zone: settings.zone(),
        idem: IdempotencyConfig::default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that reach the process after the settings were checked (a Secrets Manager secret,
    /// the embedded key file) are checked too: two keys under one id are refused.
    #[test]
    fn duplicate_link_key_ids_are_refused_whatever_their_source() {
        let key = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let settings = Settings {
            link_keys: vec![key.into(), key.into()],
            ..Default::default()
        };
        let Err(e) = link_keys(&settings) else {
            panic!("two keys under one id were accepted")
        };
        let e = e.to_string();
        assert!(e.contains("two keys have the id `k1`"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("link-keys"), format!("{key}\n{key}\n")).unwrap();
        let settings = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        assert!(link_keys(&settings).is_err());
    }
}
