//! The change feed: records in order with both images, resumable from a sequence number.

use std::time::{Duration, Instant};

use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::World;
use crate::{crew, stored};

both!(change_feed_in_order_with_both_images_and_resumes,);

async fn read_all(w: &World, it: String, want: usize) -> (Vec<ChangeRecord>, String) {
    let mut records = Vec::new();
    let mut iterator = it;
    let end = Instant::now() + Duration::from_secs(10);
    while records.len() < want {
        let page = w.backend.feed.read(&iterator, 100).await.unwrap();
        records.extend(page.records);
        iterator = page.next.expect("open shard keeps an iterator");
        if Instant::now() > end {
            panic!("feed gave {} of {want} records", records.len());
        }
        if records.len() < want {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (records, iterator)
}

pub async fn change_feed_in_order_with_both_images_and_resumes(w: &World) {
    let shards = w.backend.feed.shards().await.unwrap();
    assert!(!shards.is_empty());
    let shard = shards
        .iter()
        .find(|s| !s.closed)
        .unwrap_or(&shards[0])
        .id
        .clone();
    let c = stored(w, "2024-05-07").await;
    w.backend
        .charters
        .assign_captain(&c.key(), &crew("cap-a"))
        .await
        .unwrap();
    w.backend.charters.delete(&c.key()).await.unwrap();

    let it = w
        .backend
        .feed
        .iterator(&shard, &StartAt::TrimHorizon)
        .await
        .unwrap();
    let (records, _) = read_all(w, it, 3).await;
    let kinds: Vec<_> = records.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        vec![ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove]
    );
    let insert = &records[0];
    assert!(insert.old_image.is_none());
    assert_eq!(
        Charter::from_item(insert.new_image.as_ref().unwrap()).unwrap(),
        c
    );
    let modify = &records[1];
    assert_eq!(
        Charter::from_item(modify.old_image.as_ref().unwrap())
            .unwrap()
            .captain_assigned,
        None
    );
    assert_eq!(
        Charter::from_item(modify.new_image.as_ref().unwrap())
            .unwrap()
            .captain_assigned,
        Some(crew("cap-a"))
    );
    assert!(records[2].new_image.is_none() && records[2].old_image.is_some());
    assert_eq!(insert.keys.len(), 2, "keys carry charter_id and created_at");
    assert!(sequence_cmp(&records[0].sequence, &records[1].sequence).is_lt());
    assert!(sequence_cmp(&records[1].sequence, &records[2].sequence).is_lt());

    // Resume after the first record: the rest, and nothing before it.
    let it = w
        .backend
        .feed
        .iterator(&shard, &StartAt::After(records[0].sequence.clone()))
        .await
        .unwrap();
    let (rest, it) = read_all(w, it, 2).await;
    assert_eq!(
        rest.iter().map(|r| r.kind).collect::<Vec<_>>(),
        vec![ChangeKind::Modify, ChangeKind::Remove]
    );
    // And then nothing new until something changes.
    let page = w.backend.feed.read(&it, 100).await.unwrap();
    assert!(page.records.is_empty());
}
