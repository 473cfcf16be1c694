//! Money that can be corrected, on both backends: a charter added after May's statements went
//! out makes one member's statement out of date; the dry run marks it, `--corrections` sends
//! that member one "Corrected" statement (a new workbook, the same recipients and CC), and a
//! second run sends none. And a charter whose record cannot be read is named on the revenue
//! workbook's `Left out` tab and in the statements' outcome instead of going missing.

use dispatch::month::corrections::{out_of_date, send_corrections};
use dispatch::month::statements;
use dispatch_core::domain::*;
use dispatch_core::item::Item;
use dispatch_mailer::header_values;
use serde_dynamo::AttributeValue as AV;

use crate::common::{self, World};
use crate::{addresses, files_in, may, month_tab, month_world};

both!(
    a_late_charter_sends_one_corrected_statement_once,
    an_unreadable_charter_is_named_where_the_month_leaves_it_out,
);

pub async fn a_late_charter_sends_one_corrected_statement_once(world: &World) {
    let m = month_world(world).await;
    let sent = statements::send(&m.ctx, may()).await.unwrap();
    assert_eq!(sent.sent, ["ana", "bo", "cy"]);
    for p in statements::plan(&m.ctx, may()).await.unwrap() {
        assert!(
            !out_of_date(&m.ctx, may(), &p).await.unwrap(),
            "{}",
            p.line()
        );
    }
    // A charter of May booked late: Bo alone crewed it, so only Bo's share changes.
    let mut late = common::charter("2024-05-30", 3, Some(1));
    late.crew_assigned = vec![CrewId::parse("bo").unwrap()];
    late.reportable_revenue = Money::parse("400").unwrap();
    late.tips = Money::parse("100").unwrap();
    late.status = CharterStatus::Staffed;
    world.backend.charters.insert(&late).await.unwrap();
    let mut stale = Vec::new();
    for p in statements::plan(&m.ctx, may()).await.unwrap() {
        if out_of_date(&m.ctx, may(), &p).await.unwrap() {
            stale.push(p.statement.crew_id.to_string());
        }
    }
    assert_eq!(stale, ["bo"], "the dry run marks Bo's statement");

    let before = files_in(m.outbox().dir());
    let out = send_corrections(&m.ctx, may()).await.unwrap();
    assert_eq!(out.sent, ["bo"], "{out:?}");
    let new: Vec<String> = files_in(m.outbox().dir())
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let mime = std::fs::read(m.outbox().dir().join(&new[0])).unwrap();
    let subject = header_values(&mime, "Subject").join(" ");
    assert!(subject.contains("Corrected"), "{subject}");
    assert_eq!(addresses(&mime, "To"), ["bo@example.com"]);
    assert_eq!(addresses(&mime, "Cc"), ["auditor@example.com"]);
    assert!(
        String::from_utf8_lossy(&mime).contains(".xlsx"),
        "a new workbook is attached"
    );

    let again = send_corrections(&m.ctx, may()).await.unwrap();
    assert!(again.sent.is_empty(), "{again:?}");
    assert_eq!(files_in(m.outbox().dir()).len(), before.len() + 1);
    for p in statements::plan(&m.ctx, may()).await.unwrap() {
        assert!(
            !out_of_date(&m.ctx, may(), &p).await.unwrap(),
            "{}",
            p.line()
        );
    }
}

pub async fn an_unreadable_charter_is_named_where_the_month_leaves_it_out(world: &World) {
    let m = month_world(world).await;
    let id = CharterId::new_random();
    let row: Item = [
        ("charter_id", AV::S(id.to_string())),
        ("created_at", AV::S("2024-04-02T10:00:00Z".into())),
        ("charter_date", AV::S("2024-05-12".into())),
        ("vessel_name", AV::S("Marlin".into())),
        ("guest_count", AV::S("four".into())),
        ("reportable_revenue", AV::N("500".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    world.backend.charters.put_raw(&row).await.unwrap();
    let out = dispatch::month::report::run_report(&m.ctx, may(), &mut |_| {})
        .await
        .unwrap();
    assert!(
        out.left_out.iter().any(|l| l.charter_id == id.as_str()),
        "{:?}",
        out.left_out
    );
    let bytes = std::fs::read(m.reports().join("Revenue 2024-05.xlsx")).unwrap();
    let tab = month_tab(&bytes, "Left out");
    let text = format!("{tab:?}");
    assert!(
        text.contains(id.as_str()) && text.contains("guest_count"),
        "{text}"
    );
    let sent = statements::send(&m.ctx, may()).await.unwrap();
    assert!(
        sent.left_out.iter().any(|l| l.charter_id == id.as_str()),
        "{sent:?}"
    );
}
