//! What ops do by hand after a phone call, each a thin step followed by [`Cascade::reconcile`],
//! which does the rest (the next offer, withdrawals, staffing, releases):
//!
//! - [`Cascade::assign`]: put a member on a slot. It goes through the accept transaction (an
//!   offer made and accepted at once), so it takes the crew-day hold exactly as an accept does and
//!   a member booked that day is refused; the slot's open offer is withdrawn first.
//! - [`Cascade::unassign`]: take a member off; reconcile releases their hold and offers the slot.
//! - [`Cascade::cancel`]: status `cancelled`; reconcile withdraws offers, releases holds, tells crew.
//! - [`Cascade::reoffer`]: clear "already asked" for some members (a `reoffer-` thread entry the
//!   planner reads), so an escalated charter is offered again.

use dispatch_core::domain::{
    Charter, CharterId, CharterStatus, CrewId, CrewMember, Offer, OfferStatus, Role, ThreadKind,
};
use dispatch_core::ports::{AcceptOutcome, AcceptRequest, OfferTransition};
use dispatch_mailer::Mail;

use crate::effects::entry;
use crate::plan::{self, ids};
use crate::reconcile::{Cascade, CascadeError, Reconciled};

/// An ops command could not be done.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("no charter {0} in crew-dispatch (check the id and DISPATCH_PREFIX; `dispatch charter list` shows them)")]
    NoCharter(CharterId),
    #[error("no member `{0}` in crew-roster (use the crew id, e.g. from `dispatch charter show`)")]
    NoMember(CrewId),
    /// Refused, with what to do instead.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Cascade(#[from] CascadeError),
}

impl From<dispatch_core::StoreError> for OpsError {
    fn from(e: dispatch_core::StoreError) -> Self {
        Self::Cascade(e.into())
    }
}

/// Which kind of slot `dispatch charter assign` fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    Captain,
    Crew,
}

/// What an ops command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// One line for the operator.
    pub summary: String,
    /// The reconcile that followed.
    pub reconciled: Reconciled,
}

/// Tries of an assignment whose offer id was taken by a concurrent reconcile.
const ASSIGN_TRIES: usize = 3;

impl Cascade {
    async fn open_charter(&self, id: &CharterId) -> Result<Charter, OpsError> {
        let c = self
            .backend
            .charters
            .get(id)
            .await?
            .ok_or_else(|| OpsError::NoCharter(id.clone()))?;
        if matches!(
            c.status,
            CharterStatus::Cancelled | CharterStatus::Completed
        ) {
            return Err(OpsError::Refused(format!(
                "charter {id} is {}: nothing can be assigned or offered",
                c.status.as_str()
            )));
        }
        Ok(c)
    }

    async fn member_named(&self, m: &CrewId) -> Result<CrewMember, OpsError> {
        self.backend
            .roster
            .get(m)
            .await?
            .ok_or_else(|| OpsError::NoMember(m.clone()))
    }

    /// Puts `member` on the charter as captain or crew (see the module docs).
    pub async fn assign(
        &self,
        id: &CharterId,
        member: &CrewId,
        kind: SlotKind,
    ) -> Result<Done, OpsError> {
        let m = self.member_named(member).await?;
        for _ in 0..ASSIGN_TRIES {
            let c = self.open_charter(id).await?;
            if c.captain_assigned.as_ref() == Some(member) || c.crew_assigned.contains(member) {
                return Err(OpsError::Refused(format!(
                    "{} is already on charter {id}",
                    m.name
                )));
            }
            if let Some(h) = self.backend.holds.get(member, c.charter_date).await? {
                if &h.charter_id != id {
                    return Err(booked_elsewhere(&m, &c, &h.charter_id));
                }
            }
            let snap = self.read(id, None).await?;
            let state = self.state(&snap);
            let role = match kind {
                SlotKind::Captain => {
                    if let Some(cap) = &c.captain_assigned {
                        return Err(OpsError::Refused(format!(
                            "charter {id} already has {} as captain: run `dispatch charter unassign {id} {cap}` first",
                            snap.name(cap)
                        )));
                    }
                    if !m.captain_certified {
                        return Err(OpsError::Refused(format!(
                            "{} is not captain certified in crew-roster: update the roster (captain_certified) first",
                            m.name
                        )));
                    }
                    Role::Captain
                }
                SlotKind::Crew => {
                    let (open, _) = plan::crew_slots(&state, &c);
                    let offered = |slot: &u32| {
                        snap.offers.iter().find(|o| {
                            o.status == OfferStatus::Open && o.role == Role::Crew { slot: *slot }
                        })
                    };
                    // Their own open offer's slot, else a slot nobody is asked for, else the first.
                    let pick = open
                        .iter()
                        .find(|s| offered(s).is_some_and(|o| &o.crew_id == member))
                        .or_else(|| open.iter().find(|s| offered(s).is_none()))
                        .or_else(|| open.first());
                    let Some(slot) = pick else {
                        return Err(OpsError::Refused(format!(
                            "all {} crew slots of charter {id} are filled: run `dispatch charter unassign {id} MEMBER` first",
                            plan::crew_needed(&c, self.vessel(&c))
                        )));
                    };
                    Role::Crew { slot: *slot }
                }
            };
            // Withdraw the slot's open offer to someone else; keep theirs to accept it.
            let mut mine: Option<Offer> = None;
            for o in snap
                .offers
                .iter()
                .filter(|o| o.status == OfferStatus::Open && o.role == role)
            {
                if &o.crew_id == member {
                    mine = Some(o.clone());
                } else {
                    self.withdraw(o, &snap.name(&o.crew_id), &m.name).await?;
                }
            }
            let offer = match mine {
                Some(o) => o,
                None => {
                    let now = self.now();
                    let attempts = snap.offers.iter().filter(|o| o.role == role).count();
                    let o = Offer {
                        offer_id: plan::offer_id_for(id, role, attempts),
                        charter_id: id.clone(),
                        charter_date: c.charter_date,
                        crew_id: member.clone(),
                        role,
                        status: OfferStatus::Open,
                        created_at: now,
                        expires_at: now + chrono::Duration::minutes(5),
                        updated_at: now,
                    };
                    if !self.backend.offers.put(&o).await? {
                        // A reconcile made this attempt's offer meanwhile: read again.
                        continue;
                    }
                    // Noted as sent, so no reconcile mails it (it is accepted right away).
                    self.note(entry(
                        id,
                        ids::sent(&o.offer_id),
                        now,
                        ThreadKind::OfferSent,
                        Some(member),
                        format!("{role} assigned by hand to {} (no offer mail)", m.name),
                    ))
                    .await?;
                    o
                }
            };
            let req = AcceptRequest {
                offer: offer.clone(),
                charter_key: c.key(),
                crew_needed: self.crew_needed(&c),
                at: self.now(),
            };
            let refused = match self.backend.staffing.accept(&req).await? {
                AcceptOutcome::Accepted(_) => {
                    tracing::info!(charter_id = %id, crew_id = %member, role = %role, "assigned by hand");
                    self.note(entry(id, ids::closed(OfferStatus::Accepted, &offer.offer_id), self.now(), ThreadKind::Accepted, Some(member), format!("{role} assigned by hand: {}", m.name)))
                        .await?;
                    let reconciled = self.reconcile(id).await?;
                    return Ok(Done {
                        summary: format!("{} is {role} on charter {id} ({} on {})", m.name, c.vessel_name, c.charter_date),
                        reconciled,
                    });
                }
                AcceptOutcome::AlreadyBooked(h) => booked_elsewhere(&m, &c, &h.charter_id),
                AcceptOutcome::CharterClosed => OpsError::Refused(format!("charter {id} was just cancelled")),
                AcceptOutcome::SpotFilled | AcceptOutcome::OfferNotOpen(_) => {
                    OpsError::Refused(format!("charter {id} changed meanwhile (the slot was just filled): see `dispatch charter show {id}`"))
                }
            };
            // The offer made for this assignment must not stay open (nor be mailed).
            self.withdraw(&offer, &m.name, "nobody").await?;
            self.reconcile(id).await?;
            return Err(refused);
        }
        Err(OpsError::Refused(format!(
            "charter {id} kept changing while assigning; run the command again"
        )))
    }

    /// Withdraws an open offer because ops assigned `by_hand` instead.
    async fn withdraw(&self, o: &Offer, name: &str, by_hand: &str) -> Result<(), OpsError> {
        let now = self.now();
        if let OfferTransition::Done(o) = self
            .backend
            .offers
            .transition(
                &o.charter_id,
                &o.offer_id,
                OfferStatus::Open,
                OfferStatus::Revoked,
                now,
            )
            .await?
        {
            self.note(entry(
                &o.charter_id,
                ids::closed(OfferStatus::Revoked, &o.offer_id),
                o.updated_at,
                ThreadKind::Revoked,
                Some(&o.crew_id),
                format!(
                    "{} offer to {name} withdrawn: assigned by hand ({by_hand})",
                    o.role
                ),
            ))
            .await?;
        }
        Ok(())
    }

    /// Takes `member` off the charter; reconcile releases their hold and offers the slot again.
    pub async fn unassign(&self, id: &CharterId, member: &CrewId) -> Result<Done, OpsError> {
        let c = self
            .backend
            .charters
            .get(id)
            .await?
            .ok_or_else(|| OpsError::NoCharter(id.clone()))?;
        let name = self
            .backend
            .roster
            .get(member)
            .await?
            .map(|m| m.name)
            .unwrap_or_else(|| member.to_string());
        let role = if c.captain_assigned.as_ref() == Some(member) {
            "captain"
        } else if c.crew_assigned.contains(member) {
            "crew"
        } else {
            return Err(OpsError::Refused(format!(
                "{name} is not on charter {id}: see `dispatch charter show {id}`"
            )));
        };
        self.backend.charters.unassign(&c.key(), member).await?;
        let now = self.now();
        let at = now.timestamp_millis();
        tracing::info!(charter_id = %id, crew_id = %member, "unassigned by hand");
        self.note(entry(
            id,
            format!("unassigned-{member}-{at}"),
            now,
            ThreadKind::Note,
            Some(member),
            format!("{name} taken off as {role} by hand"),
        ))
        .await?;
        if let Some(m) = self.backend.roster.get(member).await? {
            self.send_once(Mail {
                key: format!("mail#unassigned#{id}#{member}#{at}"),
                from_name: self.cfg.from_name.clone(),
                from: self.cfg.from.clone(),
                to: vec![m.email.clone()],
                cc: vec![],
                subject: format!("No longer on the charter of {}", c.charter_date),
                text: format!(
                    "Hi {},\n\nYou are no longer on the charter on {} aboard {}. You are free that day.\n",
                    m.name, c.charter_date, c.vessel_name
                ),
                attachments: vec![],
            })
            .await?;
        }
        let reconciled = self.reconcile(id).await?;
        Ok(Done {
            summary: format!("{name} is off charter {id}; the {role} slot is open again"),
            reconciled,
        })
    }

    /// Cancels the charter; reconcile withdraws its offers, releases holds and tells the crew.
    pub async fn cancel(&self, id: &CharterId) -> Result<Done, OpsError> {
        let c = self
            .backend
            .charters
            .get(id)
            .await?
            .ok_or_else(|| OpsError::NoCharter(id.clone()))?;
        match c.status {
            CharterStatus::Completed => {
                return Err(OpsError::Refused(format!(
                    "charter {id} is completed: a completed charter is not cancelled"
                )))
            }
            CharterStatus::Cancelled => {}
            _ => {
                self.backend
                    .charters
                    .set_status(&c.key(), CharterStatus::Cancelled)
                    .await?;
                tracing::info!(charter_id = %id, "cancelled by hand");
            }
        }
        let reconciled = self.reconcile(id).await?;
        Ok(Done {
            summary: format!(
                "charter {id} ({} on {}) is cancelled",
                c.vessel_name, c.charter_date
            ),
            reconciled,
        })
    }

    /// Clears "already asked" for `include` (or, if empty, everyone who let an offer of this
    /// charter lapse), then reconciles: they can be offered the open slots again.
    pub async fn reoffer(&self, id: &CharterId, include: &[CrewId]) -> Result<Done, OpsError> {
        let c = self.open_charter(id).await?;
        let offers = self.backend.offers.for_charter(id).await?;
        let mut who: Vec<CrewId> = if include.is_empty() {
            offers
                .iter()
                .filter(|o| o.status == OfferStatus::Lapsed)
                .map(|o| o.crew_id.clone())
                .collect()
        } else {
            include.to_vec()
        };
        who.sort();
        who.dedup();
        if who.is_empty() {
            return Err(OpsError::Refused(format!(
                "nobody let an offer of charter {id} lapse: name the members to ask again with --include MEMBER"
            )));
        }
        let mut names = Vec::new();
        let now = self.now();
        for m in &who {
            let member = self.member_named(m).await?;
            if c.captain_assigned.as_ref() == Some(m) || c.crew_assigned.contains(m) {
                return Err(OpsError::Refused(format!(
                    "{} is already on charter {id}",
                    member.name
                )));
            }
            self.note(entry(
                id,
                ids::cleared(m, now.timestamp_millis()),
                now,
                ThreadKind::Note,
                Some(m),
                format!("{} may be asked again (reoffer by ops)", member.name),
            ))
            .await?;
            names.push(member.name);
        }
        tracing::info!(charter_id = %id, members = who.len(), "cleared to be asked again");
        let reconciled = self.reconcile(id).await?;
        Ok(Done {
            summary: format!("charter {id}: {} may be asked again", names.join(", ")),
            reconciled,
        })
    }
}

fn booked_elsewhere(m: &CrewMember, c: &Charter, other: &CharterId) -> OpsError {
    OpsError::Refused(format!(
        "{} is already booked on charter {other} on {}: run `dispatch charter unassign {other} {}` first, or pick someone else",
        m.name, c.charter_date, m.crew_id
    ))
}
