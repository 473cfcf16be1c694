//! Holds, offers, idempotency records and leases on the embedded store, with DynamoDB's conditions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::db::TxExt;
use super::Local;
use crate::domain::{CharterDate, CharterId, CrewId, Month, Offer, OfferId, OfferStatus};
use crate::ports::{blocked_outcome, blocks_claim, completable_by, takes_over};
use crate::ports::{
    ClaimOutcome, Hold, HoldOutcome, Holds, Idempotency, IdempotencyClaim, IdempotencyRecord,
    IdempotencyStatus, Lease, Leases, OfferTransition, Offers,
};
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

#[async_trait::async_trait]
impl Offers for Local {
    async fn put(&self, offer: &Offer) -> Result<bool, StoreError> {
        let tbl = self.names.state.clone();
        let item = rec::offer_to_item(offer);
        let pointer = rec::crew_offer_pointer(offer);
        let (pk, sk) = rec::offer_key(&offer.charter_id, &offer.offer_id);
        let (ppk, psk) = rec::crew_offer_key(&offer.crew_id, &offer.charter_id, &offer.offer_id);
        self.db
            .tx("storing offer", move |tx| {
                if tx.get_item(&tbl, &pk, &sk)?.is_some() {
                    return Ok(false);
                }
                tx.put_item(&tbl, &pk, &sk, None, &item, None, false)?;
                tx.put_item(&tbl, &ppk, &psk, None, &pointer, None, false)?;
                Ok(true)
            })
            .await
    }

    async fn for_crew(&self, crew: &CrewId) -> Result<Vec<Offer>, StoreError> {
        let tbl = self.names.state.clone();
        let pk = rec::crew_offers_pk(crew);
        let offers = self
            .db
            .tx("reading a member's offers", move |tx| {
                let mut out = Vec::new();
                for p in tx.query_items(&tbl, &pk, Some(rec::OFFER_SK_PREFIX))? {
                    let (c, o) = rec::pointer_target(&p)?;
                    let (opk, osk) = rec::offer_key(&c, &o);
                    if let Some(item) = tx.get_item(&tbl, &opk, &osk)? {
                        out.push(rec::offer_from_item(&item)?);
                    }
                }
                Ok(out)
            })
            .await?;
        let mut offers = offers;
        offers.sort_by(|a, b| (a.created_at, &a.offer_id).cmp(&(b.created_at, &b.offer_id)));
        Ok(offers)
    }

    async fn get(&self, charter: &CharterId, offer: &OfferId) -> Result<Option<Offer>, StoreError> {
        let tbl = self.names.state.clone();
        let (pk, sk) = rec::offer_key(charter, offer);
        let item = self
            .db
            .tx("reading offer", move |tx| tx.get_item(&tbl, &pk, &sk))
            .await?;
        item.as_ref()
            .map(rec::offer_from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn for_charter(&self, charter: &CharterId) -> Result<Vec<Offer>, StoreError> {
        let tbl = self.names.state.clone();
        let pk = rec::offers_pk(charter);
        let items = self
            .db
            .tx("reading offers", move |tx| {
                tx.query_items(&tbl, &pk, Some(rec::OFFER_SK_PREFIX))
            })
            .await?;
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
        let tbl = self.names.state.clone();
        let (pk, sk) = rec::offer_key(charter, offer);
        self.db
            .tx("updating offer", move |tx| {
                let Some(item) = tx.get_item(&tbl, &pk, &sk)? else {
                    return Ok(OfferTransition::NotFound);
                };
                let mut offer = rec::offer_from_item(&item)?;
                if offer.status != from {
                    return Ok(OfferTransition::Conflict(offer));
                }
                offer.status = to;
                offer.updated_at = at;
                tx.put_item(
                    &tbl,
                    &pk,
                    &sk,
                    None,
                    &rec::offer_to_item(&offer),
                    Some(&item),
                    false,
                )?;
                Ok(OfferTransition::Done(offer))
            })
            .await
    }
}

#[async_trait::async_trait]
impl Idempotency for Local {
    async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, StoreError> {
        let tbl = self.names.state.clone();
        let claim = claim.clone();
        self.db
            .tx("claiming idempotency key", move |tx| {
                let (pk, sk) = rec::idem_key(&claim.key);
                let old = tx.get_item(&tbl, &pk, &sk)?;
                let existing = old.as_ref().map(rec::idem_from_item).transpose()?;
                if let Some(existing) = &existing {
                    if existing.status == IdempotencyStatus::InProgress
                        && existing.owner.as_deref() == Some(claim.owner.as_str())
                    {
                        // This very claim, made again after its answer was lost. Whether
                        // that first put took over a dead owner's claim is unknown now: say it
                        // did, so work with an uncertain outcome (a mail) checks before redoing.
                        return Ok(ClaimOutcome::Claimed { taken_over: true });
                    }
                    if blocks_claim(existing, claim.now) {
                        return Ok(blocked_outcome(existing, &claim.payload_hash));
                    }
                }
                let record = IdempotencyRecord {
                    key: claim.key.clone(),
                    status: IdempotencyStatus::InProgress,
                    payload_hash: claim.payload_hash.clone(),
                    result: None,
                    expires_at: claim.expires_at,
                    in_progress_until: claim.in_progress_until,
                    owner: Some(claim.owner.clone()),
                };
                tx.put_item(
                    &tbl,
                    &pk,
                    &sk,
                    None,
                    &rec::idem_to_item(&record),
                    old.as_ref(),
                    false,
                )?;
                Ok(ClaimOutcome::Claimed {
                    taken_over: takes_over(existing.as_ref(), claim.now),
                })
            })
            .await
    }

    async fn renew(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tbl = self.names.state.clone();
        let (key, owner) = (key.to_string(), owner.to_string());
        self.db
            .tx("renewing idempotency claim", move |tx| {
                let (pk, sk) = rec::idem_key(&key);
                let Some(item) = tx.get_item(&tbl, &pk, &sk)? else {
                    return Ok(false);
                };
                let mut r = rec::idem_from_item(&item)?;
                if r.status != IdempotencyStatus::InProgress || r.owner.as_deref() != Some(&owner) {
                    return Ok(false);
                }
                r.in_progress_until = until;
                tx.put_item(
                    &tbl,
                    &pk,
                    &sk,
                    None,
                    &rec::idem_to_item(&r),
                    Some(&item),
                    false,
                )?;
                Ok(true)
            })
            .await
    }

    async fn complete(
        &self,
        key: &str,
        owner: &str,
        payload_hash: &str,
        result: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tbl = self.names.state.clone();
        let (key, owner, hash, result) = (
            key.to_string(),
            owner.to_string(),
            payload_hash.to_string(),
            result.map(str::to_string),
        );
        self.db
            .tx("completing idempotency key", move |tx| {
                let (pk, sk) = rec::idem_key(&key);
                let old = tx.get_item(&tbl, &pk, &sk)?;
                let now = Utc::now();
                let in_progress_until = match &old {
                    Some(item) => {
                        let r = rec::idem_from_item(item)?;
                        if r.payload_hash != hash {
                            return Err(StoreError::Invalid(format!(
                                "idempotency key {key} is held for another payload"
                            )));
                        }
                        if !completable_by(&r, &owner, now) {
                            return Ok(false);
                        }
                        r.in_progress_until
                    }
                    None => now,
                };
                let record = IdempotencyRecord {
                    key: key.clone(),
                    status: IdempotencyStatus::Completed,
                    payload_hash: hash,
                    result,
                    expires_at,
                    in_progress_until,
                    owner: Some(owner),
                };
                tx.put_item(
                    &tbl,
                    &pk,
                    &sk,
                    None,
                    &rec::idem_to_item(&record),
                    old.as_ref(),
                    false,
                )?;
                Ok(true)
            })
            .await
    }

    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        let tbl = self.names.state.clone();
        let (key, owner) = (key.to_string(), owner.to_string());
        self.db
            .tx("releasing idempotency key", move |tx| {
                let (pk, sk) = rec::idem_key(&key);
                if let Some(item) = tx.get_item(&tbl, &pk, &sk)? {
                    let r = rec::idem_from_item(&item)?;
                    if r.status == IdempotencyStatus::InProgress
                        && r.owner.as_deref() == Some(&owner)
                    {
                        tx.delete_item(&tbl, &pk, &sk, &item, false)?;
                    }
                }
                Ok(())
            })
            .await
    }

    async fn get(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
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
}

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

#[async_trait::async_trait]
impl crate::ports::Staffing for Local {
    async fn accept(
        &self,
        req: &crate::ports::AcceptRequest,
    ) -> Result<crate::ports::AcceptOutcome, StoreError> {
        use crate::domain::{Charter, Role};
        use crate::ports::{accept_rejection, AcceptOutcome};
        let state = self.names.state.clone();
        let charters = self.names.charters.clone();
        let req = req.clone();
        self.db
            .tx("accepting offer", move |tx| {
                let o = &req.offer;
                let (opk, osk) = rec::offer_key(&o.charter_id, &o.offer_id);
                let Some(offer_item) = tx.get_item(&state, &opk, &osk)? else {
                    return Ok(AcceptOutcome::CharterClosed);
                };
                let mut offer = rec::offer_from_item(&offer_item)?;
                if offer.status != OfferStatus::Open {
                    return Ok(AcceptOutcome::OfferNotOpen(offer.status));
                }
                let key = &req.charter_key;
                let Some(old) = tx.get_item(&charters, key.charter_id.as_str(), &key.created_at)?
                else {
                    return Ok(AcceptOutcome::CharterClosed);
                };
                let charter = Charter::from_item(&old)?;
                if let Some(why) = accept_rejection(&charter, o, req.crew_needed) {
                    return Ok(why);
                }
                let (hpk, hsk) = rec::hold_key(&o.crew_id, charter.charter_date);
                if let Some(h) = tx.get_item(&state, &hpk, &hsk)? {
                    return Ok(AcceptOutcome::AlreadyBooked(rec::hold_from_item(&h)?));
                }
                let hold = Hold {
                    crew_id: o.crew_id.clone(),
                    date: charter.charter_date,
                    charter_id: charter.charter_id.clone(),
                    taken_at: req.at,
                };
                tx.put_item(
                    &state,
                    &hpk,
                    &hsk,
                    None,
                    &rec::hold_to_item(&hold),
                    None,
                    false,
                )?;
                tx.add_load(&state, &o.crew_id, charter.charter_date.month(), 1)?;
                let new =
                    super::tables::assigned(&old, &o.crew_id, matches!(o.role, Role::Captain));
                tx.put_item(
                    &charters,
                    key.charter_id.as_str(),
                    &key.created_at,
                    Some(&charter.charter_date.to_string()),
                    &new,
                    Some(&old),
                    true,
                )?;
                offer.status = OfferStatus::Accepted;
                offer.updated_at = req.at;
                tx.put_item(
                    &state,
                    &opk,
                    &osk,
                    None,
                    &rec::offer_to_item(&offer),
                    Some(&offer_item),
                    false,
                )?;
                Ok(AcceptOutcome::Accepted(Charter::from_item(&new)?))
            })
            .await
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
