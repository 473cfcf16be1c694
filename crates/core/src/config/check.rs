//! Checks at load: every setting that could be wrong is checked once, and the error names the
//! setting and its variable. The checks other parts reuse (mail header text, link key ids) are
//! public.

use std::net::SocketAddr;

use super::choices::MailKind;
use super::error::ConfigError;
use super::load::env_name;
use super::settings::Settings;
use crate::domain::EmailAddress;
use crate::zone::BusinessZone;

/// The longest offer window: 30 days (a page link lives at most 365 days, an offer link its
/// window plus 7; beyond this, date arithmetic would also come near chrono's limits).
pub const MAX_OFFER_TIMEOUT_SECS: u64 = 30 * 24 * 3600;

/// The most alert thresholds (`alert_before_hours`).
pub const MAX_ALERTS: usize = 5;

/// The longest pause between sweeps: one day (0 turns the sweep off).
pub const MAX_SWEEP_INTERVAL_SECS: u64 = 24 * 3600;

impl Settings {
    /// Checks every setting; the first problem names its setting.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &'static str, message: String| ConfigError::Invalid {
            setting,
            env: env_name(setting),
            message,
        };
        check_public_url(&self.public_url).map_err(|m| invalid("public_url", m))?;
        if self.mail == MailKind::Smtp && self.smtp_url.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(
                "smtp_url",
                "mail = \"smtp\" needs the server: set DISPATCH_SMTP_URL, e.g. \
                 smtps://user%40example.com@smtp.example.com:465 (the password in \
                 DISPATCH_SMTP_PASSWORD or DISPATCH_SMTP_PASSWORD_FILE)"
                    .into(),
            ));
        }
        BusinessZone::parse(&self.time_zone).map_err(|m| invalid("time_zone", m))?;
        check_header_text(&self.mail_from_name).map_err(|m| invalid("mail_from_name", m))?;
        check_link_key_ids(&self.link_keys).map_err(|m| invalid("link_keys", m))?;
        self.listen.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "listen",
                format!("`{}` is not an address such as 127.0.0.1:8080", self.listen),
            )
        })?;
        if !self
            .prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || self.prefix.len() > 40
        {
            return Err(invalid(
                "prefix",
                format!(
                    "`{}` may hold only letters, digits, - and _ (at most 40)",
                    self.prefix
                ),
            ));
        }
        if !(1..=1000).contains(&self.max_receive_count) {
            return Err(invalid(
                "max_receive_count",
                format!("{} must be between 1 and 1000", self.max_receive_count),
            ));
        }
        if !(1..=1000).contains(&self.job_attempts) {
            return Err(invalid(
                "job_attempts",
                format!("{} must be between 1 and 1000", self.job_attempts),
            ));
        }
        if self.drop_cutoff_hours > 168 {
            return Err(invalid(
                "drop_cutoff_hours",
                format!("{} must be at most 168 (a week)", self.drop_cutoff_hours),
            ));
        }
        if self.alert_before_hours.len() > MAX_ALERTS
            || self
                .alert_before_hours
                .iter()
                .any(|h| !(1..=720).contains(h))
        {
            return Err(invalid(
                "alert_before_hours",
                format!(
                    "{:?}: at most {MAX_ALERTS} thresholds, each between 1 and 720 hours (30 days)",
                    self.alert_before_hours
                ),
            ));
        }
        if !(1..=365).contains(&self.page_link_days) {
            return Err(invalid(
                "page_link_days",
                format!("{} must be between 1 and 365", self.page_link_days),
            ));
        }
        if !(1..=MAX_OFFER_TIMEOUT_SECS).contains(&self.offer_timeout_secs) {
            return Err(invalid(
                "offer_timeout_secs",
                format!(
                    "{} must be between 1 and {MAX_OFFER_TIMEOUT_SECS} (30 days): an offer \
                     open longer would outlive the link that answers it",
                    self.offer_timeout_secs
                ),
            ));
        }
        if self.sweep_interval_secs > MAX_SWEEP_INTERVAL_SECS {
            return Err(invalid(
                "sweep_interval_secs",
                format!(
                    "{} must be at most {MAX_SWEEP_INTERVAL_SECS} (one day), or 0 to turn the \
                     sweep off",
                    self.sweep_interval_secs
                ),
            ));
        }
        for e in &self.ops_emails {
            EmailAddress::parse(e).map_err(|err| invalid("ops_emails", err.to_string()))?;
        }
        EmailAddress::parse(&self.mail_from)
            .map_err(|err| invalid("mail_from", err.to_string()))?;
        for k in &self.link_keys {
            if k.split_once(':')
                .is_none_or(|(id, secret)| id.is_empty() || secret.len() < 43)
            {
                return Err(invalid("link_keys", "each key is `id:base64secret` with at least 32 random bytes (`openssl rand -base64 32`)".into()));
            }
        }
        if let Some(a) = &self.auditor_email {
            EmailAddress::parse(a).map_err(|err| invalid("auditor_email", err.to_string()))?;
        }
        if let Some(y) = self.roster_year {
            if !(2000..=2100).contains(&y) {
                return Err(invalid(
                    "roster_year",
                    format!("{y} is not a year between 2000 and 2100"),
                ));
            }
        }
        let folder = self.reports_folder.trim_matches('/');
        if folder.is_empty()
            || folder
                .split('/')
                .any(|p| p.trim().is_empty() || p == "." || p == "..")
        {
            return Err(invalid(
                "reports_folder",
                format!(
                    "`{}` must be a folder path such as `JADA Business/Reports`",
                    self.reports_folder
                ),
            ));
        }
        if self.roster_sheet.trim().is_empty() {
            return Err(invalid(
                "roster_sheet",
                "must be `Folder/Name` or `id:<spreadsheet id>`".into(),
            ));
        }
        if let Some(p) = &self.office_phone {
            check_header_text(p).map_err(|m| invalid("office_phone", m))?;
        }
        for (name, v) in &self.vessels {
            if let Some(t) = &v.start_time {
                if v.start().is_none() {
                    return Err(ConfigError::Invalid {
                        setting: "vessels",
                        env: "(file only)".into(),
                        message: format!("`vessels.\"{name}\".start_time` is `{t}`: give a local time as HH:MM, e.g. 08:30"),
                    });
                }
            }
            if v.duration_hours.is_some_and(|h| !(1..=24).contains(&h)) {
                return Err(ConfigError::Invalid {
                    setting: "vessels",
                    env: "(file only)".into(),
                    message: format!(
                        "`vessels.\"{name}\".duration_hours` must be between 1 and 24"
                    ),
                });
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty".into()));
        }
        Ok(())
    }
}

/// `DISPATCH_PUBLIC_URL` is the base of every magic link: `http(s)://host[:port][/path]`, no
/// query or fragment (a link appends `/o/<token>` to it), no spaces.
fn check_public_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("`{url}` must start with http:// or https://"))?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{}` contains spaces or control characters",
            url.escape_debug()
        ));
    }
    if url.contains('?') || url.contains('#') {
        return Err(format!(
            "`{url}` has a query or fragment: links are built as <public_url>/o/<token>, so give only scheme, host and path, e.g. https://crew.example.com"
        ));
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err(format!(
            "`{url}` has no host (or carries a user name): use e.g. https://crew.example.com"
        ));
    }
    Ok(())
}

/// A value that goes into a mail header: no line breaks or other control characters (they
/// would split the header), at most 100 characters.
pub fn check_header_text(s: &str) -> Result<(), String> {
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!(
            "`{}` contains the control character {c:?}: it goes into the From header, where a line break would start a new header; remove it",
            s.escape_debug()
        ));
    }
    if s.chars().count() > 100 {
        return Err("longer than 100 characters".into());
    }
    Ok(())
}

/// Magic-link keys must have distinct ids: a token names the key that signed it, so two keys
/// under one id make every link of one of them fail.
pub fn check_link_key_ids(specs: &[String]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for spec in specs {
        let id = spec.split_once(':').map(|(id, _)| id.trim()).unwrap_or("");
        if !seen.insert(id.to_string()) {
            return Err(format!(
                "two keys have the id `{id}`: give each key its own id (e.g. k1, k2; the last one signs)"
            ));
        }
    }
    Ok(())
}
