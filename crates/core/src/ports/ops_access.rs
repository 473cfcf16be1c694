//! Ops access: the one-use sign-in links of the ops board and the sessions they open, one ops
//! address each. The rows live in the state table, in the address's own partition
//! (`ops#<address>`): `link#<link_id>` until it is spent, `session#<session_hash>` until it
//! ends. Both carry `expires_at_epoch`, so DynamoDB's TTL clears them; readers check the expiry
//! themselves. Revoking an address deletes its partition: every link and session at once.
//!
//! The session row is keyed by a hash of the session's secret (the cookie), never the secret.

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::EmailAddress;
use crate::item::{Item, ItemError, Reader, Writer};
use crate::records::{PK, SK, TTL_ATTR};
use crate::StoreError;

/// A sign-in link not yet spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsLink {
    pub address: EmailAddress,
    /// The random id the link's token names.
    pub link_id: String,
    pub expires_at: DateTime<Utc>,
}

/// A signed-in ops session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsSession {
    pub address: EmailAddress,
    /// A hash of the session's secret (the secret itself is only in the person's cookie).
    pub session_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What pressing "Sign in" on a link came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// The link was spent and the session opened.
    Opened,
    /// No such link: spent already, revoked, or expired. Nothing changed.
    LinkGone,
}

/// The partition of `address`'s links and sessions.
pub fn ops_pk(address: &EmailAddress) -> String {
    format!("ops#{}", address.as_str().to_ascii_lowercase())
}

/// The key of a link row.
pub fn ops_link_key(address: &EmailAddress, link_id: &str) -> (String, String) {
    (ops_pk(address), format!("link#{link_id}"))
}

/// The key of a session row.
pub fn ops_session_key(address: &EmailAddress, session_hash: &str) -> (String, String) {
    (ops_pk(address), format!("session#{session_hash}"))
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time_of(r: &Reader<'_>, attr: &str) -> Result<DateTime<Utc>, ItemError> {
    r.opt_n(attr)?
        .and_then(|n| n.parse::<i64>().ok())
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .ok_or_else(|| r.error(attr, "must be epoch milliseconds"))
}

impl OpsLink {
    pub fn to_item(&self) -> Item {
        let (pk, sk) = ops_link_key(&self.address, &self.link_id);
        Writer::new()
            .s(PK, pk)
            .s(SK, sk)
            .s("address", self.address.as_str())
            .n("expires_at_ms", millis(self.expires_at))
            .n(TTL_ATTR, self.expires_at.timestamp())
            .build()
    }
}

impl OpsSession {
    pub fn to_item(&self) -> Item {
        let (pk, sk) = ops_session_key(&self.address, &self.session_hash);
        Writer::new()
            .s(PK, pk)
            .s(SK, sk)
            .s("address", self.address.as_str())
            .s("session_hash", &self.session_hash)
            .n("created_at_ms", millis(self.created_at))
            .n("expires_at_ms", millis(self.expires_at))
            .n(TTL_ATTR, self.expires_at.timestamp())
            .build()
    }

    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let r = Reader::new(item, &[PK, SK]);
        Ok(Self {
            address: EmailAddress::parse(r.s("address")?)
                .map_err(|_| r.error("address", "must be an e-mail address"))?,
            session_hash: r.s("session_hash")?.to_string(),
            created_at: time_of(&r, "created_at_ms")?,
            expires_at: time_of(&r, "expires_at_ms")?,
        })
    }
}

/// The expiry (epoch ms) of a stored link row, if it has a readable one.
pub fn ops_link_expiry(item: &Item) -> Option<DateTime<Utc>> {
    time_of(&Reader::new(item, &[PK, SK]), "expires_at_ms").ok()
}

/// Sign-in links and sessions of the ops board.
#[async_trait::async_trait]
pub trait OpsAccess: Send + Sync {
    /// Stores a new, unspent link.
    async fn add_link(&self, link: &OpsLink) -> Result<(), StoreError>;
    /// In one transaction: spends the link (it must be stored and unexpired at `now`) and opens
    /// `session` for the same address. A link spent twice opens one session.
    async fn sign_in(
        &self,
        link_id: &str,
        session: &OpsSession,
        now: DateTime<Utc>,
    ) -> Result<SignIn, StoreError>;
    /// The stored session, expired or not (the caller checks the time).
    async fn session(
        &self,
        address: &EmailAddress,
        session_hash: &str,
    ) -> Result<Option<OpsSession>, StoreError>;
    /// Ends every session and voids every unspent link of `address`; returns how many rows
    /// went.
    async fn revoke(&self, address: &EmailAddress) -> Result<usize, StoreError>;
}
