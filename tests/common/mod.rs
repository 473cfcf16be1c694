//! The rig every test binary shares; each `tests/<area>/main.rs` mounts it with
//! `#[path = "../common/mod.rs"] mod common;`.
//!
//! - [`world`]: a test's own storage, fresh on SQLite or on moto ([`World`], [`Kind`]);
//! - [`answers`]: the worker's reconciles after an answer, run by the test;
//! - [`app`]: the cascade service on it, built with [`TestApp::on`] (clock, faults, time zone,
//!   served page);
//! - [`process`]: the `dispatch` binary run with one fixed environment scrub ([`Dispatch`]);
//! - [`data`]: a charter and a member with the usual fields;
//! - here: [`both!`](crate::both) (one body, a `local::` and an `aws::` test), the [`Fixture`]
//!   each such test is given, and [`eventually`] (poll with a deadline, never sleep blindly).
//!
//! Time: every lease, claim and visibility timeout the tests wait out is judged by the wall clock
//! (`chrono::Utc::now` in the idempotency store, the lease keeper and the SQLite queues), so the
//! tests poll with deadlines instead of pausing tokio's clock, which those checks never read.

#![allow(dead_code)]

pub mod answers;
pub mod app;
pub mod data;
pub mod process;
pub mod world;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

// What the areas use, re-exported (each binary uses some of it).
#[allow(unused_imports)]
pub use app::TestApp;
#[allow(unused_imports)]
pub use data::{charter, member};
#[allow(unused_imports)]
pub use process::{dispatch, text, Dispatch, Running};
#[allow(unused_imports)]
pub use world::{
    aws_with_prefix, dynamodb_endpoint, endpoint, sdk_config_for, Kind, World, ENDPOINT_VAR,
    TEST_MAX_RECEIVES,
};

/// Polls `f` until it returns `Some`, or panics after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > end {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a [`both!`](crate::both) test is handed, made fresh on the backend it runs on. The test
/// function's parameter type picks it: `&World` (a bootstrapped backend), `&Kind` (the test builds
/// what it needs, e.g. a [`TestApp`] with faults), or an area's own fixture.
pub trait Fixture: Sized {
    fn make(kind: Kind) -> Pin<Box<dyn Future<Output = Self> + Send>>;
}

impl Fixture for World {
    fn make(kind: Kind) -> Pin<Box<dyn Future<Output = Self> + Send>> {
        Box::pin(World::new(kind))
    }
}

impl Fixture for Kind {
    fn make(kind: Kind) -> Pin<Box<dyn Future<Output = Self> + Send>> {
        Box::pin(async move { kind })
    }
}

/// Runs each named async test body on both backends: `both!(name, …)` next to
/// `async fn name(f: &F)` defines `local::name` and `aws::name`, each handing `name` a fresh
/// [`Fixture`] `F`. `both!(name => path)` runs a body of another name or module
/// (the path as seen from inside the generated modules: `super::area::run`). `scripts/test`
/// counts and checks the tests under `aws::`: a skipped one fails the run.
#[macro_export]
macro_rules! both {
    ($($name:ident $(=> $body:path)?),* $(,)?) => {
        mod local {
            $( $crate::both!(@test Local, $name $(, $body)?); )*
        }
        mod aws {
            $( $crate::both!(@test Aws, $name $(, $body)?); )*
        }
    };
    (@test $kind:ident, $name:ident) => {
        $crate::both!(@test $kind, $name, super::$name);
    };
    (@test $kind:ident, $name:ident, $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let fixture =
                $crate::common::Fixture::make($crate::common::Kind::$kind).await;
            $body(&fixture).await;
        }
    };
}
