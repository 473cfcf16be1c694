//! The fault schedule: rules (which method, when, before or after the call), call counts per
//! method, and a seeded generator, shared by every port of a decorated backend.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::StoreError;

/// When a rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// The `n`th matching call (1-based), once.
    Nth(u64),
    /// Every matching call.
    Always,
    /// Each matching call with this probability (seeded: the same seed, the same schedule).
    Probability(f64),
}

/// One failure rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// A method (`offers.put`) or a prefix (`offers.`; empty for every method).
    pub method: String,
    pub when: When,
    /// Fail after the call went through (the caller does not learn that it did).
    pub after: bool,
}

/// The schedule of faults shared by every port of a decorated backend.
#[derive(Debug)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    calls: Mutex<HashMap<String, u64>>,
    rng: Mutex<u64>,
    enabled: AtomicBool,
    injected: AtomicU64,
}

impl Faults {
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(Self {
            rules: Mutex::new(Vec::new()),
            calls: Mutex::new(HashMap::new()),
            rng: Mutex::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            enabled: AtomicBool::new(true),
            injected: AtomicU64::new(0),
        })
    }

    /// Adds a rule failing before the call.
    pub fn fail(&self, method: &str, when: When) -> &Self {
        self.add(Rule {
            method: method.into(),
            when,
            after: false,
        })
    }

    /// Adds a rule failing after the call went through (a lost response).
    pub fn fail_after(&self, method: &str, when: When) -> &Self {
        self.add(Rule {
            method: method.into(),
            when,
            after: true,
        })
    }

    pub fn add(&self, rule: Rule) -> &Self {
        if let Ok(mut r) = self.rules.lock() {
            r.push(rule);
        }
        self
    }

    /// Removes every rule (the outage is over).
    pub fn clear(&self) {
        if let Ok(mut r) = self.rules.lock() {
            r.clear();
        }
    }

    /// Turns every rule off or on again without forgetting them.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::SeqCst);
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    fn next_f64(&self) -> f64 {
        let Ok(mut s) = self.rng.lock() else {
            return 1.0;
        };
        // xorshift64*
        let mut x = *s;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *s = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether the call to `method` (its `n`th) fails at this `phase`.
    fn fires(&self, method: &str, after: bool, n: u64) -> bool {
        if !self.enabled.load(Ordering::SeqCst) {
            return false;
        }
        let rules = match self.rules.lock() {
            Ok(r) => r.clone(),
            Err(_) => return false,
        };
        rules.iter().any(|r| {
            r.after == after
                && method.starts_with(&r.method)
                && match r.when {
                    When::Nth(k) => k == n,
                    When::Always => true,
                    When::Probability(p) => self.next_f64() < p,
                }
        })
    }

    fn error(&self, method: &str, after: bool) -> StoreError {
        self.injected.fetch_add(1, Ordering::SeqCst);
        let what = if after {
            "injected fault after the call (the response was lost)"
        } else {
            "injected fault (throttled)"
        };
        StoreError::backend(method, true, what)
    }

    /// Counts a call and fails it before it runs if a rule says so; returns the call's number.
    pub fn before(&self, method: &str) -> Result<u64, StoreError> {
        let n = match self.calls.lock() {
            Ok(mut c) => {
                let e = c.entry(method.to_string()).or_insert(0);
                *e += 1;
                *e
            }
            Err(_) => 0,
        };
        if self.fires(method, false, n) {
            return Err(self.error(method, false));
        }
        Ok(n)
    }

    /// After the call ran: fails it if a rule says so (its effect stays).
    pub fn after<T>(
        &self,
        method: &str,
        n: u64,
        r: Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if r.is_ok() && self.fires(method, true, n) {
            return Err(self.error(method, true));
        }
        r
    }
}
