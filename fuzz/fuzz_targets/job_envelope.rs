//! Fuzzes the job envelope: any queue body is a job or poison (never a panic). A job that parses
//! writes back to a body that parses to the same kind, key and time, and from then on is stable.
//! (A float inside a payload may move by one unit in the last place on its first re-serialization:
//! serde_json's default float parsing is not bit-exact. No payload of ours carries a float; the
//! idempotency hash is taken of the parsed payload, the same for every delivery of one body.)
#![no_main]

use dispatch_core::domain::JobEnvelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(job) = JobEnvelope::parse(body) {
        let again = JobEnvelope::parse(&job.to_body()).expect("a parsed job re-parses");
        assert_eq!((again.v, again.kind, &again.key, again.enqueued_at), (job.v, job.kind, &job.key, job.enqueued_at));
        let third = JobEnvelope::parse(&again.to_body()).expect("a written job re-parses");
        assert_eq!(third, again, "a written job is stable");
    }
});
