//! Idempotency records on the embedded store: storage only. Each write reads the stored record,
//! asks its [`Guard`] and writes, inside one IMMEDIATE transaction; what a refused write means is
//! decided by the port's claim rules, not here.

use chrono::{DateTime, Utc};

use super::db::TxExt;
use super::Local;
use crate::item::Item;
use crate::ports::{Guard, IdempotencyRecord, IdempotencyStore, Swap};
use crate::records as rec;
use crate::StoreError;

impl Local {
    /// Runs `write` on the record under `key` (and its stored item) if `guard` allows, in one
    /// transaction; `None` when the guard refused.
    async fn guarded<T: Send + 'static>(
        &self,
        op: &'static str,
        key: &str,
        guard: Guard,
        write: impl FnOnce(&rusqlite::Transaction<'_>, Write<'_>) -> Result<T, StoreError>
            + Send
            + 'static,
    ) -> Result<Option<T>, StoreError> {
        let tbl = self.names.state.clone();
        let (pk, sk) = rec::idem_key(key);
        self.db
            .tx(op, move |tx| {
                let old = tx.get_item(&tbl, &pk, &sk)?;
                let existing = old.as_ref().map(rec::idem_from_item).transpose()?;
                if !guard.allows(existing.as_ref()) {
                    return Ok(None);
                }
                let at = Write {
                    tbl: &tbl,
                    pk: &pk,
                    sk: &sk,
                    old: old.as_ref(),
                    existing,
                };
                write(tx, at).map(Some)
            })
            .await
    }
}

/// Where a guarded write goes: the item's key and what is stored there now.
struct Write<'a> {
    tbl: &'a str,
    pk: &'a str,
    sk: &'a str,
    old: Option<&'a Item>,
    existing: Option<IdempotencyRecord>,
}

impl Write<'_> {
    fn put(
        &self,
        tx: &rusqlite::Transaction<'_>,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        let item = rec::idem_to_item(record);
        tx.put_item(self.tbl, self.pk, self.sk, None, &item, self.old, false)
    }
}

#[async_trait::async_trait]
impl IdempotencyStore for Local {
    async fn load(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let tbl = self.names.state.clone();
        let (pk, sk) = rec::idem_key(key);
        let item = self
            .db
            .tx("reading idempotency key", move |tx| {
                tx.get_item(&tbl, &pk, &sk)
            })
            .await?;
        item.as_ref()
            .map(rec::idem_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn put_if(&self, record: &IdempotencyRecord, guard: Guard) -> Result<Swap, StoreError> {
        let record = record.clone();
        let written = self
            .guarded(
                "claiming idempotency key",
                &record.key.clone(),
                guard,
                move |tx, at| {
                    at.put(tx, &record)?;
                    Ok(at.existing)
                },
            )
            .await?;
        Ok(match written {
            Some(replaced) => Swap::Written { replaced },
            None => Swap::Refused,
        })
    }

    async fn extend_if(
        &self,
        key: &str,
        until: DateTime<Utc>,
        guard: Guard,
    ) -> Result<bool, StoreError> {
        let written = self
            .guarded("renewing idempotency claim", key, guard, move |tx, at| {
                // A guard that allows an absent record leaves nothing to extend.
                let Some(mut r) = at.existing.clone() else {
                    return Ok(false);
                };
                r.in_progress_until = until;
                at.put(tx, &r)?;
                Ok(true)
            })
            .await?;
        Ok(written == Some(true))
    }

    async fn complete_if(
        &self,
        done: &IdempotencyRecord,
        guard: Guard,
    ) -> Result<bool, StoreError> {
        let mut done = done.clone();
        let written = self
            .guarded(
                "completing idempotency key",
                &done.key.clone(),
                guard,
                move |tx, at| {
                    if let Some(r) = &at.existing {
                        done.in_progress_until = r.in_progress_until;
                    }
                    at.put(tx, &done)
                },
            )
            .await?;
        Ok(written.is_some())
    }

    async fn delete_if(&self, key: &str, guard: Guard) -> Result<bool, StoreError> {
        let written = self
            .guarded("releasing idempotency key", key, guard, move |tx, at| {
                let Some(old) = at.old else {
                    return Ok(false);
                };
                tx.delete_item(at.tbl, at.pk, at.sk, old, false)?;
                Ok(true)
            })
            .await?;
        Ok(written == Some(true))
    }
}
