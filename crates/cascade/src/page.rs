//! A member's page (`templates/crew_page.html`): the offer from the mail first and alone (with
//! Accept and Decline, or what became of it), then their other open offers, upcoming charters
//! by date, offers withdrawn because they got booked that day, available dates, the calendar
//! feed and the office phone. Every date has its weekday, every time is in the business's zone.
//!
//! This module reads what the page shows and decides what it says; the template lays it out
//! and escapes it. The HTTP side is in [`crate::web`].

use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use dispatch_core::domain::{
    Charter, CharterStatus, CrewId, CrewMember, Offer, OfferId, OfferStatus,
};

use crate::crew::view::{days, window, Day, DropState, Forms};
use crate::page_seen::Seen;
use crate::tokens::{Claims, Scope};
use crate::words::{first_name, role_word, CharterFacts};
use crate::{Cascade, CascadeError};

/// The member's page.
#[derive(Template, WebTemplate)]
#[template(path = "crew_page.html")]
pub(crate) struct CrewPage {
    /// `Hello, Ana`.
    title: String,
    /// What just happened (after Accept or Decline).
    note: Option<String>,
    /// The offer of the link they came by.
    focus: Option<Focus>,
    /// Their other offers they can still answer.
    open: Vec<Answerable>,
    /// Charters they are confirmed on, by date, with "I can't make it".
    upcoming: Vec<Upcoming>,
    /// Offers withdrawn from them, with why.
    withdrawn: Vec<Withdrawn>,
    /// Dates they are available, from today (`Sat 5 Jun 2027`).
    dates: Vec<String>,
    /// Where the page's own forms post, with their guard (`None`: no form on this view).
    forms: Option<Forms>,
    /// The availability form's days (the next 90).
    days: Vec<Day>,
    /// Their calendar feed's link.
    feed: String,
    /// The same feed as `webcal://…` (calendar apps subscribe to it).
    webcal: String,
    /// The office phone: (digits for `tel:`, as written).
    phone: Option<(String, String)>,
    /// The business's zone name.
    zone: String,
}

impl CrewPage {
    /// Puts a note (what just happened) at the top of the page.
    pub(crate) fn with_note(mut self, note: String) -> Self {
        self.note = Some(note);
        self
    }

    /// How answers name the focused offer's charter (`Sat 5 Jun 2027 aboard Sea Breeze`).
    pub(crate) fn focus_title(&self) -> Option<String> {
        self.focus.as_ref().map(|f| f.card.facts.title())
    }
}

/// One charter on the page: its heading (date, role, vessel) and details.
pub(crate) struct Card {
    offer_id: OfferId,
    role: &'static str,
    facts: CharterFacts,
}

/// A charter the member is confirmed on, and where "I can't make it" stands.
pub(crate) struct Upcoming {
    card: Card,
    drop: DropState,
}

/// An offer with its Accept and Decline forms.
pub(crate) struct Answerable {
    card: Card,
    form: AnswerForm,
}

/// The Accept and Decline forms of an offer: a fresh offer-scope token and its form guard.
pub(crate) struct AnswerForm {
    /// The answer deadline in the business's zone.
    deadline: String,
    /// Where Accept and Decline post (under the public URL's path).
    accept: String,
    decline: String,
    guard: String,
}

/// The offer the member came by, alone at the top.
pub(crate) struct Focus {
    /// `Your offer`, `Confirmed` or `This offer`.
    heading: &'static str,
    card: Card,
    state: FocusState,
}

/// What the focused offer offers: the forms, or what became of it.
pub(crate) enum FocusState {
    Answer(AnswerForm),
    Outcome(String),
}

/// An offer withdrawn from the member for an upcoming charter.
pub(crate) struct Withdrawn {
    card: Card,
    why: String,
}

impl Seen {
    fn card(&self) -> Card {
        Card {
            offer_id: self.offer.offer_id.clone(),
            role: role_word(self.offer.role),
            facts: self.facts.clone(),
        }
    }
}

/// `https://host/c/….ics` as `webcal://host/c/….ics` (`http` too).
fn webcal_of(feed: &str) -> String {
    match feed.split_once("://") {
        Some((_, rest)) => format!("webcal://{rest}"),
        None => feed.to_string(),
    }
}

/// The reason in a `revoked-<offer>` entry's text (`captain offer withdrawn: fewer crew
/// needed (Ana)` → `fewer crew needed`), for the member's page.
fn recorded_reason(text: &str) -> Option<String> {
    let (_, why) = text.split_once("withdrawn: ")?;
    let why = match why.rfind(" (") {
        Some(i) if why.ends_with(')') => &why[..i],
        _ => why,
    };
    let why = why.trim();
    (!why.is_empty()).then(|| why.to_string())
}

fn is_answerable(o: &Offer, c: &Charter, now: DateTime<Utc>) -> bool {
    o.status == OfferStatus::Open
        && o.expires_at > now
        && !matches!(
            c.status,
            CharterStatus::Cancelled | CharterStatus::Completed
        )
}

impl Cascade {
    fn answer_form(&self, crew: &CrewId, o: &Offer, now: DateTime<Utc>) -> AnswerForm {
        let token = self.links.issue(
            crew,
            &Scope::Offer {
                charter: o.charter_id.clone(),
                offer: o.offer_id.clone(),
            },
            now,
            o.expires_at - now + chrono::Duration::hours(1),
        );
        let links = self.link_maker();
        AnswerForm {
            deadline: self.cfg.zone.format_time(o.expires_at),
            guard: self.links.form_guard(&token),
            accept: links.answer_action(&token, "accept"),
            decline: links.answer_action(&token, "decline"),
        }
    }

    /// Why a withdrawn offer was withdrawn, for its member: booked elsewhere that day names
    /// the other charter.
    async fn withdrawn_why(&self, s: &Seen) -> Result<String, CascadeError> {
        if s.charter.status == CharterStatus::Cancelled {
            return Ok("the charter was cancelled".into());
        }
        if let Some(h) = self
            .backend
            .holds
            .get(&s.offer.crew_id, s.offer.charter_date)
            .await?
        {
            if h.charter_id != s.offer.charter_id {
                let other = match self.backend.charters.get(&h.charter_id).await? {
                    Some(c) => format!(
                        " ({} aboard {})",
                        dispatch_core::zone::format_date(c.charter_date),
                        c.vessel_name
                    ),
                    None => String::new(),
                };
                return Ok(format!("you are booked on another charter that day{other}"));
            }
        }
        // As recorded when it was withdrawn (the `revoked-<offer>` thread entry).
        let id = crate::keys::EntryId::closed(OfferStatus::Revoked, &s.offer.offer_id);
        let recorded = self
            .backend
            .thread
            .list(&s.offer.charter_id)
            .await?
            .into_iter()
            .find(|e| e.id == id.as_str())
            .and_then(|e| recorded_reason(&e.text));
        Ok(recorded.unwrap_or_else(|| "the place was filled".into()))
    }

    /// What became of an offer that cannot be answered any more.
    async fn outcome(&self, s: &Seen, now: DateTime<Utc>) -> Result<String, CascadeError> {
        let title = s.facts.title();
        Ok(match s.offer.status {
            _ if s.charter.status == CharterStatus::Cancelled => {
                format!("The charter on {title} was cancelled.")
            }
            OfferStatus::Accepted => format!("You are confirmed for {title}."),
            OfferStatus::Declined => format!("You declined the offer for {title}."),
            OfferStatus::Lapsed => {
                format!("The offer for {title} passed its deadline before it was answered.")
            }
            OfferStatus::Revoked => format!(
                "The offer for {title} was withdrawn: {}.",
                self.withdrawn_why(s).await?
            ),
            OfferStatus::Open if s.offer.expires_at <= now => {
                format!("The offer for {title} passed its deadline before it was answered.")
            }
            OfferStatus::Open => format!("The offer for {title} is closed."),
        })
    }

    async fn focus(&self, s: &Seen, now: DateTime<Utc>) -> Result<Focus, CascadeError> {
        if is_answerable(&s.offer, &s.charter, now) {
            return Ok(Focus {
                heading: "Your offer",
                card: s.card(),
                state: FocusState::Answer(self.answer_form(&s.offer.crew_id, &s.offer, now)),
            });
        }
        let heading = match s.offer.status {
            OfferStatus::Accepted if s.charter.status != CharterStatus::Cancelled => "Confirmed",
            _ => "This offer",
        };
        Ok(Focus {
            heading,
            card: s.card(),
            state: FocusState::Outcome(self.outcome(s, now).await?),
        })
    }

    /// The page of `member`; `focus` is the offer of the link they came by, `source` the
    /// claims of that link (the page's own forms get a page link that never outlives it; `None`
    /// after an answer, whose forms use the offer's link).
    pub(crate) async fn crew_page(
        &self,
        member: &CrewMember,
        focus: Option<&OfferId>,
        source: Option<&Claims>,
        now: DateTime<Utc>,
    ) -> Result<CrewPage, CascadeError> {
        self.crew_page_after(member, focus, source, None, now).await
    }

    /// [`Self::crew_page`] right after `member` accepted `accepted`: their other open offers that
    /// day are not shown (the worker is withdrawing them), and the accepted one has no "I can't
    /// make it" on record yet.
    pub(crate) async fn crew_page_after(
        &self,
        member: &CrewMember,
        focus: Option<&OfferId>,
        source: Option<&Claims>,
        accepted: Option<&Offer>,
        now: DateTime<Utc>,
    ) -> Result<CrewPage, CascadeError> {
        let crew = &member.crew_id;
        let today = self.cfg.zone.today(now);
        let (seen, newest) = self.seen(member, focus, accepted, now).await?;

        let focused = focus.and_then(|f| seen.iter().find(|s| &s.offer.offer_id == f));
        let focus = match focused {
            Some(s) => Some(self.focus(s, now).await?),
            None => None,
        };
        let mut open = Vec::new();
        let mut withdrawn = Vec::new();
        for s in &seen {
            if focused.is_some_and(|f| f.offer.offer_id == s.offer.offer_id) {
                continue;
            }
            let future = s.charter.charter_date >= today;
            if is_answerable(&s.offer, &s.charter, now) {
                open.push(Answerable {
                    card: s.card(),
                    form: self.answer_form(crew, &s.offer, now),
                });
            } else if s.offer.status == OfferStatus::Revoked
                && future
                && s.charter.status != CharterStatus::Cancelled
                && newest
                    .get(&s.offer.charter_id)
                    .is_none_or(|at| *at <= s.offer.created_at)
            {
                withdrawn.push(Withdrawn {
                    card: s.card(),
                    why: self.withdrawn_why(s).await?,
                });
            }
        }
        // Upcoming: accepted offers (also the focused one) of charters the member is still on.
        let mut upcoming = Vec::new();
        for s in seen.iter().filter(|s| {
            s.offer.status == OfferStatus::Accepted
                && s.charter.charter_date >= today
                && s.charter.status != CharterStatus::Cancelled
                && (s.charter.captain_assigned.as_ref() == Some(crew)
                    || s.charter.crew_assigned.contains(crew))
        }) {
            let drop = match accepted {
                Some(a) if a.offer_id == s.offer.offer_id => {
                    self.fresh_drop_state(&s.charter, &a.offer_id, now)
                }
                _ => self.drop_state(&s.charter, &s.offer.offer_id, now).await?,
            };
            upcoming.push(Upcoming {
                card: s.card(),
                drop,
            });
        }
        let window = window(today);
        let feed = self.feed_link(crew);
        let booked = crate::page_seen::booked_of(&seen, crew, &window);
        let dates = member
            .available_dates
            .iter()
            .filter(|d| **d >= today)
            .map(|d| dispatch_core::zone::format_date(*d))
            .collect();
        Ok(CrewPage {
            title: format!("Hello, {}", first_name(&member.name)),
            note: None,
            focus,
            open,
            upcoming,
            withdrawn,
            dates,
            forms: source.map(|c| self.page_forms(c, now)),
            days: days(member, today, &booked),
            webcal: webcal_of(&feed),
            feed,
            phone: self.cfg.office_phone.as_ref().map(|p| {
                let tel = p
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                (tel, p.clone())
            }),
            zone: self.cfg.zone.name().to_string(),
        })
    }
}

#[cfg(test)]
mod crew_tests {
    use super::{recorded_reason, webcal_of};

    #[test]
    fn withdrawals_read_as_recorded_and_feeds_subscribe_by_webcal() {
        assert_eq!(
            recorded_reason("crew (slot 1) offer withdrawn: fewer crew needed (Ana Silva)")
                .as_deref(),
            Some("fewer crew needed")
        );
        assert_eq!(
            recorded_reason("captain offer withdrawn: the member is now inactive").as_deref(),
            Some("the member is now inactive")
        );
        assert_eq!(recorded_reason("something else"), None);
        assert_eq!(
            webcal_of("https://crew.example.com/c/t.ics"),
            "webcal://crew.example.com/c/t.ics"
        );
    }
}
