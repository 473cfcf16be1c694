//! Entries of a charter's thread (`charter-chats`): what happened, for ops to read.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{CharterId, CrewId};

/// What a thread entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadKind {
    OfferSent,
    Accepted,
    Declined,
    Lapsed,
    Escalated,
    Revoked,
    Cancelled,
    Staffed,
    Note,
}

impl ThreadKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OfferSent => "offer_sent",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Lapsed => "lapsed",
            Self::Escalated => "escalated",
            Self::Revoked => "revoked",
            Self::Cancelled => "cancelled",
            Self::Staffed => "staffed",
            Self::Note => "note",
        }
    }
}

impl fmt::Display for ThreadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a charter's thread. Its sort key is `ts#id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadEntry {
    pub charter_id: CharterId,
    pub ts: DateTime<Utc>,
    /// Unique per entry; with `ts` it forms the sort key. Effects use a deterministic id so a retried
    /// effect writes the same entry again rather than a second one.
    pub id: String,
    pub kind: ThreadKind,
    pub crew_id: Option<CrewId>,
    pub text: String,
}

impl ThreadEntry {
    pub fn new(
        charter_id: CharterId,
        kind: ThreadKind,
        crew_id: Option<CrewId>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            charter_id,
            ts: Utc::now(),
            id: uuid::Uuid::new_v4().simple().to_string(),
            kind,
            crew_id,
            text: text.into(),
        }
    }
    /// `2024-05-03T10:00:00.123Z#<id>`: sorts by time.
    pub fn sort_key(&self) -> String {
        format!(
            "{}#{}",
            self.ts.to_rfc3339_opts(SecondsFormat::Millis, true),
            self.id
        )
    }
}
