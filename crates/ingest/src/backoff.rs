//! Exponential backoff with full jitter, as one small pure function.

use std::time::Duration;

use rand::Rng;

/// The wait before retry number `attempt` (1-based): a random duration in
/// `[base·2^(attempt-1) / 2, base·2^(attempt-1)]`, capped at `max`.
pub fn delay(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let cap = exp.min(max);
    let half = cap / 2;
    let jitter_ms =
        rand::thread_rng().gen_range(0..=cap.as_millis().saturating_sub(half.as_millis()) as u64);
    half + Duration::from_millis(jitter_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_is_capped() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(30);
        for _ in 0..100 {
            let d1 = delay(1, base, max);
            assert!(d1 >= Duration::from_millis(500) && d1 <= base, "{d1:?}");
            let d4 = delay(4, base, max);
            assert!(
                d4 >= Duration::from_secs(4) && d4 <= Duration::from_secs(8),
                "{d4:?}"
            );
            assert!(delay(40, base, max) <= max);
        }
    }
}
