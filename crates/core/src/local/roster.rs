//! The roster port on the embedded store: members by id, upserted in one transaction (keeping
//! the later `links_not_before`), revocation and availability as read-modify-writes in one
//! transaction each.

use chrono::{DateTime, Utc};

use super::db::{decode, sql_error, TxExt};
use super::Local;
use crate::domain::{CharterDate, CrewId, CrewMember};
use crate::item::Item;
use crate::ports::{Listing, Roster};
use crate::StoreError;

/// The later of two optional times.
fn later(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

#[async_trait::async_trait]
impl Roster for Local {
    async fn upsert_batch(&self, members: &[CrewMember]) -> Result<(), StoreError> {
        // In transactions of `UPSERT_CHUNK` members (as DynamoDB writes in batches of 25): a
        // 50,000-member import never holds a second copy of the whole roster.
        for chunk in members.chunks(UPSERT_CHUNK) {
            let tbl = self.names.roster.clone();
            let chunk = chunk.to_vec();
            self.db
                .tx("writing roster", move |tx| {
                    for mut m in chunk {
                        let id = m.crew_id.to_string();
                        let stored = tx
                            .get_item(&tbl, &id, "")?
                            .and_then(|i| CrewMember::from_item(&i).ok())
                            .and_then(|s| s.links_not_before);
                        m.links_not_before = later(m.links_not_before, stored);
                        tx.put_item(&tbl, &id, "", None, &m.to_item(), None, false)?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(())
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
        let listing = self
            .db
            .tx("listing roster", move |tx| {
                tx.require_table(&tbl)?;
                let mut stmt = tx
                    .prepare_cached("SELECT body FROM items WHERE tbl = ?1 ORDER BY pk")
                    .map_err(|e| sql_error("listing roster", e))?;
                let rows = stmt
                    .query_map([&tbl], |r| r.get::<_, String>(0))
                    .map_err(|e| sql_error("listing roster", e))?;
                // Parsed row by row: a 50,000-member roster is never also held as items.
                let mut listing = Listing::default();
                for body in rows {
                    let item = decode(&body.map_err(|e| sql_error("listing roster", e))?)?;
                    listing.add(CrewMember::from_item(&item));
                }
                Ok(listing)
            })
            .await?;
        Ok(listing)
    }

    async fn revoke_links(&self, id: &CrewId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .modify(id, "revoking links", move |m| {
                m.links_not_before = later(m.links_not_before, Some(at));
            })
            .await?;
        Ok(changed.is_some())
    }

    async fn set_availability(
        &self,
        id: &CrewId,
        add: &[CharterDate],
        remove: &[CharterDate],
    ) -> Result<Option<CrewMember>, StoreError> {
        let (add, remove) = (add.to_vec(), remove.to_vec());
        self.modify(id, "changing availability", move |m| {
            m.available_dates.extend(add.iter().copied());
            for d in &remove {
                m.available_dates.remove(d);
            }
        })
        .await
    }
}

/// Members written per transaction by `upsert_batch`.
const UPSERT_CHUNK: usize = 1_000;

impl Local {
    /// Reads a member, changes it and writes it back in one transaction.
    async fn modify(
        &self,
        id: &CrewId,
        what: &'static str,
        change: impl FnOnce(&mut CrewMember) + Send + 'static,
    ) -> Result<Option<CrewMember>, StoreError> {
        let tbl = self.names.roster.clone();
        let pk = id.to_string();
        self.db
            .tx(what, move |tx| {
                let Some(item) = tx.get_item(&tbl, &pk, "")? else {
                    return Ok(None);
                };
                let mut m = CrewMember::from_item(&item)?;
                change(&mut m);
                let item: Item = m.to_item();
                tx.put_item(&tbl, &pk, "", None, &item, None, false)?;
                Ok(Some(m))
            })
            .await
    }
}
