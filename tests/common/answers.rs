//! The worker's part of an answer, in tests. An accept or decline replies right after its
//! transaction and queues "reconcile these charters" (`answered#<offer>`) for the worker; a test
//! app has no worker, so its cascade's queue holds those jobs back ([`HeldAnswers`]: every other
//! message goes to the real queue, so queue depths read as before) and the test runs them
//! ([`TestApp::run_answer_jobs`], or [`TestApp::accept`] / [`TestApp::decline`], which answer and
//! run them). A served app runs them before the reply reaches the test's client
//! ([`run_after_answers`]), so the page a test fetches next shows the reconciled state.
//! [`Builder::worker_queue`](super::app::Builder::worker_queue) sends them to the real queue.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dispatch_cascade::jobs::CascadeJobs;
use dispatch_cascade::{Answer, Cascade, CascadeError};
use dispatch_core::domain::{JobEnvelope, Offer};
use dispatch_core::jobs::JobHandler;
use dispatch_core::ports::{OutMessage, QueueDepth, QueueId, Queues, Received};
use dispatch_core::StoreError;

use super::app::TestApp;

/// The cascade's queue with the `answered#` jobs held back in memory.
pub struct HeldAnswers {
    inner: Arc<dyn Queues>,
    held: Mutex<Vec<JobEnvelope>>,
}

impl HeldAnswers {
    pub fn new(inner: Arc<dyn Queues>) -> Self {
        Self {
            inner,
            held: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Vec<JobEnvelope> {
        std::mem::take(&mut *self.held.lock().unwrap())
    }

    /// Runs the held jobs as the worker would (a job that fails, e.g. under injected faults,
    /// is tried again, up to 20 times, then held for the next run), until none is held.
    /// Returns how many ran.
    pub async fn run(&self, cascade: &Arc<Cascade>) -> usize {
        let handler = CascadeJobs(cascade.clone());
        let mut ran = 0;
        loop {
            let jobs = self.take();
            if jobs.is_empty() {
                return ran;
            }
            let mut failed = Vec::new();
            for job in jobs {
                for attempt in 1.. {
                    match handler.handle(&job).await {
                        Ok(_) => {
                            ran += 1;
                            break;
                        }
                        Err(e) if attempt < 20 && !e.is_permanent() => {
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        // As a worker would leave it on the queue: held for the next run.
                        Err(e) => {
                            eprintln!("the queued reconcile {} failed: {}", job.key, e.reason());
                            failed.push(job);
                            break;
                        }
                    }
                }
            }
            if !failed.is_empty() {
                self.held.lock().unwrap().extend(failed);
                return ran;
            }
        }
    }
}

#[async_trait::async_trait]
impl Queues for HeldAnswers {
    async fn send(
        &self,
        queue: QueueId,
        messages: &[OutMessage],
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = vec![String::new(); messages.len()];
        let mut rest = Vec::new();
        let mut rest_at = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            match JobEnvelope::parse(&m.body) {
                Ok(job) if queue == QueueId::Cascade && job.key.starts_with("answered#") => {
                    ids[i] = format!("held-{}", job.key);
                    self.held.lock().unwrap().push(job);
                }
                _ => {
                    rest.push(m.clone());
                    rest_at.push(i);
                }
            }
        }
        if !rest.is_empty() {
            for (i, id) in rest_at
                .into_iter()
                .zip(self.inner.send(queue, &rest).await?)
            {
                ids[i] = id;
            }
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
        self.inner.receive(queue, max, wait, visibility).await
    }

    async fn delete(&self, queue: QueueId, receipts: &[String]) -> Result<Vec<String>, StoreError> {
        self.inner.delete(queue, receipts).await
    }

    async fn change_visibility(
        &self,
        queue: QueueId,
        receipt: &str,
        timeout: Duration,
    ) -> Result<(), StoreError> {
        self.inner.change_visibility(queue, receipt, timeout).await
    }

    async fn depth(&self, queue: QueueId) -> Result<QueueDepth, StoreError> {
        self.inner.depth(queue).await
    }

    async fn peek(&self, queue: QueueId, max: usize) -> Result<Vec<Received>, StoreError> {
        self.inner.peek(queue, max).await
    }
}

impl TestApp {
    /// Runs the reconciles the answers so far queued (see the module doc). Returns how many ran.
    pub async fn run_answer_jobs(&self) -> usize {
        match &self.held {
            Some(h) => h.run(&self.cascade).await,
            None => 0,
        }
    }

    /// [`Self::run_answer_jobs`] by `cascade` (one made with [`TestApp::cascade_tuned`]).
    pub async fn run_answer_jobs_with(&self, cascade: &Arc<Cascade>) -> usize {
        match &self.held {
            Some(h) => h.run(cascade).await,
            None => 0,
        }
    }

    /// The member accepts `offer`, and the worker's reconciles after it run.
    pub async fn accept(&self, offer: &Offer) -> Result<Answer, CascadeError> {
        let answer = self.cascade.accept(offer).await;
        self.run_answer_jobs().await;
        answer
    }

    /// The member declines `offer`, and the worker's reconcile after it runs.
    pub async fn decline(&self, offer: &Offer) -> Result<Answer, CascadeError> {
        let answer = self.cascade.decline(offer).await;
        self.run_answer_jobs().await;
        answer
    }
}

/// A served app's router layer: after a request, the reconciles it queued run before the reply
/// goes back (the test's stand-in for the worker).
pub async fn run_after_answers(
    axum::extract::State((held, cascade)): axum::extract::State<(Arc<HeldAnswers>, Arc<Cascade>)>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let res = next.run(req).await;
    held.run(&cascade).await;
    res
}
