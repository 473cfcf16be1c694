//! The revenue report, on both backends: one file per month in the prior month's column order,
//! only the newest version of each charter, cancelled ones left out, shared with ops.

use calamine::Data;
use dispatch::month::report::{report_file_name, run_report};
use dispatch_core::domain::*;

use crate::common::{self, World};
use crate::{files_in, may, month_tab, month_world};

both!(report_is_one_file_per_month_in_the_prior_order,);

pub async fn report_is_one_file_per_month_in_the_prior_order(world: &World) {
    let m = month_world(world).await;
    let b = &m.ctx.backend;
    // Old data: a cancelled charter with revenue; a charter stored twice under one id (an
    // older version on the same day with more revenue); and one whose newer version moved
    // it to June (its older version still sits on a May date). None may count in May.
    let mut cancelled = common::charter("2024-05-15", 4, Some(1));
    cancelled.reportable_revenue = Money::parse("1850.00").unwrap();
    cancelled.status = CharterStatus::Cancelled;
    b.charters.insert(&cancelled).await.unwrap();
    let mut newer = common::charter("2024-05-12", 4, Some(1));
    newer.reportable_revenue = Money::parse("300.00").unwrap();
    newer.created_at = "2024-04-20T10:00:00.000Z".into();
    let mut older = newer.clone();
    older.created_at = "2024-04-01T10:00:00.000Z".into();
    older.reportable_revenue = Money::parse("2150.00").unwrap();
    older.vessel_name = "Stale Version".into();
    b.charters.insert(&older).await.unwrap();
    b.charters.insert(&newer).await.unwrap();
    let mut moved = common::charter("2024-06-02", 4, Some(1));
    moved.reportable_revenue = Money::parse("400.00").unwrap();
    moved.created_at = "2024-04-20T10:00:00.000Z".into();
    let mut was_may = moved.clone();
    was_may.charter_date = CharterDate::parse("2024-05-22").unwrap();
    was_may.created_at = "2024-04-02T10:00:00.000Z".into();
    was_may.vessel_name = "Stale Version".into();
    b.charters.insert(&was_may).await.unwrap();
    b.charters.insert(&moved).await.unwrap();
    let listed = b.charters.in_month(may()).await.unwrap().items;
    assert_eq!(
        listed
            .iter()
            .filter(|c| c.charter_id == newer.charter_id)
            .count(),
        1,
        "one charter id, one row"
    );
    assert!(
        !listed.iter().any(|c| c.charter_id == moved.charter_id),
        "moved to June"
    );
    assert_eq!(
        b.charters
            .on_date(CharterDate::parse("2024-05-22").unwrap())
            .await
            .unwrap()
            .items,
        vec![]
    );

    let mut stages = Vec::new();
    let out = run_report(&m.ctx, may(), &mut |s: &str| stages.push(s.to_string()))
        .await
        .unwrap();
    assert_eq!(
        out.rows, 4,
        "reportable revenue > 0 only, May only, newest versions, not cancelled"
    );
    assert_eq!(out.without_revenue, 1);
    assert_eq!(out.cancelled, 1);
    assert!(!out.prior_order);
    assert!(
        stages.iter().any(|s| s.contains("one query per day")),
        "{stages:?}"
    );
    let bytes = std::fs::read(m.reports().join("Revenue 2024-05.xlsx")).unwrap();
    let rows = month_tab(&bytes, "May 2024");
    let title = rows[0][0].to_string();
    assert!(
        title.starts_with("JADA Crew Office · Revenue May 2024 · generated ")
            && title.ends_with(" UTC"),
        "{title}"
    );
    assert_eq!(rows[1][0], Data::String("Date".into()));
    assert_eq!(rows.len(), 2 + 4 + 1, "title, header, four charters, total");
    assert!(
        rows[2]
            .iter()
            .any(|c| *c == Data::String("Ana Silva".into())),
        "names from the roster: {:?}",
        rows[2]
    );
    let flat: Vec<String> = rows.iter().flatten().map(|c| c.to_string()).collect();
    assert!(
        !flat
            .iter()
            .any(|c| c == "Stale Version" || c == "cancelled"),
        "{flat:?}"
    );
    assert!(
        flat.contains(&newer.charter_id.to_string()),
        "a charter id column"
    );
    assert!(flat.iter().any(|c| c == "staffed"), "a status column");
    // $1200 + $800.50 + $950 + $300 (the newest version), never $2150 or $1850.
    let header = &rows[1];
    let rev = header
        .iter()
        .position(|c| *c == Data::String("Revenue".into()))
        .unwrap();
    assert_eq!(rows[6][rev], Data::Float(3250.5));

    // The prior month's workbook decides the order: put one with Revenue first.
    let april = may().previous();
    let prior = dispatch_reporting::revenue::revenue_workbook(
        &[],
        april,
        &Default::default(),
        Some(&["Revenue".to_string(), "Date".to_string()]),
    )
    .unwrap();
    std::fs::write(m.reports().join(report_file_name(april)), prior).unwrap();
    let again = run_report(&m.ctx, may(), &mut |_| {}).await.unwrap();
    assert!(again.prior_order);
    assert_eq!(
        files_in(&m.reports()),
        [
            "Revenue 2024-04.xlsx",
            "Revenue 2024-05.xlsx",
            "sharing.json"
        ]
    );
    let rows = month_tab(
        &std::fs::read(m.reports().join("Revenue 2024-05.xlsx")).unwrap(),
        "May 2024",
    );
    assert_eq!(rows[1][0], Data::String("Revenue".into()));
    assert_eq!(rows[1][1], Data::String("Date".into()));
    let sharing: serde_json::Value =
        serde_json::from_slice(&std::fs::read(m.reports().join("sharing.json")).unwrap()).unwrap();
    assert_eq!(
        sharing["Revenue 2024-05.xlsx"],
        serde_json::json!(["ops@example.com", "owner@example.com"])
    );
}
