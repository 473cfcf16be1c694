//! Charters, roster and thread on the embedded store.

use rusqlite::params;

use super::db::{decode, sql_error, TxExt};
use super::Local;
use crate::domain::{
    charter_attr as attr, Charter, CharterDate, CharterId, CharterKey, CharterStatus, CrewId,
    CrewMember, ThreadEntry,
};
use crate::item::Item;
use crate::ports::{
    booking_sets_status, captain_rejection, crew_rejection, AssignOutcome, AssignRejection,
    Charters, Inserted, Listing, Roster, Thread, BOOKING_ATTRS,
};
use crate::records::{self, thread_attr};
use crate::StoreError;
use serde_dynamo::AttributeValue as AV;

/// Reads a charter for a conditional update: `None` if absent.
fn load_charter(
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

impl Local {
    /// A conditional assignment: rejected as `reject` says, else written with its change record.
    async fn assign(
        &self,
        op: &'static str,
        key: &CharterKey,
        crew: &CrewId,
        captain: bool,
        reject: impl FnOnce(&Charter) -> Option<AssignRejection> + Send + 'static,
    ) -> Result<AssignOutcome, StoreError> {
        let tbl = self.names.charters.clone();
        let (key, crew) = (key.clone(), crew.clone());
        self.db
            .tx(op, move |tx| {
                let Some((old, charter)) = load_charter(tx, &tbl, &key)? else {
                    return Ok(AssignOutcome::Rejected(AssignRejection::NotFound));
                };
                if let Some(why) = reject(&charter) {
                    return Ok(AssignOutcome::Rejected(why));
                }
                let new = assigned(&old, &crew, captain);
                tx.put_item(
                    &tbl,
                    key.charter_id.as_str(),
                    &key.created_at,
                    Some(&charter.charter_date.to_string()),
                    &new,
                    Some(&old),
                    true,
                )?;
                Ok(AssignOutcome::Assigned(Charter::from_item(&new)?))
            })
            .await
    }
}

#[async_trait::async_trait]
impl Charters for Local {
    async fn insert(&self, charter: &Charter) -> Result<Inserted, StoreError> {
        let tbl = self.names.charters.clone();
        let item = charter.to_item();
        let (pk, sk, date) = (
            charter.charter_id.to_string(),
            charter.created_at.clone(),
            charter.charter_date.to_string(),
        );
        self.db
            .tx("inserting charter", move |tx| {
                if tx.get_item(&tbl, &pk, &sk)?.is_some() {
                    return Ok(Inserted::AlreadyExists);
                }
                tx.put_item(&tbl, &pk, &sk, Some(&date), &item, None, true)?;
                Ok(Inserted::New)
            })
            .await
    }

    async fn get(&self, id: &CharterId) -> Result<Option<Charter>, StoreError> {
        let tbl = self.names.charters.clone();
        let pk = id.to_string();
        let items = self
            .db
            .tx("reading charter", move |tx| tx.query_items(&tbl, &pk, None))
            .await?;
        items
            .last()
            .map(Charter::from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn on_date(&self, date: CharterDate) -> Result<Listing<Charter>, StoreError> {
        let tbl = self.names.charters.clone();
        let day = date.to_string();
        let items = self
            .db
            .tx("reading charters of a date", move |tx| {
                tx.require_table(&tbl)?;
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT body FROM items i WHERE tbl = ?1 AND date_idx = ?2 \
                         AND sk = (SELECT MAX(sk) FROM items v WHERE v.tbl = i.tbl AND v.pk = i.pk) \
                         ORDER BY sk, pk",
                    )
                    .map_err(|e| sql_error("querying date index", e))?;
                let rows = stmt
                    .query_map(params![tbl, day], |r| r.get::<_, String>(0))
                    .map_err(|e| sql_error("querying date index", e))?;
                rows.map(|b| decode(&b.map_err(|e| sql_error("querying date index", e))?))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        Ok(Listing::parse(items, Charter::from_item))
    }

    async fn assign_captain(
        &self,
        key: &CharterKey,
        crew: &CrewId,
    ) -> Result<AssignOutcome, StoreError> {
        let who = crew.clone();
        self.assign("assigning captain", key, crew, true, move |c| {
            captain_rejection(c, &who)
        })
        .await
    }

    async fn add_crew(
        &self,
        key: &CharterKey,
        crew: &CrewId,
        needed: u32,
    ) -> Result<AssignOutcome, StoreError> {
        let who = crew.clone();
        self.assign("adding crew", key, crew, false, move |c| {
            crew_rejection(c, &who, needed)
        })
        .await
    }

    async fn unassign(
        &self,
        key: &CharterKey,
        crew: &CrewId,
    ) -> Result<Option<Charter>, StoreError> {
        let tbl = self.names.charters.clone();
        let (key, crew) = (key.clone(), crew.clone());
        self.db
            .tx("unassigning member", move |tx| {
                let Some((old, charter)) = load_charter(tx, &tbl, &key)? else {
                    return Ok(None);
                };
                let mut new = old.clone();
                if charter.captain_assigned.as_ref() == Some(&crew) {
                    new.remove(attr::CAPTAIN_ASSIGNED);
                }
                if charter.crew_assigned.contains(&crew) {
                    let rest: Vec<AV> = charter
                        .crew_assigned
                        .iter()
                        .filter(|m| *m != &crew)
                        .map(|m| AV::S(m.to_string()))
                        .collect();
                    new.insert(attr::CREW_ASSIGNED.into(), AV::L(rest));
                }
                if new == old {
                    return Ok(Some(charter));
                }
                tx.put_item(
                    &tbl,
                    key.charter_id.as_str(),
                    &key.created_at,
                    Some(&charter.charter_date.to_string()),
                    &new,
                    Some(&old),
                    true,
                )?;
                Ok(Some(Charter::from_item(&new)?))
            })
            .await
    }

    async fn set_status(
        &self,
        key: &CharterKey,
        status: CharterStatus,
    ) -> Result<bool, StoreError> {
        let tbl = self.names.charters.clone();
        let key = key.clone();
        self.db
            .tx("setting charter status", move |tx| {
                let Some(old) = tx.get_item(&tbl, key.charter_id.as_str(), &key.created_at)? else {
                    return Ok(false);
                };
                put_status(tx, &tbl, &key, &old, status)?;
                Ok(true)
            })
            .await
    }

    async fn set_status_from(
        &self,
        key: &CharterKey,
        from: CharterStatus,
        to: CharterStatus,
    ) -> Result<bool, StoreError> {
        let tbl = self.names.charters.clone();
        let key = key.clone();
        self.db
            .tx("setting charter status", move |tx| {
                let Some(old) = tx.get_item(&tbl, key.charter_id.as_str(), &key.created_at)? else {
                    return Ok(false);
                };
                let now = match old.get(attr::STATUS) {
                    Some(AV::S(s)) => CharterStatus::parse(s),
                    None => Some(CharterStatus::Booked),
                    _ => None,
                };
                if now != Some(from) {
                    return Ok(now == Some(to));
                }
                put_status(tx, &tbl, &key, &old, to)?;
                Ok(true)
            })
            .await
    }

    async fn update_booking(
        &self,
        key: &CharterKey,
        booking: &Charter,
    ) -> Result<Option<Charter>, StoreError> {
        let tbl = self.names.charters.clone();
        let key = key.clone();
        let fields = booking.to_item();
        let status = booking_sets_status(booking).then_some(booking.status);
        self.db
            .tx("updating charter booking", move |tx| {
                let Some(old) = tx.get_item(&tbl, key.charter_id.as_str(), &key.created_at)? else {
                    return Ok(None);
                };
                let mut new = old.clone();
                for a in BOOKING_ATTRS {
                    match fields.get(a) {
                        Some(v) => new.insert(a.to_string(), v.clone()),
                        None => new.remove(a),
                    };
                }
                if let Some(st) = status {
                    new.insert(attr::STATUS.into(), AV::S(st.as_str().into()));
                }
                let date = match new.get(attr::CHARTER_DATE) {
                    Some(AV::S(s)) => Some(s.clone()),
                    _ => None,
                };
                tx.put_item(
                    &tbl,
                    key.charter_id.as_str(),
                    &key.created_at,
                    date.as_deref(),
                    &new,
                    Some(&old),
                    true,
                )?;
                Ok(Some(Charter::from_item(&new)?))
            })
            .await
    }

    async fn delete(&self, key: &CharterKey) -> Result<(), StoreError> {
        let tbl = self.names.charters.clone();
        let key = key.clone();
        self.db
            .tx("deleting charter", move |tx| {
                if let Some(old) = tx.get_item(&tbl, key.charter_id.as_str(), &key.created_at)? {
                    tx.delete_item(&tbl, key.charter_id.as_str(), &key.created_at, &old, true)?;
                }
                Ok(())
            })
            .await
    }

    async fn get_marked(
        &self,
        id: &CharterId,
    ) -> Result<Option<(Charter, Option<String>)>, StoreError> {
        self.charter_get_marked(id).await
    }
    async fn mark_unsettled(&self, key: &CharterKey, mark: &str) -> Result<bool, StoreError> {
        self.charter_mark_unsettled(key, mark).await
    }
    async fn clear_unsettled(&self, key: &CharterKey, mark: &str) -> Result<bool, StoreError> {
        self.charter_clear_unsettled(key, mark).await
    }
    async fn unsettled(&self) -> Result<Vec<crate::ports::UnsettledCharter>, StoreError> {
        self.charters_unsettled().await
    }
}

#[async_trait::async_trait]
impl Roster for Local {
    async fn upsert_batch(&self, members: &[CrewMember]) -> Result<(), StoreError> {
        let tbl = self.names.roster.clone();
        let items: Vec<(String, Item)> = members
            .iter()
            .map(|m| (m.crew_id.to_string(), m.to_item()))
            .collect();
        self.db
            .tx("writing roster", move |tx| {
                for (id, item) in &items {
                    tx.put_item(&tbl, id, "", None, item, None, false)?;
                }
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &CrewId) -> Result<Option<CrewMember>, StoreError> {
        let tbl = self.names.roster.clone();
        let pk = id.to_string();
        let item = self
            .db
            .tx("reading roster member", move |tx| {
                tx.get_item(&tbl, &pk, "")
            })
            .await?;
        item.as_ref()
            .map(CrewMember::from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn list(&self) -> Result<Listing<CrewMember>, StoreError> {
        let tbl = self.names.roster.clone();
        let items = self
            .db
            .tx("listing roster", move |tx| {
                tx.require_table(&tbl)?;
                let mut stmt = tx
                    .prepare_cached("SELECT body FROM items WHERE tbl = ?1 ORDER BY pk")
                    .map_err(|e| sql_error("listing roster", e))?;
                let rows = stmt
                    .query_map([&tbl], |r| r.get::<_, String>(0))
                    .map_err(|e| sql_error("listing roster", e))?;
                rows.map(|b| decode(&b.map_err(|e| sql_error("listing roster", e))?))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        Ok(Listing::parse(items, CrewMember::from_item))
    }
}

#[async_trait::async_trait]
impl Thread for Local {
    async fn append(&self, entry: &ThreadEntry) -> Result<(), StoreError> {
        let tbl = self.names.chats.clone();
        let item = records::thread_to_item(entry);
        let (pk, sk) = (entry.charter_id.to_string(), entry.sort_key());
        self.db
            .tx("appending to thread", move |tx| {
                tx.put_item(&tbl, &pk, &sk, None, &item, None, false)
            })
            .await
    }

    async fn list(&self, charter: &CharterId) -> Result<Vec<ThreadEntry>, StoreError> {
        let tbl = self.names.chats.clone();
        let pk = charter.to_string();
        let items = self
            .db
            .tx("reading thread", move |tx| tx.query_items(&tbl, &pk, None))
            .await?;
        let _ = thread_attr::TS_ID;
        Ok(Listing::parse(items, records::thread_from_item).items)
    }
}

/// Writes `old` with its status set to `status` (keeping its date index, feeding the change).
fn put_status(
    tx: &rusqlite::Transaction<'_>,
    tbl: &str,
    key: &CharterKey,
    old: &crate::item::Item,
    status: CharterStatus,
) -> Result<(), StoreError> {
    let mut new = old.clone();
    new.insert(attr::STATUS.into(), AV::S(status.as_str().into()));
    let date = match old.get(attr::CHARTER_DATE) {
        Some(AV::S(s)) => Some(s.clone()),
        _ => None,
    };
    tx.put_item(
        tbl,
        key.charter_id.as_str(),
        &key.created_at,
        date.as_deref(),
        &new,
        Some(old),
        true,
    )
}
