//! The one retry policy of the workspace: exponential backoff, optionally jittered, on `backon`.
//!
//! A [`Policy`] reads in one line — `Policy::exponential(first, max).jittered()` — and is a
//! backon [`BackoffBuilder`], so a loop is `op.retry(policy).when(is_retryable)`, or
//! [`Policy::retry`]. Where no loop holds the count (a queue job's next copy, a stream shard's
//! next try, each a step of its own), [`Policy::delay`] gives the wait before the n-th retry
//! from the same sequence.
//!
//! The presets: [`policy`]/[`retrying`] for the adapters' transient backend errors, and
//! [`Policy::brief`] for one call inside a larger step that has its own retries (settling a
//! queue message, an idempotency store call).

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder, Retryable};

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

/// Exponential backoff: the first wait, its growth, its cap, how many retries, and jitter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    first: Duration,
    factor: f32,
    max: Duration,
    times: Option<usize>,
    jitter: bool,
}

/// Retries past this many give the capped wait (the sequence has long reached its cap).
const LONGEST_COUNT: u32 = 64;

impl Policy {
    /// Waits of `first`, doubling, at most `max`; exact (no jitter), retrying without limit.
    pub const fn exponential(first: Duration, max: Duration) -> Self {
        Self {
            first,
            factor: 2.0,
            max,
            times: None,
            jitter: false,
        }
    }

    /// Three tries of one call, `first` then `4·first` apart, exact: for a call inside a step
    /// that has its own retries, where a blip should not cost the whole step.
    pub const fn brief(first: Duration) -> Self {
        Self::exponential(first, first.saturating_mul(4))
            .factor(4.0)
            .times(2)
    }

    /// Each wait is the previous one times `factor` (2 unless set).
    pub const fn factor(mut self, factor: f32) -> Self {
        self.factor = factor;
        self
    }

    /// At most `n` retries (`n + 1` tries) when used as a loop.
    pub const fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Each wait is drawn from `[w/2, w)` of its exact value `w`: waiters spread apart, and none
    /// waits longer than the exact sequence says.
    pub const fn jittered(mut self) -> Self {
        self.jitter = true;
        self
    }

    /// The backon builder of this policy (without its retry limit when `unlimited`).
    fn builder(&self, unlimited: bool) -> ExponentialBuilder {
        let (first, max) = if self.jitter {
            // backon's jitter adds up to 100 % of the wait: start from half of it.
            (self.first / 2, self.max / 2)
        } else {
            (self.first, self.max)
        };
        let b = ExponentialBuilder::new()
            .with_min_delay(first)
            .with_max_delay(max)
            .with_factor(self.factor);
        let b = match self.times {
            Some(n) if !unlimited => b.with_max_times(n),
            _ => b.without_max_times(),
        };
        if self.jitter {
            b.with_jitter()
        } else {
            b
        }
    }

    /// The wait before retry number `attempt` (1-based; 0 counts as 1), whatever the retry
    /// limit: for retries counted elsewhere (a message's attempts, a shard's failures).
    pub fn delay(&self, attempt: u32) -> Duration {
        let n = attempt.clamp(1, LONGEST_COUNT) as usize;
        self.builder(true).build().nth(n - 1).unwrap_or(self.max)
    }

    /// Runs `op`, trying again after this policy's waits while `when` says its error may pass.
    pub async fn retry<T, E, F, Fut, W>(&self, op: F, when: W) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        W: FnMut(&E) -> bool,
        E: Display,
    {
        op.retry(*self)
            .when(when)
            .notify(|e, after| tracing::debug!(error = %e, retry_in_ms = after.as_millis() as u64, "failed; trying again"))
            .await
    }
}

impl BackoffBuilder for Policy {
    type Backoff = ExponentialBackoff;

    fn build(self) -> Self::Backoff {
        self.builder(false).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_is_capped() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(30);
        let p = Policy::exponential(base, max).jittered();
        for _ in 0..100 {
            let d1 = p.delay(1);
            assert!(d1 >= Duration::from_millis(500) && d1 <= base, "{d1:?}");
            let d4 = p.delay(4);
            assert!(
                d4 >= Duration::from_secs(4) && d4 <= Duration::from_secs(8),
                "{d4:?}"
            );
            assert!(p.delay(40) <= max);
        }
    }

    #[test]
    fn brief_is_three_exact_tries() {
        let waits: Vec<_> = Policy::brief(Duration::from_millis(100)).build().collect();
        assert_eq!(
            waits,
            [Duration::from_millis(100), Duration::from_millis(400)]
        );
    }

    #[test]
    fn delay_ignores_the_limit_and_stays_at_the_cap() {
        let p = Policy::exponential(Duration::from_secs(2), Duration::from_secs(300)).times(1);
        assert_eq!(p.delay(1), Duration::from_secs(2));
        assert_eq!(p.delay(3), Duration::from_secs(8));
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(300));
    }

    #[tokio::test]
    async fn retry_stops_at_the_limit_or_a_lasting_error() {
        let tries = std::sync::atomic::AtomicU32::new(0);
        let r: Result<(), String> = Policy::brief(Duration::from_millis(10))
            .retry(
                || async {
                    tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Err("blip".to_string())
                },
                |_| true,
            )
            .await;
        assert!(r.is_err());
        assert_eq!(tries.load(std::sync::atomic::Ordering::SeqCst), 3);
        let r: Result<(), String> = Policy::brief(Duration::from_millis(10))
            .retry(|| async { Err("for good".to_string()) }, |_| false)
            .await;
        assert_eq!(r, Err("for good".to_string()));
    }
}
