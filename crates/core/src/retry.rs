//! One retry policy for transient backend failures: exponential backoff with full jitter.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::StoreError;

/// The policy used by the adapters: 50 ms doubling to 5 s, with jitter, 8 retries.
pub fn policy() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_secs(5))
        .with_max_times(8)
        .with_jitter()
}

/// Runs `op`, retrying while its error says a retry could help.
pub async fn retrying<T, F, Fut>(op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    op.retry(policy())
        .when(StoreError::is_retryable)
        .notify(|e, after| tracing::warn!(error = %e, retry_in_ms = after.as_millis() as u64, "transient backend error, retrying"))
        .await
}
