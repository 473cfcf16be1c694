//! Wiring shared by `dispatch run`, the CLI commands and the Lambda binaries: the same handlers,
//! built once from the settings and the backend.

use std::sync::Arc;
use std::time::Duration;

use dispatch_core::config::StreamStart;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_core::ports::{QueueId, StartAt};
use dispatch_core::{Backend, Settings};
use dispatch_ingest::consumer::{Consumer, ConsumerConfig, RecordHandler, RouterHandler};
use dispatch_ingest::sink::QueueSink;
use dispatch_ingest::worker::{Registry, Worker, WorkerConfig};

/// The stream's record handler: route, then enqueue each event's job once.
pub fn record_handler(backend: &Backend) -> Arc<dyn RecordHandler> {
    Arc::new(RouterHandler {
        sink: Arc::new(QueueSink {
            queues: backend.queues.clone(),
            idempotency: backend.idempotency.clone(),
            config: IdempotencyConfig::default(),
        }),
    })
}

/// The job handlers of this build, by kind. Kinds without a handler are dead-lettered with a
/// reason naming the kind (and can be replayed once a build handles them).
pub fn registry(_settings: &Settings, _backend: &Backend) -> Registry {
    Registry::new()
}

/// A stream consumer with a unique owner name.
pub fn consumer(settings: &Settings, backend: &Backend) -> Consumer {
    let owner = format!(
        "{}-{}-{}",
        hostname(),
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let mut cfg = ConsumerConfig::new(owner);
    cfg.start = match settings.stream_start {
        StreamStart::TrimHorizon => StartAt::TrimHorizon,
        StreamStart::Latest => StartAt::Latest,
    };
    if settings.backend == dispatch_core::config::BackendKind::Local {
        cfg.idle_sleep = Duration::from_millis(200);
    }
    Consumer::new(
        backend.feed.clone(),
        backend.leases.clone(),
        backend.queues.clone(),
        record_handler(backend),
        cfg,
    )
}

/// One worker per work queue, sharing the registry.
pub fn workers(settings: &Settings, backend: &Backend) -> Vec<Arc<Worker>> {
    let registry = Arc::new(registry(settings, backend));
    QueueId::WORK
        .into_iter()
        .map(|q| {
            let cfg = WorkerConfig {
                max_attempts: settings.max_receive_count,
                ..WorkerConfig::default()
            };
            Arc::new(Worker::new(
                q,
                backend.queues.clone(),
                backend.idempotency.clone(),
                registry.clone(),
                cfg,
            ))
        })
        .collect()
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into())
}
