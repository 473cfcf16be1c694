//! # crew-dispatch (the `dispatch` binary's library)
//!
//! Wires settings to the library crates; every command of the CLI lives here so tests can drive it.
//!
//! - [`app`]: wiring shared by `dispatch run`, the CLI and the Lambda binaries.
//! - [`cli`]: the `clap` command tree and the commands (`bootstrap`, `doctor`, `charter add|import`,
//!   `roster import`, `demo`).
//! - [`import`]: reading charters and roster members from JSON files (plain JSON or DynamoDB JSON),
//!   good rows kept, bad rows named.
//! - [`telemetry`]: logging set-up (JSON when stderr is not a terminal).
//!
//! The domain, ports and adapters are in `dispatch-core`; see the README's architecture section.

// Nothing from outside (a record, a message, a cell, a request) may panic: unwrap/expect only in
// tests, or with an #[allow] and a comment where an invariant is proven.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod cli;
pub mod demo;
pub mod gmail;
pub mod import;
pub mod month;
pub mod secrets;
pub mod telemetry;
