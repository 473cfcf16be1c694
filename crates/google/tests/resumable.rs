//! Drive uploads above the multipart limit: resumable sessions, chunks, and what happens when a
//! chunk is cut, refused or its session expires. All against the fake, which checks chunks the
//! way Drive does (Content-Range, 256 KiB multiples, no gaps).

mod fake;

use dispatch_google::drive::{CHUNK_GRANULE, MULTIPART_LIMIT, XLSX_MIME};
use dispatch_google::{DriveClient, DriveConfig, GoogleError};
use fake::world::World;
use fake::{Failure, FakeFile};

const FOLDER: &str = "f-reports";
/// Two whole chunks and a short last one.
const BIG: usize = 2 * CHUNK_GRANULE + 100_000;

/// Resumable above `above` bytes, chunks of one granule.
fn drive(w: &World, above: usize) -> DriveClient {
    let cfg = DriveConfig {
        base: w.fake.base.clone(),
        upload_base: w.fake.base.clone(),
        resumable_above: above,
        chunk_size: CHUNK_GRANULE,
        http: w.http(),
        ..DriveConfig::default()
    };
    DriveClient::new(cfg, w.tokens()).unwrap()
}

/// Bytes where a misplaced or repeated chunk shows.
fn payload(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect()
}

fn files_named<'a>(s: &'a fake::State, name: &str) -> Vec<&'a FakeFile> {
    s.files.iter().filter(|f| f.name == name).collect()
}

#[tokio::test]
async fn large_files_go_up_in_chunks_and_replace_rather_than_duplicate() {
    let w = World::new().await;
    let d = drive(&w, 300_000);

    let small = payload(200_000, 1);
    d.upsert_file(FOLDER, "small.xlsx", XLSX_MIME, &small)
        .await
        .unwrap();
    assert_eq!(
        w.fake.state().calls("drive.chunk"),
        0,
        "small: one multipart request"
    );

    let first = payload(BIG, 2);
    let created = d
        .upsert_file(FOLDER, "Revenue 2026-10.xlsx", XLSX_MIME, &first)
        .await
        .unwrap();
    {
        let s = w.fake.state();
        assert_eq!(s.calls("drive.chunk"), 3, "256 KiB, 256 KiB, the rest");
        let f = files_named(&s, "Revenue 2026-10.xlsx");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].content, first);
        assert_eq!(f[0].parents, vec![FOLDER.to_owned()]);
        assert_eq!(f[0].mime, XLSX_MIME);
    }

    let second = payload(BIG + 7, 3);
    let replaced = d
        .upsert_file(FOLDER, "Revenue 2026-10.xlsx", XLSX_MIME, &second)
        .await
        .unwrap();
    assert_eq!(replaced.id, created.id);
    let s = w.fake.state();
    let f = files_named(&s, "Revenue 2026-10.xlsx");
    assert_eq!(f.len(), 1, "replaced, not duplicated");
    assert_eq!(f[0].content, second);
    assert_eq!((s.calls("drive.create"), s.calls("drive.update")), (2, 1));
    assert_eq!(s.uploads.len(), 2, "one session per large upload");
}

#[tokio::test]
async fn a_chunk_cut_midway_resumes_from_what_the_session_kept() {
    let w = World::new().await;
    w.fake.fail_call("drive.chunk", 2, Failure::Truncated);
    let bytes = payload(BIG, 4);
    drive(&w, 0)
        .create_file(FOLDER, "cut.xlsx", XLSX_MIME, &bytes)
        .await
        .unwrap();
    let s = w.fake.state();
    assert_eq!(files_named(&s, "cut.xlsx")[0].content, bytes);
    // chunk 1; chunk 2 cut after half; status query (kept 384 KiB); the rest from 384 KiB.
    assert_eq!(s.calls("drive.chunk"), 4);
    assert_eq!(s.uploads.len(), 1, "the same session throughout");
}

#[tokio::test]
async fn a_503_on_a_chunk_is_retried_after_asking_the_session() {
    let w = World::new().await;
    w.fake.fail_call("drive.chunk", 2, Failure::Unavailable);
    w.fake.fail_call("drive.chunk", 3, Failure::TooMany(0));
    let bytes = payload(BIG, 5);
    drive(&w, 0)
        .create_file(FOLDER, "busy.xlsx", XLSX_MIME, &bytes)
        .await
        .unwrap();
    let s = w.fake.state();
    assert_eq!(files_named(&s, "busy.xlsx")[0].content, bytes);
    // chunk 1; chunk 2 503; status query 429; status query (256 KiB); chunk 2; chunk 3.
    assert_eq!(s.calls("drive.chunk"), 6);
}

#[tokio::test]
async fn an_expired_session_starts_over_and_leaves_one_file() {
    let w = World::new().await;
    w.fake.fail_call("drive.chunk", 2, Failure::SessionGone);
    let bytes = payload(BIG, 6);
    drive(&w, 0)
        .create_file(FOLDER, "again.xlsx", XLSX_MIME, &bytes)
        .await
        .unwrap();
    let s = w.fake.state();
    let f = files_named(&s, "again.xlsx");
    assert_eq!(f.len(), 1, "the expired session created nothing");
    assert_eq!(f[0].content, bytes);
    assert_eq!(s.calls("drive.create"), 2, "a second session");
    assert_eq!(s.calls("drive.chunk"), 2 + 3);
}

#[tokio::test]
async fn a_session_that_keeps_expiring_is_an_error_in_the_end() {
    let w = World::new().await;
    for n in 1..=3 {
        w.fake.fail_call("drive.chunk", n, Failure::SessionGone);
    }
    let err = drive(&w, 0)
        .create_file(FOLDER, "never.xlsx", XLSX_MIME, &payload(BIG, 7))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired 3 times"), "{err}");
    let s = w.fake.state();
    assert!(files_named(&s, "never.xlsx").is_empty());
    assert_eq!(s.calls("drive.create"), 3);
}

#[tokio::test]
async fn a_refused_chunk_stops_with_googles_message() {
    let w = World::new().await;
    w.fake.fail_call("drive.chunk", 2, Failure::BadRequest);
    let err = drive(&w, 0)
        .create_file(FOLDER, "refused.xlsx", XLSX_MIME, &payload(BIG, 8))
        .await
        .unwrap_err();
    assert!(matches!(err, GoogleError::Api { status: 400, .. }), "{err}");
    let s = w.fake.state();
    assert_eq!(s.calls("drive.chunk"), 2, "a 400 is not retried");
    assert!(files_named(&s, "refused.xlsx").is_empty());
}

#[tokio::test]
async fn the_default_limit_keeps_big_files_off_multipart_which_drive_refuses() {
    let w = World::new().await;
    let bytes = payload(MULTIPART_LIMIT + 1_000_000, 9);
    let multipart_only = drive(&w, usize::MAX);
    let err = multipart_only
        .create_file(FOLDER, "big.xlsx", XLSX_MIME, &bytes)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GoogleError::Api { status: 413, reason: Some(r), .. } if r == "uploadTooLarge"),
        "{err}"
    );

    let cfg = DriveConfig {
        base: w.fake.base.clone(),
        upload_base: w.fake.base.clone(),
        http: w.http(),
        ..DriveConfig::default()
    };
    DriveClient::new(cfg, w.tokens())
        .unwrap()
        .create_file(FOLDER, "big.xlsx", XLSX_MIME, &bytes)
        .await
        .unwrap();
    let s = w.fake.state();
    assert_eq!(files_named(&s, "big.xlsx")[0].content, bytes);
    assert_eq!(s.calls("drive.chunk"), 1, "one 8 MiB chunk holds 6 MB");
}

/// The fake refuses what Drive refuses, so the tests above could fail.
#[tokio::test]
async fn the_fake_refuses_gaps_odd_chunks_and_unknown_sessions() {
    let w = World::new().await;
    let token = dispatch_google::TokenSource::access_token(w.tokens().as_ref())
        .await
        .unwrap()
        .secret;
    let http = dispatch_google::http::client_builder()
        .build()
        .expect("http client");
    let open = http
        .post(format!("{}/upload/drive/v3/files", w.fake.base))
        .query(&[("uploadType", "resumable"), ("supportsAllDrives", "true")])
        .bearer_auth(&token)
        .header("X-Upload-Content-Length", "600000")
        .json(&serde_json::json!({"name": "raw.xlsx", "parents": [FOLDER]}))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 200);
    let session = open.headers()["location"].to_str().unwrap().to_owned();
    let put = |range: String, body: Vec<u8>| {
        http.put(&session)
            .bearer_auth(&token)
            .header("Content-Range", range)
            .body(body)
            .send()
    };
    let odd = put("bytes 0-999/600000".into(), vec![0; 1000])
        .await
        .unwrap();
    assert_eq!(odd.status(), 400, "non-final chunk not a 256 KiB multiple");
    let gap = put(
        format!("bytes {}-{}/600000", CHUNK_GRANULE, 2 * CHUNK_GRANULE - 1),
        vec![0; CHUNK_GRANULE],
    )
    .await
    .unwrap();
    assert_eq!(gap.status(), 400, "a gap after what was kept");
    let wrong_total = put("bytes */5".into(), vec![]).await.unwrap();
    assert_eq!(
        wrong_total.status(),
        400,
        "total differs from the declared length"
    );
    let status = put("bytes */600000".into(), vec![]).await.unwrap();
    assert_eq!(status.status(), 308);
    assert!(status.headers().get("range").is_none(), "nothing kept yet");
    let gone = http
        .put(session.replace("upload_id=", "upload_id=x"))
        .bearer_auth(&token)
        .header("Content-Range", "bytes */600000")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}
