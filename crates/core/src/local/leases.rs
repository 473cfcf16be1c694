//! The leases port on the embedded store: every change checked against the lease as the caller
//! saw it (owner and counter) inside one transaction.

use chrono::{DateTime, Utc};

use super::db::TxExt;
use super::Local;
use crate::ports::{Lease, Leases};
use crate::records as rec;
use crate::StoreError;

#[async_trait::async_trait]
impl Leases for Local {
    async fn list(&self, stream: &str) -> Result<Vec<Lease>, StoreError> {
        let tbl = self.names.state.clone();
        let pk = rec::lease_pk(stream);
        let items = self
            .db
            .tx("listing leases", move |tx| tx.query_items(&tbl, &pk, None))
            .await?;
        items
            .iter()
            .map(rec::lease_from_item)
            .collect::<Result<_, _>>()
            .map_err(Into::into)
    }

    async fn acquire(
        &self,
        stream: &str,
        shard: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let tbl = self.names.state.clone();
        let (stream, shard, owner) = (stream.to_string(), shard.to_string(), owner.to_string());
        self.db
            .tx("acquiring lease", move |tx| {
                let (pk, sk) = rec::lease_key(&stream, &shard);
                let old = tx.get_item(&tbl, &pk, &sk)?;
                let prior = old.as_ref().map(rec::lease_from_item).transpose()?;
                if let Some(p) = &prior {
                    if p.owner != owner && p.expires_at > now {
                        return Ok(None);
                    }
                }
                let lease = Lease {
                    stream: stream.clone(),
                    shard_id: shard.clone(),
                    owner: owner.clone(),
                    counter: prior.as_ref().map_or(1, |p| p.counter + 1),
                    expires_at: now + ttl,
                    checkpoint: prior.and_then(|p| p.checkpoint),
                };
                tx.put_item(
                    &tbl,
                    &pk,
                    &sk,
                    None,
                    &rec::lease_to_item(&lease),
                    old.as_ref(),
                    false,
                )?;
                Ok(Some(lease))
            })
            .await
    }

    async fn renew(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        self.update_held("renewing lease", lease, move |l| Lease {
            counter: l.counter + 1,
            expires_at: now + ttl,
            ..l
        })
        .await
    }

    async fn checkpoint(&self, lease: &Lease, sequence: &str) -> Result<bool, StoreError> {
        let sequence = sequence.to_string();
        Ok(self
            .update_held("writing checkpoint", lease, move |l| Lease {
                checkpoint: Some(sequence),
                ..l
            })
            .await?
            .is_some())
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.update_held("releasing lease", lease, |l| Lease {
            expires_at: DateTime::<Utc>::UNIX_EPOCH,
            ..l
        })
        .await?;
        Ok(())
    }
}

impl Local {
    /// Changes a lease only while it is still held as `held` says (owner and counter): the
    /// condition every renew, checkpoint and release shares. `None` if the lease was lost.
    async fn update_held(
        &self,
        op: &'static str,
        held: &Lease,
        change: impl FnOnce(Lease) -> Lease + Send + 'static,
    ) -> Result<Option<Lease>, StoreError> {
        let tbl = self.names.state.clone();
        let held = held.clone();
        self.db
            .tx(op, move |tx| {
                let (pk, sk) = rec::lease_key(&held.stream, &held.shard_id);
                let Some(old) = tx.get_item(&tbl, &pk, &sk)? else {
                    return Ok(None);
                };
                let current = rec::lease_from_item(&old)?;
                if current.owner != held.owner || current.counter != held.counter {
                    return Ok(None);
                }
                let lease = change(current);
                tx.put_item(
                    &tbl,
                    &pk,
                    &sk,
                    None,
                    &rec::lease_to_item(&lease),
                    Some(&old),
                    false,
                )?;
                Ok(Some(lease))
            })
            .await
    }
}
