//! AWS's published on-demand prices (us-east-1, free tiers not counted) and the monthly
//! estimate for a business of a given size, on the VM (`dispatch run`) and on Lambda.
//!
//! Prices as published on these pages (the DynamoDB figures are those in force since the
//! on-demand price cut of 2024-11-01); written down 2026-12-05 — check them before quoting:
//! - DynamoDB on-demand: https://aws.amazon.com/dynamodb/pricing/on-demand/
//! - DynamoDB Streams (same page): reads by Lambda triggers are free.
//! - SQS: https://aws.amazon.com/sqs/pricing/ (standard queues; one request per 64 KB chunk)
//! - Lambda: https://aws.amazon.com/lambda/pricing/ (x86_64, as infra/template.yaml deploys)
//! - EventBridge Scheduler: https://aws.amazon.com/eventbridge/pricing/

use std::collections::BTreeMap;

/// $ per write request unit (1 KB).
pub const DDB_WRITE_UNIT: f64 = 0.625 / 1e6;
/// $ per read request unit (4 KB strongly consistent, 8 KB eventually consistent).
pub const DDB_READ_UNIT: f64 = 0.125 / 1e6;
/// $ per DynamoDB Streams read request unit ($0.02 per 100,000).
pub const STREAMS_READ: f64 = 0.02 / 1e5;
/// $ per SQS request (standard queue).
pub const SQS_REQUEST: f64 = 0.40 / 1e6;
/// $ per Lambda invocation.
pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
/// $ per Lambda GB-second (x86_64).
pub const LAMBDA_GB_S: f64 = 0.000_016_666_7;
/// $ per EventBridge Scheduler invocation.
pub const SCHEDULER_INVOCATION: f64 = 1.00 / 1e6;

/// Hours in a month (AWS's own figure for monthly estimates).
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The capacity units one request is billed, by operation: an approximation from the request
/// count (the items here are small, under 1 KB; a Query or batch reads a few items; a
/// transaction bills 2 units per item and ours touch about four).
fn units(op: &str) -> (f64, f64) {
    let name = op.rsplit('.').next().unwrap_or(op);
    match name {
        "GetItem" | "Query" | "Scan" | "DescribeTable" => (1.0, 0.0),
        "BatchGetItem" => (3.0, 0.0),
        "TransactGetItems" => (8.0, 0.0),
        "PutItem" | "UpdateItem" | "DeleteItem" => (0.0, 1.0),
        "BatchWriteItem" => (0.0, 3.0),
        "TransactWriteItems" => (0.0, 8.0),
        _ => (0.0, 0.0),
    }
}

/// Dollars for `count` requests of operation `op` (`dynamodb.Query`, `sqs.ReceiveMessage`, ...).
pub fn dollars(op: &str, count: f64) -> f64 {
    if op.starts_with("dynamodbstreams.") {
        count * STREAMS_READ
    } else if op.starts_with("dynamodb.") {
        let (r, w) = units(op);
        count * (r * DDB_READ_UNIT + w * DDB_WRITE_UNIT)
    } else if op.starts_with("sqs.") {
        count * SQS_REQUEST
    } else {
        0.0
    }
}

pub fn dollars_all(ops: &BTreeMap<String, f64>) -> f64 {
    ops.iter().map(|(k, v)| dollars(k, *v)).sum()
}

/// What the month is made of, from the bench's measurements.
pub struct Month {
    /// Requests per idle hour (sweep of an empty index included), by operation.
    pub idle_per_hour: BTreeMap<String, f64>,
    /// Requests per charter, booked to fully staffed, by operation.
    pub per_charter: BTreeMap<String, f64>,
    /// Requests one sweep spends per unsettled charter, by operation.
    pub sweep_per_unsettled: BTreeMap<String, f64>,
    /// Requests of one sweep of an empty index, by operation.
    pub empty_sweep: BTreeMap<String, f64>,
    /// Stream records and queue jobs per charter (Lambda invocations, batching aside).
    pub invocations_per_charter: f64,
    pub charters_per_day: f64,
    /// Average hours a charter stays unsettled (offers out, not yet staffed).
    pub unsettled_hours: f64,
    pub sweeps_per_hour: f64,
}

fn scaled(m: &BTreeMap<String, f64>, k: f64) -> BTreeMap<String, f64> {
    m.iter().map(|(o, v)| (o.clone(), v * k)).collect()
}

fn add(into: &mut BTreeMap<String, f64>, m: &BTreeMap<String, f64>) {
    for (o, v) in m {
        *into.entry(o.clone()).or_insert(0.0) += v;
    }
}

/// Lambda assumptions: the functions' memory (infra/template.yaml: 256 MB for most) and an
/// average billed duration per invocation (not measured here).
const LAMBDA_GB: f64 = 0.25;
const LAMBDA_AVG_S: f64 = 0.2;
/// An SQS event source mapping long-polls each queue with five pollers (20 s waits): billed
/// ReceiveMessage requests, whatever the traffic. Three work queues.
const ESM_RECEIVES_PER_HOUR: f64 = 3.0 * 5.0 * 180.0;

/// (requests per month, dollars per month) on the VM and on Lambda.
pub struct Estimate {
    pub vm_requests: f64,
    pub vm_dollars: f64,
    pub lambda_requests: f64,
    pub lambda_dollars: f64,
}

impl Month {
    pub fn estimate(&self) -> Estimate {
        let charters = self.charters_per_day * HOURS_PER_MONTH / 24.0;
        let unsettled = self.charters_per_day * self.unsettled_hours / 24.0;
        let sweeps = self.sweeps_per_hour * HOURS_PER_MONTH;
        // The VM: idle (its sweeps of an empty index included), the charters, and the sweep's
        // extra reads for the charters it finds unsettled.
        let mut vm = scaled(&self.idle_per_hour, HOURS_PER_MONTH);
        add(&mut vm, &scaled(&self.per_charter, charters));
        add(
            &mut vm,
            &scaled(&self.sweep_per_unsettled, unsettled * sweeps),
        );
        let vm_requests: f64 = vm.values().sum();
        // Lambda: no idle process; stream reads by the trigger are free; the queues' pollers
        // bill receives; the sweep is a scheduled invocation.
        let mut lambda: BTreeMap<String, f64> = scaled(&self.per_charter, charters)
            .into_iter()
            .filter(|(o, _)| !o.starts_with("dynamodbstreams.") && o != "sqs.ReceiveMessage")
            .collect();
        add(&mut lambda, &scaled(&self.empty_sweep, sweeps));
        add(
            &mut lambda,
            &scaled(&self.sweep_per_unsettled, unsettled * sweeps),
        );
        lambda.insert(
            "sqs.ReceiveMessage".into(),
            ESM_RECEIVES_PER_HOUR * HOURS_PER_MONTH,
        );
        let invocations = charters * self.invocations_per_charter + sweeps;
        let lambda_dollars = dollars_all(&lambda)
            + invocations * (LAMBDA_REQUEST + LAMBDA_GB * LAMBDA_AVG_S * LAMBDA_GB_S)
            + sweeps * SCHEDULER_INVOCATION;
        Estimate {
            vm_requests,
            vm_dollars: dollars_all(&vm),
            lambda_requests: lambda.values().sum(),
            lambda_dollars,
        }
    }
}
