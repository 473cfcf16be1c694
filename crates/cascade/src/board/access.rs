//! Who may act on the ops board: one-use sign-in links for an address of `ops_emails`, the
//! 12-hour sessions they open, and the anti-forgery value every form of a session carries.
//!
//! A link is a magic-link token of scope [`Scope::OpsSignIn`](crate::tokens::Scope) naming a
//! stored link row; pressing "Sign in" spends the row and opens a session in one transaction
//! (a GET never spends it: mail scanners fetch links). The session's secret lives only in the
//! person's cookie; the store keeps its SHA-256. The CSRF value is an HMAC of the secret, so it
//! is checked against the session without storing it. `dispatch ops revoke` deletes every link
//! and session of an address; an address taken out of `ops_emails` opens nothing any more.

use chrono::Duration;
use dispatch_core::domain::EmailAddress;
use dispatch_core::ports::{OpsLink, OpsSession, SignIn};
use sha2::{Digest, Sha256};

use crate::service::{Cascade, CascadeError};

/// How long a sign-in link can be opened.
pub const OPS_LINK_DAYS: i64 = 7;
/// How long a session lasts.
pub const OPS_SESSION_HOURS: i64 = 12;

/// A signed-in ops person, as a request proves it (by the cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub address: EmailAddress,
    /// The session's secret (from the cookie): the CSRF value is derived from it.
    secret: String,
}

/// Why a link could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(
        "{0} is not in ops_emails: add it to the settings (DISPATCH_OPS_EMAILS / ops_emails) first"
    )]
    NotOps(EmailAddress),
    #[error(transparent)]
    Cascade(#[from] CascadeError),
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Signed {
    /// The cookie's value: the address and the secret.
    pub fn cookie_value(&self) -> String {
        use base64::Engine as _;
        let a = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.address.as_str());
        format!("{a}.{}", self.secret)
    }

    fn parse(value: &str) -> Option<(EmailAddress, String)> {
        use base64::Engine as _;
        let (a, secret) = value.split_once('.')?;
        let a = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(a)
            .ok()?;
        let address = EmailAddress::parse(std::str::from_utf8(&a).ok()?).ok()?;
        (secret.len() == 64 && secret.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| (address, secret.to_string()))
    }
}

impl Cascade {
    /// Whether `address` is one of `ops_emails` (case-insensitive).
    pub fn is_ops(&self, address: &EmailAddress) -> bool {
        self.cfg
            .ops
            .iter()
            .any(|o| o.as_str().eq_ignore_ascii_case(address.as_str()))
    }

    /// A new one-use sign-in link to the ops board for `address` (one of `ops_emails`), valid
    /// for [`OPS_LINK_DAYS`].
    pub async fn ops_sign_in_link(&self, address: &EmailAddress) -> Result<String, LinkError> {
        if !self.is_ops(address) {
            return Err(LinkError::NotOps(address.clone()));
        }
        let now = self.now();
        let ttl = Duration::days(OPS_LINK_DAYS);
        let link = OpsLink {
            address: address.clone(),
            link_id: random_id(),
            expires_at: now + ttl,
        };
        self.backend
            .ops_access
            .add_link(&link)
            .await
            .map_err(CascadeError::from)?;
        tracing::info!("ops sign-in link issued");
        Ok(self
            .link_maker()
            .ops_sign_in(address, &link.link_id, now, ttl))
    }

    /// Spends the link `link` of `address` and opens a session; `None` when the link is spent,
    /// revoked or expired, or the address is no longer one of `ops_emails`.
    pub async fn ops_sign_in(
        &self,
        address: &EmailAddress,
        link: &str,
    ) -> Result<Option<Signed>, CascadeError> {
        if !self.is_ops(address) {
            return Ok(None);
        }
        let now = self.now();
        let secret = format!("{}{}", random_id(), random_id());
        let session = OpsSession {
            address: address.clone(),
            session_hash: hash(&secret),
            created_at: now,
            expires_at: now + Duration::hours(OPS_SESSION_HOURS),
        };
        match self.backend.ops_access.sign_in(link, &session, now).await? {
            SignIn::Opened => {
                tracing::info!("ops session opened");
                Ok(Some(Signed {
                    address: address.clone(),
                    secret,
                }))
            }
            SignIn::LinkGone => Ok(None),
        }
    }

    /// The session a cookie value names, if it is stored, unexpired and its address still one
    /// of `ops_emails`.
    pub async fn ops_session(&self, cookie: &str) -> Result<Option<Signed>, CascadeError> {
        let Some((address, secret)) = Signed::parse(cookie) else {
            return Ok(None);
        };
        if !self.is_ops(&address) {
            return Ok(None);
        }
        let stored = self
            .backend
            .ops_access
            .session(&address, &hash(&secret))
            .await?;
        Ok(stored
            .filter(|s| s.expires_at > self.now())
            .map(|_| Signed { address, secret }))
    }

    /// Ends every session and voids every link of `address`; how many went.
    pub async fn ops_revoke(&self, address: &EmailAddress) -> Result<usize, CascadeError> {
        let n = self.backend.ops_access.revoke(address).await?;
        tracing::info!(rows = n, "ops access revoked");
        Ok(n)
    }

    /// The anti-forgery value of `signed`'s forms.
    pub fn ops_csrf(&self, signed: &Signed) -> String {
        self.links
            .form_guard(&format!("ops-session|{}", signed.secret))
    }

    /// Whether `value` is `signed`'s anti-forgery value (constant time).
    pub fn ops_csrf_ok(&self, signed: &Signed, value: &str) -> bool {
        self.links
            .check_form_guard(&format!("ops-session|{}", signed.secret), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::{LinkKey, MagicLinks, TokenError};

    #[test]
    fn a_sign_in_token_names_its_address_and_link_and_opens_nothing_else() {
        let keys = MagicLinks::new(vec![LinkKey::new("k1", vec![7; 32]).unwrap()]).unwrap();
        let now = chrono::Utc::now();
        let ops = EmailAddress::parse("Ops@Example.com").unwrap();
        let t = keys.issue_ops_sign_in(&ops, "abc123", now, Duration::days(OPS_LINK_DAYS));
        assert_eq!(
            keys.verify_ops_sign_in(&t, now).unwrap(),
            (ops.clone(), "abc123".to_string())
        );
        assert_eq!(keys.verify_member(&t, now), Err(TokenError::WrongScope));
        assert_eq!(keys.verify_calendar(&t, now), Err(TokenError::WrongScope));
        assert_eq!(keys.verify_ops(&t, now), Err(TokenError::WrongScope));
        assert_eq!(
            keys.verify_ops_sign_in(&t, now + Duration::days(OPS_LINK_DAYS)),
            Err(TokenError::Expired)
        );
        let read_only = keys.issue_ops(now, Duration::days(1));
        assert_eq!(
            keys.verify_ops_sign_in(&read_only, now),
            Err(TokenError::WrongScope)
        );
    }

    #[test]
    fn a_cookie_names_its_address_and_a_secret_of_64_hex_digits() {
        let address = EmailAddress::parse("ops@example.com").unwrap();
        let s = Signed {
            address: address.clone(),
            secret: "ab".repeat(32),
        };
        assert_eq!(
            Signed::parse(&s.cookie_value()),
            Some((address, "ab".repeat(32)))
        );
        for bad in [
            "",
            "x",
            "b3BzQGV4YW1wbGUuY29t.short",
            "!!.abab",
            &format!("{}zz", s.cookie_value()),
        ] {
            assert_eq!(Signed::parse(bad), None, "{bad}");
        }
    }
}
