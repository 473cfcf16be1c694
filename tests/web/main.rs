//! The crew page and the ops board as people meet them: over HTTP (bad links, GET never consumes,
//! actions once, cross-site posts refused, the business's time zone), in a real headless browser,
//! and in the logs of concurrent answers.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

#[path = "../../crates/google/tests/fake/mod.rs"]
mod fake;

mod axe;
mod browser;
mod crew_browser;
mod crew_changes;
mod crew_page;
mod crew_sheet;
mod crew_zone;
mod ics;
mod link_scopes;
mod log_spans;
mod ops_actions;
mod ops_board;
mod public_path;
mod scene;
mod webdriver;
