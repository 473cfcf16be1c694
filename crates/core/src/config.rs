//! Settings: one documented struct, layered defaults → `dispatch.toml` → `DISPATCH_*` variables.
//!
//! Every field can be set in the file by its name or in the environment as `DISPATCH_<NAME>`
//! (upper case), e.g. `backend = "aws"` or `DISPATCH_BACKEND=aws`. Lists in the environment are
//! comma-separated. [`Settings::load`] checks everything and names the setting at fault.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::EmailAddress;
use crate::zone::BusinessZone;

/// Which storage and queue backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Embedded: one SQLite file under `data_dir`.
    Local,
    /// DynamoDB, DynamoDB Streams and SQS through the AWS SDK's standard configuration chain.
    Aws,
}

/// Where mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailKind {
    /// `.eml` files under `<data_dir>/outbox`.
    Outbox,
    Gmail,
}

/// Where reports go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriveKind {
    /// A folder tree under `<data_dir>/drive`.
    Folder,
    Google,
}

/// Where a new stream consumer starts on a shard without a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamStart {
    TrimHorizon,
    Latest,
}

/// Per-vessel settings (from configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VesselConfig {
    /// Crew slots besides the captain (a charter's own `crew_needed` wins).
    pub crew_needed: Option<u32>,
    /// Certifications a crew member needs (default `deckhand`).
    pub crew_certifications: Vec<String>,
    /// Captains asked first for this vessel, in this order of preference among equals.
    pub preferred_captains: Vec<String>,
    /// When crew report aboard, local time of the business (`HH:MM`, e.g. `08:30`): shown on the
    /// crew page and in mails, and the start of the calendar entry (all day without it).
    pub start_time: Option<String>,
    /// How long a charter lasts, in hours, for the calendar entry (default 4).
    pub duration_hours: Option<u32>,
    /// Where crew meet, e.g. `Dock B, Harbor Marina slip 14`.
    pub meeting_point: Option<String>,
}

impl VesselConfig {
    /// The reporting time (`start_time`, checked at load).
    pub fn start(&self) -> Option<chrono::NaiveTime> {
        self.start_time
            .as_deref()
            .and_then(|t| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok())
    }

    /// How long the charter lasts (default 4 hours).
    pub fn duration(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.duration_hours.unwrap_or(4).clamp(1, 24)))
    }
}

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
    /// `outbox` or `gmail`. Env: `DISPATCH_MAIL`.
    pub mail: MailKind,
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
    /// How long an unanswered offer stays open, in seconds (default two hours). Env: `DISPATCH_OFFER_TIMEOUT_SECS`.
    pub offer_timeout_secs: u64,
    /// How often `dispatch run` sweeps: every unsettled charter from today to +60 days is
    /// reconciled, so nothing stays stuck after a lost message, a crash or an outage. Seconds;
    /// 0 turns the sweep off. Env: `DISPATCH_SWEEP_INTERVAL_SECS`.
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
            drive: DriveKind::Folder,
            public_url: "http://127.0.0.1:8080".into(),
            listen: "127.0.0.1:8080".into(),
            max_receive_count: 5,
            job_attempts: 20,
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

/// Settings that cannot be used; the message names the setting and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("setting `{setting}` (env {env}): {message}")]
    Invalid {
        setting: &'static str,
        env: String,
        message: String,
    },
}

/// The setting names accepted in the file and as `DISPATCH_<NAME>`; list-valued ones are comma-separated in env.
const FIELDS: &[(&str, FieldKind)] = &[
    ("backend", FieldKind::Str),
    ("data_dir", FieldKind::Str),
    ("prefix", FieldKind::Str),
    ("mail", FieldKind::Str),
    ("drive", FieldKind::Str),
    ("public_url", FieldKind::Str),
    ("listen", FieldKind::Str),
    ("max_receive_count", FieldKind::Int),
    ("job_attempts", FieldKind::Int),
    ("offer_timeout_secs", FieldKind::Int),
    ("sweep_interval_secs", FieldKind::Int),
    ("ops_emails", FieldKind::List),
    ("stream_start", FieldKind::Str),
    ("mail_from", FieldKind::Str),
    ("mail_from_name", FieldKind::Str),
    ("link_keys", FieldKind::List),
    ("google_key_file", FieldKind::Str),
    ("google_token_file", FieldKind::Str),
    ("google_allow_loose_permissions", FieldKind::Bool),
    ("gmail_base_url", FieldKind::Str),
    ("drive_base_url", FieldKind::Str),
    ("sheets_base_url", FieldKind::Str),
    ("shared_drive_id", FieldKind::Str),
    ("reports_folder", FieldKind::Str),
    ("roster_sheet", FieldKind::Str),
    ("roster_file", FieldKind::Str),
    ("roster_year", FieldKind::Int),
    ("auditor_email", FieldKind::Str),
    ("office_phone", FieldKind::Str),
    ("time_zone", FieldKind::Str),
];

#[derive(Clone, Copy)]
enum FieldKind {
    Str,
    Int,
    Bool,
    List,
}

fn env_name(field: &str) -> String {
    format!("DISPATCH_{}", field.to_ascii_uppercase())
}

impl Settings {
    /// Loads from `file` (if given, it must exist; otherwise `./dispatch.toml` when present) and the
    /// process environment, then checks the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        for (name, guess) in unknown_env_vars(&env) {
            match guess {
                Some(g) => {
                    tracing::warn!("{name} is not a setting and is ignored: did you mean {g}?")
                }
                None => tracing::warn!("{name} is not a setting and is ignored"),
            }
        }
        Self::load_from(file, &env)
    }

    /// Like [`Settings::load`] with an explicit environment (for tests).
    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Self, ConfigError> {
        let lookup = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => match lookup("DISPATCH_CONFIG") {
                Some(p) => Some(PathBuf::from(p)),
                None => Some(PathBuf::from("dispatch.toml")).filter(|p| p.exists()),
            },
        };
        let mut table = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.clone(),
                    source,
                })?;
                text.parse::<toml::Table>().map_err(|e| ConfigError::File {
                    path: p.clone(),
                    message: e.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        for (field, kind) in FIELDS {
            let name = env_name(field);
            let Some(raw) = lookup(&name) else { continue };
            let value = match kind {
                FieldKind::Str => toml::Value::String(raw),
                FieldKind::Int => {
                    toml::Value::Integer(raw.trim().parse().map_err(|_| ConfigError::Invalid {
                        setting: field,
                        env: name.clone(),
                        message: format!("`{raw}` is not a whole number"),
                    })?)
                }
                FieldKind::Bool => {
                    toml::Value::Boolean(match raw.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" | "" => false,
                        _ => {
                            return Err(ConfigError::Invalid {
                                setting: field,
                                env: name.clone(),
                                message: format!("`{raw}` is not true or false"),
                            })
                        }
                    })
                }
                FieldKind::List => toml::Value::Array(
                    raw.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| toml::Value::String(s.into()))
                        .collect(),
                ),
            };
            table.insert(field.to_string(), value);
        }
        let settings: Settings = match toml::Value::Table(table.clone()).try_into() {
            Ok(s) => s,
            Err(e) => {
                let e: toml::de::Error = e;
                // Find the setting at fault by trying each one alone.
                let culprit = table.iter().find_map(|(k, v)| {
                    let mut one = toml::Table::new();
                    one.insert(k.clone(), v.clone());
                    toml::Value::Table(one)
                        .try_into::<Settings>()
                        .err()
                        .map(|err| (k.clone(), err.message().to_string()))
                });
                if let Some(message) = culprit
                    .as_ref()
                    .filter(|(k, _)| k == "vessels")
                    .and_then(|_| table.get("vessels"))
                    .and_then(vessel_error)
                {
                    return Err(ConfigError::File {
                        path: path
                            .clone()
                            .unwrap_or_else(|| PathBuf::from("(environment)")),
                        message,
                    });
                }
                return Err(
                    match culprit.and_then(|(k, m)| {
                        FIELDS.iter().find(|(f, _)| *f == k).map(|(f, _)| (*f, m))
                    }) {
                        Some((f, message)) => ConfigError::Invalid {
                            setting: f,
                            env: env_name(f),
                            message,
                        },
                        None => ConfigError::File {
                            path: path
                                .clone()
                                .unwrap_or_else(|| PathBuf::from("(environment)")),
                            message: e.message().to_string(),
                        },
                    },
                );
            }
        };
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &'static str, message: String| ConfigError::Invalid {
            setting,
            env: env_name(setting),
            message,
        };
        check_public_url(&self.public_url).map_err(|m| invalid("public_url", m))?;
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
        if self.offer_timeout_secs < 1 {
            return Err(invalid(
                "offer_timeout_secs",
                "must be at least 1 second".into(),
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

/// Names the vessel and field at fault in a `[vessels."Name"]` table that does not parse.
fn vessel_error(vessels: &toml::Value) -> Option<String> {
    let table = vessels.as_table()?;
    for (name, v) in table {
        if let Err(e) = v.clone().try_into::<VesselConfig>() {
            let field = v
                .as_table()
                .and_then(|t| {
                    t.iter().find_map(|(k, x)| {
                        let mut one = toml::Table::new();
                        one.insert(k.clone(), x.clone());
                        toml::Value::Table(one)
                            .try_into::<VesselConfig>()
                            .err()
                            .map(|_| k.clone())
                    })
                })
                .map(|k| format!(".{k}"))
                .unwrap_or_default();
            return Some(format!(
                "setting `vessels.\"{name}\"{field}`: {} (crew_needed is a whole number of crew slots, 0 or more)",
                e.message()
            ));
        }
    }
    None
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

/// `DISPATCH_*` variables that are not settings, with the setting they probably meant: a
/// misspelled variable is otherwise ignored without a word.
pub fn unknown_env_vars(env: &[(String, String)]) -> Vec<(String, Option<String>)> {
    const OTHERS: &[&str] = &[
        "DISPATCH_CONFIG",
        "DISPATCH_LINK_KEYS_SECRET_ARN",
        "DISPATCH_LAMBDA_DIR",
    ];
    let known: Vec<String> = FIELDS.iter().map(|(f, _)| env_name(f)).collect();
    env.iter()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("DISPATCH_"))
        .filter(|k| !k.starts_with("DISPATCH_TEST_") && !k.starts_with("DISPATCH_BENCH_"))
        .filter(|k| !known.contains(k) && !OTHERS.contains(&k.as_str()))
        .map(|k| {
            let guess = known
                .iter()
                .min_by_key(|n| edit_distance(n, k))
                .filter(|n| edit_distance(n, k) <= 3)
                .cloned();
            (k.clone(), guess)
        })
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Base names of the four tables.
pub mod tables {
    pub const CHARTERS: &str = "crew-dispatch";
    pub const ROSTER: &str = "crew-roster";
    pub const CHATS: &str = "charter-chats";
    pub const STATE: &str = "dispatch-state";
    pub const ALL: [&str; 4] = [CHARTERS, ROSTER, CHATS, STATE];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_design() {
        let s = Settings::load_from(None, &[]).unwrap();
        assert_eq!(s.backend, BackendKind::Local);
        assert_eq!(s.data_dir, PathBuf::from("./dispatch-data"));
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.mail, MailKind::Outbox);
        assert_eq!(s.drive, DriveKind::Folder);
        assert_eq!(s.prefix, "");
    }

    #[test]
    fn env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("dispatch.toml");
        std::fs::write(
            &f,
            "backend = \"aws\"\nprefix = \"file-\"\nmax_receive_count = 3\n",
        )
        .unwrap();
        let s = Settings::load_from(
            Some(&f),
            &env(&[
                ("DISPATCH_PREFIX", "env-"),
                ("DISPATCH_OPS_EMAILS", "a@x.com, b@x.com"),
            ]),
        )
        .unwrap();
        assert_eq!(s.backend, BackendKind::Aws);
        assert_eq!(s.prefix, "env-");
        assert_eq!(s.max_receive_count, 3);
        assert_eq!(s.ops_emails, vec!["a@x.com", "b@x.com"]);
    }

    #[test]
    fn errors_name_the_setting() {
        let e = Settings::load_from(None, &env(&[("DISPATCH_BACKEND", "azure")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("backend") && e.contains("DISPATCH_BACKEND"),
            "{e}"
        );
        let e = Settings::load_from(None, &env(&[("DISPATCH_PUBLIC_URL", "example.com")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("DISPATCH_PUBLIC_URL"), "{e}");
        let e = Settings::load_from(None, &env(&[("DISPATCH_MAX_RECEIVE_COUNT", "five")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("DISPATCH_MAX_RECEIVE_COUNT"), "{e}");
        let e = Settings::load_from(None, &env(&[("DISPATCH_OPS_EMAILS", "ops")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ops_emails"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("dispatch.toml");
        std::fs::write(&f, "bakend = \"aws\"\n").unwrap();
        let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
        assert!(e.contains("bakend"), "{e}");
    }
    #[test]
    fn hostile_values_are_refused_with_the_setting_named() {
        let err = |pairs: &[(&str, &str)]| {
            Settings::load_from(None, &env(pairs))
                .unwrap_err()
                .to_string()
        };
        let e = err(&[("DISPATCH_MAIL_FROM_NAME", "Crew\r\nBcc: x@evil.com")]);
        assert!(
            e.contains("DISPATCH_MAIL_FROM_NAME") && e.contains("control character"),
            "{e}"
        );
        for url in [
            "https://crew.example.com/?a=1",
            "https://crew.example.com#x",
            "https:///p",
            "https://crew example.com",
        ] {
            let e = err(&[("DISPATCH_PUBLIC_URL", url)]);
            assert!(e.contains("DISPATCH_PUBLIC_URL"), "{url}: {e}");
        }
        assert!(Settings::load_from(
            None,
            &env(&[("DISPATCH_PUBLIC_URL", "https://crew.example.com/base")])
        )
        .is_ok());
        let key = "A".repeat(43);
        let e = err(&[("DISPATCH_LINK_KEYS", &format!("k1:{key},k1:{key}"))]);
        assert!(
            e.contains("DISPATCH_LINK_KEYS") && e.contains("`k1`"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("dispatch.toml");
        std::fs::write(&f, "[vessels.\"Sea Breeze\"]\ncrew_needed = -2\n").unwrap();
        let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
        assert!(e.contains("vessels.\"Sea Breeze\".crew_needed"), "{e}");
    }

    #[test]
    fn time_zone_is_an_iana_name() {
        let s = Settings::load_from(None, &[]).unwrap();
        assert_eq!(s.time_zone, "UTC");
        assert_eq!(s.zone().name(), "UTC");
        let s = Settings::load_from(None, &env(&[("DISPATCH_TIME_ZONE", "America/Los_Angeles")]))
            .unwrap();
        assert_eq!(s.zone().name(), "America/Los_Angeles");
        let e = Settings::load_from(None, &env(&[("DISPATCH_TIME_ZONE", "Pacific Time")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("time_zone")
                && e.contains("DISPATCH_TIME_ZONE")
                && e.contains("America/New_York"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("dispatch.toml");
        std::fs::write(&f, "time_zone = \"Europe/Pariss\"\n").unwrap();
        let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
        assert!(e.contains("Europe/Pariss"), "{e}");
    }

    #[test]
    fn vessels_carry_start_time_and_meeting_point() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("dispatch.toml");
        std::fs::write(&f, "office_phone = \"+1 555 0100\"\n[vessels.\"Sea Breeze\"]\nstart_time = \"08:30\"\nmeeting_point = \"Dock B\"\n").unwrap();
        let s = Settings::load_from(Some(&f), &[]).unwrap();
        let v = &s.vessels["Sea Breeze"];
        assert_eq!(v.start(), chrono::NaiveTime::from_hms_opt(8, 30, 0));
        assert_eq!(v.meeting_point.as_deref(), Some("Dock B"));
        assert_eq!(v.duration(), chrono::Duration::hours(4));
        assert_eq!(s.office_phone.as_deref(), Some("+1 555 0100"));
        std::fs::write(
            &f,
            "[vessels.\"Sea Breeze\"]\nstart_time = \"half past eight\"\n",
        )
        .unwrap();
        let e = Settings::load_from(Some(&f), &[]).unwrap_err().to_string();
        assert!(
            e.contains("vessels.\"Sea Breeze\".start_time") && e.contains("HH:MM"),
            "{e}"
        );
    }

    #[test]
    fn misspelled_dispatch_variables_are_named() {
        let unknown = unknown_env_vars(&env(&[
            ("DISPATCH_PUBLC_URL", "x"),
            ("DISPATCH_BACKEND", "local"),
            ("DISPATCH_TEST_AWS_ENDPOINT", "x"),
            ("DISPATCH_WHATEVER_THING", "x"),
        ]));
        assert_eq!(
            unknown,
            vec![
                (
                    "DISPATCH_PUBLC_URL".to_string(),
                    Some("DISPATCH_PUBLIC_URL".to_string())
                ),
                ("DISPATCH_WHATEVER_THING".to_string(), None),
            ]
        );
    }
}
