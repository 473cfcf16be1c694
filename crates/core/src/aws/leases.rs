//! The leases port on DynamoDB: shard leases and checkpoints, every change conditional on the
//! lease still being held as the caller saw it (owner and counter).

use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue};
use chrono::{DateTime, Utc};

use super::client::Aws;
use super::convert::{from_sdk, n, s};
use super::errors::{classify, is_condition_failed};
use super::state_table::key;
use crate::item::Item;
use crate::ports::{Lease, Leases};
use crate::records as rec;
use crate::retry::retrying;
use crate::StoreError;

const HELD_BY: &str = "#o = :o AND #c = :c";

#[async_trait::async_trait]
impl Leases for Aws {
    async fn list(&self, stream: &str) -> Result<Vec<Lease>, StoreError> {
        let table = self.state_table();
        let mut items = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(rec::lease_pk(stream)))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("listing leases", e))?;
            items.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
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
        let (pk, sk) = rec::lease_key(stream, shard);
        let prior = self
            .get_state(pk, sk, "lease")
            .await?
            .as_ref()
            .map(rec::lease_from_item)
            .transpose()?;
        if let Some(p) = &prior {
            if p.owner != owner && p.expires_at > now {
                return Ok(None);
            }
        }
        let lease = Lease {
            stream: stream.to_string(),
            shard_id: shard.to_string(),
            owner: owner.to_string(),
            counter: prior.as_ref().map_or(1, |p| p.counter + 1),
            expires_at: now + ttl,
            checkpoint: prior.as_ref().and_then(|p| p.checkpoint.clone()),
        };
        let ok = match &prior {
            None => {
                self.put_state_if(
                    rec::lease_to_item(&lease),
                    "attribute_not_exists(pk)",
                    &[],
                    vec![],
                    "acquiring lease",
                )
                .await?
            }
            Some(p) => {
                self.put_state_if(
                    rec::lease_to_item(&lease),
                    "#c = :c",
                    &[("#c", "counter")],
                    vec![(":c", n(p.counter))],
                    "acquiring lease",
                )
                .await?
            }
        };
        Ok(ok.then_some(lease))
    }

    async fn renew(
        &self,
        lease: &Lease,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Option<Lease>, StoreError> {
        // Only the lease fields change: whatever checkpoint is stored is kept.
        let values = vec![
            (":next", n(lease.counter + 1)),
            (":exp", n((now + ttl).timestamp_millis())),
        ];
        let item = self
            .update_held(
                lease,
                "renewing lease",
                "SET #c = :next, lease_expires_ms = :exp",
                &[],
                values,
            )
            .await?;
        item.map(|i| rec::lease_from_item(&i))
            .transpose()
            .map_err(Into::into)
    }

    async fn checkpoint(&self, lease: &Lease, sequence: &str) -> Result<bool, StoreError> {
        Ok(self
            .update_held(
                lease,
                "writing checkpoint",
                "SET #cp = :seq",
                &[("#cp", "checkpoint")],
                vec![(":seq", s(sequence))],
            )
            .await?
            .is_some())
    }

    async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.update_held(
            lease,
            "releasing lease",
            "SET lease_expires_ms = :zero",
            &[],
            vec![(":zero", n(0))],
        )
        .await?;
        Ok(())
    }
}

impl Aws {
    /// Updates a lease only while it is held as `lease` says (owner and counter): the condition
    /// every renew, checkpoint and release shares. The lease as it is now, or `None` if lost.
    async fn update_held(
        &self,
        lease: &Lease,
        op: &str,
        update: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, Av)>,
    ) -> Result<Option<Item>, StoreError> {
        let table = self.state_table();
        let (pk, sk) = rec::lease_key(&lease.stream, &lease.shard_id);
        retrying(|| async {
            let mut req = self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression(update)
                .condition_expression(HELD_BY)
                .expression_attribute_names("#o", "owner")
                .expression_attribute_names("#c", "counter")
                .expression_attribute_values(":o", s(&lease.owner))
                .expression_attribute_values(":c", n(lease.counter))
                .return_values(ReturnValue::AllNew);
            for (k, v) in names {
                req = req.expression_attribute_names(*k, *v);
            }
            for (k, v) in &values {
                req = req.expression_attribute_values(*k, v.clone());
            }
            match req.send().await {
                Ok(out) => Ok(Some(from_sdk(out.attributes.unwrap_or_default()))),
                Err(e) if is_condition_failed(&e) => Ok(None),
                Err(e) => Err(classify(op, e)),
            }
        })
        .await
    }
}
