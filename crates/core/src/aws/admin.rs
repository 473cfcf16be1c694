//! `bootstrap` and `doctor` on AWS, both driven by [`crate::schema`].

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableDescription,
    TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;

use super::client::Aws;
use super::errors::{classify, code_of};
use crate::ports::{Admin, Check, Provisioned, QueueId};
use crate::schema::{self, KeySpec, TableSpec};
use crate::StoreError;

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(e.to_string())
}

pub(crate) fn key_schema(k: &KeySpec) -> Result<Vec<KeySchemaElement>, StoreError> {
    let mut v = vec![KeySchemaElement::builder()
        .attribute_name(k.hash)
        .key_type(KeyType::Hash)
        .build()
        .map_err(bad)?];
    if let Some(r) = k.range {
        v.push(
            KeySchemaElement::builder()
                .attribute_name(r)
                .key_type(KeyType::Range)
                .build()
                .map_err(bad)?,
        );
    }
    Ok(v)
}

fn key_of(elements: &[KeySchemaElement]) -> (Option<String>, Option<String>) {
    let find = |t: KeyType| {
        elements
            .iter()
            .find(|e| e.key_type == t)
            .map(|e| e.attribute_name.clone())
    };
    (find(KeyType::Hash), find(KeyType::Range))
}

fn matches_key(elements: &[KeySchemaElement], k: &KeySpec) -> bool {
    key_of(elements) == (Some(k.hash.to_string()), k.range.map(str::to_string))
}

fn describe_key(k: &KeySpec) -> String {
    match k.range {
        Some(r) => format!("{} (hash) + {} (range)", k.hash, r),
        None => format!("{} (hash)", k.hash),
    }
}

impl Aws {
    /// Whether TTL is on (or turning on) for `attr` on the table.
    async fn ttl_enabled(&self, name: &str, attr: &str) -> Result<bool, StoreError> {
        let out = self
            .ddb
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .map_err(|e| classify(&format!("reading TTL of {name}"), e))?;
        Ok(out.time_to_live_description.is_some_and(|d| {
            matches!(
                d.time_to_live_status,
                Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
            ) && d.attribute_name.as_deref() == Some(attr)
        }))
    }

    async fn create_table(&self, spec: &TableSpec) -> Result<Provisioned, StoreError> {
        let name = self.table(spec.base);
        let mut attrs: Vec<&str> = vec![spec.key.hash];
        attrs.extend(spec.key.range);
        for (_, k) in &spec.indexes {
            attrs.push(k.hash);
            attrs.extend(k.range);
        }
        attrs.sort();
        attrs.dedup();
        let mut req = self
            .ddb
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(&spec.key)?));
        for a in attrs {
            req = req.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(a)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(bad)?,
            );
        }
        for (index, k) in &spec.indexes {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(*index)
                    .set_key_schema(Some(key_schema(k)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(bad)?,
            );
        }
        if spec.stream {
            req = req.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .map_err(bad)?,
            );
        }
        let status = match req.send().await {
            Ok(_) => Provisioned::Created,
            Err(e) if code_of(&e).as_deref() == Some("ResourceInUseException") => {
                Provisioned::AlreadyThere
            }
            Err(e) => return Err(classify(&format!("creating table {name}"), e)),
        };
        self.wait_active(&name).await?;
        if status == Provisioned::AlreadyThere {
            // A table from an older version: add the indexes it lacks.
            self.add_missing_indexes(spec).await?;
        }
        if let Some(ttl_attr) = spec.ttl {
            let enabled = self.ttl_enabled(&name, ttl_attr).await?;
            if !enabled {
                self.ddb
                    .update_time_to_live()
                    .table_name(&name)
                    .time_to_live_specification(
                        TimeToLiveSpecification::builder()
                            .enabled(true)
                            .attribute_name(ttl_attr)
                            .build()
                            .map_err(bad)?,
                    )
                    .send()
                    .await
                    .map_err(|e| classify(&format!("enabling TTL on {name}"), e))?;
            }
        }
        Ok(status)
    }

    async fn wait_active(&self, name: &str) -> Result<(), StoreError> {
        let is_active = |t: &TableDescription| t.table_status() == Some(&TableStatus::Active);
        let within = Duration::from_secs(120);
        if self
            .wait_for_table(name, is_active, Duration::from_millis(500), within)
            .await?
        {
            return Ok(());
        }
        Err(StoreError::backend(
            format!("waiting for table {name}"),
            true,
            "table not ACTIVE after 120 s",
        ))
    }

    /// Describes table `name` every `every` until `ready` holds (true), or `within` has passed
    /// without it (false: the caller says what that means).
    pub(crate) async fn wait_for_table(
        &self,
        name: &str,
        ready: impl Fn(&TableDescription) -> bool,
        every: Duration,
        within: Duration,
    ) -> Result<bool, StoreError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let out = self
                .ddb
                .describe_table()
                .table_name(name)
                .send()
                .await
                .map_err(|e| classify(&format!("describing table {name}"), e))?;
            if out.table().is_some_and(&ready) {
                return Ok(true);
            }
            if tokio::time::Instant::now() > deadline {
                return Ok(false);
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn queue_arn(&self, q: QueueId) -> Result<String, StoreError> {
        let url = self.queue_url(q).await?;
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| classify(&format!("reading ARN of queue {q}"), e))?;
        out.attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
            .ok_or_else(|| StoreError::Invalid(format!("queue {q} has no ARN")))
    }

    async fn ensure_queue(&self, q: QueueId) -> Result<Provisioned, StoreError> {
        let name = q.name(&self.prefix);
        let status = match self.queue_url(q).await {
            Ok(_) => Provisioned::AlreadyThere,
            Err(StoreError::Missing { .. }) => {
                let mut req = self.sqs.create_queue().queue_name(&name);
                if q.is_dlq() {
                    req = req.attributes(QueueAttributeName::MessageRetentionPeriod, "1209600");
                }
                req.send()
                    .await
                    .map_err(|e| classify(&format!("creating queue {name}"), e))?;
                Provisioned::Created
            }
            Err(e) => return Err(e),
        };
        if let Some(dlq) = q.dlq() {
            let policy = serde_json::json!({ "deadLetterTargetArn": self.queue_arn(dlq).await?, "maxReceiveCount": self.max_receive_count }).to_string();
            let url = self.queue_url(q).await?;
            self.sqs
                .set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::RedrivePolicy, policy)
                .send()
                .await
                .map_err(|e| classify(&format!("setting redrive policy of {name}"), e))?;
        }
        Ok(status)
    }

    async fn check_table(&self, spec: &TableSpec) -> Result<Option<String>, StoreError> {
        let name = self.table(spec.base);
        let out = match self.ddb.describe_table().table_name(&name).send().await {
            Ok(o) => o,
            Err(e) if code_of(&e).as_deref() == Some("ResourceNotFoundException") => {
                return Ok(Some("missing: run `dispatch bootstrap`".into()))
            }
            Err(e) => return Err(classify(&format!("describing table {name}"), e)),
        };
        let Some(t) = out.table else {
            return Ok(Some("missing: run `dispatch bootstrap`".into()));
        };
        let mut problems = Vec::new();
        if !matches_key(t.key_schema(), &spec.key) {
            let (h, r) = key_of(t.key_schema());
            problems.push(format!(
                "key is {} + {}, expected {}",
                h.unwrap_or_default(),
                r.unwrap_or_else(|| "-".into()),
                describe_key(&spec.key)
            ));
        }
        for (index, k) in &spec.indexes {
            match t
                .global_secondary_indexes()
                .iter()
                .find(|g| g.index_name() == Some(*index))
            {
                None => problems.push(format!("index {index} is missing")),
                Some(g) if !matches_key(g.key_schema(), k) => problems.push(format!(
                    "index {index} should be keyed on {}",
                    describe_key(k)
                )),
                Some(_) => {}
            }
        }
        if spec.stream {
            let ok = t.stream_specification().is_some_and(|s| {
                s.stream_enabled && s.stream_view_type == Some(StreamViewType::NewAndOldImages)
            });
            if !ok {
                problems.push("stream with NEW_AND_OLD_IMAGES is not enabled".into());
            }
        }
        if let Some(ttl_attr) = spec.ttl {
            let ok = self.ttl_enabled(&name, ttl_attr).await?;
            if !ok {
                problems.push(format!(
                    "TTL on {ttl_attr} is not enabled: run `dispatch bootstrap`"
                ));
            }
        }
        Ok((!problems.is_empty()).then(|| problems.join("; ")))
    }

    async fn check_queue(&self, q: QueueId) -> Result<Option<String>, StoreError> {
        let url = match self.queue_url(q).await {
            Ok(u) => u,
            Err(StoreError::Missing { .. }) => {
                return Ok(Some("missing: run `dispatch bootstrap`".into()))
            }
            Err(e) => return Err(e),
        };
        let Some(dlq) = q.dlq() else { return Ok(None) };
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|e| classify(&format!("reading attributes of queue {q}"), e))?;
        let policy = out
            .attributes
            .and_then(|mut a| a.remove(&QueueAttributeName::RedrivePolicy));
        let want_dlq = dlq.name(&self.prefix);
        let Some(policy) = policy else {
            return Ok(Some(format!(
                "no redrive policy (expected {want_dlq}, max {}): run `dispatch bootstrap`",
                self.max_receive_count
            )));
        };
        let v: serde_json::Value = serde_json::from_str(&policy).unwrap_or_default();
        let target = v
            .get("deadLetterTargetArn")
            .and_then(|t| t.as_str())
            .unwrap_or("");
        let max = v.get("maxReceiveCount").and_then(|m| {
            m.as_u64()
                .or_else(|| m.as_str().and_then(|s| s.parse().ok()))
        });
        if !target.ends_with(&format!(":{want_dlq}"))
            || max != Some(u64::from(self.max_receive_count))
        {
            return Ok(Some(format!(
                "redrive is {target} (max {}), expected {want_dlq} (max {}): run `dispatch bootstrap` to fix",
                max.map_or("-".into(), |m| m.to_string()),
                self.max_receive_count
            )));
        }
        Ok(None)
    }
}

#[async_trait::async_trait]
impl Admin for Aws {
    async fn bootstrap(&self) -> Result<Vec<(String, Provisioned)>, StoreError> {
        let mut out = Vec::new();
        for spec in schema::tables() {
            out.push((
                format!("table {}", self.table(spec.base)),
                self.create_table(&spec).await?,
            ));
        }
        let mut queues = QueueId::ALL.to_vec();
        queues.sort_by_key(|q| !q.is_dlq());
        for q in queues {
            out.push((
                format!("queue {}", q.name(&self.prefix)),
                self.ensure_queue(q).await?,
            ));
        }
        Ok(out)
    }

    async fn doctor(&self) -> Result<Vec<Check>, StoreError> {
        let mut out = Vec::new();
        for spec in schema::tables() {
            out.push(Check {
                subject: format!("table {}", self.table(spec.base)),
                problem: self.check_table(&spec).await?,
            });
        }
        for q in QueueId::ALL {
            out.push(Check {
                subject: format!("queue {}", q.name(&self.prefix)),
                problem: self.check_queue(q).await?,
            });
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        let region = self
            .ddb
            .config()
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "no region".into());
        format!("AWS ({region}), prefix `{}`", self.prefix)
    }
}
