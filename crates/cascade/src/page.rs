//! The body of a member's page: the offer from the mail first and alone (with Accept and
//! Decline, or what became of it), then their other open offers, upcoming charters by date,
//! offers withdrawn because they got booked that day, available dates, the calendar feed and
//! the office phone. Every date has its weekday, every time is in the business's zone.

use chrono::{DateTime, Utc};
use dispatch_core::domain::{Charter, CharterStatus, CrewId, CrewMember, Offer, OfferId, OfferStatus};

use crate::tokens::Scope;
use crate::web::esc;
use crate::words::{role_word, CharterFacts};
use crate::{Cascade, CascadeError};

/// One offer with what the page needs to say about it.
struct Seen {
    offer: Offer,
    charter: Charter,
    facts: CharterFacts,
}

fn details(f: &CharterFacts) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &f.start {
        parts.push(format!("Report at <b>{}</b>", esc(s)));
    }
    if let Some(m) = &f.meeting_point {
        parts.push(format!("Meet at <b>{}</b>", esc(m)));
    }
    parts.push(format!("{} guests", f.guests));
    let mut out = format!("<p class=\"details\">{}</p>", parts.join(" · "));
    if !f.aboard.is_empty() {
        out.push_str(&format!(
            "<p class=\"details\">Aboard: {}</p>",
            esc(&f.aboard.join(", "))
        ));
    }
    out
}

fn heading(o: &Offer, f: &CharterFacts) -> String {
    format!(
        "<p class=\"what\"><b>{}</b><br>{} aboard <b>{}</b></p>",
        esc(&f.date),
        role_word(o.role),
        esc(&f.vessel)
    )
}

impl Cascade {
    fn answer_forms(&self, crew: &CrewId, o: &Offer, now: DateTime<Utc>) -> String {
        let token = self.links.issue(
            crew,
            &Scope::Offer {
                charter: o.charter_id.clone(),
                offer: o.offer_id.clone(),
            },
            now,
            o.expires_at - now + chrono::Duration::hours(1),
        );
        let guard = self.links.form_guard(&token);
        format!(
            "<p>Please answer by {}.</p>\
             <form method=\"post\" action=\"/o/{t}/accept\" style=\"display:inline\"><input type=\"hidden\" name=\"guard\" value=\"{g}\"><button class=\"accept\" type=\"submit\">Accept</button></form>\
             <form method=\"post\" action=\"/o/{t}/decline\" style=\"display:inline\"><input type=\"hidden\" name=\"guard\" value=\"{g}\"><button type=\"submit\">Decline</button></form>",
            esc(&self.cfg.zone.format_time(o.expires_at)),
            t = esc(&token),
            g = esc(&guard)
        )
    }

    fn is_answerable(o: &Offer, c: &Charter, now: DateTime<Utc>) -> bool {
        o.status == OfferStatus::Open
            && o.expires_at > now
            && !matches!(c.status, CharterStatus::Cancelled | CharterStatus::Completed)
    }

    /// Why a withdrawn offer was withdrawn, for its member: booked elsewhere that day names
    /// the other charter.
    async fn withdrawn_why(&self, s: &Seen) -> Result<String, CascadeError> {
        if s.charter.status == CharterStatus::Cancelled {
            return Ok("the charter was cancelled".into());
        }
        if let Some(h) = self.backend.holds.get(&s.offer.crew_id, s.offer.charter_date).await? {
            if h.charter_id != s.offer.charter_id {
                let other = match self.backend.charters.get(&h.charter_id).await? {
                    Some(c) => format!(" ({} aboard {})", dispatch_core::zone::format_date(c.charter_date), c.vessel_name),
                    None => String::new(),
                };
                return Ok(format!("you are booked on another charter that day{other}"));
            }
        }
        Ok("the place was filled".into())
    }

    /// What became of an offer that cannot be answered any more.
    async fn outcome(&self, s: &Seen, now: DateTime<Utc>) -> Result<String, CascadeError> {
        let title = s.facts.title();
        Ok(match s.offer.status {
            _ if s.charter.status == CharterStatus::Cancelled => format!("The charter on {title} was cancelled."),
            OfferStatus::Accepted => format!("You are confirmed for {title}."),
            OfferStatus::Declined => format!("You declined the offer for {title}."),
            OfferStatus::Lapsed => format!("The offer for {title} passed its deadline before it was answered."),
            OfferStatus::Revoked => format!("The offer for {title} was withdrawn: {}.", self.withdrawn_why(s).await?),
            OfferStatus::Open if s.offer.expires_at <= now => {
                format!("The offer for {title} passed its deadline before it was answered.")
            }
            OfferStatus::Open => format!("The offer for {title} is closed."),
        })
    }

    /// The page body for `member`; `focus` is the offer of the link they came by.
    pub(crate) async fn page_body(
        &self,
        member: &CrewMember,
        focus: Option<&OfferId>,
        now: DateTime<Utc>,
    ) -> Result<String, CascadeError> {
        let crew = &member.crew_id;
        let today = self.cfg.zone.today(now);
        let mut seen = Vec::new();
        for o in self.backend.offers.for_crew(crew).await? {
            let Some(c) = self.backend.charters.get(&o.charter_id).await? else {
                continue;
            };
            let facts = self.facts(&c, crew).await?;
            seen.push(Seen {
                offer: o,
                charter: c,
                facts,
            });
        }
        seen.sort_by(|a, b| {
            (a.charter.charter_date, a.offer.created_at).cmp(&(b.charter.charter_date, b.offer.created_at))
        });

        let mut body = String::new();
        let focused = focus.and_then(|f| seen.iter().find(|s| &s.offer.offer_id == f));
        if let Some(s) = focused {
            let (h2, inner) = if Self::is_answerable(&s.offer, &s.charter, now) {
                ("Your offer", self.answer_forms(crew, &s.offer, now))
            } else {
                let h2 = match s.offer.status {
                    OfferStatus::Accepted if s.charter.status != CharterStatus::Cancelled => "Confirmed",
                    _ => "This offer",
                };
                (h2, format!("<p class=\"outcome\">{}</p>", esc(&self.outcome(s, now).await?)))
            };
            body.push_str(&format!(
                "<section class=\"focus\" id=\"offer-{id}\"><h2>{h2}</h2>{}{}{inner}</section>",
                heading(&s.offer, &s.facts),
                details(&s.facts),
                id = s.offer.offer_id,
            ));
        }

        let mut open = String::new();
        let mut upcoming = String::new();
        let mut withdrawn = String::new();
        for s in &seen {
            if focused.is_some_and(|f| f.offer.offer_id == s.offer.offer_id) {
                continue;
            }
            let future = s.charter.charter_date >= today;
            if Self::is_answerable(&s.offer, &s.charter, now) {
                open.push_str(&format!(
                    "<section id=\"offer-{id}\">{}{}{}</section>",
                    heading(&s.offer, &s.facts),
                    details(&s.facts),
                    self.answer_forms(crew, &s.offer, now),
                    id = s.offer.offer_id,
                ));
            } else if s.offer.status == OfferStatus::Revoked && future && s.charter.status != CharterStatus::Cancelled {
                withdrawn.push_str(&format!(
                    "<li>{} — {} aboard {}: withdrawn, {}.</li>",
                    esc(&s.facts.date),
                    role_word(s.offer.role),
                    esc(&s.facts.vessel),
                    esc(&self.withdrawn_why(s).await?)
                ));
            }
        }
        // Upcoming: accepted offers (also the focused one) of charters the member is still on.
        for s in seen.iter().filter(|s| {
            s.offer.status == OfferStatus::Accepted
                && s.charter.charter_date >= today
                && s.charter.status != CharterStatus::Cancelled
                && (s.charter.captain_assigned.as_ref() == Some(crew) || s.charter.crew_assigned.contains(crew))
        }) {
            upcoming.push_str(&format!(
                "<li class=\"charter\">{}{}</li>",
                heading(&s.offer, &s.facts),
                details(&s.facts)
            ));
        }
        let dates: Vec<String> = member
            .available_dates
            .iter()
            .filter(|d| **d >= today)
            .map(|d| dispatch_core::zone::format_date(*d))
            .collect();
        let title = if focused.is_some() { "Your other open offers" } else { "Open offers" };
        body.push_str(&format!(
            "<h2>{title}</h2>{}",
            if open.is_empty() { "<p>No other open offers right now.</p>".to_string() } else { open }
        ));
        body.push_str(&format!(
            "<h2>Your upcoming charters</h2>{}",
            if upcoming.is_empty() { "<p>None yet.</p>".to_string() } else { format!("<ul class=\"charters\">{upcoming}</ul>") }
        ));
        if !withdrawn.is_empty() {
            body.push_str(&format!("<h2>Withdrawn offers</h2><ul>{withdrawn}</ul>"));
        }
        body.push_str(&format!(
            "<h2>Dates you are available</h2><p>{}</p>",
            if dates.is_empty() { "none listed".to_string() } else { esc(&dates.join(", ")) }
        ));
        body.push_str(&format!(
            "<p><a href=\"{}\">Add your charters to your calendar</a> (subscribe once; it follows every assignment).</p>",
            esc(&self.feed_link(crew))
        ));
        if let Some(p) = &self.cfg.office_phone {
            body.push_str(&format!(
                "<p>Questions? Call the office: <a href=\"tel:{}\">{}</a></p>",
                esc(&p.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>()),
                esc(p)
            ));
        }
        body.push_str(&format!(
            "<p><small>Times are {} time. This page is personal: please do not forward its link.</small></p>",
            esc(self.cfg.zone.name())
        ));
        Ok(body)
    }

    /// The member's calendar feed: every upcoming charter they are confirmed on.
    pub(crate) async fn feed(&self, crew: &CrewId, now: DateTime<Utc>) -> Result<String, CascadeError> {
        let today = self.cfg.zone.today(now);
        let mut rows = Vec::new();
        for o in self.backend.offers.for_crew(crew).await? {
            if o.status != OfferStatus::Accepted || o.charter_date < today {
                continue;
            }
            let Some(c) = self.backend.charters.get(&o.charter_id).await? else {
                continue;
            };
            let aboard = c.captain_assigned.as_ref() == Some(crew) || c.crew_assigned.contains(crew);
            if c.status == CharterStatus::Cancelled || !aboard {
                continue;
            }
            let facts = self.facts(&c, crew).await?;
            rows.push((o, c, facts));
        }
        rows.sort_by_key(|(_, c, _)| c.charter_date);
        let note = self
            .cfg
            .office_phone
            .as_ref()
            .map(|p| format!("Office: {p}"))
            .unwrap_or_default();
        let entries: Vec<crate::ics::Entry<'_>> = rows
            .iter()
            .map(|(o, c, f)| crate::ics::Entry {
                charter: &c.charter_id,
                crew,
                role: o.role,
                date: c.charter_date,
                facts: f,
                note: note.clone(),
            })
            .collect();
        Ok(crate::ics::calendar(
            &format!("{} charters", self.cfg.from_name),
            self.cfg.zone.name(),
            &entries,
            now,
        ))
    }
}
