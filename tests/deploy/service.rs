//! The test playing the Lambda service for the deployed stack: it assumes each function's role
//! through STS (as the `lambda.amazonaws.com` principal the trust policies name), polls the
//! event sources of the stack's mappings with that role (the charters stream; the queues),
//! starts the function for each batch in the sandbox with those credentials, deletes what was
//! handled, and writes the function's output to its log group with that role, as Lambda does.
//! Its own file because it is the only part that decides what Lambda would do.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use super::aws::{assume_role, Creds};
use super::runtime::{invoke, FunctionRun, Invocation};
use super::stack::{Function, Moto, Stack};

/// Why a step of a story did not happen.
pub type Failed = String;

pub struct LambdaService<'a> {
    pub moto: &'a Moto,
    pub stack: &'a Stack,
    /// Test-only additions to every function's environment: where AWS and Google are.
    pub overrides: Vec<(String, String)>,
    lambda_dir: std::path::PathBuf,
    pub(crate) roles: Mutex<HashMap<String, Creds>>,
    /// The next iterator position per stream shard (Lambda's checkpoint).
    pub(crate) checkpoints: Mutex<HashMap<String, String>>,
    /// The checkpoints at the last [`LambdaService::mark_stream`].
    pub(crate) marked: Mutex<HashMap<String, String>>,
    /// Whether the mappings were checked since the roles last changed.
    validated: AtomicBool,
    /// What Lambda's checks of the mappings needed: `(role ARN, action, resource)`.
    pub checked: Mutex<Vec<(String, String, String)>>,
    /// Set by the stories that expect a function to dead-letter what it was given.
    pub allow_dead_letters: AtomicBool,
    /// Every invocation: the function's logical id and what happened.
    pub log: Mutex<Vec<(String, Invocation)>>,
}

impl<'a> LambdaService<'a> {
    pub fn new(moto: &'a Moto, stack: &'a Stack, overrides: Vec<(String, String)>) -> Self {
        LambdaService {
            moto,
            stack,
            overrides,
            lambda_dir: super::runtime::lambda_dir(),
            roles: Mutex::default(),
            checkpoints: Mutex::default(),
            marked: Mutex::default(),
            validated: AtomicBool::new(false),
            checked: Mutex::default(),
            allow_dead_letters: AtomicBool::new(false),
            log: Mutex::default(),
        }
    }

    /// The function's role credentials (AssumeRole once, as the Lambda service).
    pub async fn role(&self, f: &Function) -> Creds {
        if let Some(c) = self.roles.lock().unwrap().get(&f.role_arn) {
            return c.clone();
        }
        let c = assume_role(
            &self.moto.aws,
            &self.moto.lambda_service,
            &f.role_arn,
            &f.name,
        )
        .await;
        self.roles
            .lock()
            .unwrap()
            .insert(f.role_arn.clone(), c.clone());
        c
    }

    /// After a role's policy changed: new sessions, and the mappings checked again.
    pub fn reset(&self) {
        self.roles.lock().unwrap().clear();
        self.validated.store(false, Ordering::SeqCst);
    }

    fn bin_for(f: &Function) -> &'static str {
        match f.logical.as_str() {
            "StreamFunction" => "dispatch-stream-lambda",
            "WorkerFunction" => "dispatch-worker-lambda",
            "WebFunction" => "dispatch-web-lambda",
            other => panic!("no binary for {other}"),
        }
    }

    /// What Lambda would start for `f`: its code, the template's environment, its role's keys.
    pub async fn run_for(&self, f: &Function) -> FunctionRun {
        let mut env: Vec<(String, String)> =
            f.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        env.extend(self.role(f).await.env());
        env.extend(self.overrides.iter().cloned());
        FunctionRun {
            bootstrap: self.lambda_dir.join(Self::bin_for(f)).join("bootstrap"),
            name: f.name.clone(),
            env,
            memory: f.memory,
            timeout: Duration::from_secs(f.timeout.min(60)),
            log_group: f.log_group.clone(),
        }
    }

    /// Invokes the function with `event`; its output goes to its log group under its role.
    pub async fn invoke(&self, logical: &str, event: Value) -> Result<Value, Failed> {
        let f = self.stack.function(logical);
        let run = self.run_for(f).await;
        let inv = invoke(&run, event).await;
        let shipped = self.ship_logs(f, &inv).await;
        let written_outside_tmp = inv
            .log_lines()
            .into_iter()
            .find(|l| l.contains("Read-only file system") || l.contains("os error 30"));
        let dead_lettered = inv
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.get("_aws").is_some())
            .any(|v| {
                v["JobsDeadLettered"].as_u64().unwrap_or(0) > 0
                    || v["RecordsDeadLettered"].as_u64().unwrap_or(0) > 0
            });
        let response = inv.response.clone();
        self.log.lock().unwrap().push((logical.to_string(), inv));
        shipped?;
        if let Some(line) = written_outside_tmp {
            return Err(format!("{logical} tried to write outside /tmp: {line}"));
        }
        if dead_lettered && !self.allow_dead_letters.load(Ordering::SeqCst) {
            let why = self.log.lock().unwrap().last().and_then(|(_, inv)| {
                inv.log_lines()
                    .into_iter()
                    .find(|l| l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\""))
            });
            let why: String = why.unwrap_or_default().chars().take(600).collect();
            return Err(format!("{logical} dead-lettered what it was given: {why}"));
        }
        response.map_err(|e| format!("{logical} failed: {e}"))
    }

    async fn ship_logs(&self, f: &Function, inv: &Invocation) -> Result<(), Failed> {
        let creds = self.role(f).await;
        let stream = format!(
            "2026/01/01/[$LATEST]{}",
            &uuid::Uuid::new_v4().simple().to_string()
        );
        let aws = &self.moto.aws;
        let group = json!({"logGroupName": f.log_group, "logStreamName": stream});
        aws.json(&creds, "logs", "Logs_20140328.CreateLogStream", group)
            .await
            .map_err(|e| format!("Lambda could not create a log stream for {}: {e}", f.name))?;
        let now = chrono::Utc::now().timestamp_millis();
        let events: Vec<Value> = inv
            .log_lines()
            .into_iter()
            .chain(std::iter::once(format!("END RequestId: {}", f.name)))
            .map(|m| json!({"timestamp": now, "message": m}))
            .collect();
        aws.json(
            &creds,
            "logs",
            "Logs_20140328.PutLogEvents",
            json!({"logGroupName": f.log_group, "logStreamName": stream, "logEvents": events}),
        )
        .await
        .map_err(|e| format!("Lambda could not write {}'s log: {e}", f.name))?;
        Ok(())
    }

    pub fn function_of(&self, arn: &str) -> &'a Function {
        self.stack
            .functions
            .values()
            .find(|f| f.arn == arn || arn.ends_with(&format!(":function:{}", f.name)))
            .unwrap_or_else(|| panic!("no function {arn}"))
    }

    /// One pass over every event source mapping; returns how many records and messages were
    /// handed to functions.
    pub async fn pump(&self) -> Result<usize, Failed> {
        if !self.validated.load(Ordering::SeqCst) {
            crate::esm::validate(self).await?;
            self.validated.store(true, Ordering::SeqCst);
        }
        let mut n = 0;
        for (function, source, batch) in &self.stack.mappings {
            let f = self.function_of(function);
            n += if source.contains(":dynamodb:") {
                self.poll_stream(f, source, *batch).await?
            } else {
                self.poll_queue(f, source, *batch).await?
            };
        }
        Ok(n)
    }

    /// Pumps until `done` says so (or nothing moved for `quiet`, or `limit` passed).
    pub async fn pump_until<F>(
        &self,
        what: &str,
        limit: Duration,
        mut done: F,
    ) -> Result<(), Failed>
    where
        F: FnMut() -> bool,
    {
        let deadline = std::time::Instant::now() + limit;
        loop {
            self.pump().await?;
            if done() {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("{what}: not within {limit:?}"));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn poll_stream(
        &self,
        f: &Function,
        stream_arn: &str,
        batch: u64,
    ) -> Result<usize, Failed> {
        let creds = self.role(f).await;
        let aws = &self.moto.aws;
        let call = |target: &'static str, body: Value| {
            let creds = creds.clone();
            async move {
                aws.json(
                    &creds,
                    "dynamodb",
                    &format!("DynamoDBStreams_20120810.{target}"),
                    body,
                )
                .await
                .map_err(|e| {
                    format!(
                        "Lambda could not read the stream as {}: {target}: {e}",
                        f.name
                    )
                })
            }
        };
        let table = stream_arn.split('/').nth(1).unwrap_or_default();
        call("ListStreams", json!({"TableName": table})).await?;
        let desc = call("DescribeStream", json!({"StreamArn": stream_arn})).await?;
        let mut n = 0;
        for shard in desc["StreamDescription"]["Shards"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let id = shard["ShardId"].as_str().unwrap_or_default().to_string();
            let after = self.checkpoints.lock().unwrap().get(&id).cloned();
            let mut req = json!({"StreamArn": stream_arn, "ShardId": id});
            match &after {
                Some(seq) => {
                    req["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER".into();
                    req["SequenceNumber"] = seq.clone().into();
                }
                None => req["ShardIteratorType"] = "TRIM_HORIZON".into(),
            }
            let it = call("GetShardIterator", req).await?;
            let page = call(
                "GetRecords",
                json!({"ShardIterator": it["ShardIterator"], "Limit": batch}),
            )
            .await?;
            let mut records = page["Records"].as_array().cloned().unwrap_or_default();
            if records.is_empty() {
                continue;
            }
            for r in &mut records {
                r["eventSourceARN"] = stream_arn.into();
                // Lambda sends epoch seconds; moto keeps a date-time text.
                r["dynamodb"]["ApproximateCreationDateTime"] =
                    json!(chrono::Utc::now().timestamp() as f64);
            }
            let last = records.last().unwrap()["dynamodb"]["SequenceNumber"].clone();
            let response = self.invoke(&f.logical, json!({"Records": records})).await?;
            let failures = response["batchItemFailures"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !failures.is_empty() {
                return Err(format!("{} reported failed records: {response}", f.logical));
            }
            n += records.len();
            if let Some(seq) = last.as_str() {
                self.checkpoints.lock().unwrap().insert(id, seq.to_string());
            }
        }
        Ok(n)
    }

    async fn poll_queue(&self, f: &Function, queue_arn: &str, batch: u64) -> Result<usize, Failed> {
        let creds = self.role(f).await;
        let aws = &self.moto.aws;
        let name = queue_arn.rsplit(':').next().unwrap_or_default();
        let url = format!("{}/123456789012/{name}", aws.endpoint);
        // Lambda checks the queue with the role before polling it (its documented permissions:
        // ReceiveMessage, DeleteMessage, GetQueueAttributes).
        aws.json(
            &creds,
            "sqs",
            "AmazonSQS.GetQueueAttributes",
            json!({"QueueUrl": url, "AttributeNames": ["VisibilityTimeout"]}),
        )
        .await
        .map_err(|e| {
            format!(
                "Lambda could not read {name}'s attributes as {}: {e}",
                f.name
            )
        })?;
        let got = aws
            .json(
                &creds,
                "sqs",
                "AmazonSQS.ReceiveMessage",
                json!({"QueueUrl": url, "MaxNumberOfMessages": batch.min(10),
                       "AttributeNames": ["All"], "MessageAttributeNames": ["All"],
                       "WaitTimeSeconds": 0}),
            )
            .await
            .map_err(|e| format!("Lambda could not receive from {name} as {}: {e}", f.name))?;
        let messages = got["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return Ok(0);
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                json!({
                    "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"], "attributes": m["Attributes"],
                    "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                    "awsRegion": super::aws::REGION,
                })
            })
            .collect();
        let response = self.invoke(&f.logical, json!({"Records": records})).await?;
        let failed: Vec<String> = response["batchItemFailures"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|x| x["itemIdentifier"].as_str().map(str::to_string))
            .collect();
        if !failed.is_empty() {
            return Err(format!(
                "{} reported failed messages from {name}: {response}",
                f.logical
            ));
        }
        for m in &messages {
            aws.json(
                &creds,
                "sqs",
                "AmazonSQS.DeleteMessage",
                json!({"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]}),
            )
            .await
            .map_err(|e| format!("Lambda could not delete from {name} as {}: {e}", f.name))?;
        }
        Ok(messages.len())
    }
}
