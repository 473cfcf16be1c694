//! Crew statements: per member and month, the charters they worked and their share of the tips.
//!
//! This module is the pure grouping ([`statements_for_month`]) and the mail subject
//! ([`statement_subject`]); the single-tab workbook is [`crate::statement_book`].

use std::collections::BTreeMap;

use dispatch_core::domain::{Charter, CharterDate, CharterId, CrewId, CrewMember, Money, Month};

use crate::tips::split_tips;

/// The member's role on one charter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementRole {
    Captain,
    Crew,
}

impl StatementRole {
    /// How the role reads on the statement: `Captain` or `Crew`.
    pub fn label(self) -> &'static str {
        match self {
            StatementRole::Captain => "Captain",
            StatementRole::Crew => "Crew",
        }
    }
}

/// One charter on a member's statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub charter_id: CharterId,
    pub date: CharterDate,
    pub vessel: String,
    pub role: StatementRole,
    /// The charter's reportable revenue (whole charter, not the member's).
    pub charter_revenue: Money,
    /// The charter's tips before the split.
    pub tips_total: Money,
    /// This member's share from [`split_tips`].
    pub share: Money,
}

/// A member's statement for a month; lines sorted by date, then `created_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub crew_id: CrewId,
    /// Roster name, or the id when the member is not on the roster.
    pub name: String,
    pub month: Month,
    pub lines: Vec<StatementLine>,
    /// Sum of the shares, exact.
    pub total_share: Money,
}

/// The mail subject the mailer sends and later searches for, e.g.
/// `Crew statement May 2024 – Ana Silva` (an en dash between month and name).
pub fn statement_subject(member_name: &str, month: Month) -> String {
    format!("Crew statement {} – {}", month.title(), member_name.trim())
}

/// Groups the month's charters by member (captain and crew), one [`Statement`] each, sorted by
/// crew id. Charters outside `month` and cancelled ones are skipped, and of several versions of
/// one charter only the newest `created_at` counts; each charter's tips are split with
/// [`split_tips`] among captain then crew, so a member's share matches every other statement.
pub fn statements_for_month(
    charters: &[Charter],
    roster: &[CrewMember],
    month: Month,
) -> Vec<Statement> {
    let newest = dispatch_core::ports::newest_versions(charters.to_vec());
    let mut sorted: Vec<&Charter> = newest
        .iter()
        .filter(|c| {
            month.contains(c.charter_date)
                && c.status != dispatch_core::domain::CharterStatus::Cancelled
        })
        .collect();
    sorted.sort_by(|a, b| (a.charter_date, &a.created_at).cmp(&(b.charter_date, &b.created_at)));
    let mut by_member: BTreeMap<CrewId, Vec<StatementLine>> = BTreeMap::new();
    for c in sorted {
        let people: Vec<CrewId> = c
            .captain_assigned
            .iter()
            .chain(c.crew_assigned.iter())
            .cloned()
            .collect();
        for (i, (id, share)) in split_tips(c.tips, &people).into_iter().enumerate() {
            let role = if i == 0 && c.captain_assigned.is_some() {
                StatementRole::Captain
            } else {
                StatementRole::Crew
            };
            by_member.entry(id).or_default().push(StatementLine {
                charter_id: c.charter_id.clone(),
                date: c.charter_date,
                vessel: c.vessel_name.clone(),
                role,
                charter_revenue: c.reportable_revenue,
                tips_total: c.tips,
                share,
            });
        }
    }
    by_member
        .into_iter()
        .map(|(crew_id, lines)| {
            let name = roster
                .iter()
                .find(|m| m.crew_id == crew_id)
                .map(|m| m.name.clone())
                .unwrap_or_else(|| crew_id.as_str().to_string());
            let total = lines.iter().map(|l| l.share.decimal()).sum();
            Statement {
                crew_id,
                name,
                month,
                lines,
                total_share: Money::from_decimal(total),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_names_month_and_member() {
        let m = Month::new(2024, 5).expect("valid");
        assert_eq!(
            statement_subject(" Ana Silva ", m),
            "Crew statement May 2024 – Ana Silva"
        );
    }

    fn charter(day: u32, tips_cents: i64, crew: &[&str]) -> Charter {
        let id = |s: &str| CrewId::parse(s).expect("valid id");
        Charter {
            charter_id: CharterId::new_random(),
            created_at: format!("2024-04-{day:02}T00:00:00Z"),
            charter_date: CharterDate::parse(&format!("2024-05-{day:02}")).expect("valid date"),
            vessel_name: "Sea Lark".into(),
            captain_assigned: Some(id("crew-cap")),
            crew_assigned: crew.iter().map(|c| id(c)).collect(),
            guest_count: 2,
            guest_names: vec![],
            reportable_revenue: Money::from_cents(100_000),
            tips: Money::from_cents(tips_cents),
            status: Default::default(),
            crew_needed: None,
        }
    }

    #[test]
    fn groups_by_member_with_roles_and_exact_shares() {
        let m = Month::new(2024, 5).expect("valid");
        let charters = [
            charter(9, 1000, &["crew-b", "crew-a"]),
            charter(3, 100, &["crew-a"]),
        ];
        let st = statements_for_month(&charters, &[], m);
        let ids: Vec<_> = st.iter().map(|s| s.crew_id.as_str()).collect();
        assert_eq!(ids, ["crew-a", "crew-b", "crew-cap"]);
        let cap = &st[2];
        assert!(cap.lines.iter().all(|l| l.role == StatementRole::Captain));
        assert_eq!(cap.lines[0].date.naive().to_string(), "2024-05-03");
        assert_eq!(cap.total_share, Money::from_cents(50 + 334));
        let all: rust_decimal::Decimal = st.iter().map(|s| s.total_share.decimal()).sum();
        assert_eq!(all, Money::from_cents(1100).decimal());
        assert_eq!(st[0].name, "crew-a");
        assert_eq!(st[0].lines[0].role, StatementRole::Crew);
    }

    #[test]
    fn cancelled_charters_and_superseded_versions_are_in_no_statement() {
        let m = Month::new(2024, 5).expect("valid");
        let mut cancelled = charter(5, 900, &["crew-c"]);
        cancelled.status = dispatch_core::domain::CharterStatus::Cancelled;
        let newest = charter(9, 300, &["crew-a"]);
        let mut older = newest.clone();
        older.created_at = "2024-03-01T00:00:00Z".into();
        older.tips = Money::from_cents(9_900);
        older.crew_assigned = vec![CrewId::parse("crew-b").expect("valid")];
        let st = statements_for_month(&[older, cancelled, newest], &[], m);
        let ids: Vec<_> = st.iter().map(|s| s.crew_id.as_str()).collect();
        assert_eq!(
            ids,
            ["crew-a", "crew-cap"],
            "no crew-b (old version), no crew-c (cancelled)"
        );
        assert_eq!(st[0].lines.len(), 1);
        assert_eq!(st[0].total_share, Money::from_cents(150));
    }
}
