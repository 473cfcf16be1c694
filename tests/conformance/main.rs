//! The port contracts, run on both backends: the same test bodies once on SQLite and once on the
//! AWS-protocol emulator (moto) on loopback. `<topic>::local::*` and `<topic>::aws::*` must both
//! pass. One module per port (or pair of ports that work together); the shared builders are here.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod accept;
mod assign;
mod charters;
mod feed;
mod holds;
mod ops_access;
mod queues;
mod roster_condition;
mod state;
mod unsettled;

use chrono::Utc;
use dispatch_core::domain::*;
use dispatch_core::ports::*;

use crate::common::World;

fn crew(s: &str) -> CrewId {
    CrewId::parse(s).unwrap()
}

/// A booked charter on `date` for 20 guests, two crew needed, with revenue and tips.
fn charter(date: &str) -> Charter {
    Charter {
        charter_id: CharterId::new_random(),
        created_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        charter_date: CharterDate::parse(date).unwrap(),
        vessel_name: "Sea Breeze".into(),
        captain_assigned: None,
        crew_assigned: vec![],
        guest_count: 20,
        guest_names: vec!["Guest One".into()],
        reportable_revenue: Money::parse("1850.25").unwrap(),
        tips: Money::parse("200").unwrap(),
        status: CharterStatus::Booked,
        crew_needed: Some(2),
    }
}

/// A [`charter`] on `date`, stored (it must be new).
async fn stored(w: &World, date: &str) -> Charter {
    let c = charter(date);
    assert_eq!(w.backend.charters.insert(&c).await.unwrap(), Inserted::New);
    c
}
