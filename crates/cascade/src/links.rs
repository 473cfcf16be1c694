//! The links the cascade hands out, built in one place from a token ([`crate::tokens`]) and the
//! public URL: an offer (`/o/…`), a member's page (`/p/…`), their calendar feed (`/c/….ics`) and
//! the ops board (`/ops/…`). Pure: the time comes in.

use chrono::{DateTime, Duration, Utc};
use dispatch_core::domain::{CrewId, EmailAddress, Offer};

use crate::tokens::{Claims, MagicLinks, Scope};

/// How long a link to a member's page works unless the settings say otherwise
/// (`DISPATCH_PAGE_LINK_DAYS`): every mail carries a fresh one.
pub const PAGE_LINK_DAYS: i64 = 30;

/// How long a calendar feed link works (read-only: it opens the feed and nothing else).
pub const CALENDAR_LINK_DAYS: i64 = 365;

/// Builds links with a set of keys and the page's base URL.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    tokens: &'a MagicLinks,
    base: &'a str,
    page_ttl: Duration,
}

impl<'a> Links<'a> {
    /// `public_url` with or without a trailing `/`.
    pub fn new(tokens: &'a MagicLinks, public_url: &'a str) -> Self {
        Self {
            tokens,
            base: public_url.trim_end_matches('/'),
            page_ttl: Duration::days(PAGE_LINK_DAYS),
        }
    }

    /// Page links that work for `ttl` (the setting).
    pub fn with_page_ttl(mut self, ttl: Duration) -> Self {
        self.page_ttl = ttl;
        self
    }

    /// The link in an offer mail: it answers that one offer until `ttl` after its deadline.
    pub fn offer(&self, offer: &Offer, now: DateTime<Utc>, ttl: Duration) -> String {
        let token = self.tokens.issue(
            &offer.crew_id,
            &Scope::Offer {
                charter: offer.charter_id.clone(),
                offer: offer.offer_id.clone(),
            },
            now,
            (offer.expires_at - now) + ttl,
        );
        format!("{}/o/{token}", self.base)
    }

    /// Where an answer form on our own page posts (`answer` is `accept` or `decline`): the
    /// public URL's path (empty, or `/crew` when a proxy serves the page under a path) and
    /// `/o/{token}/{answer}`. Path-absolute, so the form stays on the page's own origin.
    pub fn answer_action(&self, token: &str, answer: &str) -> String {
        format!("{}/o/{token}/{answer}", base_path(self.base))
    }

    /// Where the broken-link page's "e-mail me a new link" form posts (path-absolute).
    pub fn new_link_action(&self) -> String {
        format!("{}/new-link", base_path(self.base))
    }

    /// Where the member page's own forms post for the page token `token` (`what` is
    /// `cant-make-it` or `availability`; path-absolute).
    pub fn page_action(&self, token: &str, what: &str) -> String {
        format!("{}/p/{token}/{what}", base_path(self.base))
    }

    /// A link to the member's page, for the page-link time.
    pub fn page(&self, crew: &CrewId, now: DateTime<Utc>) -> String {
        let token = self.tokens.issue(crew, &Scope::Page, now, self.page_ttl);
        format!("{}/p/{token}", self.base)
    }

    /// A link to the member's page minted while they hold the token of `source` (on their
    /// page, for its forms): it never outlives `source`, nor the page-link time.
    pub fn page_from(&self, source: &Claims, now: DateTime<Utc>) -> String {
        let ttl = self.page_ttl.min(source.expires_at - now);
        let token = self.tokens.issue(&source.crew, &Scope::Page, now, ttl);
        format!("{}/p/{token}", self.base)
    }

    /// The member's calendar feed (subscribe once; it follows every assignment): a read-only
    /// calendar link, so a page viewed through a short-lived link never hands out a long-lived
    /// one that could answer offers.
    pub fn feed(&self, crew: &CrewId, now: DateTime<Utc>) -> String {
        let token = self.tokens.issue(
            crew,
            &Scope::Calendar,
            now,
            Duration::days(CALENDAR_LINK_DAYS),
        );
        format!("{}/c/{token}.ics", self.base)
    }

    /// A one-use sign-in link to the ops board for `address` (`link`: the stored link's id).
    pub fn ops_sign_in(
        &self,
        address: &EmailAddress,
        link: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> String {
        let token = self.tokens.issue_ops_sign_in(address, link, now, ttl);
        format!("{}/ops/{token}", self.base)
    }

    /// `rest` (starting with `/`) under the public URL's path: where our own forms post.
    pub fn local_path(&self, rest: &str) -> String {
        format!("{}{rest}", base_path(self.base))
    }

    /// A read-only link to the ops board, valid for `ttl` (no longer mailed: see
    /// [`Self::ops_sign_in`]).
    pub fn ops(&self, now: DateTime<Utc>, ttl: Duration) -> String {
        format!("{}/ops/{}", self.base, self.tokens.issue_ops(now, ttl))
    }
}

/// The path of `base` (`https://example.com/crew` → `/crew`; no path → empty).
fn base_path(base: &str) -> &str {
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    rest.find('/').map_or("", |i| &rest[i..])
}

#[cfg(test)]
mod path_tests {
    use super::base_path;

    #[test]
    fn the_public_urls_path_prefixes_form_actions() {
        assert_eq!(base_path("https://crew.example.com"), "");
        assert_eq!(base_path("https://example.com/crew"), "/crew");
        assert_eq!(base_path("http://127.0.0.1:8080/a/b"), "/a/b");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::LinkKey;
    use chrono::TimeZone;
    use dispatch_core::domain::{CharterDate, CharterId, OfferId, OfferStatus, Role};

    #[test]
    fn each_link_opens_what_it_says() {
        let keys = MagicLinks::new(vec![LinkKey::new("k1", vec![3; 32]).unwrap()]).unwrap();
        let l = Links::new(&keys, "https://crew.example.com/");
        let now = Utc.timestamp_opt(1_714_000_000, 0).unwrap();
        let ana = CrewId::parse("ana").unwrap();
        let page = l.page(&ana, now);
        let token = page.strip_prefix("https://crew.example.com/p/").unwrap();
        let claims = keys.verify(token, now).unwrap();
        assert_eq!(
            (claims.scope, claims.expires_at),
            (Scope::Page, now + Duration::days(PAGE_LINK_DAYS))
        );
        let feed = l.feed(&ana, now);
        let cal = feed
            .strip_prefix("https://crew.example.com/c/")
            .and_then(|f| f.strip_suffix(".ics"))
            .unwrap();
        let claims = keys.verify_calendar(cal, now).unwrap();
        assert_eq!(
            (claims.scope, claims.expires_at),
            (Scope::Calendar, now + Duration::days(CALENDAR_LINK_DAYS))
        );
        assert!(
            keys.verify_member(cal, now).is_err(),
            "a calendar link opens no page"
        );
        let ops = l.ops(now, Duration::days(7));
        let token = ops.strip_prefix("https://crew.example.com/ops/").unwrap();
        assert!(keys.verify_ops(token, now).is_ok());
        let offer = Offer {
            offer_id: OfferId::parse("1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
            charter_id: CharterId::parse("0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a").unwrap(),
            charter_date: CharterDate::parse("2024-05-03").unwrap(),
            crew_id: ana,
            role: Role::Captain,
            status: OfferStatus::Open,
            created_at: now,
            expires_at: now + Duration::hours(2),
            updated_at: now,
        };
        let link = l.offer(&offer, now, Duration::days(7));
        let token = link.strip_prefix("https://crew.example.com/o/").unwrap();
        let (claims, charter, id) = keys.verify_offer(token, now).unwrap();
        assert_eq!(
            (charter, id),
            (offer.charter_id.clone(), offer.offer_id.clone())
        );
        assert_eq!(
            claims.expires_at,
            now + Duration::hours(2) + Duration::days(7)
        );
    }
}
