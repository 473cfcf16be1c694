//! Charters of a month whose stored records cannot be read (the booking system wrote an
//! attribute of the wrong shape): they cannot be counted, so the workbook's `Left out` tab and
//! the statements run name them instead of leaving them out silently.

use dispatch_core::item::ItemError;
use dispatch_reporting::revenue::LeftOut;

/// Each unreadable record as a charter left out: its `charter_id` (from the record's key), its
/// date when the key says, and what is wrong with which attribute.
pub fn left_out(skipped: &[ItemError]) -> Vec<LeftOut> {
    skipped
        .iter()
        .map(|e| LeftOut {
            charter_id: key_part(&e.key, "charter_id").unwrap_or_else(|| e.key.clone()),
            charter_date: key_part(&e.key, "charter_date").unwrap_or_else(|| "?".into()),
            why: format!(
                "its record cannot be read: attribute `{}` {}; repair it (`dispatch charter show ID` says how), then run the month again",
                e.attribute, e.problem
            ),
        })
        .collect()
}

/// `value` of `name=value` in a record key such as `charter_id=…, created_at=…`.
fn key_part(key: &str, name: &str) -> Option<String> {
    key.split([',', ' '])
        .find_map(|p| p.trim().strip_prefix(name)?.strip_prefix('='))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_record_is_named_by_its_charter_id() {
        let e = ItemError {
            key: "charter_id=5b1a7c3e, created_at=2026-11-01T10:00:00Z".into(),
            attribute: "guest_count".into(),
            problem: "must be a number (N), found S".into(),
        };
        let l = &left_out(&[e])[0];
        assert_eq!(l.charter_id, "5b1a7c3e");
        assert!(
            l.why.contains("attribute `guest_count` must be a number"),
            "{}",
            l.why
        );
    }
}
