//! The roster port on DynamoDB (`crew-roster`): batched upserts, reads, and the full listing.

use super::batch::batch_put;
use super::client::Aws;
use super::convert::{from_sdk, s};
use super::errors::classify;
use crate::config::tables;
use crate::domain::{CrewId, CrewMember};
use crate::ports::{Listing, Roster};
use crate::StoreError;

#[async_trait::async_trait]
impl Roster for Aws {
    async fn upsert_batch(&self, members: &[CrewMember]) -> Result<(), StoreError> {
        let table = self.table(tables::ROSTER);
        batch_put(
            self,
            &table,
            members.iter().map(CrewMember::to_item).collect(),
        )
        .await
    }

    async fn get(&self, id: &CrewId) -> Result<Option<CrewMember>, StoreError> {
        let table = self.table(tables::ROSTER);
        let out = self
            .ddb
            .get_item()
            .table_name(&table)
            .key("crew_id", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&format!("reading member {id} from {table}"), e))?;
        out.item
            .map(|i| CrewMember::from_item(&from_sdk(i)))
            .transpose()
            .map_err(Into::into)
    }

    async fn list(&self) -> Result<Listing<CrewMember>, StoreError> {
        let table = self.table(tables::ROSTER);
        let mut items = Vec::new();
        let mut pages = self.ddb.scan().table_name(&table).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&format!("listing {table}"), e))?;
            items.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        let mut listing = Listing::parse(items, CrewMember::from_item);
        listing.items.sort_by(|a, b| a.crew_id.cmp(&b.crew_id));
        Ok(listing)
    }
}
