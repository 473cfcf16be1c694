//! The one `Settings` struct: every field documented with its variable, its defaults, and the
//! values derived from it (paths, durations, the zone). Loading and checking are next door.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::choices::{BackendKind, DriveKind, MailKind, StreamStart};
use super::vessels::VesselConfig;
use crate::zone::BusinessZone;

/// All settings of crew-dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `local` (embedded SQLite) or `aws`. Env: `DISPATCH_BACKEND`.
    pub backend: BackendKind,
    /// Where the embedded backend keeps its database, `outbox/` and `drive/`. Env: `DISPATCH_DATA_DIR`.
    pub data_dir: PathBuf,
    /// Prefix for every table and queue name, e.g. `staging-`. Env: `DISPATCH_PREFIX`.
    pub prefix: String,
    /// `outbox` (files nobody receives: the demo), `gmail` or `smtp`. Env: `DISPATCH_MAIL`.
    pub mail: MailKind,
    /// The SMTP server when `mail = "smtp"`, in lettre's URL form: `smtps://user@host:465`,
    /// `smtp://user@host:587?tls=required`, or plain `smtp://127.0.0.1:2525` (loopback only). The
    /// user is percent-encoded; the password never goes in the URL: it comes from the
    /// environment variable `DISPATCH_SMTP_PASSWORD` (never from dispatch.toml, never logged) or
    /// from `smtp_password_file`. Env: `DISPATCH_SMTP_URL`.
    pub smtp_url: Option<String>,
    /// A file holding the SMTP password (one line, mode 0600). Env: `DISPATCH_SMTP_PASSWORD_FILE`.
    pub smtp_password_file: Option<PathBuf>,
    /// A PEM file with the CA that signed the SMTP server's certificate (a private CA); the
    /// server is then checked against it only. Env: `DISPATCH_SMTP_CA_FILE`.
    pub smtp_ca_file: Option<PathBuf>,
    /// `folder` or `google`. Env: `DISPATCH_DRIVE`.
    pub drive: DriveKind,
    /// Base URL put in magic links. Env: `DISPATCH_PUBLIC_URL`.
    pub public_url: String,
    /// Address the crew page listens on. Env: `DISPATCH_LISTEN`.
    pub listen: String,
    /// Receives before a message moves to its queue's DLQ (the redrive policy). Env: `DISPATCH_MAX_RECEIVE_COUNT`.
    pub max_receive_count: u32,
    /// Failed attempts (retryable errors: throttling, timeouts, 5xx) before a job goes to its
    /// DLQ with its last error; retries back off from 2 s to 5 min, so the default keeps trying
    /// for about an hour. Waiting for another worker's claim never counts. Env:
    /// `DISPATCH_JOB_ATTEMPTS`.
    pub job_attempts: u32,
    /// How long a link to a member's page works, in days (default 30; 1 to 365). Every mail
    /// carries a fresh one; calendar feed links are read-only and last a year. Env:
    /// `DISPATCH_PAGE_LINK_DAYS`.
    pub page_link_days: u32,
    /// Inside this many hours before departure, "I can't make it" on the crew page means
    /// calling the office (ops are alerted instead of the slot being re-offered); 0-168.
    /// Env: `DISPATCH_DROP_CUTOFF_HOURS`.
    pub drop_cutoff_hours: u32,
    /// Hours before departure at which ops are alerted, once each, about a charter not fully
    /// staffed (the vessel's `start_time` gives the departure); inside the last (smallest) one,
    /// crew slots are offered to two candidates at once, the first accept winning. Each 1-720,
    /// at most 5; kept largest first without repeats. Env: `DISPATCH_ALERT_BEFORE_HOURS`
    /// (comma-separated, e.g. `72,24`).
    pub alert_before_hours: Vec<u32>,
    /// How long an unanswered offer stays open, in seconds (default two hours; at most 30
    /// days). Env: `DISPATCH_OFFER_TIMEOUT_SECS`.
    pub offer_timeout_secs: u64,
    /// How often `dispatch run` sweeps: every unsettled charter from today to +60 days is
    /// reconciled, so nothing stays stuck after a lost message, a crash or an outage. Seconds;
    /// 0 turns the sweep off; at most one day. Env: `DISPATCH_SWEEP_INTERVAL_SECS`.
    pub sweep_interval_secs: u64,
    /// Ops team addresses: escalations, report sharing. Env: `DISPATCH_OPS_EMAILS` (comma-separated).
    pub ops_emails: Vec<String>,
    /// Where a stream consumer starts on a shard with no checkpoint: `trim_horizon` or `latest`.
    /// Env: `DISPATCH_STREAM_START`.
    pub stream_start: StreamStart,
    /// Sender of every mail (the Gmail delegated mailbox on Google). Env: `DISPATCH_MAIL_FROM`.
    pub mail_from: String,
    /// Display name of the sender. Env: `DISPATCH_MAIL_FROM_NAME`.
    pub mail_from_name: String,
    /// Magic-link keys as `id:base64secret` (≥ 32 bytes each), oldest first; the last one signs.
    /// Env: `DISPATCH_LINK_KEYS` (comma-separated). Empty on the embedded backend: a key is made
    /// once and kept in `<data_dir>/link-keys` (mode 0600).
    pub link_keys: Vec<String>,
    /// The Google service-account key file (else `GOOGLE_APPLICATION_CREDENTIALS`). Env:
    /// `DISPATCH_GOOGLE_KEY_FILE`. Its folder must be 0700 and the file 0600.
    pub google_key_file: Option<PathBuf>,
    /// Where the token service keeps the current token (default `<data_dir>/unified-token.json`).
    /// Env: `DISPATCH_GOOGLE_TOKEN_FILE`.
    pub google_token_file: Option<PathBuf>,
    /// Turn the key/token permission refusal into a warning. Env:
    /// `DISPATCH_GOOGLE_ALLOW_LOOSE_PERMISSIONS` (`true`/`false`). Off by default.
    pub google_allow_loose_permissions: bool,
    /// Base URL of the Gmail API (a local fake in tests). Env: `DISPATCH_GMAIL_BASE_URL`.
    pub gmail_base_url: String,
    /// Base URL of the Drive API and uploads (a local fake in tests). Env: `DISPATCH_DRIVE_BASE_URL`.
    pub drive_base_url: String,
    /// Base URL of the Sheets API (a local fake in tests). Env: `DISPATCH_SHEETS_BASE_URL`.
    pub sheets_base_url: String,
    /// The shared drive holding the reports folder; empty means My Drive of the delegated user
    /// (`mail_from`). A service account has no Drive storage of its own. Env: `DISPATCH_SHARED_DRIVE_ID`.
    pub shared_drive_id: Option<String>,
    /// Folder path of the monthly revenue workbooks, in Drive or under `<data_dir>/drive/`.
    /// Env: `DISPATCH_REPORTS_FOLDER`.
    pub reports_folder: String,
    /// The availability spreadsheet in Drive: `Folder/Sub/Name` (found by path and name), or
    /// `id:<spreadsheet id>`. Env: `DISPATCH_ROSTER_SHEET`.
    pub roster_sheet: String,
    /// The availability workbook on disk for the embedded default (and `dispatch roster sync
    /// --file`); default `<data_dir>/availability.xlsx`. Env: `DISPATCH_ROSTER_FILE`.
    pub roster_file: Option<PathBuf>,
    /// Year of dates typed without one (`May 3`, `5/3`) in the availability sheet; default: the
    /// year the tab's other dates agree on, else the next occurrence from the business's today
    /// (in December, `1/5` is next January). Env: `DISPATCH_ROSTER_YEAR`.
    pub roster_year: Option<i32>,
    /// The auditor, copied on every crew statement. Env: `DISPATCH_AUDITOR_EMAIL`.
    pub auditor_email: Option<String>,
    /// The office's phone number, shown to crew on their page and in mails. Env:
    /// `DISPATCH_OFFICE_PHONE`.
    pub office_phone: Option<String>,
    /// IANA time zone of the business (`America/Los_Angeles`): every time shown to people is
    /// local to it, with its abbreviation, and so is "today" (the sweep, dates typed without a
    /// year). Env: `DISPATCH_TIME_ZONE`.
    pub time_zone: String,
    /// Per-vessel settings by vessel name: `[vessels."Sea Breeze"] crew_needed = 2`.
    pub vessels: std::collections::BTreeMap<String, VesselConfig>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            backend: BackendKind::Local,
            data_dir: PathBuf::from("./dispatch-data"),
            prefix: String::new(),
            mail: MailKind::Outbox,
            smtp_url: None,
            smtp_password_file: None,
            smtp_ca_file: None,
            drive: DriveKind::Folder,
            public_url: "http://127.0.0.1:8080".into(),
            listen: "127.0.0.1:8080".into(),
            max_receive_count: 5,
            job_attempts: 20,
            page_link_days: 30,
            drop_cutoff_hours: 24,
            alert_before_hours: vec![72, 24],
            offer_timeout_secs: 2 * 3600,
            sweep_interval_secs: 60,
            ops_emails: Vec::new(),
            stream_start: StreamStart::TrimHorizon,
            mail_from: "dispatch@crew-dispatch.example".into(),
            mail_from_name: "Crew Dispatch".into(),
            link_keys: Vec::new(),
            google_key_file: None,
            google_token_file: None,
            google_allow_loose_permissions: false,
            gmail_base_url: "https://gmail.googleapis.com".into(),
            drive_base_url: "https://www.googleapis.com".into(),
            sheets_base_url: "https://sheets.googleapis.com".into(),
            shared_drive_id: None,
            reports_folder: "JADA Business/Reports".into(),
            roster_sheet: "JADA Business/Crew/Crew Availability".into(),
            roster_file: None,
            roster_year: None,
            auditor_email: None,
            office_phone: None,
            time_zone: "UTC".into(),
            vessels: Default::default(),
        }
    }
}

impl Settings {
    /// The listen address (checked at load).
    pub fn listen_addr(&self) -> SocketAddr {
        #[allow(clippy::expect_used)] // `listen` is parsed as an address by Settings::check
        self.listen.parse().expect("checked in Settings::load")
    }

    /// Real name of a table, with the prefix.
    pub fn table(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    /// The token file of the Google token service.
    pub fn google_token_path(&self) -> PathBuf {
        self.google_token_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("unified-token.json"))
    }

    /// The availability workbook on disk (embedded default).
    pub fn roster_path(&self) -> PathBuf {
        self.roster_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("availability.xlsx"))
    }

    /// The business's time zone (checked at load; UTC if it somehow does not parse).
    pub fn zone(&self) -> BusinessZone {
        BusinessZone::parse(&self.time_zone).unwrap_or_default()
    }

    /// The sweep's period (`None`: off).
    pub fn sweep_interval(&self) -> Option<std::time::Duration> {
        (self.sweep_interval_secs > 0)
            .then(|| std::time::Duration::from_secs(self.sweep_interval_secs))
    }

    pub fn offer_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.offer_timeout_secs)
    }
}
