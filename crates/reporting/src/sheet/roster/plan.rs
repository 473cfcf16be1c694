//! The sheet against the stored members: what to create, update or leave ([`plan`]).

use std::collections::{BTreeSet, HashMap};

use dispatch_core::domain::{CrewId, CrewMember};

use super::model::{CellProblem, SheetRoster, SyncPlan};

/// Compares the sheet with the stored members: what to create, update or leave.
///
/// A member is matched to a stored one by e-mail first, then by id: a sheet without a `Crew ID`
/// column updates the member stored under another id rather than creating a second one with the
/// same address. A row whose own id disagrees with the stored owner of its e-mail is skipped and
/// reported (neither member changes).
pub fn plan(sheet: SheetRoster, existing: &[CrewMember]) -> SyncPlan {
    let stored: HashMap<&CrewId, &CrewMember> = existing.iter().map(|m| (&m.crew_id, m)).collect();
    let by_email: HashMap<String, &CrewMember> = existing
        .iter()
        .map(|m| (m.email.as_str().to_ascii_lowercase(), m))
        .collect();
    let mut p = SyncPlan {
        problems: sheet.problems,
        ignored_tabs: sheet.ignored_tabs,
        missing_columns: sheet.missing_columns.clone(),
        ..Default::default()
    };
    let mut members = Vec::with_capacity(sheet.members.len());
    for mut m in sheet.members {
        let sheet_id = m.crew_id.clone();
        let owner = by_email
            .get(&m.email.as_str().to_ascii_lowercase())
            .filter(|o| o.crew_id != m.crew_id);
        if let Some(owner) = owner {
            if sheet.derived_ids.contains(&m.crew_id) && !stored.contains_key(&m.crew_id) {
                m.crew_id = owner.crew_id.clone();
            } else {
                let (tab, cell) = sheet
                    .rows
                    .get(&sheet_id)
                    .cloned()
                    .unwrap_or_else(|| ("Roster".into(), "A1".into()));
                p.problems.push(CellProblem {
                    tab,
                    cell,
                    value: m.email.to_string(),
                    why: format!(
                        "this e-mail belongs to stored member {} but the row is member {}: row skipped; fix the crew id or the e-mail",
                        owner.crew_id, sheet_id
                    ),
                });
                continue;
            }
        }
        members.push((sheet_id, m));
    }
    let listed: BTreeSet<&CrewId> = members.iter().map(|(_, m)| &m.crew_id).collect();
    p.not_in_sheet = existing
        .iter()
        .filter(|m| !listed.contains(&m.crew_id))
        .map(|m| m.crew_id.clone())
        .collect();
    for (sheet_id, mut m) in members {
        match stored.get(&m.crew_id) {
            None => {
                p.created.push(m.crew_id.clone());
                p.to_write.push(m);
            }
            Some(old) => {
                if !sheet.with_availability.contains(&sheet_id) {
                    m.available_dates = old.available_dates.clone();
                }
                if !sheet.with_active.contains(&sheet_id) {
                    m.active = old.active;
                }
                if !sheet.with_captain.contains(&sheet_id) {
                    m.captain_certified = old.captain_certified;
                }
                let missing = |column: &str| sheet.missing_columns.iter().any(|c| c == column);
                if missing("Certifications") {
                    m.certifications = old.certifications.clone();
                }
                if missing("Phone") {
                    m.phone = old.phone.clone();
                }
                m.captain_licence = old.captain_licence.clone();
                m.certification_expiry = old.certification_expiry.clone();
                if let Some(papers) = sheet.papers.get(&sheet_id) {
                    papers.apply_to(&mut m);
                }
                m.updated_at = old.updated_at.clone();
                m.links_not_before = old.links_not_before;
                if m == **old {
                    p.unchanged.push(m.crew_id);
                } else {
                    p.updated.push(m.crew_id.clone());
                    p.to_write.push(m);
                }
            }
        }
    }
    p
}
