//! What a deployment stands on: `infra/template.yaml` without drift from `dispatch bootstrap`,
//! secrets from Secrets Manager on the emulator, and the built Lambda binaries run against a
//! Lambda Runtime API on port 0 with events captured from moto (the smoke deployment).

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod drift;
mod secrets;
mod smoke;
