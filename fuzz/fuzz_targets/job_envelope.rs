//! Fuzzes the job envelope: any queue body is a job or poison (never a panic), and a job that
//! parses writes back to a body that parses to the same job — payload numbers included (serde_json
//! with `float_roundtrip`; without it a float moved on every re-serialization, found here).
#![no_main]

use dispatch_core::domain::JobEnvelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(job) = JobEnvelope::parse(body) {
        let again = JobEnvelope::parse(&job.to_body()).expect("a parsed job re-parses");
        assert_eq!(again, job, "a job survives a round trip");
    }
});
