//! The roster and the thread on DynamoDB (the charters are in `tables.rs`), and the batch
//! writer the roster's upserts use.

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

use super::errors::classify;
use super::{from_sdk, s, to_sdk, Aws};
use crate::config::tables;
use crate::domain::{CharterId, CrewId, CrewMember, ThreadEntry};
use crate::item::Item;
use crate::ports::{Listing, Roster, Thread};
use crate::records::{self, thread_attr};
use crate::StoreError;

/// Writes items in batches of 25, retrying unprocessed items with backoff.
pub(crate) async fn batch_put(aws: &Aws, table: &str, items: Vec<Item>) -> Result<(), StoreError> {
    for chunk in items.chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|i| {
                let put = PutRequest::builder()
                    .set_item(Some(to_sdk(i.clone())))
                    .build()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<_, StoreError>>()?;
        let mut delays = backon::BackoffBuilder::build(crate::retry::policy());
        loop {
            let out = crate::retry::retrying(|| {
                let req = pending.clone();
                async move {
                    aws.ddb
                        .batch_write_item()
                        .request_items(table, req)
                        .send()
                        .await
                        .map_err(|e| classify(&format!("batch writing to {table}"), e))
                }
            })
            .await?;
            pending = out
                .unprocessed_items
                .and_then(|mut m| m.remove(table))
                .unwrap_or_default();
            if pending.is_empty() {
                break;
            }
            match delays.next() {
                Some(d) => {
                    tracing::warn!(
                        table,
                        unprocessed = pending.len(),
                        "batch write left items unprocessed, retrying"
                    );
                    tokio::time::sleep(d).await;
                }
                None => {
                    return Err(StoreError::backend(
                        format!("batch writing to {table}"),
                        true,
                        format!("{} items still unprocessed after retries", pending.len()),
                    ))
                }
            }
        }
    }
    Ok(())
}

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

#[async_trait::async_trait]
impl Thread for Aws {
    async fn append(&self, entry: &ThreadEntry) -> Result<(), StoreError> {
        let table = self.table(tables::CHATS);
        self.ddb
            .put_item()
            .table_name(&table)
            .set_item(Some(to_sdk(records::thread_to_item(entry))))
            .send()
            .await
            .map_err(|e| classify(&format!("appending to thread of {}", entry.charter_id), e))?;
        Ok(())
    }

    async fn list(&self, charter: &CharterId) -> Result<Vec<ThreadEntry>, StoreError> {
        let table = self.table(tables::CHATS);
        let mut items = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .key_condition_expression("#c = :c")
            .expression_attribute_names("#c", thread_attr::CHARTER_ID)
            .expression_attribute_values(":c", s(charter.as_str()))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&format!("reading thread of {charter}"), e))?;
            items.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        Ok(Listing::parse(items, records::thread_from_item).items)
    }
}
