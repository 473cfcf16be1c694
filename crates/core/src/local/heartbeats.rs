//! Heartbeats on the embedded store: one row per part in the state table.

use super::db::TxExt;
use super::Local;
use crate::ports::{Heartbeat, Heartbeats};
use crate::StoreError;

#[async_trait::async_trait]
impl Heartbeats for Local {
    async fn beat(&self, beat: &Heartbeat) -> Result<(), StoreError> {
        let tbl = self.names.state.clone();
        let item = beat.to_item();
        let (pk, sk) = Heartbeat::key(&beat.part);
        self.db
            .tx("writing heartbeat", move |tx| {
                let old = tx.get_item(&tbl, &pk, &sk)?;
                tx.put_item(&tbl, &pk, &sk, None, &item, old.as_ref(), false)
            })
            .await
    }

    async fn all(&self) -> Result<Vec<Heartbeat>, StoreError> {
        let tbl = self.names.state.clone();
        let items = self
            .db
            .tx("reading heartbeats", move |tx| {
                tx.query_items(&tbl, Heartbeat::partition(), None)
            })
            .await?;
        items
            .iter()
            .map(Heartbeat::from_item)
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }
}
