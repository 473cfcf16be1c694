//! The sparse index of unsettled charters on the embedded store: the same two attributes as on
//! DynamoDB (`unsettled`, `unsettled_mark`) in the charter's stored item, read through a partial
//! SQLite index over exactly the items that carry `unsettled` (see `db.rs`). Marking writes the
//! item with its change record, as DynamoDB's stream carries the MODIFY.

use rusqlite::params;
use serde_dynamo::AttributeValue as AV;

use super::charter_table::replace_charter;
use super::db::{sql_error, TxExt};
use super::Local;
use crate::domain::{charter_attr as attr, Charter, CharterId, CharterKey};
use crate::item::Item;
use crate::ports::UnsettledCharter;
use crate::StoreError;

/// The value of `unsettled` on every charter in the index.
const IN_INDEX: &str = "1";

fn mark_of(item: &Item) -> Option<String> {
    match item.get(attr::UNSETTLED_MARK) {
        Some(AV::S(m)) if item.contains_key(attr::UNSETTLED) => Some(m.clone()),
        _ => None,
    }
}

/// `old` in the index under `mark`.
fn marked(old: &Item, mark: String) -> Item {
    let mut new = old.clone();
    new.insert(attr::UNSETTLED.into(), AV::S(IN_INDEX.into()));
    new.insert(attr::UNSETTLED_MARK.into(), AV::S(mark));
    new
}

/// Puts the charter under `key` (in table `tbl`) in the index under `mark`, inside `tx` (an
/// offer's, see `Offers::put_opening`); false, writing nothing, if the charter is gone.
pub(super) fn mark_unsettled_in(
    tx: &rusqlite::Transaction<'_>,
    tbl: &str,
    key: &CharterKey,
    mark: &str,
) -> Result<bool, StoreError> {
    let Some(old) = tx.get_item(tbl, key.charter_id.as_str(), &key.created_at)? else {
        return Ok(false);
    };
    replace_charter(tx, tbl, key, &marked(&old, mark.to_string()), &old)?;
    Ok(true)
}

impl Local {
    pub(crate) async fn charter_get_marked(
        &self,
        id: &CharterId,
    ) -> Result<Option<(Charter, Option<String>)>, StoreError> {
        let Some(item) = self.newest_charter_item(id).await? else {
            return Ok(None);
        };
        Ok(Some((Charter::from_item(&item)?, mark_of(&item))))
    }

    /// Writes the charter item changed by `change` (with its change record); false if absent
    /// or `change` declines.
    async fn change_mark(
        &self,
        op: &'static str,
        key: &CharterKey,
        change: impl FnOnce(&Item) -> Option<Item> + Send + 'static,
    ) -> Result<bool, StoreError> {
        let tbl = self.names.charters.clone();
        let key = key.clone();
        self.db
            .tx(op, move |tx| {
                let (pk, sk) = (key.charter_id.as_str(), key.created_at.as_str());
                let Some(old) = tx.get_item(&tbl, pk, sk)? else {
                    return Ok(false);
                };
                let Some(new) = change(&old) else {
                    return Ok(false);
                };
                replace_charter(tx, &tbl, &key, &new, &old)?;
                Ok(true)
            })
            .await
    }

    pub(crate) async fn charter_mark_unsettled(
        &self,
        key: &CharterKey,
        mark: &str,
    ) -> Result<bool, StoreError> {
        let mark = mark.to_string();
        self.change_mark("marking charter unsettled", key, move |old| {
            Some(marked(old, mark))
        })
        .await
    }

    pub(crate) async fn charter_clear_unsettled(
        &self,
        key: &CharterKey,
        mark: &str,
    ) -> Result<bool, StoreError> {
        let mark = mark.to_string();
        self.change_mark("marking charter settled", key, move |old| {
            (mark_of(old).as_deref() == Some(mark.as_str())).then(|| {
                let mut new = old.clone();
                new.remove(attr::UNSETTLED);
                new.remove(attr::UNSETTLED_MARK);
                new
            })
        })
        .await
    }

    pub(crate) async fn charters_unsettled(&self) -> Result<Vec<UnsettledCharter>, StoreError> {
        let tbl = self.names.charters.clone();
        let rows = self
            .db
            .tx("reading the unsettled charters", move |tx| {
                tx.require_table(&tbl)?;
                // The WHERE matches the partial index `items_unsettled` word for word, so
                // SQLite reads only the indexed items.
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT pk, sk, json_extract(body, '$.unsettled_mark.S') AS mark FROM items \
                         WHERE tbl = ?1 AND json_extract(body, '$.unsettled') IS NOT NULL \
                         ORDER BY mark",
                    )
                    .map_err(|e| sql_error("querying the unsettled index", e))?;
                let rows = stmt
                    .query_map(params![tbl], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
                    })
                    .map_err(|e| sql_error("querying the unsettled index", e))?;
                rows.collect::<Result<Vec<_>, _>>()
                    .map_err(|e| sql_error("querying the unsettled index", e))
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(pk, sk, mark)| {
                Some(UnsettledCharter {
                    key: CharterKey {
                        charter_id: CharterId::parse(&pk).ok()?,
                        created_at: sk,
                    },
                    mark: mark?,
                })
            })
            .collect())
    }
}
