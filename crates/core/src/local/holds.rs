//! The holds port on the embedded store: a hold and its assignment count change in one
//! transaction.

use std::collections::HashMap;

use super::db::TxExt;
use super::Local;
use crate::domain::{CharterDate, CharterId, CrewId, Month};
use crate::ports::{Hold, HoldOutcome, Holds};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl Holds for Local {
    async fn take(&self, hold: &Hold) -> Result<HoldOutcome, StoreError> {
        let tbl = self.names.state.clone();
        let hold = hold.clone();
        self.db
            .tx("taking hold", move |tx| {
                let (pk, sk) = rec::hold_key(&hold.crew_id, hold.date);
                if let Some(existing) = tx.get_item(&tbl, &pk, &sk)? {
                    return Ok(HoldOutcome::AlreadyHeld(rec::hold_from_item(&existing)?));
                }
                tx.put_item(&tbl, &pk, &sk, None, &rec::hold_to_item(&hold), None, false)?;
                tx.add_load(&tbl, &hold.crew_id, hold.date.month(), 1)?;
                Ok(HoldOutcome::Taken)
            })
            .await
    }

    async fn release(
        &self,
        crew: &CrewId,
        date: CharterDate,
        charter: &CharterId,
    ) -> Result<bool, StoreError> {
        let tbl = self.names.state.clone();
        let (crew, charter) = (crew.clone(), charter.clone());
        self.db
            .tx("releasing hold", move |tx| {
                let (pk, sk) = rec::hold_key(&crew, date);
                match tx.get_item(&tbl, &pk, &sk)? {
                    Some(item) if rec::hold_from_item(&item)?.charter_id == charter => {
                        tx.delete_item(&tbl, &pk, &sk, &item, false)?;
                        tx.add_load(&tbl, &crew, date.month(), -1)?;
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })
            .await
    }

    async fn get(&self, crew: &CrewId, date: CharterDate) -> Result<Option<Hold>, StoreError> {
        let tbl = self.names.state.clone();
        let (pk, sk) = rec::hold_key(crew, date);
        let item = self
            .db
            .tx("reading hold", move |tx| tx.get_item(&tbl, &pk, &sk))
            .await?;
        item.as_ref()
            .map(rec::hold_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn loads(
        &self,
        month: Month,
        crews: &[CrewId],
    ) -> Result<HashMap<CrewId, u32>, StoreError> {
        let tbl = self.names.state.clone();
        let crews = crews.to_vec();
        self.db
            .tx("reading assignment counts", move |tx| {
                let mut out = HashMap::new();
                for c in crews {
                    let (pk, sk) = rec::load_key(&c, month);
                    if let Some(item) = tx.get_item(&tbl, &pk, &sk)? {
                        out.insert(c, rec::load_count(&item));
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Holds and counts in one transaction (one commit, not two).
    async fn day_of(
        &self,
        date: CharterDate,
        crews: &[CrewId],
    ) -> Result<(Vec<Hold>, HashMap<CrewId, u32>), StoreError> {
        let tbl = self.names.state.clone();
        let crews = crews.to_vec();
        self.db
            .tx("reading holds and assignment counts", move |tx| {
                let mut holds = Vec::new();
                let mut counts = HashMap::new();
                for c in crews {
                    let (pk, sk) = rec::hold_key(&c, date);
                    if let Some(item) = tx.get_item(&tbl, &pk, &sk)? {
                        holds.push(rec::hold_from_item(&item)?);
                        continue;
                    }
                    let (pk, sk) = rec::load_key(&c, date.month());
                    if let Some(item) = tx.get_item(&tbl, &pk, &sk)? {
                        counts.insert(c, rec::load_count(&item));
                    }
                }
                Ok((holds, counts))
            })
            .await
    }

    async fn among(&self, date: CharterDate, crews: &[CrewId]) -> Result<Vec<Hold>, StoreError> {
        let tbl = self.names.state.clone();
        let keys: Vec<(String, String)> = crews.iter().map(|c| rec::hold_key(c, date)).collect();
        self.db
            .tx("reading holds", move |tx| {
                let mut out = Vec::new();
                for (pk, sk) in &keys {
                    if let Some(item) = tx.get_item(&tbl, pk, sk)? {
                        out.push(rec::hold_from_item(&item)?);
                    }
                }
                Ok(out)
            })
            .await
    }
}
