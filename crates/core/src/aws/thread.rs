//! The thread port on DynamoDB (`charter-chats`): appends and the thread of one charter.

use super::client::Aws;
use super::convert::{from_sdk, s, to_sdk};
use super::errors::classify;
use crate::config::tables;
use crate::domain::{CharterId, ThreadEntry};
use crate::ports::{Listing, Thread};
use crate::records::{self, thread_attr};
use crate::StoreError;

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
