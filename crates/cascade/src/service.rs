//! The cascade's context: the ports and settings every effect needs ([`Cascade`]), its settings
//! and its error. A leaf of the crate's module graph: every module that does I/O takes a
//! `&Cascade` as its first argument (`cx`), and this file imports none of them, so there is one
//! place to look for what an effect can touch.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dispatch_core::clock::Clock;
use dispatch_core::domain::{Charter, CharterDate, CrewMember, EmailAddress};
use dispatch_core::idempotency::{IdempotencyConfig, OnceError};
use dispatch_core::{Backend, StoreError};
use dispatch_mailer::{MailError, MailSender};

use crate::engine::{self, VesselConfig};
use crate::links::Links;
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
    /// How long a link to a member's page works (`DISPATCH_PAGE_LINK_DAYS`, default 30).
    pub page_link_ttl: chrono::Duration,
    /// Inside this time before departure "I can't make it" means calling the office
    /// (`DISPATCH_DROP_CUTOFF_HOURS`, default 24).
    pub drop_cutoff: chrono::Duration,
    /// Ops are alerted once per threshold when a charter departs in under that many hours
    /// unstaffed; inside the last one crew slots are offered to two at once
    /// (`DISPATCH_ALERT_BEFORE_HOURS`, default 72,24). Largest first.
    pub alert_before_hours: Vec<u32>,
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

/// The availability Sheet, when it is the members' source of truth (`drive = "google"`): a
/// change made on the crew page is written there (the next roster sync reads it back) before
/// the roster. A port: the adapter (Sheets `values.update`) lives with the Google wiring.
#[async_trait::async_trait]
pub trait AvailabilitySheet: Send + Sync {
    /// Makes the sheet say `member`'s availability: their `available_dates`, the whole set.
    async fn write(&self, member: &CrewMember) -> Result<(), CascadeError>;
}

/// The cascade service: the ports and settings its steps run with.
pub struct Cascade {
    pub backend: Backend,
    pub mailer: Arc<dyn MailSender>,
    pub links: MagicLinks,
    pub cfg: CascadeSettings,
    pub idem: IdempotencyConfig,
    pub clock: Arc<dyn Clock>,
    /// `None`: the roster alone keeps availability (no Sheet, or a process without Google).
    pub availability_sheet: Option<Arc<dyn AvailabilitySheet>>,
}

impl Cascade {
    /// Now, by the cascade's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The business's today.
    pub fn today(&self) -> CharterDate {
        self.cfg.zone.today(self.now())
    }

    /// The vessel's config, if it has one.
    pub fn vessel(&self, c: &Charter) -> Option<&VesselConfig> {
        self.cfg.vessels.get(&c.vessel_name)
    }

    /// Crew slots of a charter.
    pub fn crew_needed(&self, c: &Charter) -> u32 {
        engine::crew_needed(c, self.vessel(c))
    }

    /// The links this cascade hands out (offer, page, calendar feed, ops board).
    pub fn link_maker(&self) -> Links<'_> {
        Links::new(&self.links, &self.cfg.public_url).with_page_ttl(self.cfg.page_link_ttl)
    }

    /// How long a new offer stays open, as the planner counts.
    pub fn offer_timeout(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.cfg.offer_timeout).unwrap_or(chrono::Duration::hours(2))
    }
}
