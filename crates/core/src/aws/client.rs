//! The adapter's handle: the three SDK clients built once from the standard configuration chain,
//! the table and queue names, and what is looked up once and cached (queue URLs, the stream ARN).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use tokio::sync::Mutex;

use super::errors::classify;
use crate::ports::{Backend, QueueId};
use crate::{Settings, StoreError};

/// Clients and names, shared by every port of this backend.
#[derive(Clone)]
pub struct Aws {
    pub(crate) ddb: aws_sdk_dynamodb::Client,
    pub(crate) streams: aws_sdk_dynamodbstreams::Client,
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) prefix: String,
    pub(crate) max_receive_count: u32,
    queue_urls: Arc<Mutex<HashMap<QueueId, String>>>,
    stream_arn: Arc<Mutex<Option<String>>>,
}

impl Aws {
    /// Builds the clients from an SDK configuration (the standard chain, or one made by a test).
    pub fn from_sdk_config(
        sdk: &aws_config::SdkConfig,
        prefix: &str,
        max_receive_count: u32,
    ) -> Self {
        Self::from_sdk_configs(sdk, sdk, prefix, max_receive_count)
    }

    /// Like [`Aws::from_sdk_config`], with DynamoDB (and its stream) configured apart from SQS
    /// (e.g. two emulators on different ports).
    pub fn from_sdk_configs(
        dynamodb: &aws_config::SdkConfig,
        sqs: &aws_config::SdkConfig,
        prefix: &str,
        max_receive_count: u32,
    ) -> Self {
        Self {
            ddb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(dynamodb)
                    .interceptor(CountRequests)
                    .build(),
            ),
            streams: aws_sdk_dynamodbstreams::Client::from_conf(
                aws_sdk_dynamodbstreams::config::Builder::from(dynamodb)
                    .interceptor(CountRequests)
                    .build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(sqs)
                    .interceptor(CountRequests)
                    .build(),
            ),
            prefix: prefix.to_string(),
            max_receive_count,
            queue_urls: Arc::default(),
            stream_arn: Arc::default(),
        }
    }

    pub(crate) fn table(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    /// All ports of this backend.
    pub fn backend(&self) -> Backend {
        Backend::from_adapter(Arc::new(self.clone()))
    }

    /// The queue's URL (looked up once, then cached).
    pub(crate) async fn queue_url(&self, q: QueueId) -> Result<String, StoreError> {
        if let Some(url) = self.queue_urls.lock().await.get(&q) {
            return Ok(url.clone());
        }
        let name = q.name(&self.prefix);
        let out = self
            .sqs
            .get_queue_url()
            .queue_name(&name)
            .send()
            .await
            .map_err(|e| classify(&format!("looking up queue {name}"), e))?;
        let url = out
            .queue_url()
            .ok_or_else(|| StoreError::Missing {
                kind: "queue",
                name: name.clone(),
            })?
            .to_string();
        self.queue_urls.lock().await.insert(q, url.clone());
        Ok(url)
    }

    pub(crate) async fn cached_stream_arn(&self) -> Result<String, StoreError> {
        if let Some(arn) = self.stream_arn.lock().await.as_ref() {
            return Ok(arn.clone());
        }
        let table = self.table(crate::config::tables::CHARTERS);
        let out = self
            .ddb
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .map_err(|e| classify(&format!("describing table {table}"), e))?;
        let arn = out
            .table()
            .and_then(|t| t.latest_stream_arn())
            .ok_or_else(|| StoreError::Invalid(format!("table {table} has no stream: run `dispatch bootstrap` (or enable NEW_AND_OLD_IMAGES)")))?
            .to_string();
        *self.stream_arn.lock().await = Some(arn.clone());
        Ok(arn)
    }
}

/// The SDK's standard configuration chain with the one HTTPS client every SDK client here uses:
/// rustls on ring (the workspace's `Cargo.toml` says why not the SDK's default, aws-lc).
pub fn sdk_defaults() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

/// The SDK's HTTPS client on rustls with ring.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Connects with the SDK's standard configuration chain.
pub async fn connect(settings: &Settings) -> Result<Backend, StoreError> {
    let sdk = sdk_defaults()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        )
        .load()
        .await;
    if sdk.region().is_none() {
        return Err(StoreError::Invalid(
            "no AWS region configured: set AWS_REGION (or a profile with a region)".into(),
        ));
    }
    Ok(Aws::from_sdk_config(&sdk, &settings.prefix, settings.max_receive_count).backend())
}

/// Counts each request the SDK sends (every attempt, as AWS bills them) by service and
/// operation, in [`crate::requests`].
#[derive(Debug)]
struct CountRequests;

impl aws_smithy_runtime_api::client::interceptors::Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "CountRequests"
    }

    fn read_before_transmit(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if let Some(m) = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>() {
            crate::requests::count(m.service(), m.name());
        }
        Ok(())
    }
}
