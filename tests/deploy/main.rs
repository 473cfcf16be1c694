//! The deployment test: infra/template.yaml deployed through CloudFormation on a moto of its own
//! with IAM enforced (scripts/moto_iam.py), each function run as Lambda runs it (its role
//! assumed through STS, exactly the template's environment, the Lambda sandbox: read-only
//! everywhere but /tmp, no data directory; see [`runtime`]) and the stories of the issue driven
//! through it with the faithful fake Google of `dispatch-google`.
//!
//! - [`aws`]: signed calls for the parts the test plays (deployer, Lambda, Scheduler).
//! - [`stack`]: the moto process and the deployed stack.
//! - [`runtime`]: the Lambda Runtime API fake and the sandbox.
//! - [`service`]: the Lambda service: roles, pollers, logs; [`esm`]: its checks of a mapping.
//! - [`iam`]: the deployed policies, read, replaced and evaluated.
//! - [`stories`]: what the business does, end to end; [`web`]: a crew member's browser;
//!   [`month_end`]: the scheduler's jobs, the roster sync and a cancellation; [`faults`]:
//!   redelivery and dead letters; [`board`]: ops signing in and acting through the web function.
//! - [`template`]: checks on the template itself (no moto needed).
//! - [`privilege`]: each statement of each role removed in turn must break a story.
//!
//! Needs bubblewrap (`bwrap`) and moto (scripts/test installs both).

#[path = "../../crates/google/tests/fake/mod.rs"]
mod fake;

mod aws;
mod board;
mod esm;
mod faults;
mod iam;
mod month_end;
mod privilege;
mod runtime;
mod service;
mod stack;
mod stories;
mod template;
mod web;

use stories::World;

/// A booking becomes a captain offer mailed by the worker function, under its own role, from
/// the sandbox with no data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_mails_the_captain_an_offer_from_the_deployed_stack() {
    let world = World::deploy().await;
    let svc = world.service();
    let booking = world.book(0).await;
    if let Err(e) = stories::captain_offer(&world, &svc, &booking).await {
        panic!("{e}\n{}", world.report(&svc).await);
    }
}

/// Every story through the deployed stack: the captain accepts on the crew page (the web
/// function's URL), the deckhand is offered the crew slot and accepts, the charter is staffed;
/// the month-end report lands in Drive and the statements go out through Gmail; the sweep and
/// reminders run; the roster syncs from the Sheet; a cancellation reaches the crew; ops sign in
/// to the board through the web function, assign and cancel (a forged POST gets 403), and the
/// worker sends the mails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_story_runs_on_the_deployed_stack() {
    let world = World::deploy().await;
    let web = world.stack.function("WebFunction");
    assert_eq!(
        web.reserved_concurrency,
        Some(10),
        "the web function's concurrency is capped"
    );
    assert!(
        !web.env.contains_key("DISPATCH_DATA_DIR")
            && !web.env.contains_key("GOOGLE_KEY_SECRET_ARN")
    );
    let svc = world.service();
    if let Err(e) = stories::chain(&world, &svc, 0).await {
        panic!("{e}\n{}", world.report(&svc).await);
    }
}
