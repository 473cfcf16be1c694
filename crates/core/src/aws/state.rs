//! Holds, offers, idempotency records and leases on DynamoDB: the same rules as the embedded
//! backend, written as condition expressions.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, KeysAndAttributes, ReturnValue};
use chrono::{DateTime, Utc};

use super::errors::classify;
use super::tables::is_condition_failed;
use super::{from_sdk, n, s, to_sdk, Aws};
use crate::config::tables;
use crate::domain::{CharterDate, CharterId, CrewId, Month, Offer, OfferId, OfferStatus};
use crate::item::Item;
use crate::ports::{
    blocked_outcome, blocks_claim, takes_over, ClaimOutcome, Hold, HoldOutcome, Holds, Idempotency,
    IdempotencyClaim, IdempotencyRecord, IdempotencyStatus, Lease, Leases, OfferTransition, Offers,
};
use crate::records::{self as rec, PK, SK};
use crate::retry::retrying;
use crate::StoreError;

fn key(pk: String, sk: String) -> HashMap<String, Av> {
    [(PK.to_string(), s(pk)), (SK.to_string(), s(sk))].into()
}

/// A transaction cancelled by one of its conditions.
fn is_cancelled<E>(
    e: &aws_sdk_dynamodb::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    super::errors::code_of(e).as_deref() == Some("TransactionCanceledException")
}

impl Aws {
    fn state_table(&self) -> String {
        self.table(tables::STATE)
    }

    /// `ADD assignments :d` on a member's load item for `month`: one part of a transaction.
    pub(crate) fn load_update(
        &self,
        crew: &CrewId,
        month: Month,
        delta: i64,
    ) -> Result<aws_sdk_dynamodb::types::Update, StoreError> {
        let (pk, sk) = rec::load_key(crew, month);
        aws_sdk_dynamodb::types::Update::builder()
            .table_name(self.state_table())
            .set_key(Some(key(pk, sk)))
            .update_expression("SET crew_id = :crew ADD #n :d")
            .expression_attribute_names("#n", rec::LOAD_COUNT)
            .expression_attribute_values(":crew", s(crew.as_str()))
            .expression_attribute_values(":d", n(delta))
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Reads state items by key, 100 a request, retrying unprocessed keys.
    async fn batch_get_state(
        &self,
        keys: Vec<(String, String)>,
        what: &str,
    ) -> Result<Vec<Item>, StoreError> {
        let table = self.state_table();
        let mut items = Vec::new();
        for chunk in keys.chunks(100) {
            let mut pending: Vec<HashMap<String, Av>> = chunk
                .iter()
                .map(|(pk, sk)| key(pk.clone(), sk.clone()))
                .collect();
            let mut delays = backon::BackoffBuilder::build(crate::retry::policy());
            while !pending.is_empty() {
                let ka = KeysAndAttributes::builder()
                    .set_keys(Some(pending.clone()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let out = retrying(|| async {
                    self.ddb
                        .batch_get_item()
                        .request_items(&table, ka.clone())
                        .send()
                        .await
                        .map_err(|e| classify(&format!("reading {what} from {table}"), e))
                })
                .await?;
                items.extend(
                    out.responses
                        .and_then(|mut r| r.remove(&table))
                        .unwrap_or_default()
                        .into_iter()
                        .map(from_sdk),
                );
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if !pending.is_empty() {
                    let d = delays.next().ok_or_else(|| {
                        StoreError::backend(
                            format!("reading {what}"),
                            true,
                            "keys still unprocessed after retries",
                        )
                    })?;
                    tokio::time::sleep(d).await;
                }
            }
        }
        Ok(items)
    }

    async fn get_state(
        &self,
        pk: String,
        sk: String,
        what: &str,
    ) -> Result<Option<Item>, StoreError> {
        let table = self.state_table();
        let out = retrying(|| async {
            self.ddb
                .get_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| classify(&format!("reading {what} from {table}"), e))
        })
        .await?;
        Ok(out.item.map(from_sdk))
    }

    /// Puts a state item under a condition; Ok(false) when the condition failed.
    async fn put_state_if(
        &self,
        item: Item,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, Av)>,
        what: &str,
    ) -> Result<bool, StoreError> {
        let table = self.state_table();
        retrying(|| async {
            let mut req = self
                .ddb
                .put_item()
                .table_name(&table)
                .set_item(Some(to_sdk(item.clone())))
                .condition_expression(condition);
            for (k, v) in names {
                req = req.expression_attribute_names(*k, *v);
            }
            for (k, v) in &values {
                req = req.expression_attribute_values(*k, v.clone());
            }
            match req.send().await {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("{what} in {table}"), e)),
            }
        })
        .await
    }
}

#[async_trait::async_trait]
impl Holds for Aws {
    async fn take(&self, hold: &Hold) -> Result<HoldOutcome, StoreError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        let state = self.state_table();
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        for _ in 0..5 {
            let put = Put::builder()
                .table_name(&state)
                .set_item(Some(to_sdk(rec::hold_to_item(hold))))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(bad)?;
            let items = vec![
                TransactWriteItem::builder().put(put).build(),
                TransactWriteItem::builder()
                    .update(self.load_update(&hold.crew_id, hold.date.month(), 1)?)
                    .build(),
            ];
            let sent = retrying(|| async {
                match self
                    .ddb
                    .transact_write_items()
                    .set_transact_items(Some(items.clone()))
                    .send()
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(e) if is_cancelled(&e) => Ok(false),
                    Err(e) => Err(classify(&format!("taking hold in {state}"), e)),
                }
            })
            .await?;
            if sent {
                return Ok(HoldOutcome::Taken);
            }
            let (pk, sk) = rec::hold_key(&hold.crew_id, hold.date);
            if let Some(item) = self.get_state(pk, sk, "hold").await? {
                return Ok(HoldOutcome::AlreadyHeld(rec::hold_from_item(&item)?));
            }
            // Released between our write and our read: try again.
        }
        Err(StoreError::backend(
            format!("taking hold of {} on {}", hold.crew_id, hold.date),
            true,
            "kept conflicting with other writes",
        ))
    }

    async fn loads(
        &self,
        month: Month,
        crews: &[CrewId],
    ) -> Result<HashMap<CrewId, u32>, StoreError> {
        let keys: Vec<(String, String)> = crews.iter().map(|c| rec::load_key(c, month)).collect();
        let items = self.batch_get_state(keys, "assignment counts").await?;
        let mut out = HashMap::new();
        for item in items {
            let crew = item.get("crew_id").and_then(|v| match v {
                serde_dynamo::AttributeValue::S(s) => CrewId::parse(s).ok(),
                _ => None,
            });
            if let Some(crew) = crew {
                out.insert(crew, rec::load_count(&item));
            }
        }
        Ok(out)
    }

    async fn release(
        &self,
        crew: &CrewId,
        date: CharterDate,
        charter: &CharterId,
    ) -> Result<bool, StoreError> {
        use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
        let table = self.state_table();
        let (pk, sk) = rec::hold_key(crew, date);
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        let delete = Delete::builder()
            .table_name(&table)
            .set_key(Some(key(pk.clone(), sk.clone())))
            .condition_expression("charter_id = :c")
            .expression_attribute_values(":c", s(charter.as_str()))
            .build()
            .map_err(bad)?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder()
                .update(self.load_update(crew, date.month(), -1)?)
                .build(),
        ];
        retrying(|| async {
            match self
                .ddb
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if is_cancelled(&e) => Ok(false),
                Err(e) => Err(classify(&format!("releasing hold {pk}"), e)),
            }
        })
        .await
    }

    async fn get(&self, crew: &CrewId, date: CharterDate) -> Result<Option<Hold>, StoreError> {
        let (pk, sk) = rec::hold_key(crew, date);
        let item = self.get_state(pk, sk, "hold").await?;
        item.as_ref()
            .map(rec::hold_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn among(&self, date: CharterDate, crews: &[CrewId]) -> Result<Vec<Hold>, StoreError> {
        let keys = crews.iter().map(|c| rec::hold_key(c, date)).collect();
        self.batch_get_state(keys, "holds")
            .await?
            .iter()
            .map(|i| rec::hold_from_item(i).map_err(Into::into))
            .collect()
    }
}

#[async_trait::async_trait]
impl Offers for Aws {
    async fn put(&self, offer: &Offer) -> Result<bool, StoreError> {
        // The pointer first: a pointer to an offer that failed to store is skipped by `for_crew`.
        self.put_state_if(
            rec::crew_offer_pointer(offer),
            "attribute_not_exists(pk) OR attribute_exists(pk)",
            &[],
            vec![],
            "storing offer pointer",
        )
        .await?;
        self.put_state_if(
            rec::offer_to_item(offer),
            "attribute_not_exists(pk)",
            &[],
            vec![],
            "storing offer",
        )
        .await
    }

    async fn for_crew(&self, crew: &CrewId) -> Result<Vec<Offer>, StoreError> {
        let table = self.state_table();
        let mut pointers = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :offer)")
            .expression_attribute_values(":pk", s(rec::crew_offers_pk(crew)))
            .expression_attribute_values(":offer", s(rec::OFFER_SK_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| classify(&format!("reading offers of member {crew}"), e))?;
            pointers.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        let mut offers = Vec::new();
        for p in &pointers {
            let (c, o) = rec::pointer_target(p)?;
            let (pk, sk) = rec::offer_key(&c, &o);
            if let Some(item) = self.get_state(pk, sk, "offer").await? {
                offers.push(rec::offer_from_item(&item)?);
            }
        }
        offers.sort_by(|a, b| (a.created_at, &a.offer_id).cmp(&(b.created_at, &b.offer_id)));
        Ok(offers)
    }

    async fn get(&self, charter: &CharterId, offer: &OfferId) -> Result<Option<Offer>, StoreError> {
        let (pk, sk) = rec::offer_key(charter, offer);
        let item = self.get_state(pk, sk, "offer").await?;
        item.as_ref()
            .map(rec::offer_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn for_charter(&self, charter: &CharterId) -> Result<Vec<Offer>, StoreError> {
        let table = self.state_table();
        let mut items = Vec::new();
        let mut pages = self
            .ddb
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :offer)")
            .expression_attribute_values(":pk", s(rec::offers_pk(charter)))
            .expression_attribute_values(":offer", s(rec::OFFER_SK_PREFIX))
            .consistent_read(true)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&format!("reading offers of {charter}"), e))?;
            items.extend(page.items.unwrap_or_default().into_iter().map(from_sdk));
        }
        let mut offers = items
            .iter()
            .map(rec::offer_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        offers.sort_by(|a, b| (a.created_at, &a.offer_id).cmp(&(b.created_at, &b.offer_id)));
        Ok(offers)
    }

    async fn transition(
        &self,
        charter: &CharterId,
        offer: &OfferId,
        from: OfferStatus,
        to: OfferStatus,
        at: DateTime<Utc>,
    ) -> Result<OfferTransition, StoreError> {
        let table = self.state_table();
        let (pk, sk) = rec::offer_key(charter, offer);
        let res = retrying(|| async {
            match self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression("SET #st = :to, updated_at = :at")
                .condition_expression("#st = :from")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":to", s(to.as_str()))
                .expression_attribute_values(":from", s(from.as_str()))
                .expression_attribute_values(
                    ":at",
                    s(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                )
                .return_values(ReturnValue::AllNew)
                .send()
                .await
            {
                Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
                Err(e) if is_condition_failed(&e) => Ok(None),
                Err(e) => Err(classify(&format!("updating offer {offer}"), e)),
            }
        })
        .await?;
        match res {
            Some(item) => Ok(OfferTransition::Done(rec::offer_from_item(&from_sdk(
                item,
            ))?)),
            None => match self.get_state(pk, sk, "offer").await? {
                None => Ok(OfferTransition::NotFound),
                Some(item) => Ok(OfferTransition::Conflict(rec::offer_from_item(&item)?)),
            },
        }
    }
}

/// Claimable: absent, expired, or an in-progress claim whose owner's lease has lapsed.
const CLAIMABLE: &str = "attribute_not_exists(pk) OR expires_at_ms <= :now OR (#st = :inprog AND in_progress_until_ms <= :now)";

#[async_trait::async_trait]
impl Idempotency for Aws {
    async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, StoreError> {
        let record = IdempotencyRecord {
            key: claim.key.clone(),
            status: IdempotencyStatus::InProgress,
            payload_hash: claim.payload_hash.clone(),
            result: None,
            expires_at: claim.expires_at,
            in_progress_until: claim.in_progress_until,
            owner: Some(claim.owner.clone()),
        };
        let table = self.state_table();
        let item = to_sdk(rec::idem_to_item(&record));
        let now_ms = claim.now.timestamp_millis();
        for _ in 0..5 {
            let put = retrying(|| async {
                match self
                    .ddb
                    .put_item()
                    .table_name(&table)
                    .set_item(Some(item.clone()))
                    .condition_expression(CLAIMABLE)
                    .expression_attribute_names("#st", "status")
                    .expression_attribute_values(":now", n(now_ms))
                    .expression_attribute_values(
                        ":inprog",
                        s(rec::idem_status_str(IdempotencyStatus::InProgress)),
                    )
                    .return_values(ReturnValue::AllOld)
                    .send()
                    .await
                {
                    Ok(out) => Ok(Some(out.attributes.map(from_sdk))),
                    Err(e) if is_condition_failed(&e) => Ok(None),
                    Err(e) => Err(classify(&format!("claiming idempotency key in {table}"), e)),
                }
            })
            .await?;
            if let Some(old) = put {
                let old = old.as_ref().map(rec::idem_from_item).transpose()?;
                return Ok(ClaimOutcome::Claimed {
                    taken_over: takes_over(old.as_ref(), claim.now),
                });
            }
            let (pk, sk) = rec::idem_key(&claim.key);
            if let Some(item) = self.get_state(pk, sk, "idempotency record").await? {
                let existing = rec::idem_from_item(&item)?;
                if existing.status == IdempotencyStatus::InProgress
                    && existing.owner.as_deref() == Some(claim.owner.as_str())
                {
                    // Our own put, whose response was lost and retried. Whether it took
                    // over a dead owner's claim is unknown now: say it did, so work with an
                    // uncertain outcome (a mail) checks before redoing it.
                    return Ok(ClaimOutcome::Claimed { taken_over: true });
                }
                if blocks_claim(&existing, claim.now) {
                    return Ok(blocked_outcome(&existing, &claim.payload_hash));
                }
            }
            // The blocking record went away between our put and our read: claim again.
        }
        Err(StoreError::backend(
            format!("claiming idempotency key {}", claim.key),
            true,
            "the record kept changing",
        ))
    }

    async fn renew(
        &self,
        key_: &str,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let table = self.state_table();
        let (pk, sk) = rec::idem_key(key_);
        retrying(|| async {
            match self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression("SET in_progress_until_ms = :u")
                .condition_expression("#st = :inprog AND #ow = :me")
                .expression_attribute_names("#st", "status")
                .expression_attribute_names("#ow", "owner")
                .expression_attribute_values(":u", n(until.timestamp_millis()))
                .expression_attribute_values(":me", s(owner))
                .expression_attribute_values(
                    ":inprog",
                    s(rec::idem_status_str(IdempotencyStatus::InProgress)),
                )
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("renewing idempotency claim {key_}"), e)),
            }
        })
        .await
    }

    async fn complete(
        &self,
        key_: &str,
        owner: &str,
        payload_hash: &str,
        result: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // One conditional update on the way every job takes; the record is read only when the
        // condition fails, to tell another payload (an error) from another owner (false).
        let table = self.state_table();
        let (pk, sk) = rec::idem_key(key_);
        let now = Utc::now();
        let mut update = String::from(
            "SET #k = :key, #st = :done, payload_hash = :h, expires_at_ms = :e, #ttl = :t, #ow = :me, \
             in_progress_until_ms = if_not_exists(in_progress_until_ms, :now)",
        );
        update.push_str(if result.is_some() {
            ", #res = :r"
        } else {
            " REMOVE #res"
        });
        let written = retrying(|| async {
            let mut req = self
                .ddb
                .update_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .update_expression(&update)
                .condition_expression(
                    "attribute_not_exists(pk) OR (payload_hash = :h AND (#ow = :me OR (#st = :inprog AND in_progress_until_ms <= :now)))",
                )
                .expression_attribute_names("#k", "key")
                .expression_attribute_names("#st", "status")
                .expression_attribute_names("#ttl", rec::TTL_ATTR)
                .expression_attribute_names("#ow", "owner")
                .expression_attribute_names("#res", "result")
                .expression_attribute_values(":key", s(key_))
                .expression_attribute_values(":done", s(rec::idem_status_str(IdempotencyStatus::Completed)))
                .expression_attribute_values(":h", s(payload_hash))
                .expression_attribute_values(":e", n(expires_at.timestamp_millis()))
                .expression_attribute_values(":t", n(expires_at.timestamp()))
                .expression_attribute_values(":me", s(owner))
                .expression_attribute_values(":now", n(now.timestamp_millis()))
                .expression_attribute_values(
                    ":inprog",
                    s(rec::idem_status_str(IdempotencyStatus::InProgress)),
                );
            if let Some(r) = result {
                req = req.expression_attribute_values(":r", s(r));
            }
            match req.send().await {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(classify(&format!("completing idempotency key in {table}"), e)),
            }
        })
        .await?;
        if written {
            return Ok(true);
        }
        match self.get_state(pk, sk, "idempotency record").await? {
            Some(item) if rec::idem_from_item(&item)?.payload_hash != payload_hash => {
                Err(StoreError::Invalid(format!(
                    "idempotency key {key_} is held for another payload"
                )))
            }
            _ => Ok(false),
        }
    }

    async fn release(&self, key_: &str, owner: &str) -> Result<(), StoreError> {
        let table = self.state_table();
        let (pk, sk) = rec::idem_key(key_);
        retrying(|| async {
            match self
                .ddb
                .delete_item()
                .table_name(&table)
                .set_key(Some(key(pk.clone(), sk.clone())))
                .condition_expression("#st = :inprog AND #ow = :me")
                .expression_attribute_names("#st", "status")
                .expression_attribute_names("#ow", "owner")
                .expression_attribute_values(":me", s(owner))
                .expression_attribute_values(
                    ":inprog",
                    s(rec::idem_status_str(IdempotencyStatus::InProgress)),
                )
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) if is_condition_failed(&e) => Ok(()),
                Err(e) => Err(classify(&format!("releasing idempotency key {key_}"), e)),
            }
        })
        .await
    }

    async fn get(&self, key_: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let (pk, sk) = rec::idem_key(key_);
        let item = self.get_state(pk, sk, "idempotency record").await?;
        item.as_ref()
            .map(rec::idem_from_item)
            .transpose()
            .map_err(Into::into)
    }
}

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

#[async_trait::async_trait]
impl crate::ports::Staffing for Aws {
    async fn accept(
        &self,
        req: &crate::ports::AcceptRequest,
    ) -> Result<crate::ports::AcceptOutcome, StoreError> {
        use super::tables::{CAPTAIN_CONDITION, CAPTAIN_UPDATE, CREW_CONDITION, CREW_UPDATE};
        use crate::domain::{CharterStatus, Role};
        use crate::ports::{accept_rejection, AcceptOutcome};
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

        let o = &req.offer;
        let state = self.state_table();
        let charters = self.charters_table();
        let hold = Hold {
            crew_id: o.crew_id.clone(),
            date: o.charter_date,
            charter_id: o.charter_id.clone(),
            taken_at: req.at,
        };
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        for _ in 0..5 {
            let put_hold = Put::builder()
                .table_name(&state)
                .set_item(Some(to_sdk(rec::hold_to_item(&hold))))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(bad)?;
            let mut charter = Update::builder()
                .table_name(&charters)
                .set_key(Some(Self::charter_key(&req.charter_key)))
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":c", s(o.crew_id.as_str()))
                .expression_attribute_values(":cancelled", s(CharterStatus::Cancelled.as_str()))
                .expression_attribute_values(":completed", s(CharterStatus::Completed.as_str()));
            charter = match o.role {
                Role::Captain => charter
                    .update_expression(CAPTAIN_UPDATE)
                    .condition_expression(CAPTAIN_CONDITION)
                    .expression_attribute_values(":empty", s("")),
                Role::Crew { .. } => charter
                    .update_expression(CREW_UPDATE)
                    .condition_expression(CREW_CONDITION)
                    .expression_attribute_values(":none", Av::L(vec![]))
                    .expression_attribute_values(":one", Av::L(vec![s(o.crew_id.as_str())]))
                    .expression_attribute_values(":needed", n(req.crew_needed)),
            };
            let (opk, osk) = rec::offer_key(&o.charter_id, &o.offer_id);
            let offer = Update::builder()
                .table_name(&state)
                .set_key(Some(key(opk, osk)))
                .update_expression("SET #st = :accepted, updated_at = :at")
                .condition_expression("#st = :open")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":accepted", s(OfferStatus::Accepted.as_str()))
                .expression_attribute_values(":open", s(OfferStatus::Open.as_str()))
                .expression_attribute_values(
                    ":at",
                    s(req.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                )
                .build()
                .map_err(bad)?;
            let items = vec![
                TransactWriteItem::builder().put(put_hold).build(),
                TransactWriteItem::builder()
                    .update(charter.build().map_err(bad)?)
                    .build(),
                TransactWriteItem::builder().update(offer).build(),
                TransactWriteItem::builder()
                    .update(self.load_update(&o.crew_id, o.charter_date.month(), 1)?)
                    .build(),
            ];
            // The offer id as the client request token: an SDK retry after a lost response is
            // recognised by DynamoDB as the same transaction, not reported as a conflict.
            match self
                .ddb
                .transact_write_items()
                .set_transact_items(Some(items))
                .client_request_token(o.offer_id.as_str())
                .send()
                .await
            {
                Ok(_) => {
                    let now = self
                        .get_charter_by_key(&req.charter_key)
                        .await?
                        .ok_or(StoreError::Invalid("charter vanished after accept".into()))?;
                    return Ok(AcceptOutcome::Accepted(now));
                }
                Err(e)
                    if super::errors::code_of(&e).as_deref()
                        == Some("TransactionCanceledException") =>
                {
                    // Find which condition failed by reading the three items.
                    let current = Offers::get(self, &o.charter_id, &o.offer_id).await?;
                    match current {
                        None => return Ok(AcceptOutcome::CharterClosed),
                        Some(c) if c.status != OfferStatus::Open => {
                            return Ok(AcceptOutcome::OfferNotOpen(c.status))
                        }
                        Some(_) => {}
                    }
                    match self.get_charter_by_key(&req.charter_key).await? {
                        None => return Ok(AcceptOutcome::CharterClosed),
                        Some(c) => {
                            if let Some(why) = accept_rejection(&c, o, req.crew_needed) {
                                return Ok(why);
                            }
                        }
                    }
                    if let Some(h) = Holds::get(self, &o.crew_id, o.charter_date).await? {
                        return Ok(AcceptOutcome::AlreadyBooked(h));
                    }
                    // A conflicting transaction that has since gone: try again.
                }
                Err(e) => return Err(classify(&format!("accepting offer {}", o.offer_id), e)),
            }
        }
        Err(StoreError::backend(
            format!("accepting offer {}", o.offer_id),
            true,
            "kept conflicting with other writes",
        ))
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
