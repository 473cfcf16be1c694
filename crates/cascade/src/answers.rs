//! A member's answer to an offer, and the offer mail with its magic link. Accept is one
//! transaction, decline one conditional write; then the charter is reconciled, which makes the
//! next offer, withdraws what can no longer stand and marks the charter staffed.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    Charter, CrewMember, JobEnvelope, JobKind, Offer, OfferStatus, ThreadKind,
};
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{AcceptOutcome, AcceptRequest, OfferTransition, OutMessage, QueueId};
use dispatch_mailer::Mail;

use crate::effects::entry;
use crate::plan::ids;
use crate::reconcile::{Cascade, CascadeError};
use crate::tokens::{Scope, TokenError};
use crate::words::{first_name, role_word, CharterFacts};

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

impl Cascade {
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

    pub(crate) fn offer_mail(
        &self,
        c: &Charter,
        offer: &Offer,
        m: &CrewMember,
        facts: &CharterFacts,
    ) -> Mail {
        let link = self.offer_link(offer, self.now());
        let office = self
            .cfg
            .office_phone
            .as_ref()
            .map(|p| format!("Questions? Call the office: {p}\n"))
            .unwrap_or_default();
        let text = format!(
            "Hi {},\n\nYou are offered the {} place for {}.\n\n{}\nAccept or decline here (the offer lapses {}):\n{link}\n\n{office}This link is personal: please do not forward it.\n",
            first_name(&m.name),
            role_word(offer.role).to_lowercase(),
            facts.title(),
            facts.mail_lines(offer.role),
            self.cfg.zone.format_time(offer.expires_at),
        );
        Mail {
            key: format!("mail#offer#{}", offer.offer_id),
            from_name: self.cfg.from_name.clone(),
            from: self.cfg.from.clone(),
            to: vec![m.email.clone()],
            cc: vec![],
            subject: format!("Charter offer: {} on {}", c.vessel_name, facts.date),
            text,
            attachments: vec![],
        }
    }

    /// Resolves an offer token to its offer, checking it belongs to the token's member.
    pub async fn offer_of_token(
        &self,
        token: &str,
    ) -> Result<Result<Offer, TokenError>, CascadeError> {
        let (claims, charter, offer) = match self.links.verify_offer(token, self.now()) {
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
        let now = self.now();
        let req = AcceptRequest {
            offer: offer.clone(),
            charter_key: c.key(),
            crew_needed: self.crew_needed(&c),
            at: now,
        };
        let answer = match self.backend.staffing.accept(&req).await? {
            AcceptOutcome::Accepted(after) => {
                tracing::info!(charter_id = %c.charter_id, offer_id = %offer.offer_id, crew_id = %offer.crew_id, "offer accepted");
                metrics::incr(Counter::OffersAccepted);
                let name = self
                    .backend
                    .roster
                    .get(&offer.crew_id)
                    .await
                    .ok()
                    .flatten()
                    .map(|m| m.name)
                    .unwrap_or_else(|| offer.crew_id.to_string());
                // The reconcile below writes it if this fails.
                if let Err(e) = self
                    .note(entry(
                        &c.charter_id,
                        ids::closed(OfferStatus::Accepted, &offer.offer_id),
                        now,
                        ThreadKind::Accepted,
                        Some(&offer.crew_id),
                        format!("{} accepted by {name}", offer.role),
                    ))
                    .await
                {
                    tracing::warn!(error = %e, "could not note the accept; reconcile will");
                }
                Answer::Accepted {
                    staffed: crate::plan::is_filled(&after, self.vessel(&after)),
                }
            }
            AcceptOutcome::SpotFilled => Answer::SpotFilled,
            AcceptOutcome::AlreadyBooked(_) => Answer::AlreadyBooked,
            AcceptOutcome::OfferNotOpen(s) => return Ok(Answer::AlreadyAnswered(s)),
            AcceptOutcome::CharterClosed => Answer::CharterClosed,
        };
        self.follow_up(offer).await;
        if matches!(answer, Answer::Accepted { .. }) {
            self.withdraw_same_day(offer).await;
        }
        Ok(answer)
    }

    /// The member is now booked that day: their open offers for other charters on the same
    /// date are withdrawn at once (a reconcile of each of those charters revokes them),
    /// instead of staying open until they lapse. A failure here is healed by the sweep.
    async fn withdraw_same_day(&self, accepted: &Offer) {
        let offers = match self.backend.offers.for_crew(&accepted.crew_id).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(crew_id = %accepted.crew_id, error = %e, "could not read the member's other offers; the sweep withdraws them");
                return;
            }
        };
        let mut others: Vec<_> = offers
            .iter()
            .filter(|o| {
                o.status == OfferStatus::Open
                    && o.charter_date == accepted.charter_date
                    && o.charter_id != accepted.charter_id
            })
            .map(|o| o.charter_id.clone())
            .collect();
        others.sort();
        others.dedup();
        for other in others {
            if let Err(e) = self.reconcile(&other).await {
                tracing::warn!(charter_id = %other, error = %e, "could not withdraw a same-day offer now; the sweep will");
            }
        }
    }

    /// The member declines an offer; the next candidate is asked.
    pub async fn decline(&self, offer: &Offer) -> Result<Answer, CascadeError> {
        match self
            .backend
            .offers
            .transition(
                &offer.charter_id,
                &offer.offer_id,
                OfferStatus::Open,
                OfferStatus::Declined,
                self.now(),
            )
            .await?
        {
            OfferTransition::Done(o) => {
                tracing::info!(charter_id = %o.charter_id, offer_id = %o.offer_id, crew_id = %o.crew_id, "offer declined");
                self.follow_up(&o).await;
                Ok(Answer::Declined)
            }
            OfferTransition::Conflict(o) => Ok(Answer::AlreadyAnswered(o.status)),
            OfferTransition::NotFound => Ok(Answer::CharterClosed),
        }
    }

    /// After an answer: reconcile the charter now; if that fails (an outage), leave a reconcile
    /// job on the queue, and if even that fails, the sweep picks the charter up within a minute.
    async fn follow_up(&self, offer: &Offer) {
        let Err(e) = self.reconcile(&offer.charter_id).await else {
            return;
        };
        tracing::warn!(charter_id = %offer.charter_id, error = %e, "reconcile after an answer failed; queueing it");
        let job = JobEnvelope::new(
            JobKind::Reconcile,
            format!("reconcile#{}#{}", offer.charter_id, offer.offer_id),
            serde_json::json!({ "charter_id": offer.charter_id }),
        );
        if let Err(e) = self
            .backend
            .queues
            .send(QueueId::Cascade, &[OutMessage::new(job.to_body())])
            .await
        {
            tracing::error!(charter_id = %offer.charter_id, error = %e, "could not queue the reconcile either; the sweep will");
        }
    }
}
