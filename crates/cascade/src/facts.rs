//! Reading what a member needs to know about a charter: the names of the others aboard, from the
//! roster, made into [`CharterFacts`] (the words themselves are [`crate::words`]'s).

use std::collections::HashMap;

use dispatch_core::domain::{Charter, CrewId};

use crate::service::{Cascade, CascadeError};
use crate::words::CharterFacts;

/// Full names of these members, from the roster (members who left are missing).
pub async fn names_of(
    cx: &Cascade,
    ids: &[CrewId],
) -> Result<HashMap<CrewId, String>, CascadeError> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        if let Some(m) = cx.backend.roster.get(id).await? {
            out.insert(id.clone(), m.name);
        }
    }
    Ok(out)
}

/// What `reader` needs to know about a charter (reads the names of the others aboard).
pub async fn facts(
    cx: &Cascade,
    c: &Charter,
    reader: &CrewId,
) -> Result<CharterFacts, CascadeError> {
    let aboard: Vec<CrewId> = c
        .captain_assigned
        .iter()
        .chain(c.crew_assigned.iter())
        .cloned()
        .collect();
    let names = names_of(cx, &aboard).await?;
    Ok(CharterFacts::of(
        c,
        cx.vessel(c),
        &cx.cfg.zone,
        reader,
        |m| names.get(m).cloned(),
    ))
}
