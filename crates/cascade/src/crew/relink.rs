//! A fresh link to a member's page, by mail: `dispatch crew link MEMBER [--revoke]` and the
//! broken-link page's "e-mail me a new link". Revoking sets the member's `links_not_before` to
//! the next whole second and issues the new link at that second, so every earlier link (page,
//! offer, calendar) is void and the new one works. "E-mail me a new link" answers the same
//! whether or not the address is a member's, and goes out at most [`DAILY_LIMIT`] times a day
//! per address (a counter of idempotency claims, through the ports).

use chrono::{DateTime, Utc};
use dispatch_core::domain::{CrewMember, EmailAddress};
use dispatch_core::ports::{ClaimOutcome, IdempotencyClaim};
use sha2::{Digest, Sha256};

use crate::crew::mails;
use crate::deliver::send_once;
use crate::mails::Letterhead;
use crate::service::{Cascade, CascadeError};
use crate::tokens::revocation_time;

/// How many "e-mail me a new link" mails one address gets a day.
pub const DAILY_LIMIT: u32 = 3;

/// What [`mail_page_link`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relinked {
    /// When the new link was issued (and, when revoking, the member's `links_not_before`).
    pub issued_at: DateTime<Utc>,
    pub revoked: bool,
}

/// Mails `m` a fresh link to their page; with `revoke`, first voids every link issued before it.
pub async fn mail_page_link(
    cx: &Cascade,
    m: &CrewMember,
    revoke: bool,
) -> Result<Relinked, CascadeError> {
    let now = cx.now();
    let at = if revoke { revocation_time(now) } else { now };
    if revoke {
        cx.backend.roster.revoke_links(&m.crew_id, at).await?;
        tracing::info!(crew_id = %m.crew_id, not_before = %at, "member's earlier links revoked");
    }
    let link = cx.link_maker().page(&m.crew_id, at);
    send_once(
        cx,
        mails::page_link(&Letterhead::of(&cx.cfg), m, &link, at, revoke),
    )
    .await?;
    Ok(Relinked {
        issued_at: at,
        revoked: revoke,
    })
}

/// "E-mail me a new link" for `raw` (what the person typed): if the address is a member's and
/// under the day's limit, their earlier links are revoked and a fresh one is mailed. Returns
/// nothing the caller could tell apart: the page says the same either way.
pub async fn request_new_link(cx: &Cascade, raw: &str) -> Result<(), CascadeError> {
    let Ok(email) = EmailAddress::parse(raw.trim()) else {
        return Ok(());
    };
    if !under_daily_limit(cx, &email).await? {
        tracing::info!("new-link request over the daily limit; nothing sent");
        return Ok(());
    }
    let roster = cx.backend.roster.list().await?;
    let wanted = email.as_str().to_ascii_lowercase();
    let member = roster
        .items
        .iter()
        .find(|m| m.active && m.email.as_str().to_ascii_lowercase() == wanted);
    match member {
        Some(m) => {
            mail_page_link(cx, m, true).await?;
            tracing::info!(crew_id = %m.crew_id, "new link mailed on request");
        }
        None => tracing::info!("new-link request for an address not on the roster"),
    }
    Ok(())
}

/// Takes one of the day's [`DAILY_LIMIT`] requests of `email`: a claim of
/// `relink#<hash of address>#<day>#<n>` for the first free `n`; `false` when all are taken.
async fn under_daily_limit(cx: &Cascade, email: &EmailAddress) -> Result<bool, CascadeError> {
    let now = cx.now();
    let day = cx.cfg.zone.today(now);
    let hash = Sha256::digest(email.as_str().to_ascii_lowercase().as_bytes());
    let tag: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    let keep = now + chrono::Duration::days(2);
    for n in 1..=DAILY_LIMIT {
        let claim = IdempotencyClaim {
            key: format!("relink#{tag}#{day}#{n}"),
            payload_hash: "relink".into(),
            owner: format!("relink-{}", uuid::Uuid::new_v4().simple()),
            now,
            in_progress_until: keep,
            expires_at: keep,
        };
        if let ClaimOutcome::Claimed { .. } = cx.backend.idempotency.claim(&claim).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
