//! The bench's world: settings and backend on its moto, a roster free every day of the next
//! two months, charters, the outbox (how the bench sees an offer mailed without asking AWS),
//! and request counts as maps by operation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::requests::Requests;
use dispatch_core::{Backend, Settings};

use super::moto::Moto;

/// Points the process at `moto` with fresh names, and opens the backend.
pub async fn open(moto: &Moto, data: &Path) -> (Settings, Backend) {
    let prefix = format!("cost{}-", &uuid::Uuid::new_v4().simple().to_string()[..6]);
    for (k, v) in [
        ("DISPATCH_BACKEND", "aws".to_string()),
        ("DISPATCH_PREFIX", prefix),
        ("DISPATCH_DATA_DIR", data.display().to_string()),
        (
            "DISPATCH_LINK_KEYS",
            "b1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into(),
        ),
        ("AWS_ENDPOINT_URL", moto.sqs.clone()),
        ("AWS_ENDPOINT_URL_SQS", moto.sqs.clone()),
        ("AWS_ENDPOINT_URL_DYNAMODB", moto.dynamodb.clone()),
        ("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", moto.dynamodb.clone()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ] {
        std::env::set_var(k, v);
    }
    let settings = dispatch::app::load_settings(None).expect("settings");
    let backend = dispatch::app::open(&settings).await.expect("backend");
    backend.admin.bootstrap().await.expect("bootstrap");
    (settings, backend)
}

/// The days charters are booked on: from five days out (no alert threshold near) for 50 days.
pub fn days() -> Vec<CharterDate> {
    let today = Utc::now().date_naive();
    (5..55u64)
        .map(|d| CharterDate::from_naive(today + chrono::Days::new(d)))
        .collect()
}

/// Eight captains and twelve deckhands, free every one of [`days`].
pub async fn roster(backend: &Backend) {
    let days = days();
    let member = |id: String, captain: bool| CrewMember {
        crew_id: CrewId::parse(&id).expect("crew id"),
        name: id.clone(),
        email: EmailAddress::parse(&format!("{id}@crew.example.com")).expect("address"),
        phone: None,
        captain_certified: captain,
        available_dates: days.iter().copied().collect(),
        certifications: ["deckhand".to_string()].into(),
        active: true,
        updated_at: None,
        links_not_before: None,
        captain_licence: None,
        certification_expiry: Default::default(),
    };
    let roster: Vec<CrewMember> = (0..8)
        .map(|i| member(format!("cap{i}"), true))
        .chain((0..12).map(|i| member(format!("deck{i}"), false)))
        .collect();
    backend.roster.upsert_batch(&roster).await.expect("roster");
}

/// A new booked charter on day `i` (of [`days`]) needing `crew` deckhands.
pub fn charter(i: usize, crew: u32) -> Charter {
    let days = days();
    Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339(),
        charter_date: days[i % days.len()],
        vessel_name: "Bench".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 10,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed: Some(crew),
    }
}

/// Mails in the outbox.
pub fn mailed(data: &Path) -> usize {
    let dir: PathBuf = data.join("outbox");
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    n.ends_with(".eml") && !n.starts_with('.')
                })
                .count()
        })
        .unwrap_or(0)
}

/// Waits (polling the outbox, no AWS request) until at least `n` mails are out.
pub async fn wait_mailed(data: &Path, n: usize, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while mailed(data) < n {
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// Requests by operation as numbers.
pub type Ops = BTreeMap<String, f64>;

pub fn ops(r: &Requests) -> Ops {
    r.0.iter().map(|(k, v)| (k.clone(), *v as f64)).collect()
}

/// `a - b * k` per operation, never below zero.
pub fn minus(a: &Ops, b: &Ops, k: f64) -> Ops {
    let mut out = a.clone();
    for (op, v) in b {
        let e = out.entry(op.clone()).or_insert(0.0);
        *e = (*e - v * k).max(0.0);
    }
    out.retain(|_, v| *v > 0.0);
    out
}

pub fn scale(a: &Ops, k: f64) -> Ops {
    a.iter().map(|(o, v)| (o.clone(), v * k)).collect()
}

pub fn total(a: &Ops) -> f64 {
    a.values().sum()
}

/// `dynamodb.Query=12.0 sqs.ReceiveMessage=3.5`, largest first.
pub fn show(a: &Ops) -> String {
    let mut v: Vec<_> = a.iter().collect();
    v.sort_by(|x, y| y.1.total_cmp(x.1));
    v.iter()
        .map(|(k, n)| format!("{k}={n:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}
