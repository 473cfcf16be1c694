//! The cascade's public entry points as methods of [`Cascade`], for the binaries, the crew page
//! and the tests: each is one call into the module that does the work (named in its doc), with
//! the context passed explicitly. Nothing inside the crate calls these; modules call each other's
//! functions through `use` lines, so every dependency shows.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{Charter, CharterDate, CharterId, CrewId, CrewMember, Offer};
use std::collections::HashMap;

use crate::answers::{self, Answer};
use crate::confirm;
use crate::facts;
use crate::ops::{self, Done, OpsError, SlotKind};
use crate::reconcile::{self, Reconciled};
use crate::requeue::Wake;
use crate::service::{Cascade, CascadeError};
use crate::snapshot::{self, Snapshot};
use crate::state::{Gone, State};
use crate::sweep::{self, SweepReport};
use crate::tokens::TokenError;
use crate::words::CharterFacts;

impl Cascade {
    /// [`reconcile::reconcile`]: brings a charter to where it should be.
    pub async fn reconcile(&self, charter: &CharterId) -> Result<Reconciled, CascadeError> {
        reconcile::reconcile(self, charter, None, Wake::Event).await
    }

    /// [`reconcile::reconcile`] for a charter that may have been removed, with what it left.
    pub async fn reconcile_gone(
        &self,
        charter: &CharterId,
        gone: Option<Gone>,
    ) -> Result<Reconciled, CascadeError> {
        reconcile::reconcile(self, charter, gone, Wake::Event).await
    }

    /// [`answers::accept`]: the member accepts an offer.
    pub async fn accept(&self, offer: &Offer) -> Result<Answer, CascadeError> {
        answers::accept(self, offer).await
    }

    /// [`answers::decline`]: the member declines an offer.
    pub async fn decline(&self, offer: &Offer) -> Result<Answer, CascadeError> {
        answers::decline(self, offer).await
    }

    /// [`answers::offer_of_token`]: an offer token's offer, if it is the token member's.
    pub async fn offer_of_token(
        &self,
        token: &str,
    ) -> Result<Result<Offer, TokenError>, CascadeError> {
        answers::offer_of_token(self, token).await
    }

    /// [`ops::assign`]: puts a member on the charter by hand.
    pub async fn assign(
        &self,
        id: &CharterId,
        member: &CrewId,
        kind: SlotKind,
    ) -> Result<Done, OpsError> {
        ops::assign(self, id, member, kind, None, &ops::By::Cli).await
    }

    /// [`ops::unassign`]: takes a member off the charter.
    pub async fn unassign(&self, id: &CharterId, member: &CrewId) -> Result<Done, OpsError> {
        ops::unassign(self, id, member, &ops::By::Cli).await
    }

    /// [`ops::cancel`]: cancels the charter.
    pub async fn cancel(&self, id: &CharterId) -> Result<Done, OpsError> {
        ops::cancel(self, id, &ops::By::Cli).await
    }

    /// [`ops::reoffer`]: clears "already asked" for some members.
    pub async fn reoffer(&self, id: &CharterId, include: &[CrewId]) -> Result<Done, OpsError> {
        ops::reoffer(self, id, include, &ops::By::Cli).await
    }

    /// [`sweep::sweep`]: reconciles every charter in the index of unsettled charters.
    pub async fn sweep(&self) -> Result<SweepReport, CascadeError> {
        sweep::sweep(self).await
    }

    /// [`sweep::reconcile_dates`]: reconciles every open charter dated from `today` for `days`
    /// days (`charter reconcile --all`).
    pub async fn reconcile_dates(
        &self,
        today: CharterDate,
        days: u32,
    ) -> Result<SweepReport, CascadeError> {
        sweep::reconcile_dates(self, today, days).await
    }

    /// [`sweep::reconcile_for_roster`]: reconciles the charters a roster change could help.
    pub async fn reconcile_for_roster(
        &self,
        members: &[CrewMember],
        today: CharterDate,
        days: u32,
    ) -> Result<SweepReport, CascadeError> {
        sweep::reconcile_for_roster(self, members, today, days).await
    }

    /// [`crate::roster_change::reconcile_for_import`]: after a roster import over the roster as
    /// it was (`before`), reconciles the charters whose candidates it changed.
    pub async fn reconcile_for_import(
        &self,
        before: &[CrewMember],
        after: &[CrewMember],
        today: CharterDate,
    ) -> Result<SweepReport, CascadeError> {
        crate::roster_change::reconcile_for_import(self, before, after, today).await
    }

    /// [`confirm::send_reminders`]: tomorrow's reminders.
    pub async fn send_reminders(&self, now: DateTime<Utc>) -> Result<usize, CascadeError> {
        confirm::send_reminders(self, now).await
    }

    /// [`facts::names_of`]: full names of these members.
    pub async fn names_of(&self, ids: &[CrewId]) -> Result<HashMap<CrewId, String>, CascadeError> {
        facts::names_of(self, ids).await
    }

    /// [`facts::facts`]: what `reader` needs to know about a charter.
    pub async fn facts(&self, c: &Charter, reader: &CrewId) -> Result<CharterFacts, CascadeError> {
        facts::facts(self, c, reader).await
    }

    /// [`crate::links::Links::offer`]: the link in an offer mail.
    pub fn offer_link(&self, offer: &Offer, now: DateTime<Utc>) -> String {
        self.link_maker().offer(offer, now, self.cfg.link_ttl)
    }

    /// [`crate::links::Links::page`]: a lasting link to the member's page.
    pub fn page_link(&self, crew: &CrewId) -> String {
        self.link_maker().page(crew, self.now())
    }

    /// [`crate::links::Links::feed`]: the member's calendar feed.
    pub fn feed_link(&self, crew: &CrewId) -> String {
        self.link_maker().feed(crew, self.now())
    }

    /// [`snapshot::read`], for the overview (which reads many charters with one roster).
    pub(crate) async fn read_with(
        &self,
        id: &CharterId,
        gone: Option<Gone>,
        roster: Option<std::sync::Arc<[CrewMember]>>,
    ) -> Result<Snapshot, CascadeError> {
        snapshot::read(self, id, gone, roster).await
    }

    /// [`snapshot::state`]: the planner's view of a snapshot, now.
    pub(crate) fn state<'a>(&'a self, s: &'a Snapshot) -> State<'a> {
        snapshot::state(self, s)
    }
}
