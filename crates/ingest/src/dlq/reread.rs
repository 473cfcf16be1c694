//! Replaying a stream record from `ingest-dlq` re-reads the charter as it is now: the dead
//! letter holds the image that failed (a date the booking system wrote as `12/14/2026`, say),
//! and replaying that image again would fail forever after the item was repaired. So the record
//! replayed is the one the stream would carry for the item as stored now: the same event on the
//! current item, or its REMOVE when the item is gone.

use dispatch_core::domain::{charter_attr as attr, Charter, CharterId};
use dispatch_core::item::Item;
use dispatch_core::ports::{ChangeKind, ChangeRecord, Charters};
use serde_dynamo::AttributeValue as AV;

/// The record to replay for `record` (read back from a dead letter), with the charter's item
/// as stored now. A record whose keys name no charter is replayed as it was.
pub async fn current(
    charters: &dyn Charters,
    record: ChangeRecord,
) -> Result<ChangeRecord, String> {
    let Some(id) = charter_id(&record) else {
        return Ok(record);
    };
    let now = charters
        .get_item(&id)
        .await
        .map_err(|e| format!("re-reading charter {id} from crew-dispatch: {e}"))?;
    Ok(with_item(record, now))
}

/// The charter id a record's keys (or, failing that, its images) name.
fn charter_id(record: &ChangeRecord) -> Option<CharterId> {
    [
        Some(&record.keys),
        record.new_image.as_ref(),
        record.old_image.as_ref(),
    ]
    .into_iter()
    .flatten()
    .find_map(|i| match i.get(attr::CHARTER_ID) {
        Some(AV::S(s)) => CharterId::parse(s).ok(),
        _ => None,
    })
}

/// `record` made to carry `now`, the item as stored: an INSERT or MODIFY of it (a MODIFY keeps
/// the old image it had, unless that image cannot be read: the record of a repair, which the
/// cascade takes as the charter's INSERT), or, when the item is gone, a REMOVE whose old image
/// is the last one the record knew.
fn with_item(mut record: ChangeRecord, now: Option<Item>) -> ChangeRecord {
    match now {
        Some(item) => {
            let old_unreadable = record
                .old_image
                .as_ref()
                .is_some_and(|o| Charter::from_item(o).is_err());
            if record.kind == ChangeKind::Remove || old_unreadable {
                // Removed then stored again, or repaired in place: what is there now is new.
                record.kind = ChangeKind::Insert;
                record.old_image = None;
            }
            record.new_image = Some(item);
        }
        None => {
            if record.kind != ChangeKind::Remove {
                record.old_image = record.new_image.take().or(record.old_image);
                record.kind = ChangeKind::Remove;
            }
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(date: &str) -> Item {
        [
            (
                attr::CHARTER_ID.to_string(),
                AV::S("5b1a7c3e-2f4d-4b8a-9c6e-0d1f2a3b4c5d".into()),
            ),
            (attr::CHARTER_DATE.to_string(), AV::S(date.into())),
        ]
        .into()
    }

    fn insert(date: &str) -> ChangeRecord {
        ChangeRecord {
            event_id: "e".into(),
            kind: ChangeKind::Insert,
            shard_id: "s".into(),
            sequence: "1".into(),
            keys: Item::default(),
            old_image: None,
            new_image: Some(item(date)),
            created_at: None,
        }
    }

    #[test]
    fn a_repaired_item_replaces_the_bad_image_and_a_gone_one_becomes_its_remove() {
        let bad = insert("12/14/2026");
        assert_eq!(
            charter_id(&bad).map(|c| c.to_string()).as_deref(),
            Some("5b1a7c3e-2f4d-4b8a-9c6e-0d1f2a3b4c5d")
        );
        let repaired = with_item(bad.clone(), Some(item("2026-12-14")));
        assert_eq!(repaired.kind, ChangeKind::Insert);
        assert_eq!(repaired.new_image, Some(item("2026-12-14")));
        let repair = ChangeRecord {
            kind: ChangeKind::Modify,
            old_image: Some(item("12/14/2026")),
            ..insert("2026-12-14")
        };
        let replayed = with_item(repair, Some(item("2026-12-14")));
        assert_eq!(
            (replayed.kind, replayed.old_image),
            (ChangeKind::Insert, None)
        );
        let gone = with_item(bad, None);
        assert_eq!(gone.kind, ChangeKind::Remove);
        assert_eq!(gone.old_image, Some(item("12/14/2026")));
        assert_eq!(gone.new_image, None);
    }
}
