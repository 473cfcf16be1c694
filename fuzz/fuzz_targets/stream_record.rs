//! Fuzzes the stream-record decoders: a Lambda DynamoDB stream event (as JSON bytes) turned into
//! change records and routed to domain events, and an `ingest-dlq` body read back into a record
//! for replay. Any input must be decoded or refused — never a panic.
#![no_main]

use aws_lambda_events::event::dynamodb::Event;
use dispatch_ingest::consumer::record_from_dead_letter;
use dispatch_ingest::lambda::change_record;
use dispatch_ingest::route::route;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<Event>(data) {
        for r in &event.records {
            if let Some(record) = change_record(r) {
                let _ = route(&record);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(record) = record_from_dead_letter(text) {
            let _ = route(&record);
        }
    }
});
