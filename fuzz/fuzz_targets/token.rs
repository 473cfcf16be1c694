//! Fuzzes the magic-link token parser: any input must be refused or verify to claims that
//! re-issue to a token that verifies the same — and never panic.
#![no_main]

use chrono::TimeZone;
use dispatch_cascade::tokens::{LinkKey, MagicLinks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let links = MagicLinks::new(vec![LinkKey::new("k1", vec![7; 32]).unwrap(), LinkKey::new("k2", vec![9; 32]).unwrap()]).unwrap();
    let now = chrono::Utc.timestamp_opt(1_714_000_000, 0).unwrap();
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(claims) = links.verify(text, now) {
            // Only a genuine token can verify; forging one from random bytes means a broken MAC.
            panic!("a fuzzed token verified: {claims:?}");
        }
        let _ = links.verify_offer(text, now);
        let _ = links.check_form_guard(text, text);
    }
});
