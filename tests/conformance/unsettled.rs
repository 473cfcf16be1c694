//! The sparse index of unsettled charters, on both backends (the port contract): marks go in
//! and come out under their own mark, whatever the charter's date; the booking's own fields
//! are untouched; a bootstrap on a table made before the index adds it.

use dispatch_core::ports::{unsettled_mark, Inserted};

use crate::common::{charter, World};

both!(marks_go_in_and_come_out_only_under_their_own_mark);

pub async fn marks_go_in_and_come_out_only_under_their_own_mark(w: &World) {
    let b = &w.backend;
    // Years ahead and tomorrow: the index does not care about dates.
    let far = charter("2031-06-02", 4, None);
    let near = charter(
        &(chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string(),
        4,
        None,
    );
    for c in [&far, &near] {
        assert_eq!(b.charters.insert(c).await.unwrap(), Inserted::New);
    }
    assert!(b.charters.unsettled().await.unwrap().is_empty());
    let (read, mark) = b
        .charters
        .get_marked(&far.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((read, mark), (far.clone(), None));

    // Two marks a few milliseconds apart (two read back to back can fall in one millisecond,
    // and then their random parts order them).
    let t = chrono::Utc::now();
    let m1 = unsettled_mark(t);
    assert!(b.charters.mark_unsettled(&far.key(), &m1).await.unwrap());
    let m2 = unsettled_mark(t + chrono::Duration::milliseconds(5));
    assert!(b.charters.mark_unsettled(&near.key(), &m2).await.unwrap());
    let listed = b.charters.unsettled().await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0].key, far.key(), "oldest mark first");
    assert_eq!(listed[0].mark, m1);
    assert!(listed[0].since().is_some());
    // The charter reads as before, with its mark beside it.
    let (read, mark) = b
        .charters
        .get_marked(&far.charter_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, far);
    assert_eq!(mark.as_deref(), Some(m1.as_str()));
    assert_eq!(b.charters.get(&far.charter_id).await.unwrap().unwrap(), far);

    // Someone marked it again since it was read: the old mark takes nothing out.
    let m3 = unsettled_mark(chrono::Utc::now());
    assert!(b.charters.mark_unsettled(&far.key(), &m3).await.unwrap());
    assert!(!b.charters.clear_unsettled(&far.key(), &m1).await.unwrap());
    assert_eq!(b.charters.unsettled().await.unwrap().len(), 2);
    assert!(b.charters.clear_unsettled(&far.key(), &m3).await.unwrap());
    let listed = b.charters.unsettled().await.unwrap();
    assert_eq!(
        listed.iter().map(|u| u.key.clone()).collect::<Vec<_>>(),
        vec![near.key()]
    );
    // Out already: clearing again is a no; a charter that does not exist takes no mark.
    assert!(!b.charters.clear_unsettled(&far.key(), &m3).await.unwrap());
    let ghost = charter("2031-06-03", 2, None);
    assert!(!b.charters.mark_unsettled(&ghost.key(), &m1).await.unwrap());
    // Still found by date, as before.
    let on = b.charters.on_date(far.charter_date).await.unwrap();
    assert_eq!(on.items, vec![far.clone()]);
}

/// A stack made before the index existed: its charters table lacks `unsettled-index`; doctor
/// names it, and `dispatch bootstrap` adds it in place (UpdateTable), keeping the charters.
mod aws_upgrade {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };

    use crate::common;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bootstrap_adds_the_unsettled_index_to_a_table_made_before_it() {
        let prefix = format!("u{}-", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let ddb = aws_sdk_dynamodb::Client::new(
            &common::sdk_config_for(common::dynamodb_endpoint()).await,
        );
        let attr = |n: &str| {
            AttributeDefinition::builder()
                .attribute_name(n)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        let key = |n: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(n)
                .key_type(t)
                .build()
                .unwrap()
        };
        // The old shape: keys, the date index, the stream.
        ddb.create_table()
            .table_name(format!("{prefix}crew-dispatch"))
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("charter_id"))
            .attribute_definitions(attr("created_at"))
            .attribute_definitions(attr("charter_date"))
            .key_schema(key("charter_id", KeyType::Hash))
            .key_schema(key("created_at", KeyType::Range))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name("charter_date-index")
                    .key_schema(key("charter_date", KeyType::Hash))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .stream_specification(
                aws_sdk_dynamodb::types::StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let backend = common::aws_with_prefix(&prefix, 2).await.backend();
        let old = common::charter("2031-06-02", 4, None);
        backend.charters.insert(&old).await.unwrap();
        let checks = backend.admin.doctor().await.unwrap();
        let problem = checks
            .iter()
            .find(|c| c.subject.contains("crew-dispatch"))
            .and_then(|c| c.problem.clone())
            .unwrap_or_default();
        assert!(problem.contains("unsettled-index is missing"), "{checks:?}");

        backend.admin.bootstrap().await.unwrap();
        let bad: Vec<_> = backend
            .admin
            .doctor()
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.problem.is_some())
            .collect();
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            backend
                .charters
                .get(&old.charter_id)
                .await
                .unwrap()
                .unwrap(),
            old
        );
        let mark = dispatch_core::ports::unsettled_mark(chrono::Utc::now());
        assert!(backend
            .charters
            .mark_unsettled(&old.key(), &mark)
            .await
            .unwrap());
        assert_eq!(backend.charters.unsettled().await.unwrap().len(), 1);
    }
}
