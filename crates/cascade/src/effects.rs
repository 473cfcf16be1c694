//! Carrying out one planned [`Action`]: each is idempotent (conditional writes, mails under a
//! claim of their key, thread entries with fixed ids and times), so doing it again after a crash,
//! or twice at once, changes nothing more.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    CharterId, CharterStatus, CrewId, JobEnvelope, JobKind, Offer, OfferId, OfferStatus, Role,
    ThreadEntry, ThreadKind,
};
use dispatch_core::idempotency::{run_once, run_once_uncertain, Once};
use dispatch_core::metrics::{self, Counter};
use dispatch_core::ports::{Hold, HoldOutcome, OfferTransition, OutMessage, QueueId, MAX_DELAY};
use dispatch_mailer::{Mail, MailError};

use crate::plan::{self, ids, Action};
use crate::reconcile::{Applied, Cascade, CascadeError, Snapshot};

/// A thread entry.
pub(crate) fn entry(
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

fn closed_kind(status: OfferStatus) -> ThreadKind {
    match status {
        OfferStatus::Accepted => ThreadKind::Accepted,
        OfferStatus::Declined => ThreadKind::Declined,
        OfferStatus::Lapsed => ThreadKind::Lapsed,
        _ => ThreadKind::Revoked,
    }
}

impl Cascade {
    pub(crate) async fn apply(
        &self,
        snap: &Snapshot,
        action: &Action,
    ) -> Result<Applied, CascadeError> {
        let id = &snap.charter_id;
        match action {
            Action::Lapse { offer } => {
                let Some(o) = self.close(id, offer, OfferStatus::Lapsed).await? else {
                    return Ok(Applied::Conflict);
                };
                tracing::info!(offer_id = %o.offer_id, crew_id = %o.crew_id, "offer lapsed");
                self.note_closed(
                    snap,
                    &o,
                    format!(
                        "{} offer to {} lapsed unanswered",
                        o.role,
                        snap.name(&o.crew_id)
                    ),
                )
                .await?;
                metrics::incr(Counter::OffersLapsed);
                Ok(Applied::Done)
            }
            Action::Revoke { offer, why } => {
                let Some(o) = self.close(id, offer, OfferStatus::Revoked).await? else {
                    return Ok(Applied::Conflict);
                };
                tracing::info!(offer_id = %o.offer_id, crew_id = %o.crew_id, why = ?why, "offer withdrawn");
                self.note_closed(
                    snap,
                    &o,
                    format!("{} {} ({})", o.role, why.text(), snap.name(&o.crew_id)),
                )
                .await?;
                Ok(Applied::Done)
            }
            Action::MakeOffer { offer } => {
                if self.backend.offers.put(offer).await? {
                    tracing::info!(offer_id = %offer.offer_id, crew_id = %offer.crew_id, role = %offer.role, "offer made");
                    Ok(Applied::Done)
                } else {
                    // Made already, by an earlier try or a concurrent reconcile: plan from it.
                    Ok(Applied::Conflict)
                }
            }
            Action::SendOffer { offer } => self.send_offer(snap, offer).await,
            Action::Confirm { offer } => {
                let Some(o) = snap.offer(offer) else {
                    return Ok(Applied::Conflict);
                };
                self.confirm(snap, o).await
            }
            Action::NoteClosed { offer } => {
                let Some(o) = snap.offer(offer) else {
                    return Ok(Applied::Conflict);
                };
                let text = match o.status {
                    OfferStatus::Accepted => {
                        format!("{} accepted by {}", o.role, snap.name(&o.crew_id))
                    }
                    OfferStatus::Declined => {
                        format!("{} declined by {}", o.role, snap.name(&o.crew_id))
                    }
                    OfferStatus::Lapsed => format!(
                        "{} offer to {} lapsed unanswered",
                        o.role,
                        snap.name(&o.crew_id)
                    ),
                    _ => format!("{} offer to {} withdrawn", o.role, snap.name(&o.crew_id)),
                };
                self.note_closed(snap, o, text).await?;
                Ok(Applied::Done)
            }
            Action::TakeHold { crew } => {
                let Some(c) = &snap.charter else {
                    return Ok(Applied::Conflict);
                };
                let hold = Hold {
                    crew_id: crew.clone(),
                    date: c.charter_date,
                    charter_id: id.clone(),
                    taken_at: self.now(),
                };
                match self.backend.holds.take(&hold).await? {
                    HoldOutcome::Taken => {
                        tracing::info!(crew_id = %crew, "took the day's hold of a member assigned by hand");
                        Ok(Applied::Done)
                    }
                    HoldOutcome::AlreadyHeld(h) if &h.charter_id == id => Ok(Applied::Done),
                    HoldOutcome::AlreadyHeld(_) => Ok(Applied::Conflict),
                }
            }
            Action::ReportConflict { crew, other } => {
                let Some(c) = &snap.charter else {
                    return Ok(Applied::Conflict);
                };
                let text = format!(
                    "NEEDS ATTENTION: {} is assigned here but already booked on charter {other} that day; run `dispatch charter unassign {id} {crew}` or fix the other charter",
                    snap.name(crew)
                );
                tracing::warn!(crew_id = %crew, other_charter = %other, "assigned member is booked on another charter that day");
                if !self.cfg.ops.is_empty() {
                    self.send_once(self.ops_mail(
                        format!("mail#conflict#{id}#{crew}"),
                        format!("Needs attention: {} on {} double-booked", c.vessel_name, c.charter_date),
                        format!(
                            "Charter {id} ({} on {}): {text}.\n\nOps board (the next 30 days): {}\n",
                            c.vessel_name,
                            c.charter_date,
                            self.ops_link(self.now())
                        ),
                    ))
                    .await?;
                }
                self.note(entry(
                    id,
                    ids::conflict(crew),
                    self.now(),
                    ThreadKind::Escalated,
                    Some(crew),
                    text,
                ))
                .await?;
                Ok(Applied::Done)
            }
            Action::MarkStaffed => {
                let Some(c) = &snap.charter else {
                    return Ok(Applied::Conflict);
                };
                if !self
                    .backend
                    .charters
                    .set_status_from(&c.key(), CharterStatus::Booked, CharterStatus::Staffed)
                    .await?
                {
                    return Ok(Applied::Conflict);
                }
                tracing::info!("charter staffed");
                let ts = snap
                    .offers
                    .iter()
                    .filter(|o| o.status == OfferStatus::Accepted)
                    .map(|o| o.updated_at)
                    .max()
                    .unwrap_or_else(|| self.now());
                self.note(entry(
                    id,
                    ids::STAFFED.into(),
                    ts,
                    ThreadKind::Staffed,
                    None,
                    "captain and crew confirmed".into(),
                ))
                .await?;
                Ok(Applied::Done)
            }
            Action::Unstaff => {
                let Some(c) = &snap.charter else {
                    return Ok(Applied::Conflict);
                };
                self.backend
                    .charters
                    .set_status_from(&c.key(), CharterStatus::Staffed, CharterStatus::Booked)
                    .await?;
                Ok(Applied::Done)
            }
            Action::Escalate {
                role,
                attempts,
                excluded,
            } => self.escalate(snap, *role, *attempts, excluded).await,
            Action::ReleaseHold { crew, date } => {
                self.backend.holds.release(crew, *date, id).await?;
                Ok(Applied::Done)
            }
            Action::ReleaseStrayHold { crew, date } => {
                // Read after the hold was seen: an accept puts hold and assignment in one
                // transaction, so a member it just assigned shows here and keeps the hold.
                let Some(c) = self.backend.charters.get(id).await? else {
                    return Ok(Applied::Conflict);
                };
                if c.captain_assigned.as_ref() == Some(crew) || c.crew_assigned.contains(crew) {
                    return Ok(Applied::Conflict);
                }
                if self.backend.holds.release(crew, *date, id).await? {
                    tracing::info!(crew_id = %crew, "released the hold of a member no longer on the charter");
                }
                Ok(Applied::Done)
            }
            Action::TellReleased { crew, date } => {
                if let Some(m) =
                    snap.member(crew)
                        .cloned()
                        .or(self.backend.roster.get(crew).await?)
                {
                    self.send_once(Mail {
                        key: format!("mail#release#{id}#{crew}"),
                        from_name: self.cfg.from_name.clone(),
                        from: self.cfg.from.clone(),
                        to: vec![m.email.clone()],
                        cc: vec![],
                        subject: format!("Charter cancelled: {}{}", dispatch_core::zone::format_date(*date), snap.charter.as_ref().map(|c| format!(" aboard {}", c.vessel_name)).unwrap_or_default()),
                        text: format!("Hi {},\n\nThe charter on {}{} you were confirmed for is cancelled. You are free that day.\n", m.name, dispatch_core::zone::format_date_long(*date), snap.charter.as_ref().map(|c| format!(" aboard {}", c.vessel_name)).unwrap_or_default()),
                        attachments: vec![],
                    })
                    .await?;
                }
                self.note(entry(
                    id,
                    ids::released(crew),
                    self.now(),
                    ThreadKind::Note,
                    Some(crew),
                    format!(
                        "{} told the charter is cancelled; hold released",
                        snap.name(crew)
                    ),
                ))
                .await?;
                Ok(Applied::Done)
            }
            Action::NoteCancelled => {
                self.note(entry(
                    id,
                    ids::CANCELLED.into(),
                    self.now(),
                    ThreadKind::Cancelled,
                    None,
                    "charter cancelled: holds released, open offers withdrawn, crew told".into(),
                ))
                .await?;
                tracing::info!("charter released");
                Ok(Applied::Done)
            }
        }
    }

    /// Moves an open offer to `to`; `None` if it was no longer open.
    async fn close(
        &self,
        charter: &CharterId,
        offer: &OfferId,
        to: OfferStatus,
    ) -> Result<Option<Offer>, CascadeError> {
        match self
            .backend
            .offers
            .transition(charter, offer, OfferStatus::Open, to, self.now())
            .await?
        {
            OfferTransition::Done(o) => Ok(Some(o)),
            _ => Ok(None),
        }
    }

    /// The thread entry of a closed offer (`<status>-<id>`, at the time it closed).
    async fn note_closed(
        &self,
        snap: &Snapshot,
        o: &Offer,
        text: String,
    ) -> Result<(), CascadeError> {
        self.note(entry(
            &snap.charter_id,
            ids::closed(o.status, &o.offer_id),
            o.updated_at,
            closed_kind(o.status),
            Some(&o.crew_id),
            text,
        ))
        .await
    }

    /// Writes a thread entry (the same id and time twice leaves one).
    pub(crate) async fn note(&self, e: ThreadEntry) -> Result<(), CascadeError> {
        self.backend.thread.append(&e).await?;
        Ok(())
    }

    /// Sends a mail once per key: under a claim of the key, so a concurrent copy waits; after a
    /// failed or dead owner's attempt (whose outcome is unknown), only if the mail is not found
    /// as already sent.
    pub(crate) async fn send_once(&self, mail: Mail) -> Result<(), CascadeError> {
        let payload = serde_json::json!({ "key": mail.key });
        let mailer = self.mailer.clone();
        let outcome = run_once_uncertain(
            self.backend.idempotency.as_ref(),
            &mail.key.clone(),
            &payload,
            self.idem,
            |claim| async move {
                if claim.taken_over && mailer.already_sent(&mail).await? {
                    tracing::info!(key = %mail.key, "mail already went out before its sender stopped; not sending again");
                    return Ok::<_, MailError>(String::new());
                }
                mailer.send(&mail).await
            },
        )
        .await?;
        match outcome {
            Once::InProgress { until } => Err(CascadeError::Busy {
                what: "a mail".into(),
                until,
            }),
            Once::Ran(_) | Once::AlreadyDone(_) => Ok(()),
        }
    }

    /// Mails an open offer, arms its lapse timer, then notes it: the note last, so the thread
    /// says the other two happened.
    async fn send_offer(&self, snap: &Snapshot, offer: &OfferId) -> Result<Applied, CascadeError> {
        let id = &snap.charter_id;
        // Read it as stored: a concurrent reconcile may have made it, for someone else.
        let Some(o) = self.backend.offers.get(id, offer).await? else {
            return Ok(Applied::Conflict);
        };
        if o.status != OfferStatus::Open {
            return Ok(Applied::Conflict);
        }
        let Some(c) = &snap.charter else {
            return Ok(Applied::Conflict);
        };
        let member = match snap.member(&o.crew_id) {
            Some(m) => Some(m.clone()),
            None => self.backend.roster.get(&o.crew_id).await?,
        };
        let name = member
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| o.crew_id.to_string());
        match &member {
            Some(m) => {
                let facts = self.facts(c, &m.crew_id).await?;
                self.send_once(self.offer_mail(c, &o, m, &facts)).await?
            }
            None => {
                tracing::error!(crew_id = %o.crew_id, "offered member is not in the roster; no mail sent")
            }
        }
        self.schedule_timeout(&o, 0).await?;
        let lapses = self.cfg.zone.format_time(o.expires_at);
        self.note(entry(
            id,
            ids::sent(&o.offer_id),
            o.created_at,
            ThreadKind::OfferSent,
            Some(&o.crew_id),
            format!("{} offered to {name}; lapses {lapses}", o.role),
        ))
        .await?;
        metrics::incr(Counter::OffersSent);
        Ok(Applied::Done)
    }

    /// Enqueues link `chain` of an offer's lapse timer (SQS delays stop at 15 minutes; a longer
    /// wait is a chain, and the sweep lapses anything overdue whatever happens to the timer).
    pub(crate) async fn schedule_timeout(
        &self,
        offer: &Offer,
        chain: u32,
    ) -> Result<(), CascadeError> {
        let remaining = (offer.expires_at - self.now()).to_std().unwrap_or_default();
        // A later link waits at least a second: a chain that keeps finding its offer open
        // never spins.
        let floor = if chain > 0 {
            std::time::Duration::from_secs(1)
        } else {
            std::time::Duration::ZERO
        };
        // Whole seconds, rounded up: SQS counts delays in whole seconds and drops the rest, so
        // a timer rounded down came up to a second early, found its offer not yet due, and a
        // chain link was lost when the deadline passed between two reads (tests/stuck.rs).
        let delay = remaining.max(floor);
        let delay =
            std::time::Duration::from_secs(delay.as_secs() + u64::from(delay.subsec_nanos() > 0))
                .min(MAX_DELAY);
        let key = format!("offer_timeout#{}#{chain}", offer.offer_id);
        let job = JobEnvelope::new(
            JobKind::OfferTimeout,
            key.clone(),
            serde_json::json!({"charter_id": offer.charter_id, "offer_id": offer.offer_id, "chain": chain}),
        );
        let outcome = run_once(
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
        match outcome {
            Once::InProgress { until } => Err(CascadeError::Busy {
                what: "a lapse timer".into(),
                until,
            }),
            _ => Ok(()),
        }
    }

    /// Nobody left for a slot: one mail to ops naming who was not asked and why, and the thread
    /// says the charter needs attention.
    async fn escalate(
        &self,
        snap: &Snapshot,
        role: Role,
        attempts: usize,
        excluded: &[(CrewId, crate::engine::Exclusion)],
    ) -> Result<Applied, CascadeError> {
        let id = &snap.charter_id;
        let Some(c) = &snap.charter else {
            return Ok(Applied::Conflict);
        };
        let mut by_reason: Vec<(&str, Vec<String>)> = Vec::new();
        for (m, why) in excluded {
            let name = snap.name(m);
            match by_reason.iter_mut().find(|(r, _)| *r == why.as_str()) {
                Some((_, names)) => names.push(name),
                None => by_reason.push((why.as_str(), vec![name])),
            }
        }
        let summary = if by_reason.is_empty() {
            "nobody on the roster".to_string()
        } else {
            by_reason
                .iter()
                .map(|(r, names)| format!("{r}: {}", names.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let text = format!("NEEDS ATTENTION: nobody left to ask for the {role} slot ({summary})");
        tracing::warn!(role = %role, "cascade escalated to ops");
        if self.cfg.ops.is_empty() {
            tracing::error!("no ops_emails configured: escalation recorded in the thread only");
        } else {
            self.send_once(self.ops_mail(
                format!("mail#escalate#{id}#{}#{attempts}", plan::role_key(role)),
                format!("Needs attention: {} on {} has no {role}", c.vessel_name, c.charter_date),
                format!(
                    "Charter {id} ({} on {}): {text}.\n\nWhat you can do:\n  dispatch charter show {id}\n  dispatch charter assign {id} --{} MEMBER\n  dispatch charter reoffer {id} [--include MEMBER...]\n  dispatch charter cancel {id}\n\nOps board (the next 30 days): {}\n",
                    c.vessel_name,
                    c.charter_date,
                    if role == Role::Captain { "captain" } else { "crew" },
                    self.ops_link(self.now()),
                ),
            ))
            .await?;
        }
        let ts = snap
            .offers
            .iter()
            .filter(|o| o.role == role)
            .map(|o| o.updated_at)
            .max()
            .unwrap_or_else(|| self.now());
        self.note(entry(
            id,
            ids::escalated(role, attempts),
            ts,
            ThreadKind::Escalated,
            None,
            text,
        ))
        .await?;
        metrics::incr(Counter::Escalations);
        Ok(Applied::Done)
    }

    fn ops_mail(&self, key: String, subject: String, text: String) -> Mail {
        Mail {
            key,
            from_name: self.cfg.from_name.clone(),
            from: self.cfg.from.clone(),
            to: self.cfg.ops.clone(),
            cc: vec![],
            subject,
            text,
            attachments: vec![],
        }
    }
}
