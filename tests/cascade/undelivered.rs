//! An offer whose mail never goes out (a mail that cannot be built, a server that refuses it)
//! is renewed to the same member a bounded number of times, then lapses like an unanswered one:
//! the next candidate is asked, and with nobody left ops are told. Never the same unsent offer
//! renewed forever.

use dispatch_core::domain::*;
use dispatch_core::faults::When;

use crate::common::{charter, member, Kind};
use crate::reconcile::{day, rig};

both!(an_offer_that_never_goes_out_counts_toward_escalation);

async fn an_offer_that_never_goes_out_counts_toward_escalation(kind: &Kind) {
    #[allow(non_snake_case)]
    let DAY = day();
    let r = rig(*kind).await;
    let b = &r.world.backend;
    b.roster
        .upsert_batch(&[
            member("cap-a", true, false, &[DAY.as_str()]),
            member("cap-b", true, false, &[DAY.as_str()]),
        ])
        .await
        .unwrap();
    let c = charter(&DAY, 4, Some(1));
    b.charters.insert(&c).await.unwrap();
    r.faults.fail("mail.send", When::Always);
    let _ = r.cascade.reconcile(&c.charter_id).await;
    // Hour after hour the mail fails; every sweep plans again.
    for _ in 0..12 {
        r.clock().advance(chrono::Duration::minutes(40));
        let _ = r.cascade.sweep().await;
    }
    let offers = r.offers(&c).await;
    let to = |who: &str| offers.iter().filter(|o| o.crew_id.as_str() == who).count();
    assert!(to("cap-a") <= 3, "cap-a renewed at most twice: {offers:?}");
    assert!(to("cap-b") >= 1, "the next captain was asked: {offers:?}");
    assert!(
        offers
            .iter()
            .any(|o| o.crew_id.as_str() == "cap-a" && o.status == OfferStatus::Lapsed),
        "cap-a's unsent offer lapsed: {offers:?}"
    );
    assert_eq!(r.mails_to("mail#offer#"), 0, "nothing went out");
}
