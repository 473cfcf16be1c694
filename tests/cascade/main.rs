//! The cascade on the real service: its rules as properties over random rosters and answers, its
//! flows (cancellation, replays, chained lapses), the reconciler on both backends (outages,
//! concurrent passes, hand assignments, the business's day), and random fault schedules.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod answer_reply;
mod crew_changes;
mod eligibility;
mod faults;
mod first_link;
mod flows;
mod hand_mail;
mod notices;
mod reconcile;
mod rules;
mod sweep;
mod trip_clock;
mod undelivered;

/// The two charter dates of the rule and flow tests.
const DATES: [&str; 2] = ["2024-05-03", "2024-05-04"];
