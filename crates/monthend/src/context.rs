//! [`MonthContext`]: everything the month-end and roster jobs need, built once by the binary's
//! wiring from the settings (or by a test from local adapters) and handed to every job.

use std::sync::Arc;

use dispatch_core::domain::EmailAddress;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::Backend;
use dispatch_mailer::MailSender;

use crate::ports::{AvailabilitySource, PriorRecipients, ReportFiles};

/// What the month jobs need, built once (see the binary's `app::month_context`).
#[derive(Clone)]
pub struct MonthContext {
    /// The tables and queues.
    pub backend: Backend,
    /// Where workbooks go.
    pub files: Arc<dyn ReportFiles>,
    /// How statements are sent.
    pub mailer: Arc<dyn MailSender>,
    /// Who had last month's statement.
    pub recipients: Arc<dyn PriorRecipients>,
    /// Where the availability workbook comes from.
    pub availability: Arc<dyn AvailabilitySource>,
    /// Sender of statements.
    pub from: EmailAddress,
    /// The sender's display name (also the report's title).
    pub from_name: String,
    /// Copied on every statement.
    pub auditor: Option<EmailAddress>,
    /// Reports are shared with these.
    pub ops: Vec<EmailAddress>,
    /// Year of dates typed without one in the availability sheet (the `roster_year` setting);
    /// `None`: the next occurrence from the business's today, or the year the tab's other dates
    /// agree on.
    pub roster_year: Option<i32>,
    /// The business's time zone ("today", times in mails).
    pub zone: dispatch_core::zone::BusinessZone,
    /// Expiry and claim lease of the once-per-member statement records.
    pub idem: IdempotencyConfig,
}
