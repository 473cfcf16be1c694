//! The ops board that acts: who may act ([`access`]: sign-in links, sessions, CSRF), the
//! choice of a member for a slot as ops see it ([`choices`]: the eligible first, each other one
//! with the reason), and the pages ([`pages`]: the charter's actions, the roster by day, the
//! confirmation and result pages). The board itself is [`crate::ops_board`]; the HTTP handlers
//! are in `web/ops.rs` and `web/ops_actions.rs`.

pub mod access;
pub mod choices;
pub mod pages;
