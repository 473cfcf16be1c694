//! The roster port on the embedded store: members by id, upserted in one transaction.

use super::db::{decode, sql_error, TxExt};
use super::Local;
use crate::domain::{CrewId, CrewMember};
use crate::item::Item;
use crate::ports::{Listing, Roster};
use crate::StoreError;

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
