//! Checks on infra/template.yaml itself, no emulator needed.
