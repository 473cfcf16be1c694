//! The event source mappings' own state in the test's Lambda service: what Lambda checks when a
//! mapping is created or enabled (that the function's role may read the source, a DynamoDB
//! stream: DescribeStream, GetRecords, GetShardIterator, ListStreams; a queue: ReceiveMessage,
//! DeleteMessage, GetQueueAttributes; and send to the on-failure destination; Lambda refuses the
//! mapping otherwise, and so does the test), and the stream checkpoints the stories move (a
//! redelivery, skipping what a failed run left). Its own file: the one place that knows Lambda's
//! required permissions.

use serde_json::json;

use crate::aws::Creds;
use crate::iam::{allows, role_policies};
use crate::service::{Failed, LambdaService};

/// The queue ARN of a queue URL on the emulator.
fn queue_arn(url: &str) -> String {
    let name = url.rsplit('/').next().unwrap_or_default();
    format!("arn:aws:sqs:us-east-1:123456789012:{name}")
}

/// The on-failure destination of the mapping of `source` in the template, if any.
fn destination(
    stack_physical: &std::collections::BTreeMap<String, String>,
    source_is_stream: bool,
) -> Option<String> {
    let t = crate::template::load();
    t["Resources"].as_object()?.values().find_map(|r| {
        let p = &r["Properties"];
        let is_stream = p["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn";
        if r["Type"] != "AWS::Lambda::EventSourceMapping" || is_stream != source_is_stream {
            return None;
        }
        let logical =
            p["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0].as_str()?;
        Some(queue_arn(&stack_physical[logical]))
    })
}

/// Checks every mapping of the stack against its function's role as deployed now.
pub async fn validate(svc: &LambdaService<'_>) -> Result<(), Failed> {
    let moto = svc.moto;
    for (function, source, _) in &svc.stack.mappings {
        let f = svc.function_of(function);
        let role = f.role_arn.rsplit('/').next().unwrap_or_default();
        let docs: Vec<_> = role_policies(&moto.aws, &moto.deployer, role)
            .await
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        let stream = source.contains(":dynamodb:");
        let mut needed: Vec<(&str, String)> = if stream {
            vec![
                ("dynamodb:DescribeStream", source.clone()),
                ("dynamodb:GetRecords", source.clone()),
                ("dynamodb:GetShardIterator", source.clone()),
                ("dynamodb:ListStreams", "*".into()),
            ]
        } else {
            vec![
                ("sqs:ReceiveMessage", source.clone()),
                ("sqs:DeleteMessage", source.clone()),
                ("sqs:GetQueueAttributes", source.clone()),
            ]
        };
        if let Some(d) = destination(&svc.stack.physical, stream) {
            needed.push(("sqs:SendMessage", d));
        }
        for (action, resource) in needed {
            svc.checked.lock().unwrap().push((
                f.role_arn.clone(),
                action.to_string(),
                resource.clone(),
            ));
            if !allows(&docs, action, &resource) {
                return Err(format!(
                    "Lambda refuses the mapping of {source} to {}: its role may not {action} on {resource}",
                    f.name
                ));
            }
        }
    }
    Ok(())
}

impl LambdaService<'_> {
    /// Remembers the stream position; [`LambdaService::redeliver_stream`] goes back to it.
    pub fn mark_stream(&self) {
        *self.marked.lock().unwrap() = self.checkpoints.lock().unwrap().clone();
    }

    /// Delivers every record since the mark again, as Lambda may (at-least-once).
    pub fn redeliver_stream(&self) {
        *self.checkpoints.lock().unwrap() = self.marked.lock().unwrap().clone();
    }

    /// Moves every shard's checkpoint past what is on the stream now (read as `creds`): what a
    /// failed run left behind is not delivered to the next one.
    pub async fn skip_stream_backlog(&self, creds: &Creds) {
        let aws = &self.moto.aws;
        let call = |target: &str, body: serde_json::Value| {
            let target = format!("DynamoDBStreams_20120810.{target}");
            async move {
                aws.json(creds, "dynamodb", &target, body)
                    .await
                    .unwrap_or_default()
            }
        };
        for (_, stream, _) in self
            .stack
            .mappings
            .iter()
            .filter(|m| m.1.contains(":dynamodb:"))
        {
            let desc = call("DescribeStream", json!({"StreamArn": stream})).await;
            let shards = desc["StreamDescription"]["Shards"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for shard in shards {
                let id = shard["ShardId"].as_str().unwrap_or_default().to_string();
                loop {
                    let mut req = json!({"StreamArn": stream, "ShardId": id,
                                         "ShardIteratorType": "TRIM_HORIZON"});
                    if let Some(seq) = self.checkpoints.lock().unwrap().get(&id) {
                        req["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER".into();
                        req["SequenceNumber"] = seq.clone().into();
                    }
                    let it = call("GetShardIterator", req).await;
                    let page =
                        call("GetRecords", json!({"ShardIterator": it["ShardIterator"]})).await;
                    let Some(last) = page["Records"].as_array().and_then(|r| r.last()).cloned()
                    else {
                        break;
                    };
                    let seq = last["dynamodb"]["SequenceNumber"]
                        .as_str()
                        .unwrap_or_default();
                    self.checkpoints
                        .lock()
                        .unwrap()
                        .insert(id.clone(), seq.to_string());
                }
            }
        }
    }
}
