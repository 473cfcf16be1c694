//! The `dispatch` binary as scripts, ops and the engineer on call drive it: real processes on
//! real SQLite files (and moto for the AWS backend), run through the shared runner with its one
//! environment scrub; `dispatch run` stopped by SIGTERM and killed by SIGKILL.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod charters;
mod commands;
mod dlq;
mod kill;
mod oncall;
mod ops_flow;
mod run;
