//! The worker's settings, and the retry policy they make.

use std::time::Duration;

use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::retry::Policy;

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs running at once.
    pub concurrency: usize,
    /// Long-poll wait per receive (SQS allows up to 20 s).
    pub wait: Duration,
    /// After a receive that came back empty with no job running, wait this long before the
    /// next one (on top of the long poll): for queues whose jobs can wait (a monthly report),
    /// since every receive is a billed request. Zero polls again at once.
    pub idle_pause: Duration,
    /// Visibility timeout per receive; kept alive while the job runs.
    pub visibility: Duration,
    /// First retry delay (doubles per receive, with jitter), and its cap.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Failed attempts (counted across re-sent copies) after which a job is dead-lettered with
    /// its last error. Waits for another owner's claim never count. The queue's own redrive
    /// (maxReceiveCount) only sees deliveries that were never settled: a crashed worker.
    pub max_attempts: u32,
    pub idempotency: IdempotencyConfig,
    /// How long a shutdown waits for running jobs before releasing their messages.
    pub shutdown_grace: Duration,
}

impl WorkerConfig {
    /// The wait before a failed job's next attempt: `retry_base` doubling to `retry_max`,
    /// jittered.
    pub fn retry_policy(&self) -> Policy {
        Policy::exponential(self.retry_base, self.retry_max).jittered()
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            wait: Duration::from_secs(20),
            idle_pause: Duration::ZERO,
            visibility: Duration::from_secs(60),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            max_attempts: 20,
            idempotency: IdempotencyConfig::default(),
            shutdown_grace: Duration::from_secs(25),
        }
    }
}
