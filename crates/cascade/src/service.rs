//! The cascade's effects. Every step is idempotent, so a replayed stream record or queue message
//! sends nothing twice: offer ids are derived from (charter, slot, attempt), mails and timers run
//! under `run_once` keys, thread entries have fixed ids.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use dispatch_core::domain::{
    Charter, CharterId, CharterStatus, CrewId, CrewMember, EmailAddress, JobEnvelope, JobKind,
    Offer, OfferId, OfferStatus, Role, ThreadEntry, ThreadKind,
};
use dispatch_core::idempotency::{run_once, IdempotencyConfig, Once, OnceError};
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{
    AcceptOutcome, AcceptRequest, OfferTransition, OutMessage, QueueId, MAX_DELAY,
};
use dispatch_core::{Backend, StoreError};
use dispatch_mailer::{Mail, MailError, MailSender};
use sha2::{Digest, Sha256};

use crate::engine::{self, Situation, VesselConfig};
use crate::tokens::{MagicLinks, Scope, TokenError};

/// Settings of the cascade.
#[derive(Debug, Clone)]
pub struct CascadeSettings {
    /// Base URL of the crew page, e.g. `https://crew.example.com`.
    pub public_url: String,
    /// How long an offer stays open.
    pub offer_timeout: Duration,
    /// How long a page link in a mail works.
    pub link_ttl: chrono::Duration,
    pub from: EmailAddress,
    pub from_name: String,
    /// Escalations go here.
    pub ops: Vec<EmailAddress>,
    /// Per-vessel config by vessel name.
    pub vessels: HashMap<String, VesselConfig>,
}

/// A cascade step failed.
#[derive(Debug, thiserror::Error)]
pub enum CascadeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("{0}")]
    Other(String),
}

impl CascadeError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Mail(e) => e.is_retryable(),
            Self::Other(_) => false,
        }
    }
}

impl<E: Into<CascadeError>> From<OnceError<E>> for CascadeError {
    fn from(e: OnceError<E>) -> Self {
        match e {
            OnceError::Work(w) => w.into(),
            OnceError::Store(s) => CascadeError::Store(s),
            OnceError::PayloadMismatch(k) => {
                CascadeError::Other(format!("idempotency key {k} reused with another payload"))
            }
            OnceError::BadStoredResult { key, message } => {
                CascadeError::Other(format!("stored result of {key}: {message}"))
            }
        }
    }
}

/// Which cascade to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Captain,
    Crew,
}

/// What a member's answer did, as the page tells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accepted {
        staffed: bool,
    },
    Declined,
    /// Someone else took the slot first.
    SpotFilled,
    /// They are already booked on that date.
    AlreadyBooked,
    /// The offer had been answered, lapsed or was withdrawn.
    AlreadyAnswered(OfferStatus),
    CharterClosed,
}

/// Fixed ids so a replayed step rewrites the same thread entry.
fn entry(
    charter: &CharterId,
    id: String,
    ts: DateTime<Utc>,
    kind: ThreadKind,
    crew: Option<&CrewId>,
    text: String,
) -> ThreadEntry {
    ThreadEntry {
        charter_id: charter.clone(),
        ts,
        id,
        kind,
        crew_id: crew.cloned(),
        text,
    }
}

fn role_key(role: Role) -> String {
    match role {
        Role::Captain => "captain".into(),
        Role::Crew { slot } => format!("crew-{slot}"),
    }
}

/// The id of the `n`th offer for a slot: the same inputs give the same id, so a retried step
/// finds the offer it already made instead of making another.
pub fn offer_id_for(charter: &CharterId, role: Role, n: usize) -> OfferId {
    let d = Sha256::new()
        .chain_update(format!("offer|{charter}|{}|{n}", role_key(role)))
        .finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    OfferId::parse(&uuid::Uuid::from_bytes(b).to_string()).expect("a UUID")
}

/// The cascade service.
pub struct Cascade {
    pub backend: Backend,
    pub mailer: Arc<dyn MailSender>,
    pub links: MagicLinks,
    pub cfg: CascadeSettings,
    pub idem: IdempotencyConfig,
}

impl Cascade {
    /// Writes a thread entry once per entry id, whatever retries happen (its time is the first try's).
    async fn note(&self, e: ThreadEntry) -> Result<(), StoreError> {
        let key = format!("thread#{}#{}", e.charter_id, e.id);
        let counter = match e.kind {
            ThreadKind::OfferSent => Some(Counter::OffersSent),
            ThreadKind::Accepted => Some(Counter::OffersAccepted),
            ThreadKind::Lapsed => Some(Counter::OffersLapsed),
            ThreadKind::Escalated => Some(Counter::Escalations),
            _ => None,
        };
        match run_once(
            self.backend.idempotency.as_ref(),
            &key,
            &serde_json::json!({}),
            self.idem,
            || async { self.backend.thread.append(&e).await },
        )
        .await
        {
            Ok(once) => {
                // Counted once per thread entry: a replayed step finds the entry already written.
                if let (Once::Ran(_), Some(c)) = (once, counter) {
                    metrics::incr(c);
                }
                Ok(())
            }
            Err(OnceError::Work(e)) | Err(OnceError::Store(e)) => Err(e),
            Err(other) => Err(StoreError::Invalid(format!("{other:?}"))),
        }
    }

    /// Sends a mail once per mail key, whatever retries happen.
    async fn send_once(&self, mail: Mail) -> Result<(), CascadeError> {
        let payload = serde_json::json!({ "key": mail.key });
        run_once(
            self.backend.idempotency.as_ref(),
            &mail.key.clone(),
            &payload,
            self.idem,
            || async { self.mailer.send(&mail).await },
        )
        .await?;
        Ok(())
    }

    /// Moves an open offer to `to` and notes it in the thread (`<kind>-<offer id>`); `None` if the
    /// offer was no longer open (someone else settled it).
    async fn close_offer(
        &self,
        charter: &CharterId,
        offer: &OfferId,
        to: OfferStatus,
        text: String,
    ) -> Result<Option<Offer>, CascadeError> {
        let now = Utc::now();
        let OfferTransition::Done(o) = self
            .backend
            .offers
            .transition(charter, offer, OfferStatus::Open, to, now)
            .await?
        else {
            return Ok(None);
        };
        let kind = match to {
            OfferStatus::Declined => ThreadKind::Declined,
            OfferStatus::Lapsed => ThreadKind::Lapsed,
            _ => ThreadKind::Revoked,
        };
        self.note(entry(
            charter,
            format!("{kind}-{offer}"),
            now,
            kind,
            Some(&o.crew_id),
            text,
        ))
        .await?;
        Ok(Some(o))
    }

    fn vessel(&self, c: &Charter) -> Option<&VesselConfig> {
        self.cfg.vessels.get(&c.vessel_name)
    }

    pub fn crew_needed(&self, c: &Charter) -> u32 {
        engine::crew_needed(c, self.vessel(c))
    }

    fn is_staffed(&self, c: &Charter) -> bool {
        c.captain_assigned.is_some() && c.crew_assigned.len() as u32 >= self.crew_needed(c)
    }

    /// Starts (or resumes) the captain or crew cascade of a charter.
    pub async fn start(&self, charter: &CharterId, which: Start) -> Result<(), CascadeError> {
        let Some(c) = self.backend.charters.get(charter).await? else {
            tracing::info!(charter_id = %charter, "charter gone; nothing to staff");
            return Ok(());
        };
        if matches!(
            c.status,
            CharterStatus::Cancelled | CharterStatus::Completed
        ) {
            return Ok(());
        }
        match which {
            Start::Captain if c.captain_assigned.is_none() => {
                self.fill_slot(&c, Role::Captain).await
            }
            Start::Captain => Ok(()),
            Start::Crew => {
                if c.captain_assigned.is_none() {
                    return Ok(());
                }
                if self.is_staffed(&c) {
                    return self.mark_staffed(&c).await;
                }
                let filled: HashSet<u32> = self
                    .backend
                    .offers
                    .for_charter(&c.charter_id)
                    .await?
                    .into_iter()
                    .filter(|o| o.status == OfferStatus::Accepted)
                    .filter_map(|o| match o.role {
                        Role::Crew { slot } => Some(slot),
                        Role::Captain => None,
                    })
                    .collect();
                for slot in 0..self.crew_needed(&c) {
                    if !filled.contains(&slot) {
                        self.fill_slot(&c, Role::Crew { slot }).await?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Makes sure a slot has an open offer out, or escalates when nobody is left.
    pub async fn fill_slot(&self, c: &Charter, role: Role) -> Result<(), CascadeError> {
        let offers = self.backend.offers.for_charter(&c.charter_id).await?;
        let mine: Vec<&Offer> = offers.iter().filter(|o| o.role == role).collect();
        if let Some(open) = mine.iter().find(|o| o.status == OfferStatus::Open) {
            return self.ensure_sent(c, open).await;
        }
        if mine.iter().any(|o| o.status == OfferStatus::Accepted) {
            return Ok(());
        }
        let roster = self.backend.roster.list().await?.items;
        let available: Vec<CrewId> = roster
            .iter()
            .filter(|m| m.is_available(c.charter_date))
            .map(|m| m.crew_id.clone())
            .collect();
        let held: engine::CrewSet = self
            .backend
            .holds
            .among(c.charter_date, &available)
            .await?
            .into_iter()
            .map(|h| h.crew_id)
            .collect();
        let month = self
            .backend
            .charters
            .in_month(c.charter_date.month())
            .await?
            .items;
        let load = engine::load_of(&month);
        let slate = engine::slate(
            &Situation {
                charter: c,
                roster: &roster,
                held: &held,
                offers: &offers,
                load: &load,
                vessel: self.vessel(c),
            },
            role,
        );
        let Some(next) = slate.candidates.first() else {
            return self.escalate(c, role, &slate).await;
        };
        let now = Utc::now();
        let offer = Offer {
            offer_id: offer_id_for(&c.charter_id, role, mine.len()),
            charter_id: c.charter_id.clone(),
            charter_date: c.charter_date,
            crew_id: (*next).clone(),
            role,
            status: OfferStatus::Open,
            created_at: now,
            expires_at: now
                + chrono::Duration::from_std(self.cfg.offer_timeout)
                    .unwrap_or(chrono::Duration::hours(2)),
            updated_at: now,
        };
        let offer = if self.backend.offers.put(&offer).await? {
            tracing::info!(charter_id = %c.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id, role = %role, "offer made");
            offer
        } else {
            // Made by an earlier try of this same step.
            self.backend
                .offers
                .get(&c.charter_id, &offer.offer_id)
                .await?
                .ok_or_else(|| CascadeError::Other("offer vanished".into()))?
        };
        if offer.status == OfferStatus::Open {
            self.ensure_sent(c, &offer).await?;
        }
        Ok(())
    }

    /// The link in an offer mail.
    pub fn offer_link(&self, offer: &Offer, now: DateTime<Utc>) -> String {
        let ttl = (offer.expires_at - now) + self.cfg.link_ttl;
        let token = self.links.issue(
            &offer.crew_id,
            &Scope::Offer {
                charter: offer.charter_id.clone(),
                offer: offer.offer_id.clone(),
            },
            now,
            ttl,
        );
        format!("{}/o/{token}", self.cfg.public_url.trim_end_matches('/'))
    }

    /// Sends the offer mail, writes the thread entry, and starts the lapse timer — each once.
    async fn ensure_sent(&self, c: &Charter, offer: &Offer) -> Result<(), CascadeError> {
        let member = self.backend.roster.get(&offer.crew_id).await?;
        let name = member
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| offer.crew_id.to_string());
        if let Some(m) = &member {
            let mail = self.offer_mail(c, offer, m);
            self.send_once(mail).await?;
        } else {
            tracing::error!(crew_id = %offer.crew_id, "offered member is not in the roster; no mail sent");
        }
        let lapses = offer.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        self.note(entry(
            &c.charter_id,
            format!("offer_sent-{}", offer.offer_id),
            offer.created_at,
            ThreadKind::OfferSent,
            Some(&offer.crew_id),
            format!("{} offered to {name}; lapses {lapses}", offer.role),
        ))
        .await?;
        self.schedule_timeout(offer, 0).await
    }

    fn offer_mail(&self, c: &Charter, offer: &Offer, m: &CrewMember) -> Mail {
        let link = self.offer_link(offer, Utc::now());
        let text = format!(
            "Hi {},\n\nYou are offered the {} slot on {} aboard {} ({} guests).\n\nAccept or decline here (the offer lapses {}):\n{link}\n\nThis link is personal: please do not forward it.\n",
            m.name,
            offer.role,
            c.charter_date,
            c.vessel_name,
            c.guest_count,
            offer.expires_at.format("%Y-%m-%d %H:%M UTC")
        );
        Mail {
            key: format!("mail#offer#{}", offer.offer_id),
            from_name: self.cfg.from_name.clone(),
            from: self.cfg.from.clone(),
            to: vec![m.email.clone()],
            cc: vec![],
            subject: format!("Charter offer: {} on {}", c.vessel_name, c.charter_date),
            text,
            attachments: vec![],
        }
    }

    /// Enqueues link `chain` of an offer's lapse timer (SQS delays stop at 15 minutes).
    async fn schedule_timeout(&self, offer: &Offer, chain: u32) -> Result<(), CascadeError> {
        let remaining = (offer.expires_at - Utc::now()).to_std().unwrap_or_default();
        let delay = remaining.min(MAX_DELAY);
        let key = format!("offer_timeout#{}#{chain}", offer.offer_id);
        let job = JobEnvelope::new(
            JobKind::OfferTimeout,
            key.clone(),
            serde_json::json!({"charter_id": offer.charter_id, "offer_id": offer.offer_id, "chain": chain}),
        );
        run_once(
            self.backend.idempotency.as_ref(),
            &format!("enqueue#{key}"),
            &serde_json::json!({"chain": chain}),
            self.idem,
            || async {
                self.backend
                    .queues
                    .send(
                        QueueId::Cascade,
                        &[OutMessage::new(job.to_body()).delayed(delay)],
                    )
                    .await
                    .map(|_| ())
            },
        )
        .await?;
        Ok(())
    }

    /// A lapse timer fired: chain on if the offer is not due yet; else lapse it and ask the next.
    pub async fn on_timeout(
        &self,
        charter: &CharterId,
        offer: &OfferId,
        chain: u32,
    ) -> Result<(), CascadeError> {
        let Some(o) = self.backend.offers.get(charter, offer).await? else {
            return Ok(());
        };
        if o.status != OfferStatus::Open {
            return Ok(());
        }
        let now = Utc::now();
        if now < o.expires_at {
            return self.schedule_timeout(&o, chain + 1).await;
        }
        match self
            .close_offer(
                charter,
                offer,
                OfferStatus::Lapsed,
                format!("{} offer lapsed unanswered", o.role),
            )
            .await?
        {
            Some(o) => {
                tracing::info!(charter_id = %charter, offer_id = %offer, crew_id = %o.crew_id, "offer lapsed");
                self.next_after(&o).await
            }
            None => Ok(()),
        }
    }

    /// Asks the next candidate for the slot of an offer that ended without filling it.
    async fn next_after(&self, o: &Offer) -> Result<(), CascadeError> {
        match self.backend.charters.get(&o.charter_id).await? {
            Some(c)
                if !matches!(
                    c.status,
                    CharterStatus::Cancelled | CharterStatus::Completed
                ) =>
            {
                self.fill_slot(&c, o.role).await
            }
            _ => Ok(()),
        }
    }

    /// Resolves an offer token to its offer, checking it belongs to the token's member.
    pub async fn offer_of_token(
        &self,
        token: &str,
    ) -> Result<Result<Offer, TokenError>, CascadeError> {
        let (claims, charter, offer) = match self.links.verify_offer(token, Utc::now()) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        match self.backend.offers.get(&charter, &offer).await? {
            Some(o) if o.crew_id == claims.crew => Ok(Ok(o)),
            _ => Ok(Err(TokenError::WrongScope)),
        }
    }

    /// The member accepts an offer.
    pub async fn accept(&self, offer: &Offer) -> Result<Answer, CascadeError> {
        let Some(c) = self.backend.charters.get(&offer.charter_id).await? else {
            return Ok(Answer::CharterClosed);
        };
        let now = Utc::now();
        let req = AcceptRequest {
            offer: offer.clone(),
            charter_key: c.key(),
            crew_needed: self.crew_needed(&c),
            at: now,
        };
        let who = Some(&offer.crew_id);
        Ok(match self.backend.staffing.accept(&req).await? {
            AcceptOutcome::Accepted(after) => {
                tracing::info!(charter_id = %c.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id, "offer accepted");
                self.note(entry(
                    &c.charter_id,
                    format!("accepted-{}", offer.offer_id),
                    now,
                    ThreadKind::Accepted,
                    who,
                    format!("{} accepted", offer.role),
                ))
                .await?;
                let staffed = self.is_staffed(&after);
                if staffed {
                    self.mark_staffed(&after).await?;
                }
                Answer::Accepted { staffed }
            }
            AcceptOutcome::SpotFilled => {
                self.close_offer(
                    &offer.charter_id,
                    &offer.offer_id,
                    OfferStatus::Revoked,
                    format!("{} slot was filled before this answer", offer.role),
                )
                .await?;
                Answer::SpotFilled
            }
            AcceptOutcome::AlreadyBooked(_) => {
                if let Some(o) = self
                    .close_offer(
                        &offer.charter_id,
                        &offer.offer_id,
                        OfferStatus::Declined,
                        "booked elsewhere that day".into(),
                    )
                    .await?
                {
                    self.next_after(&o).await?;
                }
                Answer::AlreadyBooked
            }
            AcceptOutcome::OfferNotOpen(s) => Answer::AlreadyAnswered(s),
            AcceptOutcome::CharterClosed => Answer::CharterClosed,
        })
    }

    /// The member declines an offer; the next candidate is asked.
    pub async fn decline(&self, offer: &Offer) -> Result<Answer, CascadeError> {
        match self
            .close_offer(
                &offer.charter_id,
                &offer.offer_id,
                OfferStatus::Declined,
                format!("{} declined", offer.role),
            )
            .await?
        {
            Some(o) => {
                tracing::info!(charter_id = %o.charter_id, offer_id = %o.offer_id, crew_id = %o.crew_id, "offer declined");
                self.next_after(&o).await?;
                Ok(Answer::Declined)
            }
            None => Ok(
                match self
                    .backend
                    .offers
                    .get(&offer.charter_id, &offer.offer_id)
                    .await?
                {
                    Some(o) => Answer::AlreadyAnswered(o.status),
                    None => Answer::CharterClosed,
                },
            ),
        }
    }

    async fn mark_staffed(&self, c: &Charter) -> Result<(), CascadeError> {
        if c.status == CharterStatus::Booked {
            self.backend
                .charters
                .set_status(&c.key(), CharterStatus::Staffed)
                .await?;
        }
        self.note(entry(
            &c.charter_id,
            "staffed".into(),
            Utc::now(),
            ThreadKind::Staffed,
            None,
            "captain and crew confirmed".into(),
        ))
        .await?;
        Ok(())
    }

    /// Nobody left for a slot: one mail to ops, and the thread says the charter needs attention.
    async fn escalate(
        &self,
        c: &Charter,
        role: Role,
        slate: &engine::Slate<'_>,
    ) -> Result<(), CascadeError> {
        let mut reasons: Vec<(String, usize)> = Vec::new();
        for (_, why) in &slate.excluded {
            match reasons.iter_mut().find(|(r, _)| r == why.as_str()) {
                Some((_, n)) => *n += 1,
                None => reasons.push((why.as_str().to_string(), 1)),
            }
        }
        let summary = reasons
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!("NEEDS ATTENTION: nobody left to ask for the {role} slot ({summary})");
        tracing::warn!(charter_id = %c.charter_id, role = %role, "cascade escalated to ops");
        let key = format!("escalate#{}#{}", c.charter_id, role_key(role));
        if self.cfg.ops.is_empty() {
            tracing::error!(charter_id = %c.charter_id, "no ops_emails configured: escalation recorded in the thread only");
        } else {
            let mail = Mail {
                key: format!("mail#{key}"),
                from_name: self.cfg.from_name.clone(),
                from: self.cfg.from.clone(),
                to: self.cfg.ops.clone(),
                cc: vec![],
                subject: format!(
                    "Needs attention: {} on {} has no {}",
                    c.vessel_name, c.charter_date, role
                ),
                text: format!(
                    "Charter {} ({} on {}): {text}.\nPlease staff it by hand.\n",
                    c.charter_id, c.vessel_name, c.charter_date
                ),
                attachments: vec![],
            };
            self.send_once(mail).await?;
        }
        self.note(entry(
            &c.charter_id,
            format!("escalated-{}", role_key(role)),
            Utc::now(),
            ThreadKind::Escalated,
            None,
            text,
        ))
        .await?;
        Ok(())
    }

    /// A charter was cancelled or removed: revoke open offers, release holds, tell the crew.
    pub async fn release(&self, charter: &CharterId) -> Result<(), CascadeError> {
        let offers = self.backend.offers.for_charter(charter).await?;
        let now = Utc::now();
        for o in offers.iter().filter(|o| o.status == OfferStatus::Open) {
            self.close_offer(
                charter,
                &o.offer_id,
                OfferStatus::Revoked,
                format!("{} offer withdrawn: charter cancelled", o.role),
            )
            .await?;
        }
        for o in offers.iter().filter(|o| o.status == OfferStatus::Accepted) {
            self.backend
                .holds
                .release(&o.crew_id, o.charter_date, charter)
                .await?;
            if let Some(m) = self.backend.roster.get(&o.crew_id).await? {
                let mail = Mail {
                    key: format!("mail#release#{charter}#{}", o.crew_id),
                    from_name: self.cfg.from_name.clone(),
                    from: self.cfg.from.clone(),
                    to: vec![m.email.clone()],
                    cc: vec![],
                    subject: format!("Charter cancelled: {}", o.charter_date),
                    text: format!("Hi {},\n\nThe charter on {} you were confirmed for as {} is cancelled. You are free that day.\n", m.name, o.charter_date, o.role),
                    attachments: vec![],
                };
                self.send_once(mail).await?;
            }
        }
        self.note(entry(
            charter,
            "cancelled".into(),
            now,
            ThreadKind::Cancelled,
            None,
            "charter cancelled: holds released, open offers withdrawn, crew told".into(),
        ))
        .await?;
        tracing::info!(charter_id = %charter, "charter released");
        Ok(())
    }
}
