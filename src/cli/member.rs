//! How every command names a member: `MEMBER` is a crew id, an e-mail or a full name that only
//! one member has (case and extra spaces ignored). The matching is dispatch-core's
//! [`find_member`]; this module reads the roster for it and turns a miss into an error that
//! lists the candidates (name, id, e-mail) and exits non-zero. A leaf module.

use anyhow::Context;
use dispatch_core::domain::{find_member, CrewId, CrewMember};
use dispatch_core::Backend;

/// Every member of the roster, as it is now.
pub async fn roster(backend: &Backend) -> anyhow::Result<Vec<CrewMember>> {
    Ok(backend
        .roster
        .list()
        .await
        .context("reading crew-roster")?
        .items)
}

/// The member `raw` names among `roster`; `what` names the argument in the error (`--captain`).
pub fn pick(roster: &[CrewMember], what: &str, raw: &str) -> anyhow::Result<CrewMember> {
    find_member(roster, raw)
        .cloned()
        .map_err(|e| anyhow::Error::new(e).context(what.to_string()))
}

/// The crew ids of the members `raws` name, each resolved against one read of the roster.
pub async fn crew_ids(
    backend: &Backend,
    what: &str,
    raws: &[String],
) -> anyhow::Result<Vec<CrewId>> {
    if raws.is_empty() {
        return Ok(Vec::new());
    }
    let roster = roster(backend).await?;
    raws.iter()
        .map(|raw| pick(&roster, what, raw).map(|m| m.crew_id))
        .collect()
}

/// The crew id of the member `raw` names.
pub async fn crew_id(backend: &Backend, what: &str, raw: &str) -> anyhow::Result<CrewId> {
    let mut ids = crew_ids(backend, what, &[raw.to_string()]).await?;
    ids.pop()
        .with_context(|| format!("{what}: no member given"))
}
