//! Parsing the ids and dates the `charter` commands take, each error naming the argument and
//! where to find a good value. A leaf module: every `charter` command file uses it.

use anyhow::Context;
use dispatch_core::domain::{CharterDate, CharterId, CrewId};

/// A charter id argument (the hint points at `charter list`).
pub fn charter_id(raw: &str) -> anyhow::Result<CharterId> {
    CharterId::parse(raw).with_context(|| {
        format!("`{raw}` is not a charter id (a UUID; `dispatch charter list` shows them)")
    })
}

/// A crew id argument.
pub fn crew_id(raw: &str) -> anyhow::Result<CrewId> {
    CrewId::parse(raw).with_context(|| format!("`{raw}` is not a crew id"))
}

/// A date flag, `YYYY-MM-DD`.
pub fn date(flag: &str, raw: &str) -> anyhow::Result<CharterDate> {
    CharterDate::parse(raw).with_context(|| format!("{flag}: `{raw}` is not a date (YYYY-MM-DD)"))
}
