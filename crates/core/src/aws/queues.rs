//! Job queues on SQS.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use chrono::TimeZone;

use super::client::Aws;
use super::errors::{classify, code_of};
use crate::ports::{OutMessage, QueueDepth, QueueId, Queues, Received, MAX_DELAY};
use crate::retry::retrying;
use crate::StoreError;

#[async_trait::async_trait]
impl Queues for Aws {
    async fn send(
        &self,
        queue: QueueId,
        messages: &[OutMessage],
    ) -> Result<Vec<String>, StoreError> {
        let url = self.queue_url(queue).await?;
        let mut ids = Vec::with_capacity(messages.len());
        for chunk in messages.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, m) in chunk.iter().enumerate() {
                if m.delay > MAX_DELAY {
                    return Err(StoreError::Invalid(format!(
                        "delay {:?} is over the 15-minute maximum",
                        m.delay
                    )));
                }
                let mut e = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&m.body)
                    .delay_seconds(m.delay.as_secs() as i32);
                for (k, v) in &m.attributes {
                    let attr = MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value(v)
                        .build()
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    e = e.message_attributes(k, attr);
                }
                entries.push(e.build().map_err(|e| StoreError::Invalid(e.to_string()))?);
            }
            // Entries that fail are sent again (only those), so nothing is sent twice by us.
            let mut pending = entries;
            let mut chunk_ids: BTreeMap<usize, String> = BTreeMap::new();
            let mut delays = backon::BackoffBuilder::build(crate::retry::policy());
            while !pending.is_empty() {
                let out = retrying(|| async {
                    self.sqs
                        .send_message_batch()
                        .queue_url(&url)
                        .set_entries(Some(pending.clone()))
                        .send()
                        .await
                        .map_err(|e| classify(&format!("sending to queue {queue}"), e))
                })
                .await?;
                for ok in &out.successful {
                    chunk_ids.insert(ok.id.parse().unwrap_or(usize::MAX), ok.message_id.clone());
                }
                if let Some(bad) = out.failed.iter().find(|f| f.sender_fault) {
                    return Err(StoreError::Invalid(format!(
                        "queue {queue} refused a message: {} {}",
                        bad.code,
                        bad.message.as_deref().unwrap_or("")
                    )));
                }
                let failed: Vec<String> = out.failed.iter().map(|f| f.id.clone()).collect();
                pending.retain(|e| failed.contains(&e.id));
                if !pending.is_empty() {
                    let d = delays.next().ok_or_else(|| {
                        StoreError::backend(
                            format!("sending to queue {queue}"),
                            true,
                            "messages still failing after retries",
                        )
                    })?;
                    tokio::time::sleep(d).await;
                }
            }
            ids.extend(chunk_ids.into_values());
        }
        Ok(ids)
    }

    async fn receive(
        &self,
        queue: QueueId,
        max: u32,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Received>, StoreError> {
        let url = self.queue_url(queue).await?;
        let wait_secs = wait.as_secs().min(20) as i32;
        // receive_message can hang past its wait time: bound each attempt.
        let attempt_timeout = Duration::from_secs(wait_secs as u64 + 10);
        let out = self
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .wait_time_seconds(wait_secs)
            .visibility_timeout(
                visibility
                    .as_secs()
                    .max(if visibility.is_zero() { 0 } else { 1 }) as i32,
            )
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .message_attribute_names("All")
            .customize()
            .config_override(
                aws_sdk_sqs::config::Config::builder().timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_attempt_timeout(attempt_timeout)
                        .build(),
                ),
            )
            .send()
            .await
            .map_err(|e| classify(&format!("receiving from queue {queue}"), e))?;
        let mut received = Vec::new();
        for m in out.messages.unwrap_or_default() {
            let (Some(message_id), Some(receipt)) =
                (m.message_id.clone(), m.receipt_handle.clone())
            else {
                continue;
            };
            let sys = m.attributes.unwrap_or_default();
            let receive_count = sys
                .get(&MessageSystemAttributeName::ApproximateReceiveCount)
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let sent_at = sys
                .get(&MessageSystemAttributeName::SentTimestamp)
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|ms| chrono::Utc.timestamp_millis_opt(ms).single());
            let attributes = m
                .message_attributes
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.string_value.map(|s| (k, s)))
                .collect();
            received.push(Received {
                message_id,
                receipt,
                body: m.body.unwrap_or_default(),
                receive_count,
                sent_at,
                attributes,
            });
        }
        Ok(received)
    }

    async fn delete(&self, queue: QueueId, receipts: &[String]) -> Result<Vec<String>, StoreError> {
        let url = self.queue_url(queue).await?;
        let mut failed = Vec::new();
        for chunk in receipts.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(r)
                        .build()
                        .map_err(|e| StoreError::Invalid(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = retrying(|| async {
                self.sqs
                    .delete_message_batch()
                    .queue_url(&url)
                    .set_entries(Some(entries.clone()))
                    .send()
                    .await
                    .map_err(|e| classify(&format!("deleting from queue {queue}"), e))
            })
            .await?;
            for f in out.failed {
                if let Some(r) = f.id.parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    tracing::warn!(queue = %queue, code = %f.code, "message could not be deleted");
                    failed.push(r.clone());
                }
            }
        }
        Ok(failed)
    }

    async fn change_visibility(
        &self,
        queue: QueueId,
        receipt: &str,
        timeout: Duration,
    ) -> Result<(), StoreError> {
        let url = self.queue_url(queue).await?;
        match self
            .sqs
            .change_message_visibility()
            .queue_url(&url)
            .receipt_handle(receipt)
            .visibility_timeout(timeout.as_secs().min(43_200) as i32)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    code_of(&e).as_deref(),
                    Some(
                        "ReceiptHandleIsInvalid"
                            | "MessageNotInflight"
                            | "AWS.SimpleQueueService.MessageNotInflight"
                            | "InvalidParameterValue"
                    )
                ) =>
            {
                Err(StoreError::Invalid(
                    "the message's receipt is no longer valid (deleted or received again)".into(),
                ))
            }
            Err(e) => Err(classify(
                &format!("changing visibility on queue {queue}"),
                e,
            )),
        }
    }

    async fn depth(&self, queue: QueueId) -> Result<QueueDepth, StoreError> {
        let url = self.queue_url(queue).await?;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| classify(&format!("reading depth of queue {queue}"), e))?;
        let attrs = out.attributes.unwrap_or_default();
        let get = |k: QueueAttributeName| attrs.get(&k).and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(QueueDepth {
            visible: get(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: get(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            delayed: get(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        })
    }
}
