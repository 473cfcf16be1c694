//! Reading what a member needs to know about a charter: the names of the others aboard, from the
//! roster, made into [`CharterFacts`] (the words themselves are [`crate::words`]'s).

use std::collections::HashMap;

use dispatch_core::domain::{Charter, CrewId, CrewMember};

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
    facts_with(cx, c, reader, HashMap::new()).await
}

/// [`facts`] for `reader` as read already: their own name is not read again.
pub async fn facts_for(
    cx: &Cascade,
    c: &Charter,
    reader: &CrewMember,
) -> Result<CharterFacts, CascadeError> {
    let known = HashMap::from([(reader.crew_id.clone(), reader.name.clone())]);
    facts_with(cx, c, &reader.crew_id, known).await
}

async fn facts_with(
    cx: &Cascade,
    c: &Charter,
    reader: &CrewId,
    mut names: HashMap<CrewId, String>,
) -> Result<CharterFacts, CascadeError> {
    let aboard: Vec<CrewId> = c
        .captain_assigned
        .iter()
        .chain(c.crew_assigned.iter())
        .filter(|m| !names.contains_key(*m))
        .cloned()
        .collect();
    names.extend(names_of(cx, &aboard).await?);
    Ok(CharterFacts::of(
        c,
        cx.vessel(c),
        &cx.cfg.zone,
        reader,
        |m| names.get(m).cloned(),
    ))
}
