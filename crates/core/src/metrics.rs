//! Process-wide counters of what the pipeline did, read as snapshots: printed as a summary by
//! `dispatch run` on exit, and emitted by the Lambda functions after each invocation as one
//! CloudWatch Embedded Metric Format line (CloudWatch turns such log lines into metrics).
//!
//! Counted where the effect happens: a retried job that reaches the same step again counts again.

use std::sync::atomic::{AtomicU64, Ordering};

/// A counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Stream records handled (routed and their jobs enqueued).
    RecordsProcessed,
    /// Stream records retried in place after a retryable failure.
    RecordsRetried,
    /// Stream records sent to `ingest-dlq`.
    RecordsDeadLettered,
    /// Queue jobs done (or found done).
    JobsProcessed,
    /// Queue jobs handed back for a later retry.
    JobsRetried,
    /// Queue jobs moved to their DLQ.
    JobsDeadLettered,
    OffersSent,
    OffersAccepted,
    OffersLapsed,
    Escalations,
}

impl Counter {
    pub const ALL: [Counter; 10] = [
        Counter::RecordsProcessed,
        Counter::RecordsRetried,
        Counter::RecordsDeadLettered,
        Counter::JobsProcessed,
        Counter::JobsRetried,
        Counter::JobsDeadLettered,
        Counter::OffersSent,
        Counter::OffersAccepted,
        Counter::OffersLapsed,
        Counter::Escalations,
    ];

    /// The metric name (CloudWatch and the summary).
    pub fn name(self) -> &'static str {
        match self {
            Counter::RecordsProcessed => "RecordsProcessed",
            Counter::RecordsRetried => "RecordsRetried",
            Counter::RecordsDeadLettered => "RecordsDeadLettered",
            Counter::JobsProcessed => "JobsProcessed",
            Counter::JobsRetried => "JobsRetried",
            Counter::JobsDeadLettered => "JobsDeadLettered",
            Counter::OffersSent => "OffersSent",
            Counter::OffersAccepted => "OffersAccepted",
            Counter::OffersLapsed => "OffersLapsed",
            Counter::Escalations => "Escalations",
        }
    }
}

static COUNTS: [AtomicU64; 10] = [const { AtomicU64::new(0) }; 10];

/// Adds one.
pub fn incr(c: Counter) {
    COUNTS[c as usize].fetch_add(1, Ordering::Relaxed);
}

/// Every counter's value now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot(pub [u64; 10]);

impl Snapshot {
    pub fn now() -> Self {
        Snapshot(std::array::from_fn(|i| COUNTS[i].load(Ordering::Relaxed)))
    }

    pub fn get(&self, c: Counter) -> u64 {
        self.0[c as usize]
    }

    /// What happened between `earlier` and this snapshot.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot(std::array::from_fn(|i| {
            self.0[i].saturating_sub(earlier.0[i])
        }))
    }

    /// `RecordsProcessed=3 JobsProcessed=5 …` (every counter, zeros included).
    pub fn summary(&self) -> String {
        Counter::ALL
            .iter()
            .map(|c| format!("{}={}", c.name(), self.get(*c)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One Embedded Metric Format line: namespace `CrewDispatch`, dimension `Function`, every
    /// counter as a `Count` metric. `timestamp_ms` is the invocation's end.
    pub fn emf_line(&self, function: &str, timestamp_ms: i64) -> String {
        let metrics: Vec<serde_json::Value> = Counter::ALL
            .iter()
            .map(|c| serde_json::json!({"Name": c.name(), "Unit": "Count"}))
            .collect();
        let mut doc = serde_json::json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": "CrewDispatch",
                    "Dimensions": [["Function"]],
                    "Metrics": metrics,
                }],
            },
            "Function": function,
        });
        for c in Counter::ALL {
            doc[c.name()] = serde_json::json!(self.get(c));
        }
        doc.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_line_names_every_metric_it_carries() {
        let before = Snapshot::now();
        incr(Counter::OffersSent);
        incr(Counter::OffersSent);
        incr(Counter::JobsProcessed);
        let d = Snapshot::now().since(&before);
        assert!(d.get(Counter::OffersSent) >= 2);
        let v: serde_json::Value =
            serde_json::from_str(&d.emf_line("dispatch-worker", 1_700_000_000_000)).unwrap();
        let cw = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "CrewDispatch");
        assert_eq!(cw["Dimensions"], serde_json::json!([["Function"]]));
        assert_eq!(v["Function"], "dispatch-worker");
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
        let names: Vec<&str> = cw["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        for c in Counter::ALL {
            assert!(names.contains(&c.name()));
            assert!(v[c.name()].is_u64(), "{} is a top-level number", c.name());
        }
        assert!(d.summary().contains("OffersSent="));
    }
}
