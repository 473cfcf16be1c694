//! The month-end jobs' context from the settings: the reports folder (a local folder tree, or a
//! Drive folder), the prior-recipients lookup (the outbox, or a Gmail search) and the
//! availability workbook (a local `.xlsx`, or the Google Sheet), with one token source shared by
//! every Google client.

use std::sync::Arc;

use dispatch_core::config::{DriveKind, MailKind};
use dispatch_core::domain::EmailAddress;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::{Backend, Settings};
use dispatch_mailer::{MailSender, Outbox};
use dispatch_monthend::files::DriveFolder;
use dispatch_monthend::google::{GmailRecipients, GoogleDriveFiles, GoogleSheet};
use dispatch_monthend::ports::{AvailabilitySource, PriorRecipients, ReportFiles};
use dispatch_monthend::recipients::OutboxRecipients;
use dispatch_monthend::roster::XlsxFile;
use dispatch_monthend::MonthContext;

use super::google::{drive_client, google_tokens};
use super::mail::mailer;

/// What the month-end and roster jobs use: files (folder or Drive), mail (outbox or Gmail), the
/// prior-recipients lookup and the availability workbook, from the settings.
pub fn month_context(settings: &Settings, backend: &Backend) -> anyhow::Result<Arc<MonthContext>> {
    month_context_with(settings, backend, mailer(settings)?)
}

/// [`month_context`] sending its mail through `mailer`.
pub fn month_context_with(
    settings: &Settings,
    backend: &Backend,
    mailer: Arc<dyn MailSender>,
) -> anyhow::Result<Arc<MonthContext>> {
    let needs_google = settings.drive == DriveKind::Google || settings.mail == MailKind::Gmail;
    let tokens = if needs_google {
        Some(google_tokens(settings)?)
    } else {
        None
    };
    let http = dispatch_google::http::HttpConfig::default;
    let (files, availability): (Arc<dyn ReportFiles>, Arc<dyn AvailabilitySource>) =
        match (settings.drive, &tokens) {
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
                    GoogleDriveFiles::new(drive.clone(), &settings.reports_folder, false, where_),
                    Arc::new(GoogleSheet {
                        sheets,
                        drive,
                        spec: settings.roster_sheet.clone(),
                    }),
                )
            }
            _ => (
                Arc::new(DriveFolder::new(
                    settings.data_dir.join("drive"),
                    &settings.reports_folder,
                )),
                Arc::new(XlsxFile(settings.roster_path())),
            ),
        };
    let recipients: Arc<dyn PriorRecipients> = match (settings.mail, &tokens) {
        (MailKind::Gmail, Some(t)) => Arc::new(GmailRecipients(
            dispatch_google::gmail::GmailClient::new(&settings.gmail_base_url, t.clone(), http())
                .map_err(|e| anyhow::anyhow!("Gmail: {e}"))?,
        )),
        _ => Arc::new(OutboxRecipients(Outbox::new(
            settings.data_dir.join("outbox"),
        ))),
    };
    Ok(Arc::new(MonthContext {
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
