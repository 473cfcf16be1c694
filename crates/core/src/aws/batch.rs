//! Batch reads and writes on DynamoDB, with the unprocessed keys and items tried again under the
//! shared backoff: the one place that knows the 100-key and 25-item limits.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, KeysAndAttributes, PutRequest, WriteRequest};

use super::client::Aws;
use super::convert::{from_sdk, to_sdk};
use super::errors::classify;
use crate::item::Item;
use crate::retry::retrying;
use crate::StoreError;

/// Writes items in batches of 25, retrying unprocessed items with backoff.
pub(crate) async fn batch_put(aws: &Aws, table: &str, items: Vec<Item>) -> Result<(), StoreError> {
    for chunk in items.chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|i| {
                let put = PutRequest::builder()
                    .set_item(Some(to_sdk(i.clone())))
                    .build()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<_, StoreError>>()?;
        let mut delays = backon::BackoffBuilder::build(crate::retry::policy());
        loop {
            let out = crate::retry::retrying(|| {
                let req = pending.clone();
                async move {
                    aws.ddb
                        .batch_write_item()
                        .request_items(table, req)
                        .send()
                        .await
                        .map_err(|e| classify(&format!("batch writing to {table}"), e))
                }
            })
            .await?;
            pending = out
                .unprocessed_items
                .and_then(|mut m| m.remove(table))
                .unwrap_or_default();
            if pending.is_empty() {
                break;
            }
            match delays.next() {
                Some(d) => {
                    tracing::warn!(
                        table,
                        unprocessed = pending.len(),
                        "batch write left items unprocessed, retrying"
                    );
                    tokio::time::sleep(d).await;
                }
                None => {
                    return Err(StoreError::backend(
                        format!("batch writing to {table}"),
                        true,
                        format!("{} items still unprocessed after retries", pending.len()),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Reads items of `table` by key (consistent reads), 100 a request, retrying unprocessed keys.
pub(crate) async fn batch_get(
    aws: &Aws,
    table: &str,
    keys: Vec<HashMap<String, Av>>,
    what: &str,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    for chunk in keys.chunks(100) {
        let mut pending: Vec<HashMap<String, Av>> = chunk.to_vec();
        let mut delays = backon::BackoffBuilder::build(crate::retry::policy());
        while !pending.is_empty() {
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(pending.clone()))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let out = retrying(|| async {
                aws.ddb
                    .batch_get_item()
                    .request_items(table, ka.clone())
                    .send()
                    .await
                    .map_err(|e| classify(&format!("reading {what} from {table}"), e))
            })
            .await?;
            items.extend(
                out.responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default()
                    .into_iter()
                    .map(from_sdk),
            );
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .map(|k| k.keys)
                .unwrap_or_default();
            if !pending.is_empty() {
                let d = delays.next().ok_or_else(|| {
                    StoreError::backend(
                        format!("reading {what}"),
                        true,
                        "keys still unprocessed after retries",
                    )
                })?;
                tokio::time::sleep(d).await;
            }
        }
    }
    Ok(items)
}
