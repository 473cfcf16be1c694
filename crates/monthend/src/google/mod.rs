//! The Google Workspace adapters of this crate's ports, each on a `dispatch-google` client: one
//! folder so that everything that talks to Google (and so needs a token) is in one place, and
//! the local adapters beside their ports stay free of it.
//!
//! - [`files`]: [`GoogleDriveFiles`], the reports folder in Drive ([`crate::files::ReportFiles`]).
//! - [`recipients`]: [`GmailRecipients`], a Gmail search for last month's statement
//!   ([`crate::recipients::PriorRecipients`]).
//! - [`sheet`]: [`GoogleSheet`], the availability Sheet ([`crate::roster::AvailabilitySource`]).
//! - [`mail`]: [`GmailMailer`], the Gmail `MailSender` of `dispatch-mailer`.

pub mod files;
pub mod mail;
pub mod recipients;
pub mod sheet;

pub use files::GoogleDriveFiles;
pub use mail::GmailMailer;
pub use recipients::{search_query, GmailRecipients};
pub use sheet::GoogleSheet;
