//! Google wiring: the service-account settings of `dispatch auth`, one token source, the Drive
//! client, and the Gmail sender (`dispatch-monthend`'s [`GmailMailer`]). Its own file so that every Google client of the process is built from the
//! same settings in one place.

use std::sync::Arc;

use dispatch_core::Settings;
use dispatch_google::auth::AuthConfig;
use dispatch_google::gmail::GmailClient;
use dispatch_google::http::HttpConfig;
use dispatch_google::TokenSource;
use dispatch_monthend::google::GmailMailer;

/// The Google auth settings (key path, token file, delegated mailbox).
pub fn auth_config(settings: &Settings) -> AuthConfig {
    AuthConfig {
        key_path: settings.google_key_file.clone(),
        token_file: Some(settings.google_token_path()),
        subject: Some(settings.mail_from.clone()),
        allow_loose_permissions: settings.google_allow_loose_permissions,
    }
}

/// Gmail as the delegated `mail_from` mailbox: the key and token file of `dispatch auth`, the
/// API base URL.
pub fn gmail_mailer(settings: &Settings) -> anyhow::Result<GmailMailer> {
    let tokens = auth_config(settings)
        .token_source()
        .map_err(|e| anyhow::anyhow!("Gmail: {e}"))?;
    let client = GmailClient::new(
        &settings.gmail_base_url,
        Arc::new(tokens),
        HttpConfig::default(),
    )
    .map_err(|e| anyhow::anyhow!("Gmail: {e}"))?;
    Ok(GmailMailer::new(client, settings.mail_from.clone()))
}

/// One Google token source for every client of this process (`dispatch auth` settings).
pub fn google_tokens(settings: &Settings) -> anyhow::Result<Arc<dyn TokenSource>> {
    let source = auth_config(settings)
        .token_source()
        .map_err(|e| anyhow::anyhow!("Google: {e}"))?;
    Ok(Arc::new(source))
}

/// The Drive client for reports and the availability sheet.
pub fn drive_client(
    settings: &Settings,
    tokens: Arc<dyn TokenSource>,
) -> anyhow::Result<dispatch_google::drive::DriveClient> {
    let cfg = dispatch_google::drive::DriveConfig {
        base: settings.drive_base_url.clone(),
        upload_base: settings.drive_base_url.clone(),
        shared_drive_id: settings.shared_drive_id.clone(),
        ..Default::default()
    };
    dispatch_google::drive::DriveClient::new(cfg, tokens).map_err(|e| anyhow::anyhow!("Drive: {e}"))
}
