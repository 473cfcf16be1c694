//! The charters port on the embedded store: every change read, checked and written in one
//! transaction, with its change record appended to the feed in that same transaction.

use rusqlite::params;
use serde_dynamo::AttributeValue as AV;

use super::charter_table::{assigned, load_charter, put_status, replace_charter};
use super::db::{decode, sql_error, TxExt};
use super::Local;
use crate::domain::{
    booking_ref_of, charter_attr as attr, with_booking_ref, BookingRef, Charter, CharterDate,
    CharterId, CharterKey, CharterStatus, CrewId,
};
use crate::ports::{
    booking_sets_status, captain_rejection, crew_rejection, AssignOutcome, AssignRejection,
    Charters, Inserted, Listing, BOOKING_ATTRS,
};
use crate::StoreError;

impl Local {
    /// Stores a new charter item (the charter's, perhaps with more attributes); a charter with
    /// the same key is left untouched.
    async fn insert_item(
        &self,
        charter: &Charter,
        item: crate::item::Item,
    ) -> Result<Inserted, StoreError> {
        let tbl = self.names.charters.clone();
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
                replace_charter(tx, &tbl, &key, &new, &old)?;
                Ok(AssignOutcome::Assigned(Charter::from_item(&new)?))
            })
            .await
    }
}

#[async_trait::async_trait]
impl Charters for Local {
    async fn insert(&self, charter: &Charter) -> Result<Inserted, StoreError> {
        self.insert_item(charter, charter.to_item()).await
    }

    async fn insert_with_ref(
        &self,
        charter: &Charter,
        booking_ref: &BookingRef,
    ) -> Result<Inserted, StoreError> {
        self.insert_item(charter, with_booking_ref(charter.to_item(), booking_ref))
            .await
    }

    async fn booking_ref(&self, id: &CharterId) -> Result<Option<BookingRef>, StoreError> {
        Ok(self
            .newest_charter_item(id)
            .await?
            .as_ref()
            .and_then(booking_ref_of))
    }

    async fn get(&self, id: &CharterId) -> Result<Option<Charter>, StoreError> {
        self.newest_charter_item(id)
            .await?
            .as_ref()
            .map(Charter::from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn get_item(&self, id: &CharterId) -> Result<Option<crate::item::Item>, StoreError> {
        self.newest_charter_item(id).await
    }

    async fn put_raw(&self, item: &crate::item::Item) -> Result<(), StoreError> {
        self.put_raw_item(item.clone()).await
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
                replace_charter(tx, &tbl, &key, &new, &old)?;
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
                replace_charter(tx, &tbl, &key, &new, &old)?;
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
