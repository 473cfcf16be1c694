//! Parsing the charters and dates the `charter` commands take, each error naming the argument
//! and where to find a good value. A leaf module: every `charter` command file uses it. Members
//! are named through [`crate::cli::member`].

use anyhow::Context;
use dispatch_core::domain::{CharterDate, CharterId, CharterRef};

/// A charter argument: its id (a UUID) or the booking reference it was imported under (whose
/// UUIDv5 is its id), so `HL-1207-OSP` names the charter without a lookup.
pub fn charter_id(raw: &str) -> anyhow::Result<CharterId> {
    CharterRef::parse(raw)
        .map(|r| r.charter_id())
        .with_context(|| {
            format!(
                "`{raw}` is not a charter id or a booking reference (`dispatch charter list` shows both)"
            )
        })
}

/// What to say when no charter answers to `raw`.
pub fn no_charter(raw: &str, id: &CharterId) -> String {
    match CharterRef::parse(raw) {
        Ok(CharterRef::Booking(r)) => format!(
            "no charter was imported under the booking reference {r} (its id would be {id}); a \
             charter stored with its own charter_id is named by that id (check DISPATCH_PREFIX too)"
        ),
        _ => format!("no charter {id} in crew-dispatch (check the id and DISPATCH_PREFIX)"),
    }
}

/// A date flag, `YYYY-MM-DD`.
pub fn date(flag: &str, raw: &str) -> anyhow::Result<CharterDate> {
    CharterDate::parse(raw).with_context(|| format!("{flag}: `{raw}` is not a date (YYYY-MM-DD)"))
}
