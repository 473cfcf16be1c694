//! Fuzzes the charter and roster item decoders: DynamoDB JSON (as `aws dynamodb scan` prints and
//! the embedded backend stores) read into an item, then into a `Charter` and a `CrewMember`.
//! Anything must be read or refused with an error, never a panic; what is read survives a round
//! trip through `to_item`, and the edge checks (`check_new`) never panic either.
#![no_main]

use dispatch_core::domain::{Charter, CrewMember};
use dispatch_core::item;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(it) = item::from_json(&value) else {
        return;
    };
    let _ = item::to_json(&it);
    if let Ok(c) = Charter::from_item(&it) {
        let _ = c.check_new();
        let back = Charter::from_item(&c.to_item()).expect("a charter reads back");
        assert_eq!(back, c);
    }
    if let Ok(m) = CrewMember::from_item(&it) {
        let _ = m.check_new();
        let back = CrewMember::from_item(&m.to_item()).expect("a member reads back");
        assert_eq!(back, m);
    }
});
