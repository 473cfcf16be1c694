//! A shard this consumer holds: a reader stepped in place (tests, `Consumer::poll_once`) or
//! running in its own task, which is aborted if the consumer is dropped without stopping.

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::shard::ShardReader;

/// A held shard: stepped in place (tests, `Consumer::poll_once`) or running in its own task.
pub(crate) enum Slot {
    Here(Box<ShardReader>),
    Running(Running),
}

pub(crate) struct Running {
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) task: Option<JoinHandle<()>>,
}

impl Running {
    pub(crate) fn finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for Running {
    /// A consumer dropped without `Consumer::stop` (killed) takes its shard tasks with it.
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}
