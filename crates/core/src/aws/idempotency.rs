//! Idempotency records on DynamoDB: storage only. Each write carries its [`Guard`] as a condition
//! expression ([`condition`], one translation per variant of [`Guard::allows`]); what a refused
//! write means is decided by the port's claim rules, not here.

use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue};
use chrono::{DateTime, Utc};

use super::client::Aws;
use super::convert::{from_sdk, n, s, to_sdk};
use super::errors::{classify, is_condition_failed};
use super::state_table::key;
use crate::ports::{Guard, IdempotencyRecord, IdempotencyStatus, IdempotencyStore, Swap};
use crate::records as rec;
use crate::retry::retrying;
use crate::StoreError;

/// A guard in DynamoDB's words. Its placeholders start with `g` so they never meet an update's.
struct Condition {
    expression: &'static str,
    names: Vec<(&'static str, &'static str)>,
    values: Vec<(&'static str, Av)>,
}

/// [`Guard::allows`] as a condition expression on the stored item.
fn condition(guard: &Guard) -> Condition {
    let in_progress = || s(rec::idem_status_str(IdempotencyStatus::InProgress));
    match guard {
        Guard::Claimable { now } => Condition {
            // Absent, expired, or an in-progress claim whose owner's lease has lapsed.
            expression: "attribute_not_exists(pk) OR expires_at_ms <= :gnow \
                         OR (#gst = :ginprog AND in_progress_until_ms <= :gnow)",
            names: vec![("#gst", "status")],
            values: vec![
                (":gnow", n(now.timestamp_millis())),
                (":ginprog", in_progress()),
            ],
        },
        Guard::HeldBy { owner } => Condition {
            expression: "#gst = :ginprog AND #gow = :gme",
            names: vec![("#gst", "status"), ("#gow", "owner")],
            values: vec![(":gme", s(owner)), (":ginprog", in_progress())],
        },
        Guard::Completable {
            owner,
            payload_hash,
            now,
        } => Condition {
            expression: "attribute_not_exists(pk) OR (payload_hash = :gh \
                         AND (#gow = :gme OR (#gst = :ginprog AND in_progress_until_ms <= :gnow)))",
            names: vec![("#gst", "status"), ("#gow", "owner")],
            values: vec![
                (":gh", s(payload_hash)),
                (":gme", s(owner)),
                (":gnow", n(now.timestamp_millis())),
                (":ginprog", in_progress()),
            ],
        },
    }
}

/// Adds a guard's condition to any conditional request builder of the SDK.
macro_rules! guarded {
    ($req:expr, $cond:expr) => {{
        let mut req = $req.condition_expression($cond.expression);
        for (k, v) in &$cond.names {
            req = req.expression_attribute_names(*k, *v);
        }
        for (k, v) in &$cond.values {
            req = req.expression_attribute_values(*k, v.clone());
        }
        req
    }};
}

#[async_trait::async_trait]
impl IdempotencyStore for Aws {
    async fn load(&self, key_: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let (pk, sk) = rec::idem_key(key_);
        let item = self.get_state(pk, sk, "idempotency record").await?;
        item.as_ref()
            .map(rec::idem_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn put_if(&self, record: &IdempotencyRecord, guard: Guard) -> Result<Swap, StoreError> {
        let table = self.state_table();
        let item = to_sdk(rec::idem_to_item(record));
        let cond = condition(&guard);
        let old = retrying(|| async {
            let req = self
                .ddb
                .put_item()
                .table_name(&table)
                .set_item(Some(item.clone()))
                .return_values(ReturnValue::AllOld);
            match guarded!(req, cond).send().await {
                Ok(out) => Ok(Some(out.attributes.map(from_sdk))),
                Err(e) if is_condition_failed(&e) => Ok(None),
                Err(e) => Err(classify(&format!("claiming idempotency key in {table}"), e)),
            }
        })
        .await?;
        match old {
            None => Ok(Swap::Refused),
            Some(old) => Ok(Swap::Written {
                replaced: old.as_ref().map(rec::idem_from_item).transpose()?,
            }),
        }
    }

    async fn extend_if(
        &self,
        key_: &str,
        until: DateTime<Utc>,
        guard: Guard,
    ) -> Result<bool, StoreError> {
        let table = self.state_table();
        let (pk, sk) = rec::idem_key(key_);
        let cond = condition(&guard);
        retrying(|| async {
            let req = self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression("SET in_progress_until_ms = :u")
                .expression_attribute_values(":u", n(until.timestamp_millis()));
            match guarded!(req, cond).send().await {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("renewing idempotency claim {key_}"), e)),
            }
        })
        .await
    }

    async fn complete_if(
        &self,
        done: &IdempotencyRecord,
        guard: Guard,
    ) -> Result<bool, StoreError> {
        // One conditional update on the way every job takes (no read first).
        let table = self.state_table();
        let (pk, sk) = rec::idem_key(&done.key);
        let mut update = String::from(
            "SET #k = :key, #st = :done, payload_hash = :h, expires_at_ms = :e, #ttl = :t, #ow = :me, \
             in_progress_until_ms = if_not_exists(in_progress_until_ms, :until)",
        );
        update.push_str(if done.result.is_some() {
            ", #res = :r"
        } else {
            " REMOVE #res"
        });
        let cond = condition(&guard);
        retrying(|| async {
            let mut req = self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression(&update)
                .expression_attribute_names("#k", "key")
                .expression_attribute_names("#st", "status")
                .expression_attribute_names("#ttl", rec::TTL_ATTR)
                .expression_attribute_names("#ow", "owner")
                .expression_attribute_names("#res", "result")
                .expression_attribute_values(":key", s(&done.key))
                .expression_attribute_values(":done", s(rec::idem_status_str(done.status)))
                .expression_attribute_values(":h", s(&done.payload_hash))
                .expression_attribute_values(":e", n(done.expires_at.timestamp_millis()))
                .expression_attribute_values(":t", n(done.expires_at.timestamp()))
                .expression_attribute_values(":me", s(done.owner.as_deref().unwrap_or_default()))
                .expression_attribute_values(
                    ":until",
                    n(done.in_progress_until.timestamp_millis()),
                );
            if let Some(r) = &done.result {
                req = req.expression_attribute_values(":r", s(r));
            }
            match guarded!(req, cond).send().await {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(
                    &format!("completing idempotency key in {table}"),
                    e,
                )),
            }
        })
        .await
    }

    async fn delete_if(&self, key_: &str, guard: Guard) -> Result<bool, StoreError> {
        let table = self.state_table();
        let (pk, sk) = rec::idem_key(key_);
        let cond = condition(&guard);
        retrying(|| async {
            let req = self
                .ddb
                .delete_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())));
            match guarded!(req, cond).send().await {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("releasing idempotency key {key_}"), e)),
            }
        })
        .await
    }
}
