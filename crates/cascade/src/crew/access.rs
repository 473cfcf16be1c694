//! A member's token, checked as the place it opens requires and against the roster: a token
//! issued before the member's `links_not_before` is refused like any other bad link, and so is
//! one whose member left the roster. Every place that takes a member's token comes here.

use dispatch_core::domain::CrewMember;

use crate::service::{Cascade, CascadeError};
use crate::tokens::{Claims, TokenError};

/// Where a member's token is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The member's page and its forms (a page or an offer token).
    Page,
    /// The calendar feed (a calendar token, or a page token of an older subscription).
    Calendar,
}

/// The claims and member of `token` used at `place`; `Ok(Err(_))` for a bad, revoked or
/// wrong-place token (the person sees one plain page whatever it is).
pub async fn member_of_token(
    cx: &Cascade,
    token: &str,
    place: Place,
) -> Result<Result<(Claims, CrewMember), TokenError>, CascadeError> {
    let now = cx.now();
    let claims = match place {
        Place::Page => cx.links.verify_member(token, now),
        Place::Calendar => cx.links.verify_calendar(token, now),
    };
    let claims = match claims {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let Some(member) = cx.backend.roster.get(&claims.crew).await? else {
        return Ok(Err(TokenError::NoSuchMember));
    };
    Ok(claims
        .check_not_revoked(member.links_not_before)
        .map(|()| (claims, member)))
}
