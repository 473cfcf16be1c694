//! The sweep reads the index of unsettled charters: an escalated charter comes back into it when
//! a member comes free on its date, and the business's day (its time zone) only decides where
//! `charter reconcile --all` starts reading charters by date.

use chrono::Utc;
use dispatch_core::domain::*;

use super::reconcile::{day, rig};
use crate::common::{charter, member, Kind, TestApp};

both!(a_member_freed_by_a_cancellation_is_offered_the_escalated_slot);

/// An escalated charter is out of the index of unsettled charters (it waits for a person),
/// but a member coming free on its date is such a person: when another charter that day is
/// cancelled and its hold released, the next sweep offers the escalated slot to that member.
pub async fn a_member_freed_by_a_cancellation_is_offered_the_escalated_slot(kind: &Kind) {
    #[allow(non_snake_case)]
    let DAY = day();
    let r = rig(*kind).await;
    let b = &r.world.backend;
    b.roster
        .upsert_batch(&[member("cap", true, false, &[DAY.as_str()])])
        .await
        .unwrap();
    let first = charter(&DAY, 4, Some(0));
    b.charters.insert(&first).await.unwrap();
    r.cascade.reconcile(&first.charter_id).await.unwrap();
    let offer = r.offers(&first).await.remove(0);
    r.accept(&offer).await.unwrap();
    // A second charter that day: its only captain is booked on the first.
    let second = charter(&DAY, 4, Some(0));
    b.charters.insert(&second).await.unwrap();
    let done = r.cascade.reconcile(&second.charter_id).await.unwrap();
    assert!(r.offers(&second).await.is_empty());
    assert_eq!(r.mails_to("mail#escalate#"), 1, "ops told");
    let settled = r.cascade.reconcile(&second.charter_id).await.unwrap();
    assert!(
        settled.settled,
        "escalated, nothing to wait for: {done:?} {settled:?}"
    );
    // The first charter is cancelled: its reconcile releases the captain's hold.
    b.charters
        .set_status(&first.key(), CharterStatus::Cancelled)
        .await
        .unwrap();
    r.cascade.reconcile(&first.charter_id).await.unwrap();
    assert!(b
        .holds
        .get(&CrewId::parse("cap").unwrap(), second.charter_date)
        .await
        .unwrap()
        .is_none());
    // The sweep finds the second charter again and asks the captain.
    r.cascade.sweep().await.unwrap();
    let offers = r.offers(&second).await;
    assert_eq!(offers.len(), 1, "{offers:?}");
    assert_eq!(offers[0].crew_id.as_str(), "cap");
    assert_eq!(offers[0].status, OfferStatus::Open);
}

/// "Today" is the business's: at 03:00 UTC on 1 January it is still 31 December in Los
/// Angeles, so `charter reconcile --all` (which reads charters by date from today) reaches a
/// charter dated 31 December; a UTC business has moved on and does not. The sweep job reads the
/// index of unsettled charters instead: it reaches that charter, whatever the zone and date.
#[tokio::test]
async fn reconcile_by_dates_starts_from_the_business_day_and_the_sweep_reads_the_index() {
    let at = chrono::DateTime::parse_from_rfc3339("2027-01-01T03:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let app = TestApp::local().manual_clock(at).build().await;
    let world = &app.world;
    let c = charter("2026-12-31", 4, Some(1));
    world.backend.charters.insert(&c).await.unwrap();
    world
        .backend
        .roster
        .upsert_batch(&[member("crew-ana", true, true, &["2026-12-31"])])
        .await
        .unwrap();
    let sweep = || JobEnvelope::new(JobKind::Sweep, "sweep#t", serde_json::json!({}));
    use dispatch_ingest::worker::JobHandler;
    let mut cascades = Vec::new();
    for (zone, seen) in [("UTC", 0), ("America/Los_Angeles", 1)] {
        let cascade = app.cascade_tuned(|cfg| {
            cfg.zone = dispatch_core::zone::BusinessZone::parse(zone).unwrap();
        });
        assert_eq!(
            cascade.today().to_string(),
            if seen == 1 {
                "2026-12-31"
            } else {
                "2027-01-01"
            }
        );
        let r = cascade.reconcile_dates(cascade.today(), 1).await.unwrap();
        assert_eq!(r.charters, seen, "{zone}: {r:?}");
        cascades.push(cascade);
    }
    let offers = world
        .backend
        .offers
        .for_charter(&c.charter_id)
        .await
        .unwrap();
    assert_eq!(
        offers.len(),
        1,
        "the Los Angeles reconcile offered the captain slot"
    );
    // The open offer keeps the charter in the index: both sweeps see it.
    for cascade in cascades {
        let r = dispatch_cascade::jobs::CascadeJobs(cascade)
            .handle(&sweep())
            .await
            .unwrap();
        assert_eq!(r["charters"], 1, "{r}");
    }
}
