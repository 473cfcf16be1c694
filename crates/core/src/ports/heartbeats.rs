//! Heartbeats: each part of a running deployment (the stream consumer, the workers, the sweep,
//! the crew page) says when it last ran and what it did, so `dispatch status` and `doctor` can
//! tell a quiet system from a stopped one. One row per part in the state table; the newest beat
//! of any process wins (several processes run the same parts).

use chrono::{DateTime, Utc};

use crate::item::{Item, ItemError, Reader, Writer};
use crate::records::{PK, SK};
use crate::StoreError;

/// The partition of the state table holding the heartbeats.
const HEARTBEAT_PK: &str = "heartbeat";

/// The parts that beat.
pub mod part {
    pub const CONSUMER: &str = "consumer";
    pub const WORKERS: &str = "workers";
    pub const SWEEP: &str = "sweep";
    pub const WEB: &str = "web";
    /// In the order `status` shows them.
    pub const ALL: [&str; 4] = [CONSUMER, WORKERS, SWEEP, WEB];
}

/// One part's last beat.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    /// [`part`]: `consumer`, `workers`, `sweep` or `web`.
    pub part: String,
    pub at: DateTime<Utc>,
    /// The process that beat (`host-pid`, or the Lambda function).
    pub by: String,
    /// What it did, as JSON (a sweep's charters seen, moved and failed; jobs done since the
    /// last beat).
    pub detail: serde_json::Value,
}

impl Heartbeat {
    pub fn to_item(&self) -> Item {
        Writer::new()
            .s(PK, HEARTBEAT_PK)
            .s(SK, &self.part)
            .s(
                "at",
                self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )
            .s("by", &self.by)
            .s("detail", self.detail.to_string())
            .build()
    }

    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let r = Reader::new(item, &[PK, SK]);
        let at = r.s("at")?;
        Ok(Self {
            part: r.s(SK)?.to_string(),
            at: DateTime::parse_from_rfc3339(at)
                .map_err(|_| r.error("at", "must be an RFC 3339 time"))?
                .with_timezone(&Utc),
            by: r.s("by")?.to_string(),
            detail: serde_json::from_str(r.s("detail")?)
                .map_err(|_| r.error("detail", "must be JSON"))?,
        })
    }

    /// The key of `part`'s row.
    pub fn key(part: &str) -> (String, String) {
        (HEARTBEAT_PK.to_string(), part.to_string())
    }

    pub fn partition() -> &'static str {
        HEARTBEAT_PK
    }
}

/// Writing and reading heartbeats.
#[async_trait::async_trait]
pub trait Heartbeats: Send + Sync {
    /// Records `beat` as its part's last (an unconditional put: the newest write wins).
    async fn beat(&self, beat: &Heartbeat) -> Result<(), StoreError>;
    /// Every part's last beat (parts that never beat are missing).
    async fn all(&self) -> Result<Vec<Heartbeat>, StoreError>;
}
