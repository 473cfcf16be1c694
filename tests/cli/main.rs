//! The `dispatch` binary as scripts, ops and the engineer on call drive it: real processes on
//! real SQLite files (and moto for the AWS backend), run through the shared runner with its one
//! environment scrub; `dispatch run` stopped by SIGTERM and killed by SIGKILL; going live on
//! one box (SMTP, doctor, status, the data folder's modes).

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

// The real SMTP server (aiosmtpd) of the mailer's own tests, for `going_live`.
#[path = "../../crates/mailer/tests/smtp/server.rs"]
#[allow(dead_code)]
mod smtp;

mod board_flow;
mod by_name;
mod charters;
mod commands;
mod dead_letters;
mod dlq;
mod going_live;
mod kill;
mod oncall;
mod ops_flow;
mod run;
mod runbook_logs;
mod stuck;

use std::path::Path;

// Shared by `kill` and `stuck`, which load charters into `dispatch run` processes and kill them.

/// `k1:` and 32 random bytes in base64: a magic-link key for the binary on AWS.
fn random_link_key() -> String {
    use base64::Engine;
    let bytes: Vec<u8> = (0..2)
        .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
        .collect();
    format!(
        "k1:{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A tiny deterministic generator (xorshift), so a run is named by its seed.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}
