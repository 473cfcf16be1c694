//! Charter items on the embedded store, shared by the charters and staffing ports: the read
//! for a conditional update and the two changes (an assignment, a status) written back through
//! the change feed.

use serde_dynamo::AttributeValue as AV;

use super::db::TxExt;
use super::Local;
use crate::domain::{charter_attr as attr, Charter, CharterId, CharterKey, CharterStatus, CrewId};
use crate::item::Item;
use crate::StoreError;

/// Reads a charter for a conditional update: `None` if absent.
pub(crate) fn load_charter(
    tx: &rusqlite::Transaction<'_>,
    tbl: &str,
    key: &CharterKey,
) -> Result<Option<(Item, Charter)>, StoreError> {
    match tx.get_item(tbl, key.charter_id.as_str(), &key.created_at)? {
        None => Ok(None),
        Some(item) => {
            let charter = Charter::from_item(&item)?;
            Ok(Some((item, charter)))
        }
    }
}

/// The charter item with `crew` set as its captain, or appended to its crew list (kept as `L`;
/// an `SS` written by another tool is read as a list).
pub(crate) fn assigned(old: &Item, crew: &CrewId, captain: bool) -> Item {
    let mut new = old.clone();
    if captain {
        new.insert(attr::CAPTAIN_ASSIGNED.into(), AV::S(crew.to_string()));
    } else {
        let mut list = match new.remove(attr::CREW_ASSIGNED) {
            Some(AV::L(l)) => l,
            Some(AV::Ss(s)) => s.into_iter().map(AV::S).collect(),
            _ => Vec::new(),
        };
        list.push(AV::S(crew.to_string()));
        new.insert(attr::CREW_ASSIGNED.into(), AV::L(list));
    }
    new
}

/// Writes `old` with its status set to `status` (keeping its date index, feeding the change).
pub(crate) fn put_status(
    tx: &rusqlite::Transaction<'_>,
    tbl: &str,
    key: &CharterKey,
    old: &Item,
    status: CharterStatus,
) -> Result<(), StoreError> {
    let mut new = old.clone();
    new.insert(attr::STATUS.into(), AV::S(status.as_str().into()));
    replace_charter(tx, tbl, key, &new, old)
}

/// The stored item's date, for the date index column (kept as stored).
pub(crate) fn date_of(item: &Item) -> Option<String> {
    match item.get(attr::CHARTER_DATE) {
        Some(AV::S(d)) => Some(d.clone()),
        _ => None,
    }
}

/// Writes `new` over the charter's stored version `old`, with its change record; the date index
/// column follows `new`'s own `charter_date`, so a changed date moves it.
pub(crate) fn replace_charter(
    tx: &rusqlite::Transaction<'_>,
    tbl: &str,
    key: &CharterKey,
    new: &Item,
    old: &Item,
) -> Result<(), StoreError> {
    tx.put_item(
        tbl,
        key.charter_id.as_str(),
        &key.created_at,
        date_of(new).as_deref(),
        new,
        Some(old),
        true,
    )
}

impl Local {
    /// The charter's item in force (its newest stored version), if any.
    pub(crate) async fn newest_charter_item(
        &self,
        id: &CharterId,
    ) -> Result<Option<Item>, StoreError> {
        let tbl = self.names.charters.clone();
        let pk = id.to_string();
        let mut items = self
            .db
            .tx("reading charter", move |tx| tx.query_items(&tbl, &pk, None))
            .await?;
        Ok(items.pop())
    }

    /// Writes `item` as it is, as the booking system's PutItem would (with its change record).
    pub(crate) async fn put_raw_item(&self, item: Item) -> Result<(), StoreError> {
        let tbl = self.names.charters.clone();
        let text = |a: &str| match item.get(a) {
            Some(AV::S(s)) => Some(s.clone()),
            _ => None,
        };
        let (Some(pk), Some(sk)) = (text(attr::CHARTER_ID), text(attr::CREATED_AT)) else {
            return Err(StoreError::Invalid(
                "an item needs `charter_id` and `created_at` strings (the table's keys)".into(),
            ));
        };
        let date = date_of(&item);
        self.db
            .tx("writing charter item", move |tx| {
                let old = tx.get_item(&tbl, &pk, &sk)?;
                tx.put_item(&tbl, &pk, &sk, date.as_deref(), &item, old.as_ref(), true)
            })
            .await
    }
}
