//! The thread port on the embedded store: entries of a charter by `ts#id`.

use super::db::TxExt;
use super::Local;
use crate::domain::{CharterId, ThreadEntry};
use crate::ports::{Listing, Thread};
use crate::records::{self, thread_attr};
use crate::StoreError;

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
