//! `reconcile(charter)`: read what is true now, ask [`crate::plan`] what should happen next, do
//! it. Every trigger — a new charter, an accept, a decline, a lapse timer, a cancellation, an ops
//! command, the sweep — only asks for this; none relies on the step before it having run.
//!
//! A failure between two writes only delays the outcome until the next pass: the next reconcile
//! reads the state the failure left and plans from there. Two reconciles of one charter at once
//! reach the same state, because every action is keyed by the state (offer ids from charter,
//! slot and attempt; mails by key under a claim; thread entries by id).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::clock::Clock;
use dispatch_core::domain::{
    Charter, CharterId, CharterStatus, CrewId, CrewMember, EmailAddress, Offer, ThreadEntry,
};
use dispatch_core::idempotency::{IdempotencyConfig, OnceError};
use dispatch_core::ports::Hold;
use dispatch_core::{Backend, StoreError};
use dispatch_mailer::{MailError, MailSender};
use tracing::Instrument;

use crate::engine::{CrewMap, VesselConfig};
use crate::plan::{self, Gone, State};
use crate::tokens::MagicLinks;

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
    /// The business's time zone: times in mails and on the crew page, and "today".
    pub zone: dispatch_core::zone::BusinessZone,
    /// The office's phone number, for crew.
    pub office_phone: Option<String>,
}

/// A cascade step failed.
#[derive(Debug, thiserror::Error)]
pub enum CascadeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    /// Someone else's live claim holds part of the work (a mail being sent right now).
    #[error("{what} is in progress elsewhere until {until}")]
    Busy { what: String, until: DateTime<Utc> },
    #[error("{0}")]
    Other(String),
}

impl CascadeError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Mail(e) => e.is_retryable(),
            Self::Busy { .. } => true,
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

/// The cascade service.
pub struct Cascade {
    pub backend: Backend,
    pub mailer: Arc<dyn MailSender>,
    pub links: MagicLinks,
    pub cfg: CascadeSettings,
    pub idem: IdempotencyConfig,
    pub clock: Arc<dyn Clock>,
}

/// What one reconcile did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reconciled {
    /// Actions carried out (0: the charter was already where it should be).
    pub actions: usize,
    /// When the charter last changed before this reconcile (its newest offer change, or its
    /// creation): how long it had been waiting, for the sweep's log.
    pub since: Option<DateTime<Utc>>,
    /// The charter's status after it.
    pub status: Option<CharterStatus>,
    /// Nothing is left to do or to wait for (no action planned, no open offer): the charter is
    /// out of the index of unsettled charters (see [`Cascade::sweep`]).
    pub settled: bool,
}

/// What was read for one charter.
pub(crate) struct Snapshot {
    pub charter_id: CharterId,
    pub charter: Option<Charter>,
    /// The charter's mark in the index of unsettled charters, as read (`None`: not in it).
    pub mark: Option<String>,
    pub gone: Option<Gone>,
    pub offers: Vec<Offer>,
    pub roster: Vec<CrewMember>,
    pub holds: CrewMap<Hold>,
    pub load: CrewMap<u32>,
    pub noted: HashSet<String>,
    /// Members ops cleared to be asked again, with when (the newest `reoffer-` entry each).
    pub cleared: CrewMap<DateTime<Utc>>,
}

impl Snapshot {
    pub fn member(&self, id: &CrewId) -> Option<&CrewMember> {
        self.roster.iter().find(|m| &m.crew_id == id)
    }
    pub fn offer(&self, id: &dispatch_core::domain::OfferId) -> Option<&Offer> {
        self.offers.iter().find(|o| &o.offer_id == id)
    }
    /// A member's name for people to read (their id if they left the roster).
    pub fn name(&self, id: &CrewId) -> String {
        self.member(id)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

/// How an action went.
pub(crate) enum Applied {
    Done,
    /// The world moved under the plan (a conditional write lost): read again and replan.
    Conflict,
}

/// Passes per reconcile: each re-reads after a conflict. More than a handful means the charter
/// is being changed faster than it can be read; the next trigger or sweep carries on.
const MAX_PASSES: usize = 5;

impl Cascade {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The business's today.
    pub fn today(&self) -> dispatch_core::domain::CharterDate {
        self.cfg.zone.today(self.now())
    }

    pub(crate) fn vessel(&self, c: &Charter) -> Option<&VesselConfig> {
        self.cfg.vessels.get(&c.vessel_name)
    }

    /// Crew slots of a charter.
    pub fn crew_needed(&self, c: &Charter) -> u32 {
        plan::crew_needed(c, self.vessel(c))
    }

    /// Brings a charter to where it should be (see the module docs).
    pub async fn reconcile(&self, charter: &CharterId) -> Result<Reconciled, CascadeError> {
        self.reconcile_gone(charter, None).await
    }

    /// [`Cascade::reconcile`] for a charter that may have been removed, with what it left behind.
    pub async fn reconcile_gone(
        &self,
        charter: &CharterId,
        gone: Option<Gone>,
    ) -> Result<Reconciled, CascadeError> {
        let span = tracing::info_span!("reconcile", charter_id = %charter);
        self.reconcile_inner(charter, gone).instrument(span).await
    }

    async fn reconcile_inner(
        &self,
        charter: &CharterId,
        gone: Option<Gone>,
    ) -> Result<Reconciled, CascadeError> {
        let mut done = Reconciled::default();
        for pass in 0..MAX_PASSES {
            let snap = self.read(charter, gone.clone()).await?;
            if pass == 0 {
                done.since = last_change(&snap);
            }
            done.status = snap.charter.as_ref().map(|c| c.status);
            let actions = plan::plan(&self.state(&snap));
            if actions.is_empty() {
                done.settled = self.keep_index(&snap).await?;
                return Ok(done);
            }
            // In the index before acting: whatever stops this pass, the sweep finds the charter.
            // A failed mark fails the pass, so its trigger tries again.
            if snap.mark.is_none() {
                self.mark_unsettled(&snap).await?;
            }
            let mut conflict = false;
            let mut busy: Option<CascadeError> = None;
            for action in &actions {
                match self.apply(&snap, action).await {
                    Ok(Applied::Done) => done.actions += 1,
                    Ok(Applied::Conflict) => {
                        tracing::debug!(
                            ?action,
                            "the charter changed under the plan; reading again"
                        );
                        conflict = true;
                        break;
                    }
                    // Someone else is sending this mail right now: do the rest, come back later.
                    Err(e @ CascadeError::Busy { .. }) => busy = Some(e),
                    Err(e) => return Err(e),
                }
            }
            if let Some(e) = busy {
                return Err(e);
            }
            // The plan already counted on its own actions (a lapse and the next offer, in one
            // plan): with no conflict there is nothing left to look at again. A fresh mark after
            // acting: a reconcile that read the charter before these actions and found it
            // settled takes it out of the index only under the mark it read, which this
            // replaces. The next pass (a trigger or the sweep) takes it out once settled.
            if !conflict {
                self.mark_unsettled(&snap).await?;
                return Ok(done);
            }
        }
        Ok(done)
    }

    pub(crate) fn state<'a>(&'a self, s: &'a Snapshot) -> State<'a> {
        State {
            charter_id: &s.charter_id,
            charter: s.charter.as_ref(),
            gone: s.gone.as_ref(),
            offers: &s.offers,
            roster: &s.roster,
            holds: &s.holds,
            load: &s.load,
            vessel: s.charter.as_ref().and_then(|c| self.vessel(c)),
            noted: &s.noted,
            cleared: &s.cleared,
            now: self.now(),
            offer_timeout: chrono::Duration::from_std(self.cfg.offer_timeout)
                .unwrap_or(chrono::Duration::hours(2)),
        }
    }

    /// Reads everything the planner needs. Costs O(roster) for the candidates of this charter,
    /// never a read of the month's other charters (assignment counts are kept with the holds).
    pub(crate) async fn read(
        &self,
        id: &CharterId,
        gone: Option<Gone>,
    ) -> Result<Snapshot, CascadeError> {
        self.read_with(id, gone, None).await
    }

    /// [`Cascade::read`], with the roster already read (by a caller looking at many charters).
    pub(crate) async fn read_with(
        &self,
        id: &CharterId,
        gone: Option<Gone>,
        roster: Option<&[CrewMember]>,
    ) -> Result<Snapshot, CascadeError> {
        let b = &self.backend;
        let (marked, offers, thread) = futures::try_join!(
            b.charters.get_marked(id),
            b.offers.for_charter(id),
            b.thread.list(id),
        )?;
        let (charter, mark) = match marked {
            Some((c, m)) => (Some(c), m),
            None => (None, None),
        };
        let noted: HashSet<String> = thread.iter().map(|e: &ThreadEntry| e.id.clone()).collect();
        let mut cleared: CrewMap<DateTime<Utc>> = CrewMap::default();
        for e in &thread {
            if let (true, Some(m)) = (e.id.starts_with(plan::ids::CLEARED_PREFIX), &e.crew_id) {
                let at = cleared.entry(m.clone()).or_insert(e.ts);
                *at = (*at).max(e.ts);
            }
        }
        let open = charter.as_ref().is_some_and(|c| {
            !matches!(
                c.status,
                CharterStatus::Cancelled | CharterStatus::Completed
            )
        });
        let roster = match (open, roster) {
            (_, Some(r)) => r.to_vec(),
            (false, None) => Vec::new(),
            (true, None) => b.roster.list().await?.items,
        };
        let date = charter
            .as_ref()
            .map(|c| c.charter_date)
            .or_else(|| gone.as_ref().and_then(|g| g.charter_date))
            .or_else(|| offers.first().map(|o| o.charter_date));
        let mut holds = CrewMap::default();
        let mut load = CrewMap::default();
        if let Some(date) = date {
            let mut who: Vec<CrewId> = roster
                .iter()
                .filter(|m| m.active && m.is_available(date))
                .map(|m| m.crew_id.clone())
                .collect();
            if let Some(c) = &charter {
                who.extend(c.captain_assigned.iter().cloned());
                who.extend(c.crew_assigned.iter().cloned());
            }
            if let Some(g) = &gone {
                who.extend(g.assigned.iter().cloned());
            }
            who.extend(offers.iter().map(|o| o.crew_id.clone()));
            who.sort();
            who.dedup();
            for h in b.holds.among(date, &who).await? {
                holds.insert(h.crew_id.clone(), h);
            }
            let wants_candidates = charter
                .as_ref()
                .is_some_and(|c| open && !plan::is_filled(c, self.vessel(c)));
            if wants_candidates {
                let free: Vec<CrewId> = who
                    .iter()
                    .filter(|m| !holds.contains_key(*m))
                    .cloned()
                    .collect();
                for (m, n) in b.holds.loads(date.month(), &free).await? {
                    load.insert(m, n);
                }
            }
        }
        Ok(Snapshot {
            charter_id: id.clone(),
            charter,
            mark,
            gone,
            offers,
            roster,
            holds,
            load,
            noted,
            cleared,
        })
    }
}

/// When the charter last changed: its newest offer change, else its creation time.
fn last_change(s: &Snapshot) -> Option<DateTime<Utc>> {
    let offered = s.offers.iter().map(|o| o.updated_at).max();
    let created = s
        .charter
        .as_ref()
        .and_then(|c| DateTime::parse_from_rfc3339(&c.created_at).ok())
        .map(|t| t.with_timezone(&Utc));
    offered.or(created)
}

impl Cascade {
    /// Puts the charter in the index of unsettled charters with a fresh mark.
    async fn mark_unsettled(&self, snap: &Snapshot) -> Result<(), CascadeError> {
        let Some(c) = &snap.charter else {
            return Ok(());
        };
        let mark = dispatch_core::ports::unsettled_mark(self.now());
        self.backend
            .charters
            .mark_unsettled(&c.key(), &mark)
            .await?;
        Ok(())
    }

    /// After a pass with nothing to do: keeps the index true. A charter with an open offer (its
    /// lapse is still to come) stays in, or goes in if it was not (a charter booked before the
    /// index existed, or whose mark was lost); one with nothing left to wait for comes out,
    /// under the mark this pass read. Whether it is settled.
    async fn keep_index(&self, snap: &Snapshot) -> Result<bool, CascadeError> {
        let waiting = snap
            .offers
            .iter()
            .any(|o| o.status == dispatch_core::domain::OfferStatus::Open);
        let (Some(c), false) = (&snap.charter, waiting) else {
            if waiting && snap.mark.is_none() {
                self.mark_unsettled(snap).await?;
            }
            return Ok(!waiting);
        };
        if let Some(mark) = &snap.mark {
            // Losing this race (someone marked it since) keeps it in: the next pass decides.
            if let Err(e) = self.backend.charters.clear_unsettled(&c.key(), mark).await {
                tracing::warn!(error = %e, "could not take a settled charter out of the unsettled index; the sweep tries again");
            }
        }
        Ok(true)
    }
}
