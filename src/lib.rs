//! # crew-dispatch (the `dispatch` binary's library)
//!
//! Wiring: settings in, clients built once, hand-off to the library crates; and every command of
//! the CLI, here so tests can drive it. The logic lives in the crates (`dispatch-core`,
//! `-ingest`, `-cascade`, `-reporting`, `-mailer`, `-google`, `-monthend`); see the README's
//! architecture section.
//!
//! - [`app`]: the wiring shared by `dispatch run`, the CLI and the Lambda binaries — settings and
//!   backend, the cascade, the stream consumer, the workers and their job registry, the
//!   magic-link keys, the Google clients and mailer, the month-end context. It never imports
//!   [`cli`].
//! - [`cli`]: the `clap` command tree, one module per command noun (`charter`, `roster`, `dlq`,
//!   `jobs`, `report`/`statements`, `run`, `demo`, ...); it calls [`app`].
//! - [`demo`]: the demo's story (members answering on the real crew page) and its small HTTP
//!   helpers, also used by the browser-free page tests.
//! - [`import`]: reading charters and roster members from JSON files (plain JSON or DynamoDB
//!   JSON), good rows kept, bad rows named.
//! - [`secrets`]: settings from AWS Secrets Manager or key files (for the Lambda functions).
//! - [`telemetry`]: logging set-up (JSON when stderr is not a terminal).
//!
//! Kept for code written against the old paths (the month-end code now lives in
//! `dispatch-monthend`): [`month`] is that crate, and [`gmail`] its Google adapters (with
//! `GmailMailer`).
//!
//! Imports among these modules run one way: `cli` → `app`, `demo`, `import`, `secrets`,
//! `telemetry`; `app` → the library crates only.

// Nothing from outside (a record, a message, a cell, a request) may panic: unwrap/expect only in
// tests, or with an #[allow] and a comment where an invariant is proven.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod cli;
pub mod demo;
pub mod import;
pub mod secrets;
pub mod telemetry;

/// The month-end and roster jobs, now the `dispatch-monthend` crate (the old path, for
/// compatibility).
pub use dispatch_monthend as month;
/// The Gmail `MailSender` and the other Google adapters of `dispatch-monthend` (the old path of
/// `GmailMailer`, for compatibility).
pub use dispatch_monthend::google as gmail;
