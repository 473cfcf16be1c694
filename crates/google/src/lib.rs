//! # dispatch-google
//!
//! Google Workspace for crew-dispatch, over plain REST with `reqwest`.
//!
//! - [`auth`]: the service-account key read from an explicit path after checking its file modes
//!   ([`auth::key`]), the JWT-bearer exchange done by hand so Google's `error_description` reaches
//!   the operator ([`auth::jwt`]), cached token sources behind the [`TokenSource`] port
//!   ([`auth::source`]), the atomic `unified-token.json` writer ([`auth::token_file`]) and
//!   `dispatch auth check` ([`auth::check()`]).
//! - [`http`]: the layer every client shares: bearer token, timeouts, Google's error shape, and
//!   retries (429, 5xx, 403 rate limits) with exponential backoff, jitter and `Retry-After`.
//! - [`gmail`]: send raw MIME, search message ids, read metadata headers; [`mime`] builds the
//!   monthly statement mail with `lettre`.
//! - [`drive`]: find folders by path and files by name, upsert by multipart upload, share.
//! - [`sheets`]: list tabs and read them all in one `values:batchGet`, ragged rows of JSON cells.
//! - [`GoogleError`]: the crate's one error type, which knows whether a retry may help.
//!
//! Base URLs and the token URI are configurable, so tests run against a local fake Google.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod drive;
mod error;
pub mod gmail;
pub mod http;
pub mod mime;
pub mod sheets;

pub use auth::{AccessToken, TokenSource};
pub use drive::{DriveClient, DriveConfig};
pub use error::GoogleError;
pub use gmail::GmailClient;
pub use http::HttpConfig;
pub use sheets::SheetsClient;
