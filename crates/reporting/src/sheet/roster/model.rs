//! What the sheet says ([`SheetRoster`]), what a sync will do ([`SyncPlan`]), an unreadable cell
//! ([`CellProblem`]) and the stable id of a member known only by e-mail ([`id_for_email`]).

use std::collections::{BTreeSet, HashMap};

use dispatch_core::domain::{CrewId, CrewMember, EmailAddress};
use sha2::{Digest, Sha256};

use super::papers::SheetPapers;

/// A cell that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellProblem {
    pub tab: String,
    /// A1 reference, e.g. `C7`.
    pub cell: String,
    pub value: String,
    pub why: String,
}

impl std::fmt::Display for CellProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}!{} {:?}: {}",
            self.tab, self.cell, self.value, self.why
        )
    }
}

/// The stable id of a member without a `crew id` column: `crew-` and 12 hex digits of the SHA-256
/// of the lower-cased, trimmed e-mail.
pub fn id_for_email(email: &EmailAddress) -> CrewId {
    let digest = Sha256::digest(email.as_str().trim().to_ascii_lowercase().as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    #[allow(clippy::expect_used)]
    // `crew-` and 12 hex digits: letters, digits and `-` only, 17 characters.
    CrewId::parse(&format!("crew-{hex}")).expect("crew- and hex digits is a valid id")
}

/// What the sheet says, before comparing with the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetRoster {
    pub members: Vec<CrewMember>,
    /// Members whose availability the sheet carries (replace the stored dates).
    pub with_availability: BTreeSet<CrewId>,
    /// Members whose `active` the sheet carries.
    pub with_active: BTreeSet<CrewId>,
    /// Members whose captain certificate the sheet carries (a readable cell in that column).
    pub with_captain: BTreeSet<CrewId>,
    /// Optional roster columns the sheet lacks (`Phone`, `Captain certified`, `Certifications`,
    /// `Active`): every stored member keeps those values.
    pub missing_columns: Vec<String>,
    pub problems: Vec<CellProblem>,
    /// Tabs that are neither the roster nor availability.
    pub ignored_tabs: Vec<String>,
    /// Members whose id was derived from their e-mail (no `crew id` column or cell): the sync
    /// matches them to a stored member by e-mail first.
    pub derived_ids: BTreeSet<CrewId>,
    /// Where each member's row is: (tab, A1 of its e-mail cell).
    pub rows: HashMap<CrewId, (String, String)>,
    /// What the licence and expiry columns say of each member (only those with something said).
    pub papers: HashMap<CrewId, SheetPapers>,
}

/// What a sync will do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncPlan {
    /// Created and updated members, ready to write.
    pub to_write: Vec<CrewMember>,
    pub created: Vec<CrewId>,
    pub updated: Vec<CrewId>,
    pub unchanged: Vec<CrewId>,
    /// Stored members the sheet does not list (left alone, never deleted).
    pub not_in_sheet: Vec<CrewId>,
    pub problems: Vec<CellProblem>,
    pub ignored_tabs: Vec<String>,
    /// Optional columns the sheet lacks, whose stored values were kept.
    pub missing_columns: Vec<String>,
}

impl SyncPlan {
    /// `created 3, updated 1, unchanged 20, …` then one line per unreadable cell.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "created {}, updated {}, unchanged {}, not in the sheet (left alone) {}, {} cells unreadable",
            self.created.len(),
            self.updated.len(),
            self.unchanged.len(),
            self.not_in_sheet.len(),
            self.problems.len()
        );
        for p in &self.problems {
            s.push_str(&format!("\n  {p}"));
        }
        if !self.missing_columns.is_empty() {
            s.push_str(&format!(
                "\n  columns not in the sheet (stored values kept): {}",
                self.missing_columns.join(", ")
            ));
        }
        if !self.ignored_tabs.is_empty() {
            s.push_str(&format!(
                "\n  tabs ignored (neither roster nor availability): {}",
                self.ignored_tabs.join(", ")
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_case_blind() {
        let a = id_for_email(&EmailAddress::parse("Ana@Example.com").unwrap());
        let b = id_for_email(&EmailAddress::parse("ana@example.com").unwrap());
        assert_eq!(a, b);
        assert!(
            a.as_str().starts_with("crew-") && a.as_str().len() == 17,
            "{a:?}"
        );
    }
}
