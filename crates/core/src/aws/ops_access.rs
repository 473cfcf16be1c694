//! Ops sign-in links and sessions on DynamoDB: rows of the address's partition in the state
//! table. Signing in is one transaction (mark the unexpired, unspent link spent, put the
//! session) with a client request token from the session, so an SDK retry after a lost answer is
//! not taken for a spent link. The link is marked (`spent_at_ms`, an UpdateItem), not deleted:
//! the public web function that runs the sign-in holds no DeleteItem on the state table, and
//! the row's TTL removes it when the link would have expired anyway. Revoking (the CLI) reads
//! the partition with one Query and deletes what it holds.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::client::Aws;
use super::convert::{from_sdk, n, s, to_sdk};
use super::errors::{classify, is_cancelled};
use super::state_table::key;
use crate::domain::EmailAddress;
use crate::item::Reader;
use crate::ports::{ops_link_key, ops_pk, ops_session_key, OpsAccess, OpsLink, OpsSession, SignIn};
use crate::records::{PK, SK};
use crate::retry::retrying;
use crate::StoreError;

/// When a sign-in link was spent (milliseconds): a link carrying it opens nothing.
const SPENT_ATTR: &str = "spent_at_ms";

#[async_trait::async_trait]
impl OpsAccess for Aws {
    async fn add_link(&self, link: &OpsLink) -> Result<(), StoreError> {
        let table = self.state_table();
        let item = to_sdk(link.to_item());
        retrying(|| async {
            self.ddb
                .put_item()
                .table_name(&table)
                .set_item(Some(item.clone()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("storing ops link", e))
        })
        .await
    }

    async fn sign_in(
        &self,
        link_id: &str,
        session: &OpsSession,
        now: DateTime<Utc>,
    ) -> Result<SignIn, StoreError> {
        let table = self.state_table();
        let bad = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
        let (pk, sk) = ops_link_key(&session.address, link_id);
        let spend = Update::builder()
            .table_name(&table)
            .set_key(Some(key(pk, sk)))
            .update_expression(format!("SET {SPENT_ATTR} = :now"))
            .condition_expression(format!(
                "attribute_exists(pk) AND expires_at_ms > :now AND attribute_not_exists({SPENT_ATTR})"
            ))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .build()
            .map_err(bad)?;
        let open = Put::builder()
            .table_name(&table)
            .set_item(Some(to_sdk(session.to_item())))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(bad)?;
        let items = vec![
            TransactWriteItem::builder().update(spend).build(),
            TransactWriteItem::builder().put(open).build(),
        ];
        let token: String = session.session_hash.chars().take(36).collect();
        retrying(|| async {
            match self
                .ddb
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(&token)
                .send()
                .await
            {
                Ok(_) => Ok(SignIn::Opened),
                Err(e) if is_cancelled(&e) => Ok(SignIn::LinkGone),
                Err(e) => Err(classify("signing in to the ops board", e)),
            }
        })
        .await
    }

    async fn session(
        &self,
        address: &EmailAddress,
        session_hash: &str,
    ) -> Result<Option<OpsSession>, StoreError> {
        let (pk, sk) = ops_session_key(address, session_hash);
        let item = self.get_state(pk, sk, "ops session").await?;
        item.as_ref()
            .map(OpsSession::from_item)
            .transpose()
            .map_err(Into::into)
    }

    async fn revoke(&self, address: &EmailAddress) -> Result<usize, StoreError> {
        let table = self.state_table();
        let pk = ops_pk(address);
        let out = retrying(|| async {
            self.ddb
                .query()
                .table_name(&table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(&pk))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| classify("reading ops access", e))
        })
        .await?;
        let items: Vec<_> = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_sdk)
            .collect();
        // A spent link is already void (the embedded backend deletes it at sign-in): it goes
        // too, but is not counted, so both backends say the same.
        let spent = items.iter().filter(|i| i.contains_key(SPENT_ATTR)).count();
        for item in &items {
            let sk = Reader::new(item, &[PK, SK]).s(SK)?.to_string();
            retrying(|| async {
                self.ddb
                    .delete_item()
                    .table_name(&table)
                    .set_key(Some(key(pk.clone(), sk.clone())))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| classify("revoking ops access", e))
            })
            .await?;
        }
        Ok(items.len() - spent)
    }
}
