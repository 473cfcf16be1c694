//! Every request to the backend, counted by service and operation: each AWS SDK attempt (an
//! interceptor on the three clients, retries included, as AWS bills them) and each transaction
//! of the embedded store. `dispatch run` prints them when it stops, heartbeats carry them, and
//! the cost benchmark reads them.

use std::collections::BTreeMap;
use std::sync::Mutex;

static COUNTS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

tokio::task_local! {
    static UNCOUNTED: ();
}

/// Runs `fut` without counting its requests: the cost benchmark's own reads (what it checks,
/// not what the system does) stay out of the figures.
pub async fn uncounted<F: std::future::Future>(fut: F) -> F::Output {
    UNCOUNTED.scope((), fut).await
}

/// Counts one request to `service` (`dynamodb`, `sqs`, `sqlite`, ...) for `operation`.
pub fn count(service: &str, operation: &str) {
    if UNCOUNTED.try_with(|_| ()).is_ok() {
        return;
    }
    let service: String = service.chars().filter(|c| !c.is_whitespace()).collect();
    let key = format!("{}.{operation}", service.to_ascii_lowercase());
    // Where each request comes from, for anyone asking why a flow costs what it costs:
    // `RUST_LOG=dispatch_core::requests=trace` (the span names the charter, job or shard).
    tracing::trace!(request = %key, "request");
    if let Ok(mut c) = COUNTS.lock() {
        *c.entry(key).or_insert(0) += 1;
    }
}

/// The counts at one moment, by `service.Operation`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests(pub BTreeMap<String, u64>);

impl Requests {
    pub fn now() -> Self {
        Requests(COUNTS.lock().map(|c| c.clone()).unwrap_or_default())
    }

    /// What was counted between `earlier` and this snapshot (operations with none left out).
    pub fn since(&self, earlier: &Requests) -> Requests {
        Requests(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.saturating_sub(*earlier.0.get(k).unwrap_or(&0))))
                .filter(|(_, v)| *v > 0)
                .collect(),
        )
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// `14 requests: dynamodb.Query=5 sqs.ReceiveMessage=9`.
    pub fn summary(&self) -> String {
        let each: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} requests: {}", self.total(), each.join(" "))
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), (*v).into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_service_and_operation_and_subtracts_snapshots() {
        let before = Requests::now();
        count("DynamoDB", "Query");
        count("DynamoDB", "Query");
        count("sqs", "ReceiveMessage");
        let d = Requests::now().since(&before);
        assert!(d.0["dynamodb.Query"] >= 2);
        assert!(d.0["sqs.ReceiveMessage"] >= 1);
        assert!(d.summary().contains("dynamodb.Query="));
    }
}
