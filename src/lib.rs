//! The `dispatch` command line: wiring settings to the library crates. `main.rs` only calls [`cli::run`].
pub mod cli;
