//! Magic-link tokens: `kid.crew.scope.iat.exp.mac`, every segment base64url (no padding), the MAC
//! an HMAC-SHA256 over the first five segments as written, keyed by the key named `kid`.
//!
//! The deployed system's tokens were `crew_id.timestamp.hmac`; these keep the idea and add the key
//! id (keys rotate: several are accepted, the newest signs), an expiry, and a scope (the member's
//! page, or one offer). Verification is constant-time (`verify_slice`, length-checked) and every
//! failure looks the same to the caller: [`TokenError`] says why for the log only.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use dispatch_core::domain::{CharterId, CrewId, EmailAddress, OfferId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Longest token accepted; anything longer is refused before any work.
pub const MAX_TOKEN_LEN: usize = 512;

/// What a token lets its holder do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// See the member's own page (and answer its offers). Issued for a bounded time.
    Page,
    /// Read the member's calendar feed at `/c/`, nothing else (a calendar subscription lives
    /// long, so it may open nothing but the feed).
    Calendar,
    /// Answer one offer (and see the page).
    Offer { charter: CharterId, offer: OfferId },
    /// See the ops board (read-only); the token's member is [`OPS_HOLDER`]. No longer issued
    /// by the cascade (links already mailed keep working until they expire).
    Ops,
    /// Sign in to the ops board as `address`, once: `link` names the stored, unspent link
    /// (see `crate::board::access`). The token's member is [`OPS_HOLDER`].
    OpsSignIn { address: EmailAddress, link: String },
}

/// The member field of an ops-board token (no crew member has the board).
pub const OPS_HOLDER: &str = "ops";

impl Scope {
    fn encode(&self) -> String {
        match self {
            Scope::Page => "page".into(),
            Scope::Calendar => "calendar".into(),
            Scope::Ops => "ops".into(),
            Scope::Offer { charter, offer } => format!("offer:{charter}:{offer}"),
            Scope::OpsSignIn { address, link } => format!("ops-for:{link}:{address}"),
        }
    }
    fn decode(s: &str) -> Option<Self> {
        if s == "page" {
            return Some(Scope::Page);
        }
        if s == "ops" {
            return Some(Scope::Ops);
        }
        if s == "calendar" {
            return Some(Scope::Calendar);
        }
        if let Some(rest) = s.strip_prefix("ops-for:") {
            let (link, address) = rest.split_once(':')?;
            return Some(Scope::OpsSignIn {
                address: EmailAddress::parse(address).ok()?,
                link: link.to_string(),
            });
        }
        let rest = s.strip_prefix("offer:")?;
        let (c, o) = rest.split_once(':')?;
        Some(Scope::Offer {
            charter: CharterId::parse(c).ok()?,
            offer: OfferId::parse(o).ok()?,
        })
    }
}

/// A verified token's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub kid: String,
    pub crew: CrewId,
    pub scope: Scope,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused (for logs; the person sees one plain page whatever it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token too long")]
    TooLong,
    #[error("token malformed")]
    Malformed,
    #[error("unknown key id")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not valid yet")]
    NotYetValid,
    #[error("token has the wrong scope")]
    WrongScope,
    /// Issued before the member's `links_not_before` (`dispatch crew link --revoke`, or a new
    /// link they asked for).
    #[error("token revoked")]
    Revoked,
    /// The token's member is not on the roster (any more).
    #[error("token names no member")]
    NoSuchMember,
}

impl Claims {
    /// Refuses a token issued before `not_before` (the member's `links_not_before`).
    pub fn check_not_revoked(&self, not_before: Option<DateTime<Utc>>) -> Result<(), TokenError> {
        match not_before {
            Some(t) if self.issued_at < t => Err(TokenError::Revoked),
            _ => Ok(()),
        }
    }
}

/// The first whole second at or after `t`: a revocation at `t` voids every token issued
/// before it (token times are whole seconds), and a link issued at this second survives it.
pub fn revocation_time(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = Utc.timestamp_opt(t.timestamp(), 0).single().unwrap_or(t);
    if floor == t {
        t
    } else {
        floor + chrono::Duration::seconds(1)
    }
}

/// A signing key: an id and at least 32 bytes of secret.
#[derive(Clone)]
pub struct LinkKey {
    pub id: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkKey({}, <secret>)", self.id)
    }
}

impl LinkKey {
    /// A key from its id and secret (≥ 32 bytes). Ids are letters, digits, `-` and `_`.
    pub fn new(id: &str, secret: Vec<u8>) -> Result<Self, String> {
        if id.is_empty()
            || id.len() > 32
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "link key id `{id}` must be 1-32 letters, digits, - or _"
            ));
        }
        if secret.len() < 32 {
            return Err(format!(
                "link key `{id}` is {} bytes; use at least 32 random bytes",
                secret.len()
            ));
        }
        Ok(Self {
            id: id.to_string(),
            secret,
        })
    }
}

/// Issues and verifies tokens with a set of keys; the last key signs.
#[derive(Debug, Clone)]
pub struct MagicLinks {
    keys: Vec<LinkKey>,
}

impl MagicLinks {
    /// Keys in order of age: the last one signs, all verify.
    pub fn new(keys: Vec<LinkKey>) -> Result<Self, String> {
        if keys.is_empty() {
            return Err("no link keys configured".into());
        }
        Ok(Self { keys })
    }

    fn mac(key: &LinkKey, signed: &str) -> HmacSha256 {
        #[allow(clippy::expect_used)] // HMAC-SHA256 accepts a key of any length
        let mut mac = HmacSha256::new_from_slice(&key.secret).expect("HMAC takes any key length");
        mac.update(signed.as_bytes());
        mac
    }

    /// A token for `crew` with `scope`, valid from `now` for `ttl`.
    pub fn issue(
        &self,
        crew: &CrewId,
        scope: &Scope,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> String {
        #[allow(clippy::expect_used)] // MagicLinks::new refuses an empty key list
        let key = self.keys.last().expect("at least one key");
        let parts = [
            B64.encode(&key.id),
            B64.encode(crew.as_str()),
            B64.encode(scope.encode()),
            B64.encode(now.timestamp().to_string()),
            B64.encode((now + ttl).timestamp().to_string()),
        ];
        let signed = parts.join(".");
        let tag = Self::mac(key, &signed).finalize().into_bytes();
        format!("{signed}.{}", B64.encode(tag))
    }

    /// Checks a token's form, key, signature and times.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::TooLong);
        }
        let segments: Vec<&str> = token.split('.').collect();
        if segments.len() != 6 || segments.iter().any(|s| s.is_empty()) {
            return Err(TokenError::Malformed);
        }
        let text = |s: &str| -> Result<String, TokenError> {
            String::from_utf8(B64.decode(s).map_err(|_| TokenError::Malformed)?)
                .map_err(|_| TokenError::Malformed)
        };
        let kid = text(segments[0])?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == kid)
            .ok_or(TokenError::UnknownKey)?;
        let tag = B64.decode(segments[5]).map_err(|_| TokenError::Malformed)?;
        let signed_len = token.len() - segments[5].len() - 1;
        Self::mac(key, &token[..signed_len])
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        // Signed by us from here on: the rest can only fail on time or scope.
        let crew = CrewId::parse(&text(segments[1])?).map_err(|_| TokenError::Malformed)?;
        let scope = Scope::decode(&text(segments[2])?).ok_or(TokenError::Malformed)?;
        let secs = |s: &str| -> Result<DateTime<Utc>, TokenError> {
            let n: i64 = text(s)?.parse().map_err(|_| TokenError::Malformed)?;
            Utc.timestamp_opt(n, 0)
                .single()
                .ok_or(TokenError::Malformed)
        };
        let issued_at = secs(segments[3])?;
        let expires_at = secs(segments[4])?;
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        if issued_at > now + chrono::Duration::minutes(5) {
            return Err(TokenError::NotYetValid);
        }
        Ok(Claims {
            kid,
            crew,
            scope,
            issued_at,
            expires_at,
        })
    }

    /// Verifies and requires an offer scope.
    pub fn verify_offer(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(Claims, CharterId, OfferId), TokenError> {
        let claims = self.verify(token, now)?;
        match claims.scope.clone() {
            Scope::Offer { charter, offer } => Ok((claims, charter, offer)),
            _ => Err(TokenError::WrongScope),
        }
    }

    /// A token for the ops board, valid from `now` for `ttl`.
    pub fn issue_ops(&self, now: DateTime<Utc>, ttl: chrono::Duration) -> String {
        #[allow(clippy::expect_used)] // a fixed, valid crew id
        let holder = CrewId::parse(OPS_HOLDER).expect("`ops` is a crew id");
        self.issue(&holder, &Scope::Ops, now, ttl)
    }

    /// Verifies and requires the ops scope.
    pub fn verify_ops(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims = self.verify(token, now)?;
        match claims.scope {
            Scope::Ops if claims.crew.as_str() == OPS_HOLDER => Ok(claims),
            _ => Err(TokenError::WrongScope),
        }
    }

    /// A one-use sign-in token for the ops board as `address` (`link`: the stored link's id).
    pub fn issue_ops_sign_in(
        &self,
        address: &EmailAddress,
        link: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> String {
        #[allow(clippy::expect_used)] // a fixed, valid crew id
        let holder = CrewId::parse(OPS_HOLDER).expect("`ops` is a crew id");
        let scope = Scope::OpsSignIn {
            address: address.clone(),
            link: link.to_string(),
        };
        self.issue(&holder, &scope, now, ttl)
    }

    /// Verifies and requires the ops sign-in scope: the address and the link's id.
    pub fn verify_ops_sign_in(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(EmailAddress, String), TokenError> {
        let claims = self.verify(token, now)?;
        match claims.scope {
            Scope::OpsSignIn { address, link } if claims.crew.as_str() == OPS_HOLDER => {
                Ok((address, link))
            }
            _ => Err(TokenError::WrongScope),
        }
    }

    /// Verifies a token for a member's own page (page or offer scope; not a calendar link, not
    /// the ops board).
    pub fn verify_member(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims = self.verify(token, now)?;
        match claims.scope {
            Scope::Page | Scope::Offer { .. } => Ok(claims),
            _ => Err(TokenError::WrongScope),
        }
    }

    /// Verifies a token for a member's calendar feed: a calendar link, or a page link (feeds
    /// subscribed before calendar links existed). Never an offer or the ops board.
    pub fn verify_calendar(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims = self.verify(token, now)?;
        match claims.scope {
            Scope::Calendar | Scope::Page => Ok(claims),
            _ => Err(TokenError::WrongScope),
        }
    }

    /// A per-token anti-forgery value for the page's forms (HMAC of the token under a fixed label).
    pub fn form_guard(&self, token: &str) -> String {
        #[allow(clippy::expect_used)] // MagicLinks::new refuses an empty key list
        let key = self.keys.last().expect("at least one key");
        B64.encode(
            Self::mac(key, &format!("form-guard|{token}"))
                .finalize()
                .into_bytes(),
        )
    }

    /// Checks a form guard in constant time (any key, so rotation does not break open pages).
    pub fn check_form_guard(&self, token: &str, guard: &str) -> bool {
        let Ok(tag) = B64.decode(guard) else {
            return false;
        };
        self.keys.iter().any(|k| {
            Self::mac(k, &format!("form-guard|{token}"))
                .verify_slice(&tag)
                .is_ok()
        })
    }
}

#[cfg(test)]
#[path = "tokens_tests.rs"]
mod tests;
