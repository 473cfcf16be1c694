//! Job queues: SQS on AWS, a table of messages locally. Same semantics: delay, visibility timeout,
//! receive count, and a move to the dead-letter queue after `max_receive_count` receives.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::StoreError;

/// The queues crew-dispatch uses. Real names are `<prefix><name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueueId {
    Cascade,
    Reports,
    Roster,
    CascadeDlq,
    ReportsDlq,
    RosterDlq,
    /// Stream records that can never succeed (written by the consumer, with the full record).
    IngestDlq,
    /// The stream Lambda's on-failure destination: metadata of a batch Lambda gave up on (shard,
    /// sequence range, stream ARN), replayed by re-reading that range from the stream.
    StreamFailures,
}

impl QueueId {
    pub const ALL: [QueueId; 8] = [
        Self::Cascade,
        Self::Reports,
        Self::Roster,
        Self::CascadeDlq,
        Self::ReportsDlq,
        Self::RosterDlq,
        Self::IngestDlq,
        Self::StreamFailures,
    ];
    /// The work queues (each has a DLQ).
    pub const WORK: [QueueId; 3] = [Self::Cascade, Self::Reports, Self::Roster];

    /// The name without prefix.
    pub fn base_name(&self) -> &'static str {
        match self {
            Self::Cascade => "cascade",
            Self::Reports => "reports",
            Self::Roster => "roster",
            Self::CascadeDlq => "cascade-dlq",
            Self::ReportsDlq => "reports-dlq",
            Self::RosterDlq => "roster-dlq",
            Self::IngestDlq => "ingest-dlq",
            Self::StreamFailures => "stream-failures",
        }
    }
    pub fn name(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.base_name())
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.base_name() == s.trim())
    }
    /// The DLQ a work queue redrives to.
    pub fn dlq(&self) -> Option<QueueId> {
        match self {
            Self::Cascade => Some(Self::CascadeDlq),
            Self::Reports => Some(Self::ReportsDlq),
            Self::Roster => Some(Self::RosterDlq),
            _ => None,
        }
    }
    /// The work queue a DLQ belongs to (`None` for `ingest-dlq` and `stream-failures`, whose
    /// source is the stream).
    pub fn source(&self) -> Option<QueueId> {
        match self {
            Self::CascadeDlq => Some(Self::Cascade),
            Self::ReportsDlq => Some(Self::Reports),
            Self::RosterDlq => Some(Self::Roster),
            _ => None,
        }
    }
    pub fn is_dlq(&self) -> bool {
        matches!(
            self,
            Self::CascadeDlq
                | Self::ReportsDlq
                | Self::RosterDlq
                | Self::IngestDlq
                | Self::StreamFailures
        )
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base_name())
    }
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutMessage {
    pub body: String,
    /// At most 15 minutes (SQS's limit); longer waits are chained by the caller.
    pub delay: Duration,
    /// String message attributes, e.g. `dispatch-error` on a dead letter.
    pub attributes: BTreeMap<String, String>,
}

impl OutMessage {
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            ..Self::default()
        }
    }
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
    pub fn attribute(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attributes.insert(name.to_string(), value.into());
        self
    }
}

/// A received message. Delete it with its `receipt` once the work is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub message_id: String,
    pub receipt: String,
    pub body: String,
    /// How many times it has been received, this time included.
    pub receive_count: u32,
    pub sent_at: Option<DateTime<Utc>>,
    pub attributes: BTreeMap<String, String>,
}

/// Approximate message counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
}

/// The longest delay SQS allows on one message.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// SQS's longest delay (15 minutes).
pub fn queues_max_delay() -> Duration {
    MAX_DELAY
}

/// Job queues.
#[async_trait::async_trait]
pub trait Queues: Send + Sync {
    /// Sends messages (in batches of 10 on SQS); returns their ids in order.
    async fn send(
        &self,
        queue: QueueId,
        messages: &[OutMessage],
    ) -> Result<Vec<String>, StoreError>;
    /// Receives up to `max` (≤ 10) messages, waiting up to `wait` for the first (long poll), hiding
    /// them for `visibility`.
    async fn receive(
        &self,
        queue: QueueId,
        max: u32,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Received>, StoreError>;
    /// Deletes received messages; returns the receipts that could not be deleted.
    async fn delete(&self, queue: QueueId, receipts: &[String]) -> Result<Vec<String>, StoreError>;
    /// Hides a received message for `timeout` from now (0 makes it visible again at once).
    async fn change_visibility(
        &self,
        queue: QueueId,
        receipt: &str,
        timeout: Duration,
    ) -> Result<(), StoreError>;
    async fn depth(&self, queue: QueueId) -> Result<QueueDepth, StoreError>;
    /// Up to `max` visible messages, read without consuming them: no receipt to keep, nothing
    /// hidden. The embedded queue reads them as they are (their receive count stays); SQS has
    /// no peek, so this receives with a visibility timeout of 0, which the queue counts as a
    /// receive (dead letters carry the count of their failed attempts in an attribute).
    async fn peek(&self, queue: QueueId, max: usize) -> Result<Vec<Received>, StoreError> {
        let mut all: Vec<Received> = Vec::new();
        // SQS hands back a sample of its messages per call: stop after two calls bring nothing new.
        let mut idle = 0;
        while all.len() < max && idle < 2 {
            let got = self
                .receive(queue, 10, Duration::from_secs(1), Duration::ZERO)
                .await?;
            let before = all.len();
            for m in got {
                if !all.iter().any(|x| x.message_id == m.message_id) {
                    all.push(m);
                }
            }
            idle = if all.len() == before { idle + 1 } else { 0 };
        }
        all.truncate(max);
        Ok(all)
    }
}
