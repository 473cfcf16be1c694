//! Month-end flows on both backends (SQLite and moto): the revenue report (one file per month,
//! prior column order, shared with ops), crew statements (once per member and month, prior
//! recipients kept, CC the auditor) and the roster sync, run directly and as queue jobs; then the
//! same jobs against the faithful fake Google (Gmail, Drive, Sheets). The month's world is here.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;
#[path = "../../crates/google/tests/fake/mod.rs"]
mod fake;

mod corrections;
mod gmail;
mod google;
mod jobs;
mod report;
mod statements;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx};
use dispatch::month::files::DriveFolder;
use dispatch::month::recipients::OutboxRecipients;
use dispatch::month::roster::XlsxFile;
use dispatch::month::MonthContext;
use dispatch_core::domain::*;
use dispatch_core::idempotency::IdempotencyConfig;
use dispatch_mailer::{header_values, parse_address_list, Outbox};

/// The month-end context of a test and the folder its drive and outbox live in.
pub struct Month5 {
    pub ctx: Arc<MonthContext>,
    pub dir: tempfile::TempDir,
}

impl Month5 {
    pub fn outbox(&self) -> Outbox {
        Outbox::new(self.dir.path().join("outbox"))
    }
    pub fn reports(&self) -> PathBuf {
        self.dir.path().join("drive/JADA Business/Reports")
    }
}

/// An address (test data: always valid).
pub fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

/// Ana captains, Bo and Cy crew; three May charters with revenue, one without, one in June.
pub async fn month_world(world: &common::World) -> Month5 {
    let dir = tempfile::tempdir().unwrap();
    let b = &world.backend;
    let mut ana = common::member("ana", true, false, &[]);
    ana.name = "Ana Silva".into();
    let mut bo = common::member("bo", false, true, &[]);
    bo.name = "Bo Lee".into();
    let mut cy = common::member("cy", false, true, &[]);
    cy.name = "Cy Diaz".into();
    b.roster.upsert_batch(&[ana, bo, cy]).await.unwrap();
    let staffed = |date: &str, revenue: &str, tips: &str, crew: &[&str]| {
        let mut c = common::charter(date, 4, Some(crew.len() as u32));
        c.captain_assigned = Some(CrewId::parse("ana").unwrap());
        c.crew_assigned = crew.iter().map(|id| CrewId::parse(id).unwrap()).collect();
        c.reportable_revenue = Money::parse(revenue).unwrap();
        c.tips = Money::parse(tips).unwrap();
        c.guest_names = vec!["Guest One".into()];
        c.status = CharterStatus::Staffed;
        c
    };
    for c in [
        staffed("2024-05-03", "1200.00", "100.00", &["bo", "cy"]),
        staffed("2024-05-10", "800.50", "50.01", &["bo"]),
        staffed("2024-05-20", "0", "0", &["cy"]),
        staffed("2024-05-28", "950.00", "0.10", &["cy"]),
        staffed("2024-06-01", "700.00", "30.00", &["bo"]),
    ] {
        b.charters.insert(&c).await.unwrap();
    }
    let outbox = Outbox::new(dir.path().join("outbox"));
    let ctx = Arc::new(MonthContext {
        backend: b.clone(),
        files: Arc::new(DriveFolder::new(
            dir.path().join("drive"),
            "JADA Business/Reports",
        )),
        mailer: Arc::new(outbox.clone()),
        recipients: Arc::new(OutboxRecipients(outbox)),
        availability: Arc::new(XlsxFile(dir.path().join("availability.xlsx"))),
        from: email("office@jada.example"),
        from_name: "JADA Crew Office".into(),
        auditor: Some(email("auditor@example.com")),
        ops: vec![email("ops@example.com"), email("owner@example.com")],
        roster_year: Some(2024),
        zone: Default::default(),
        idem: IdempotencyConfig::default(),
    });
    Month5 { ctx, dir }
}

/// May 2024, the month the tests close.
pub fn may() -> Month {
    Month::parse("2024-05").unwrap()
}

/// The rows of the tab `title` of a workbook.
pub fn month_tab(bytes: &[u8], title: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(title).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

/// The file names in `dir`, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The addresses of every `header` line of a MIME message.
fn addresses(mime: &[u8], header: &str) -> Vec<String> {
    header_values(mime, header)
        .iter()
        .flat_map(|v| parse_address_list(v))
        .map(|a| a.as_str().to_string())
        .collect()
}
