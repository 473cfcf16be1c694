//! Test worlds: each test gets its own backend — a fresh SQLite file, or fresh table and queue names
//! on the AWS-protocol emulator (moto) that `scripts/test` starts — bootstrapped and ready.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use dispatch_core::aws::Aws;
use dispatch_core::local::Local;
use dispatch_core::Backend;

/// The receive count after which test queues dead-letter a message (kept small for speed).
pub const TEST_MAX_RECEIVES: u32 = 2;

/// The env var naming the emulator's endpoint (SQS, and everything by default), set by `scripts/test`.
pub const ENDPOINT_VAR: &str = "DISPATCH_TEST_AWS_ENDPOINT";
/// The env var naming a separate emulator for DynamoDB and its stream (moto serving one request at
/// a time, so transactions are atomic as on DynamoDB; see scripts/moto_serial.py).
pub const DYNAMODB_ENDPOINT_VAR: &str = "DISPATCH_TEST_DYNAMODB_ENDPOINT";

/// The DynamoDB endpoint: its own variable, else the common one.
pub fn dynamodb_endpoint() -> String {
    std::env::var(DYNAMODB_ENDPOINT_VAR).unwrap_or_else(|_| endpoint())
}

pub struct World {
    pub backend: Backend,
    pub kind: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl World {
    pub async fn local() -> Self {
        Self::local_with(TEST_MAX_RECEIVES).await
    }

    /// An embedded world whose queues redrive after `max_receives` (production's 5, say).
    pub async fn local_with(max_receives: u32) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let local = Local::open_path(&dir.path().join("dispatch.sqlite3"), "", max_receives)
            .expect("open sqlite");
        let backend = local.backend();
        backend.admin.bootstrap().await.expect("bootstrap local");
        Self {
            backend,
            kind: "local",
            _dir: Some(dir),
        }
    }

    pub async fn aws() -> Self {
        Self::aws_with(TEST_MAX_RECEIVES).await
    }

    /// A world on the emulator whose queues redrive after `max_receives`.
    pub async fn aws_with(max_receives: u32) -> Self {
        let prefix = format!("t{}-", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let backend = aws_with_prefix(&prefix, max_receives).await.backend();
        backend
            .admin
            .bootstrap()
            .await
            .expect("bootstrap on the emulator");
        Self {
            backend,
            kind: "aws",
            _dir: None,
        }
    }
}

impl World {
    /// A world on a backend someone else made (and cleans up).
    pub fn of(backend: Backend, kind: &'static str) -> Self {
        Self {
            backend,
            kind,
            _dir: None,
        }
    }
}

/// An SDK configuration pointing at the emulator. Panics — never skips — when it is not there.
pub fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VAR} is not set: the AWS-backend tests need the moto emulator. \
             Run ./scripts/test (it installs and starts moto), or start `moto_server -H 127.0.0.1 -p PORT` \
             and export {ENDPOINT_VAR}=http://127.0.0.1:PORT"
        )
    })
}

/// An SDK configuration pointing at `endpoint`.
pub async fn sdk_config_for(endpoint: String) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

pub async fn aws_with_prefix(prefix: &str, max_receives: u32) -> Aws {
    let ddb = sdk_config_for(dynamodb_endpoint()).await;
    let sqs = sdk_config_for(endpoint()).await;
    Aws::from_sdk_configs(&ddb, &sqs, prefix, max_receives)
}

/// Polls `f` until it returns `Some`, or panics after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > end {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs one contract on both backends: `both!(name)` defines `local::name` and `aws::name`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let world = $crate::common::World::local().await;
                    $crate::contracts::$name(&world).await;
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let world = $crate::common::World::aws().await;
                    $crate::contracts::$name(&world).await;
                }
            )*
        }
    };
}

/// A charter on `date` for `guests`, booked now.
pub fn charter(
    date: &str,
    guests: u32,
    crew_needed: Option<u32>,
) -> dispatch_core::domain::Charter {
    use dispatch_core::domain::*;
    Charter {
        charter_id: CharterId::new_random(),
        created_at: chrono::Utc::now().to_rfc3339(),
        charter_date: CharterDate::parse(date).unwrap(),
        vessel_name: "Marlin".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: guests,
        guest_names: vec![],
        reportable_revenue: Money::ZERO,
        tips: Money::ZERO,
        status: CharterStatus::Booked,
        crew_needed,
    }
}

/// An active member available on `dates`.
pub fn member(
    id: &str,
    captain: bool,
    deckhand: bool,
    dates: &[&str],
) -> dispatch_core::domain::CrewMember {
    use dispatch_core::domain::*;
    CrewMember {
        crew_id: CrewId::parse(id).unwrap(),
        name: id.into(),
        email: EmailAddress::parse(&format!("{id}@example.com")).unwrap(),
        phone: None,
        captain_certified: captain,
        available_dates: dates
            .iter()
            .map(|d| CharterDate::parse(d).unwrap())
            .collect(),
        certifications: if deckhand {
            ["deckhand".to_string()].into()
        } else {
            Default::default()
        },
        active: true,
        updated_at: None,
    }
}

/// A cascade service on `world` mailing into `outbox`, with links to `public_url`.
pub fn cascade(
    world: &World,
    outbox: &dispatch_mailer::Outbox,
    public_url: &str,
    offer_timeout: Duration,
) -> std::sync::Arc<dispatch_cascade::Cascade> {
    cascade_with(
        &world.backend,
        std::sync::Arc::new(outbox.clone()),
        public_url,
        offer_timeout,
        std::sync::Arc::new(dispatch_core::clock::SystemClock),
    )
}

/// A cascade service with its own mailer and clock (fault and time tests).
pub fn cascade_with(
    backend: &Backend,
    mailer: std::sync::Arc<dyn dispatch_mailer::MailSender>,
    public_url: &str,
    offer_timeout: Duration,
    clock: std::sync::Arc<dyn dispatch_core::clock::Clock>,
) -> std::sync::Arc<dispatch_cascade::Cascade> {
    cascade_tuned(backend, mailer, public_url, offer_timeout, clock, |_| {})
}

/// [`cascade_with`] with settings changed by `tune` (time zone, vessels, office phone).
pub fn cascade_tuned(
    backend: &Backend,
    mailer: std::sync::Arc<dyn dispatch_mailer::MailSender>,
    public_url: &str,
    offer_timeout: Duration,
    clock: std::sync::Arc<dyn dispatch_core::clock::Clock>,
    tune: impl FnOnce(&mut dispatch_cascade::CascadeSettings),
) -> std::sync::Arc<dispatch_cascade::Cascade> {
    use dispatch_cascade::tokens::{LinkKey, MagicLinks};
    use dispatch_cascade::{Cascade, CascadeSettings};
    use dispatch_core::domain::EmailAddress;
    let mut cfg = CascadeSettings {
        public_url: public_url.into(),
        offer_timeout,
        link_ttl: chrono::Duration::days(1),
        page_link_ttl: chrono::Duration::days(30),
        from: EmailAddress::parse("dispatch@example.com").unwrap(),
        from_name: "Dispatch".into(),
        ops: vec![EmailAddress::parse("ops@example.com").unwrap()],
        vessels: Default::default(),
        zone: Default::default(),
        office_phone: None,
    };
    tune(&mut cfg);
    std::sync::Arc::new(Cascade {
        backend: backend.clone(),
        mailer,
        links: MagicLinks::new(vec![LinkKey::new("test1", vec![6; 32]).unwrap()]).unwrap(),
        cfg,
        idem: dispatch_core::idempotency::IdempotencyConfig::default(),
        clock,
    })
}

/// The ops board's scene, `days` from today: charter `waiting` (in 1 day, its captain offer open
/// with `ana`) and charter `stuck` (in 5 days: `ben`, its only captain, declined; it needs
/// attention). Returns (waiting, stuck, the ops-board link from the escalation mail).
pub async fn ops_board_scene(
    world: &World,
    cascade: &dispatch_cascade::Cascade,
    outbox: &dispatch_mailer::Outbox,
) -> (
    dispatch_core::domain::Charter,
    dispatch_core::domain::Charter,
    String,
) {
    let day = |n: u64| {
        (chrono::Utc::now().date_naive() + chrono::Days::new(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (d1, d5) = (day(1), day(5));
    let mut ana = member("ana", true, true, &[&d1]);
    ana.name = "Ana Silva".into();
    let mut ben = member("ben", true, true, &[&d5]);
    ben.name = "Ben Ortiz".into();
    world
        .backend
        .roster
        .upsert_batch(&[ana, ben])
        .await
        .unwrap();
    let mut waiting = charter(&d1, 4, Some(1));
    waiting.vessel_name = "Sea Breeze".into();
    let mut stuck = charter(&d5, 4, Some(1));
    stuck.vessel_name = "Blue Fin".into();
    for c in [&waiting, &stuck] {
        world.backend.charters.insert(c).await.unwrap();
        cascade.reconcile(&c.charter_id).await.unwrap();
    }
    let offer = world
        .backend
        .offers
        .for_charter(&stuck.charter_id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(offer.crew_id.as_str(), "ben");
    cascade.decline(&offer).await.unwrap();
    let mail = outbox
        .files()
        .into_iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .find(|m| m.contains("Needs attention: Blue Fin"))
        .expect("an escalation mail");
    let flat = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let link = flat
        .split_whitespace()
        .find(|w| w.contains("/ops/"))
        .expect("an ops-board link in the escalation mail")
        .to_string();
    (waiting, stuck, link)
}

/// The `text/calendar` attachment of a mail in the outbox, decoded.
pub fn ics_attachment(eml: &str) -> Option<String> {
    let at = eml.find("Content-Type: text/calendar")?;
    let part = &eml[at..];
    let head_end = part.find("\r\n\r\n")?;
    let head = part[..head_end].to_ascii_lowercase();
    let body = &part[head_end + 4..];
    let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
    if head.contains("content-transfer-encoding: base64") {
        use base64::Engine;
        let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(clean)
            .ok()?;
        return String::from_utf8(bytes).ok();
    }
    if head.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let b = joined.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).ok()?, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        return String::from_utf8(out).ok();
    }
    Some(body.to_string())
}

/// The events of a calendar, parsed by the `icalendar` crate: (summary, start, location).
pub fn ics_events(text: &str) -> Vec<(String, icalendar::DatePerhapsTime, Option<String>)> {
    use icalendar::{Calendar, CalendarComponent, Component, EventLike};
    let cal: Calendar = text
        .parse()
        .unwrap_or_else(|e| panic!("not RFC 5545: {e}\n{text}"));
    cal.components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.get_summary().unwrap_or_default().to_string(),
                e.get_start().expect("DTSTART"),
                e.get_location().map(str::to_string),
            )),
            _ => None,
        })
        .collect()
}

/// A start instant in UTC (the calendar writes UTC times).
pub fn ics_utc(start: &icalendar::DatePerhapsTime) -> chrono::DateTime<chrono::Utc> {
    match start {
        icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(t)) => *t,
        other => panic!("expected a UTC start, got {other:?}"),
    }
}
