//! The roster port on DynamoDB (`crew-roster`): batched upserts (keeping the later
//! `links_not_before`), reads, the full listing, and two narrow updates: revoking a member's
//! links and changing their availability.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use chrono::{DateTime, Utc};

use super::batch::{batch_get, batch_put};
use super::client::Aws;
use super::convert::{from_sdk, s};
use super::errors::{classify, is_condition_failed};
use crate::config::tables;
use crate::domain::{crew_attr as attr, links_time, CharterDate, CrewId, CrewMember};
use crate::ports::{Listing, Roster};
use crate::StoreError;

#[async_trait::async_trait]
impl Roster for Aws {
    async fn upsert_batch(&self, members: &[CrewMember]) -> Result<(), StoreError> {
        let table = self.table(tables::ROSTER);
        // A BatchWriteItem put replaces the whole item: read the stored revocation times first
        // (one request per 100 members) and keep the later. A revoke landing between the read
        // and the write is lost; `crew link --revoke` again closes that window.
        let keys = members
            .iter()
            .map(|m| HashMap::from([(attr::CREW_ID.to_string(), s(m.crew_id.as_str()))]))
            .collect();
        let stored: HashMap<CrewId, DateTime<Utc>> = batch_get(self, &table, keys, "members")
            .await?
            .iter()
            .filter_map(|i| CrewMember::from_item(i).ok())
            .filter_map(|m| Some((m.crew_id, m.links_not_before?)))
            .collect();
        let items = members
            .iter()
            .map(|m| {
                let mut m = m.clone();
                m.links_not_before = m.links_not_before.max(stored.get(&m.crew_id).copied());
                m.to_item()
            })
            .collect();
        batch_put(self, &table, items).await
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

    async fn revoke_links(&self, id: &CrewId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let table = self.table(tables::ROSTER);
        // Stored times are RFC 3339 to the second in UTC: as text they sort as times.
        let out = self
            .ddb
            .update_item()
            .table_name(&table)
            .key(attr::CREW_ID, s(id.as_str()))
            .update_expression("SET #nb = :t")
            .condition_expression(
                "attribute_exists(crew_id) AND (attribute_not_exists(#nb) OR #nb < :t)",
            )
            .expression_attribute_names("#nb", attr::LINKS_NOT_BEFORE)
            .expression_attribute_values(":t", s(links_time(&at)))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            // Not there, or a later time is stored already.
            Err(e) if is_condition_failed(&e) => Ok(self.get(id).await?.is_some()),
            Err(e) => Err(classify(
                &format!("revoking links of member {id} in {table}"),
                e,
            )),
        }
    }

    async fn set_availability(
        &self,
        id: &CrewId,
        add: &[CharterDate],
        remove: &[CharterDate],
    ) -> Result<Option<CrewMember>, StoreError> {
        // One path cannot be both added to and deleted from in one expression: two updates,
        // each one idempotent.
        let mut after = None;
        for (verb, dates) in [("ADD", add), ("DELETE", remove)] {
            if dates.is_empty() {
                continue;
            }
            match self.change_dates(id, verb, dates).await? {
                Some(m) => after = Some(m),
                None => return Ok(None),
            }
        }
        match after {
            Some(m) => Ok(Some(m)),
            None => self.get(id).await,
        }
    }
}

impl Aws {
    /// `ADD` or `DELETE` dates of a member's `available_dates`; the member afterwards.
    async fn change_dates(
        &self,
        id: &CrewId,
        verb: &str,
        dates: &[CharterDate],
    ) -> Result<Option<CrewMember>, StoreError> {
        let table = self.table(tables::ROSTER);
        let out = self
            .ddb
            .update_item()
            .table_name(&table)
            .key(attr::CREW_ID, s(id.as_str()))
            .condition_expression("attribute_exists(crew_id)")
            .update_expression(format!("{verb} #d :d"))
            .expression_attribute_names("#d", attr::AVAILABLE_DATES)
            .expression_attribute_values(
                ":d",
                Av::Ss(dates.iter().map(|d| d.to_string()).collect()),
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(out) => out
                .attributes
                .map(|i| CrewMember::from_item(&from_sdk(i)))
                .transpose()
                .map_err(Into::into),
            Err(e) if is_condition_failed(&e) => Ok(None),
            Err(e) => Err(classify(
                &format!("changing availability of member {id} in {table}"),
                e,
            )),
        }
    }
}
