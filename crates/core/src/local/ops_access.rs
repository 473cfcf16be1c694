//! Ops sign-in links and sessions on the embedded store: rows of the address's partition in the
//! state table; signing in spends the link and opens the session in one transaction.

use chrono::{DateTime, Utc};

use super::db::TxExt;
use super::Local;
use crate::domain::EmailAddress;
use crate::ports::{
    ops_link_expiry, ops_link_key, ops_pk, ops_session_key, OpsAccess, OpsLink, OpsSession, SignIn,
};
use crate::StoreError;

#[async_trait::async_trait]
impl OpsAccess for Local {
    async fn add_link(&self, link: &OpsLink) -> Result<(), StoreError> {
        let tbl = self.names.state.clone();
        let item = link.to_item();
        let (pk, sk) = ops_link_key(&link.address, &link.link_id);
        self.db
            .tx("storing ops link", move |tx| {
                tx.put_item(&tbl, &pk, &sk, None, &item, None, false)
            })
            .await
    }

    async fn sign_in(
        &self,
        link_id: &str,
        session: &OpsSession,
        now: DateTime<Utc>,
    ) -> Result<SignIn, StoreError> {
        let tbl = self.names.state.clone();
        let (lpk, lsk) = ops_link_key(&session.address, link_id);
        let (spk, ssk) = ops_session_key(&session.address, &session.session_hash);
        let item = session.to_item();
        self.db
            .tx("signing in to the ops board", move |tx| {
                let Some(link) = tx.get_item(&tbl, &lpk, &lsk)? else {
                    return Ok(SignIn::LinkGone);
                };
                if ops_link_expiry(&link).is_none_or(|t| t <= now) {
                    return Ok(SignIn::LinkGone);
                }
                if tx.get_item(&tbl, &spk, &ssk)?.is_some() {
                    return Ok(SignIn::LinkGone);
                }
                tx.delete_item(&tbl, &lpk, &lsk, &link, false)?;
                tx.put_item(&tbl, &spk, &ssk, None, &item, None, false)?;
                Ok(SignIn::Opened)
            })
            .await
    }

    async fn session(
        &self,
        address: &EmailAddress,
        session_hash: &str,
    ) -> Result<Option<OpsSession>, StoreError> {
        let tbl = self.names.state.clone();
        let (pk, sk) = ops_session_key(address, session_hash);
        let item = self
            .db
            .tx("reading ops session", move |tx| tx.get_item(&tbl, &pk, &sk))
            .await?;
        item.as_ref()
            .map(OpsSession::from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn revoke(&self, address: &EmailAddress) -> Result<usize, StoreError> {
        let tbl = self.names.state.clone();
        let pk = ops_pk(address);
        self.db
            .tx("revoking ops access", move |tx| {
                let items = tx.query_items(&tbl, &pk, None)?;
                for item in &items {
                    let sk =
                        crate::item::Reader::new(item, &[crate::records::PK, crate::records::SK])
                            .s(crate::records::SK)
                            .map_err(StoreError::from)?
                            .to_string();
                    tx.delete_item(&tbl, &pk, &sk, item, false)?;
                }
                Ok(items.len())
            })
            .await
    }
}
