//! Loading: defaults, then `dispatch.toml`, then `DISPATCH_*` variables (typed by `FIELDS`),
//! with the setting at fault named when the result does not parse; and the misspelled
//! `DISPATCH_*` variables, named with the setting they probably meant.

use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::settings::Settings;
use super::vessels::vessel_error;

/// The setting names accepted in the file and as `DISPATCH_<NAME>`; list-valued ones are comma-separated in env.
const FIELDS: &[(&str, FieldKind)] = &[
    ("backend", FieldKind::Str),
    ("data_dir", FieldKind::Str),
    ("prefix", FieldKind::Str),
    ("mail", FieldKind::Str),
    ("smtp_url", FieldKind::Str),
    ("smtp_password_file", FieldKind::Str),
    ("smtp_ca_file", FieldKind::Str),
    ("drive", FieldKind::Str),
    ("public_url", FieldKind::Str),
    ("listen", FieldKind::Str),
    ("max_receive_count", FieldKind::Int),
    ("job_attempts", FieldKind::Int),
    ("offer_timeout_secs", FieldKind::Int),
    ("page_link_days", FieldKind::Int),
    ("drop_cutoff_hours", FieldKind::Int),
    ("alert_before_hours", FieldKind::IntList),
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
    IntList,
}

pub(super) fn env_name(field: &str) -> String {
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
                FieldKind::IntList => toml::Value::Array(
                    raw.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| {
                            s.parse()
                                .map(toml::Value::Integer)
                                .map_err(|_| ConfigError::Invalid {
                                    setting: field,
                                    env: name.clone(),
                                    message: format!("`{s}` is not a whole number"),
                                })
                        })
                        .collect::<Result<_, _>>()?,
                ),
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
        let mut settings: Settings = match toml::Value::Table(table.clone()).try_into() {
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
        // Largest first, each once (the check bounded them).
        settings
            .alert_before_hours
            .sort_unstable_by(|a, b| b.cmp(a));
        settings.alert_before_hours.dedup();
        Ok(settings)
    }
}

/// `DISPATCH_*` variables that are not settings, with the setting they probably meant: a
/// misspelled variable is otherwise ignored without a word.
pub fn unknown_env_vars(env: &[(String, String)]) -> Vec<(String, Option<String>)> {
    const OTHERS: &[&str] = &[
        "DISPATCH_CONFIG",
        "DISPATCH_LINK_KEYS_SECRET_ARN",
        "DISPATCH_LAMBDA_DIR",
        // A secret: read where the SMTP sender is built, never part of `Settings`.
        "DISPATCH_SMTP_PASSWORD",
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
