//! # dispatch-google
