//! The accept's condition on the member's roster item, on DynamoDB (moto): built from the item
//! as read, it holds while the item is unchanged and cancels the transaction when the member's
//! captain's licence or a needed certification's expiry changed after the read so that they no
//! longer fit (the embedded store checks inside its one transaction and needs no such test).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use dispatch_core::aws::roster_condition;
use dispatch_core::domain::*;

use crate::common::{dynamodb_endpoint, member, sdk_config_for, Kind, World};

fn d(s: &str) -> CharterDate {
    CharterDate::parse(s).unwrap()
}

fn sdk(m: &CrewMember) -> HashMap<String, AttributeValue> {
    m.to_item()
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect()
}

/// Runs the condition built from `read` as a transaction of its own: `true` if it held.
async fn holds(
    w: &World,
    ddb: &aws_sdk_dynamodb::Client,
    read: &CrewMember,
    needs: &SlotNeeds,
) -> bool {
    let table = format!("{}crew-roster", w.prefix);
    let check = roster_condition(
        &table,
        &read.crew_id,
        Some(&sdk(read)),
        needs,
        d("2027-01-05"),
    )
    .unwrap()
    .expect("the member as read fits");
    match ddb
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .send()
        .await
    {
        Ok(_) => true,
        Err(e) => {
            let e = e.into_service_error();
            assert!(e.is_transaction_canceled_exception(), "{e:?}");
            false
        }
    }
}

#[tokio::test]
async fn a_licence_or_expiry_changed_after_the_read_cancels_the_accept() {
    let w = World::new(Kind::Aws).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk_config_for(dynamodb_endpoint()).await);
    let mut fit = member("cap", true, true, &["2027-01-05"]);
    fit.captain_licence = Some(CaptainLicence {
        class: "Master".into(),
        max_passengers: Some(12),
        expires: Some(d("2027-06-30")),
    });
    fit.certification_expiry = [("deckhand".to_string(), d("2027-06-30"))].into();
    let bare = CrewMember {
        captain_licence: None,
        certification_expiry: Default::default(),
        ..fit.clone()
    };
    let captain = SlotNeeds {
        captain: true,
        certifications: vec![],
        guests: 8,
    };
    let deckhand = SlotNeeds {
        captain: false,
        certifications: vec!["deckhand".into()],
        guests: 8,
    };
    let store = |m: &CrewMember| {
        let m = m.clone();
        let w = &w;
        async move { w.backend.roster.upsert_batch(&[m]).await.unwrap() }
    };

    // Unchanged since the read: the condition holds (with papers, and without any).
    store(&fit).await;
    assert!(holds(&w, &ddb, &fit, &captain).await);
    assert!(holds(&w, &ddb, &fit, &deckhand).await);
    store(&bare).await;
    assert!(holds(&w, &ddb, &bare, &captain).await);
    assert!(holds(&w, &ddb, &bare, &deckhand).await);
    // A licence good through the charter's day itself, for exactly the guests: holds.
    let mut just = fit.clone();
    just.captain_licence = Some(CaptainLicence {
        class: "six-pack".into(),
        max_passengers: Some(8),
        expires: Some(d("2027-01-05")),
    });
    just.certification_expiry = [("deckhand".to_string(), d("2027-01-05"))].into();
    store(&just).await;
    assert!(holds(&w, &ddb, &just, &captain).await);
    assert!(holds(&w, &ddb, &just, &deckhand).await);

    // Changed after the read so that they no longer fit: each cancels.
    let mut small = fit.clone();
    small.captain_licence = Some(CaptainLicence {
        class: "six-pack".into(),
        max_passengers: Some(6),
        expires: None,
    });
    let mut lapsed = fit.clone();
    lapsed.captain_licence = Some(CaptainLicence {
        expires: Some(d("2027-01-04")),
        ..fit.captain_licence.clone().unwrap()
    });
    let mut cert_lapsed = fit.clone();
    cert_lapsed.certification_expiry = [("deckhand".to_string(), d("2027-01-04"))].into();
    for (read, now, needs, what) in [
        (&fit, &small, &captain, "licence now too small"),
        (&bare, &small, &captain, "a too-small licence added"),
        (&fit, &lapsed, &captain, "licence now runs out before"),
        (&bare, &lapsed, &captain, "a lapsed licence added"),
        (
            &fit,
            &cert_lapsed,
            &deckhand,
            "certification now runs out before",
        ),
        (
            &bare,
            &cert_lapsed,
            &deckhand,
            "a lapsed certification expiry added",
        ),
    ] {
        store(now).await;
        assert!(
            !holds(&w, &ddb, read, needs).await,
            "{what}: the condition still held"
        );
    }
    // A change that keeps them fit (a crew slot does not look at the licence): holds.
    store(&small).await;
    assert!(holds(&w, &ddb, &fit, &deckhand).await);
}
