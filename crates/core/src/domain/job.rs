//! The versioned envelope every queue message carries.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The only envelope version this build reads and writes.
pub const ENVELOPE_VERSION: u32 = 1;

/// What a job asks for. Unknown kinds are not guessed at: such a message is poison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Start or continue a captain cascade for a charter.
    CaptainCascade,
    /// Start the crew cascades once a captain is set.
    CrewCascade,
    /// Release holds and revoke offers of a cancelled or removed charter.
    Release,
    /// Send one offer mail.
    OfferSend,
    /// An offer's lapse timer fired (possibly one link of a chain of 15-minute delays).
    OfferTimeout,
    /// Build and upload the monthly revenue workbook.
    MonthlyReport,
    /// Build and mail the month's crew statements.
    Statements,
    /// Sync the roster from the availability sheet.
    RosterSync,
    /// Reconcile one charter: read what is true and do what should happen next.
    Reconcile,
    /// Reconcile every unsettled charter in the horizon (the periodic net under every timer).
    Sweep,
    /// Remind everyone aboard tomorrow's charters (once per member and charter).
    Reminders,
    /// Write a member's availability, as the roster has it, to the availability Sheet: queued by
    /// the web function (it holds no Google key) when a member changed their days.
    AvailabilityToSheet,
}

impl JobKind {
    pub const ALL: [JobKind; 12] = [
        Self::CaptainCascade,
        Self::CrewCascade,
        Self::Release,
        Self::OfferSend,
        Self::OfferTimeout,
        Self::MonthlyReport,
        Self::Statements,
        Self::RosterSync,
        Self::Reconcile,
        Self::Sweep,
        Self::Reminders,
        Self::AvailabilityToSheet,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::CaptainCascade => "captain_cascade",
            Self::CrewCascade => "crew_cascade",
            Self::Release => "release",
            Self::OfferSend => "offer_send",
            Self::OfferTimeout => "offer_timeout",
            Self::MonthlyReport => "monthly_report",
            Self::Statements => "statements",
            Self::RosterSync => "roster_sync",
            Self::Reconcile => "reconcile",
            Self::Sweep => "sweep",
            Self::Reminders => "reminders",
            Self::AvailabilityToSheet => "availability_to_sheet",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{ "v": 1, "kind": ..., "key": <idempotency key>, "payload": ..., "enqueued_at": ... }`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEnvelope {
    pub v: u32,
    pub kind: JobKind,
    /// Idempotency key: the same logical job always carries the same key.
    pub key: String,
    pub payload: serde_json::Value,
    pub enqueued_at: DateTime<Utc>,
}

/// A message body that is not a job this build can run.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("message body is not a job envelope: {0}")]
    Malformed(String),
    #[error("envelope version {0} is not supported (this build reads v{ENVELOPE_VERSION})")]
    Version(u32),
    #[error("envelope key is empty")]
    EmptyKey,
}

impl JobEnvelope {
    pub fn new(kind: JobKind, key: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            v: ENVELOPE_VERSION,
            kind,
            key: key.into(),
            payload,
            enqueued_at: Utc::now(),
        }
    }

    pub fn to_body(&self) -> String {
        #[allow(clippy::expect_used)] // strings, a JSON value and a time: serializing cannot fail
        serde_json::to_string(self).expect("an envelope always serializes")
    }

    /// Parses a queue message body. Every failure here is permanent (poison), never worth a retry.
    pub fn parse(body: &str) -> Result<Self, EnvelopeError> {
        let raw: serde_json::Value =
            serde_json::from_str(body).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        match raw.get("v").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(ENVELOPE_VERSION) => {}
            Some(v) => return Err(EnvelopeError::Version(u32::try_from(v).unwrap_or(u32::MAX))),
            None => return Err(EnvelopeError::Malformed("missing numeric `v`".into())),
        }
        let env: JobEnvelope =
            serde_json::from_value(raw).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        if env.key.trim().is_empty() {
            return Err(EnvelopeError::EmptyKey);
        }
        Ok(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let e = JobEnvelope::new(
            JobKind::MonthlyReport,
            "report#2024-05",
            serde_json::json!({"month": "2024-05"}),
        );
        let back = JobEnvelope::parse(&e.to_body()).unwrap();
        assert_eq!(back, e);
        assert!(e.to_body().contains("\"kind\":\"monthly_report\""));
        assert!(matches!(
            JobEnvelope::parse("nope"),
            Err(EnvelopeError::Malformed(_))
        ));
        assert!(matches!(
            JobEnvelope::parse(
                r#"{"v":2,"kind":"release","key":"k","payload":null,"enqueued_at":"2024-01-01T00:00:00Z"}"#
            ),
            Err(EnvelopeError::Version(2))
        ));
        assert!(matches!(
            JobEnvelope::parse(
                r#"{"v":1,"kind":"launch_missiles","key":"k","payload":null,"enqueued_at":"2024-01-01T00:00:00Z"}"#
            ),
            Err(EnvelopeError::Malformed(_))
        ));
    }

    /// Found by fuzzing: a float in a payload must read back as the same number, or a job that
    /// is re-sent (a chained timer, a replay) would carry another payload than the first time.
    #[test]
    fn payload_floats_survive_a_round_trip() {
        let body = r#"{"v":1,"kind":"release","key":"k","payload":{"x":155555555555555555555555555555555555555555,"y":0.1},"enqueued_at":"2024-01-01T00:00:00Z"}"#;
        let job = JobEnvelope::parse(body).unwrap();
        assert_eq!(JobEnvelope::parse(&job.to_body()).unwrap(), job);
    }
}
