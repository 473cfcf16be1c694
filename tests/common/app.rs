//! `TestApp`: the cascade service on a test's own [`World`], built the way a test needs it —
//! backend, clock, injected faults, the business's time zone and vessels, and the crew page served
//! on port 0 — through one builder. Its own file: the cascade, crew-page, reconcile and fault tests
//! all start here instead of wiring the service by hand.

use std::sync::Arc;
use std::time::Duration;

use dispatch_cascade::tokens::{LinkKey, MagicLinks};
use dispatch_cascade::{Cascade, CascadeSettings};
use dispatch_core::clock::{Clock, ManualClock, SystemClock};
use dispatch_core::domain::{Charter, CrewMember, Offer, OfferStatus};
use dispatch_core::faults::{self, Faults};
use dispatch_core::Backend;
use dispatch_mailer::{FaultyMailer, MailSender, Outbox};

use super::answers::{run_after_answers, HeldAnswers};
use super::data::settings;
use super::world::{Kind, World};

/// The public URL of an app whose page is not served (links point nowhere).
const UNSERVED: &str = "http://127.0.0.1:9";

/// A test's running service: the world, the cascade, where its mail goes, and the knobs.
pub struct TestApp {
    pub world: World,
    pub cascade: Arc<Cascade>,
    /// The `.eml` files the cascade wrote.
    pub outbox: Outbox,
    /// The mailer the cascade sends through: the outbox, failing as `faults` says; it records
    /// every key that went out.
    pub mailer: Arc<FaultyMailer>,
    /// The fault schedule of the mailer (and of the storage ports with [`Builder::faults`]).
    pub faults: Arc<Faults>,
    /// The base URL of the crew page (`http://127.0.0.1:PORT` with [`Builder::serve`]).
    pub base: String,
    /// The reconciles answers queued, held for the test to run ([`super::answers`]); `None`
    /// with [`Builder::worker_queue`].
    pub held: Option<Arc<HeldAnswers>>,
    manual: Option<Arc<ManualClock>>,
    clock: Arc<dyn Clock>,
}

/// A change to the cascade's settings, applied when the app is built.
type Tune = Box<dyn FnOnce(&mut CascadeSettings) + Send>;

/// Builds a [`TestApp`]; every setting has the default most tests want.
pub struct Builder {
    kind: Kind,
    world: Option<World>,
    offer_timeout: Duration,
    storage_faults: Option<u64>,
    manual_clock: Option<chrono::DateTime<chrono::Utc>>,
    claim_lease: Option<Duration>,
    zone: Option<&'static str>,
    tunes: Vec<Tune>,
    serve: bool,
    worker_queue: bool,
    availability_sheet: Option<Arc<dyn dispatch_cascade::service::AvailabilitySheet>>,
}

impl TestApp {
    /// Stores `members` (replacing any of the same id) and `charter`, then reconciles it once:
    /// the first offers are made and mailed.
    pub async fn book(&self, members: &[CrewMember], charter: &Charter) {
        self.world
            .backend
            .roster
            .upsert_batch(members)
            .await
            .unwrap();
        self.world.backend.charters.insert(charter).await.unwrap();
        self.cascade.reconcile(&charter.charter_id).await.unwrap();
    }

    /// A builder for an app on a fresh world of `kind`.
    pub fn on(kind: Kind) -> Builder {
        Builder {
            kind,
            world: None,
            offer_timeout: Duration::from_secs(3600),
            storage_faults: None,
            manual_clock: None,
            claim_lease: None,
            zone: None,
            tunes: vec![],
            serve: false,
            worker_queue: false,
            availability_sheet: None,
        }
    }

    /// A builder for an app on the embedded backend.
    pub fn local() -> Builder {
        Self::on(Kind::Local)
    }

    /// The storage as it really is (read past any injected faults).
    pub fn backend(&self) -> &Backend {
        &self.world.backend
    }

    /// The manual clock; panics for an app built without [`Builder::manual_clock`].
    pub fn clock(&self) -> &ManualClock {
        self.manual
            .as_deref()
            .expect("this TestApp runs on the system clock: build it with .manual_clock(at)")
    }

    /// Another cascade on the same storage, mailer and clock with settings changed by `tune`.
    pub fn cascade_tuned(&self, tune: impl FnOnce(&mut CascadeSettings)) -> Arc<Cascade> {
        let mut cfg = self.cascade.cfg.clone();
        tune(&mut cfg);
        Arc::new(Cascade {
            backend: self.cascade.backend.clone(),
            mailer: self.mailer.clone(),
            links: test_links(),
            cfg,
            idem: self.cascade.idem,
            clock: self.clock.clone(),
            availability_sheet: self.cascade.availability_sheet.clone(),
        })
    }

    /// Every offer of `c`, as stored.
    pub async fn offers(&self, c: &Charter) -> Vec<Offer> {
        self.backend()
            .offers
            .for_charter(&c.charter_id)
            .await
            .unwrap()
    }

    /// The open offers of `charters`, as stored.
    pub async fn open_offers(&self, charters: &[Charter]) -> Vec<Offer> {
        let mut out = Vec::new();
        for c in charters {
            let offers = self.offers(c).await;
            out.extend(offers.into_iter().filter(|o| o.status == OfferStatus::Open));
        }
        out
    }

    /// The ids of `c`'s thread entries, in order.
    pub async fn thread(&self, c: &Charter) -> Vec<String> {
        let entries = self.backend().thread.list(&c.charter_id).await.unwrap();
        entries.into_iter().map(|e| e.id).collect()
    }

    /// How many mails went out whose key starts with `key_prefix`.
    pub fn mails_to(&self, key_prefix: &str) -> usize {
        let sent = self.mailer.sent();
        sent.iter().filter(|k| k.starts_with(key_prefix)).count()
    }
}

impl Builder {
    /// Runs on `world` (one the test made or seeded) instead of a fresh one.
    pub fn world(mut self, world: World) -> Self {
        self.world = Some(world);
        self
    }

    /// How long an offer stays open (default one hour).
    pub fn offer_timeout(mut self, t: Duration) -> Self {
        self.offer_timeout = t;
        self
    }

    /// The storage ports (as the cascade sees them) and the mailer fail as [`TestApp::faults`]
    /// says, its random choices seeded with `seed`.
    pub fn faults(mut self, seed: u64) -> Self {
        self.storage_faults = Some(seed);
        self
    }

    /// A clock that stands still at `at` until the test moves it.
    pub fn manual_clock(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.manual_clock = Some(at);
        self
    }

    /// How long an in-progress claim lives unrenewed (default: the production lease).
    pub fn claim_lease(mut self, t: Duration) -> Self {
        self.claim_lease = Some(t);
        self
    }

    /// The business's IANA time zone (default UTC).
    pub fn zone(mut self, zone: &'static str) -> Self {
        self.zone = Some(zone);
        self
    }

    /// Changes other settings (vessels, the office phone).
    pub fn tune(mut self, tune: impl FnOnce(&mut CascadeSettings) + Send + 'static) -> Self {
        self.tunes.push(Box::new(tune));
        self
    }

    /// Availability changed on the crew page goes to `sheet` first (the Sheet as the source).
    pub fn availability_sheet(
        mut self,
        sheet: Arc<dyn dispatch_cascade::service::AvailabilitySheet>,
    ) -> Self {
        self.availability_sheet = Some(sheet);
        self
    }

    /// Serves the crew page (and ops board) on a free loopback port; links point at it.
    pub fn serve(mut self) -> Self {
        self.serve = true;
        self
    }

    /// The reconciles after answers go to the real cascade queue, as in production, instead of
    /// being held for the test to run.
    pub fn worker_queue(mut self) -> Self {
        self.worker_queue = true;
        self
    }

    pub async fn build(self) -> TestApp {
        let world = match self.world {
            Some(w) => w,
            None => World::new(self.kind).await,
        };
        let outbox = Outbox::new(world.dir.path().join("outbox"));
        let faults = Faults::new(self.storage_faults.unwrap_or(0));
        let inner: Arc<dyn MailSender> = Arc::new(outbox.clone());
        let mailer = Arc::new(FaultyMailer::new(inner, faults.clone()));
        let mut backend = match self.storage_faults {
            Some(_) => faults::faulty(&world.backend, faults.clone()),
            None => world.backend.clone(),
        };
        let held = match self.worker_queue {
            true => None,
            false => {
                let h = Arc::new(HeldAnswers::new(backend.queues.clone()));
                backend.queues = h.clone();
                Some(h)
            }
        };
        let manual = self.manual_clock.map(|at| Arc::new(ManualClock::new(at)));
        let clock: Arc<dyn Clock> = match &manual {
            Some(m) => m.clone(),
            None => Arc::new(SystemClock),
        };
        let listener = match self.serve {
            true => Some(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()),
            false => None,
        };
        let base = match &listener {
            Some(l) => format!("http://{}", l.local_addr().unwrap()),
            None => UNSERVED.to_string(),
        };
        let mut cfg = settings(&base, self.offer_timeout);
        if let Some(zone) = self.zone {
            cfg.zone = dispatch_core::zone::BusinessZone::parse(zone).unwrap();
        }
        for tune in self.tunes {
            tune(&mut cfg);
        }
        let mut idem = dispatch_core::idempotency::IdempotencyConfig::default();
        if let Some(lease) = self.claim_lease {
            idem.in_progress_ttl = lease;
        }
        let cascade = Arc::new(Cascade {
            backend,
            mailer: mailer.clone(),
            links: test_links(),
            cfg,
            idem,
            clock: clock.clone(),
            availability_sheet: self.availability_sheet,
        });
        if let Some(listener) = listener {
            let mut router = dispatch_cascade::web::router(cascade.clone());
            if let Some(h) = &held {
                router = router.layer(axum::middleware::from_fn_with_state(
                    (h.clone(), cascade.clone()),
                    run_after_answers,
                ));
            }
            tokio::spawn(async move { axum::serve(listener, router).await });
        }
        TestApp {
            world,
            cascade,
            outbox,
            mailer,
            faults,
            base,
            held,
            manual,
            clock,
        }
    }
}

/// The magic-link key ring of every test app.
pub fn test_links() -> MagicLinks {
    MagicLinks::new(vec![LinkKey::new("test1", vec![6; 32]).unwrap()]).unwrap()
}

/// A cascade on a storage the test wired itself (the engine's load test runs the consumer and
/// workers on the same faulty storage), with the system clock and test settings.
pub fn cascade_on(
    backend: &Backend,
    mailer: Arc<dyn MailSender>,
    offer_timeout: Duration,
) -> Arc<Cascade> {
    Arc::new(Cascade {
        backend: backend.clone(),
        mailer,
        links: test_links(),
        cfg: settings(UNSERVED, offer_timeout),
        idem: dispatch_core::idempotency::IdempotencyConfig::default(),
        clock: Arc::new(SystemClock),
        availability_sheet: None,
    })
}
