//! Fuzzes the settings loader: the first line of the input is `DISPATCH_*` variables
//! (`NAME=value` separated by `;`), the rest a `dispatch.toml`. Any input must load or be refused
//! with a message naming a setting or the file — never a panic.
#![no_main]

use std::io::Write;

use dispatch_core::config::unknown_env_vars;
use dispatch_core::Settings;
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "BACKEND", "DATA_DIR", "PREFIX", "MAIL", "DRIVE", "PUBLIC_URL", "LISTEN", "MAX_RECEIVE_COUNT",
    "OFFER_TIMEOUT_SECS", "OPS_EMAILS", "STREAM_START", "MAIL_FROM", "MAIL_FROM_NAME", "LINK_KEYS",
    "GOOGLE_ALLOW_LOOSE_PERMISSIONS", "REPORTS_FOLDER", "ROSTER_SHEET", "ROSTER_YEAR",
    "AUDITOR_EMAIL", "SHARED_DRIVE_ID",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (vars, toml) = text.split_once('\n').unwrap_or((text, ""));
    let env: Vec<(String, String)> = vars
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            // Short names pick a real setting, so the fuzzer reaches the checks.
            let k = match k.parse::<usize>() {
                Ok(i) => format!("DISPATCH_{}", NAMES[i % NAMES.len()]),
                Err(_) => format!("DISPATCH_{k}"),
            };
            (k, v.to_string())
        })
        .collect();
    let _ = unknown_env_vars(&env);
    let path = std::env::temp_dir().join(format!("dispatch-fuzz-settings-{}.toml", std::process::id()));
    let Ok(mut f) = std::fs::File::create(&path) else {
        return;
    };
    if f.write_all(toml.as_bytes()).is_err() {
        return;
    }
    drop(f);
    match Settings::load_from(Some(&path), &env) {
        Ok(s) => {
            let _ = s.listen_addr();
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
