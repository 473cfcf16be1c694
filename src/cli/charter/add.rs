//! `dispatch charter add`: one charter from flags, stored under `dispatch-core`'s booking rules
//! (a new id is booked; `--update` changes a stored one's booking details in place). A charter
//! may be named by its booking reference (`--ref`) instead of an id; a vessel the settings do
//! not know is refused unless `--vessel-unknown-ok`.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use dispatch_core::booking::{store_booking, Stored};
use dispatch_core::domain::{BookingRef, Charter, CharterDate, CharterId, CharterStatus, Money};
use dispatch_core::{Backend, Settings};

use super::vessel;

/// The flags of `charter add`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").multiple(true).args(["id", "booking_ref"])))]
pub struct AddArgs {
    /// Charter date, YYYY-MM-DD (the business's local date).
    #[arg(long, required_unless_present = "update")]
    pub date: Option<String>,
    /// Vessel name (trimmed; when the settings define `vessels`, it must be one of them).
    #[arg(long, required_unless_present = "update")]
    pub vessel: Option<String>,
    /// Book a vessel the settings' `vessels` do not name (the check only applies when the
    /// settings define at least one vessel).
    #[arg(long)]
    pub vessel_unknown_ok: bool,
    /// Number of guests (default 0).
    #[arg(long)]
    pub guests: Option<u32>,
    /// A guest's name (repeat for several).
    #[arg(long = "guest-name")]
    pub guest_names: Vec<String>,
    /// Reportable revenue, e.g. 1850.25 (never negative; default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub revenue: Option<String>,
    /// Tips, e.g. 200 (never negative; default 0).
    #[arg(long, allow_hyphen_values = true)]
    pub tips: Option<String>,
    /// Crew slots besides the captain (default: from vessel config).
    #[arg(long)]
    pub crew_needed: Option<u32>,
    /// Charter id (a UUID; default: a new one, or the one of --ref). An id already stored is
    /// refused unless --update.
    #[arg(long)]
    pub id: Option<String>,
    /// The booking system's reference (e.g. HL-1207-OSP), kept on the charter: without --id the
    /// charter's id is derived from it (its UUIDv5), so `charter show HL-1207-OSP` finds it and
    /// adding it again books nothing new.
    #[arg(long = "ref", value_name = "BOOKING_REF")]
    pub booking_ref: Option<String>,
    /// Change the stored charter `--id` (or `--ref`) in place: the flags given replace its date,
    /// vessel, guests, revenue, tips or crew needed; the rest, its captain, crew and status are
    /// kept.
    #[arg(long, requires = "which")]
    pub update: bool,
}

/// `dispatch charter add`: books a new charter, or with `--update` changes a stored one.
pub async fn add(settings: &Settings, backend: &Backend, a: AddArgs) -> anyhow::Result<ExitCode> {
    let booking_ref = a
        .booking_ref
        .as_deref()
        .map(BookingRef::parse)
        .transpose()
        .context("--ref")?;
    let charter_id = match (&a.id, &booking_ref) {
        (Some(id), _) => CharterId::parse(id).context("--id")?,
        (None, Some(r)) => r.charter_id(),
        (None, None) => CharterId::new_random(),
    };
    // With --update, the flags given change the stored charter; without, a new one.
    let base = if a.update {
        let stored = match backend.charters.get(&charter_id).await {
            Err(dispatch_core::StoreError::BadRecord(why)) => {
                Some(repaired_base(backend, &charter_id, &a, &why).await?)
            }
            other => other.context("reading crew-dispatch")?,
        };
        stored.ok_or_else(|| {
            anyhow::anyhow!(
                "no charter {charter_id} to update (check the id and DISPATCH_PREFIX); \
                     without --update it is booked as a new charter"
            )
        })?
    } else {
        Charter {
            charter_id: charter_id.clone(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            charter_date: CharterDate::parse(a.date.as_deref().unwrap_or_default())
                .context("--date")?,
            vessel_name: String::new(),
            captain_assigned: None,
            crew_assigned: vec![],
            guest_count: 0,
            guest_names: vec![],
            reportable_revenue: Money::ZERO,
            tips: Money::ZERO,
            status: CharterStatus::Booked,
            crew_needed: None,
        }
    };
    let mut charter = base;
    if let Some(d) = &a.date {
        charter.charter_date = CharterDate::parse(d).context("--date")?;
    }
    if let Some(v) = &a.vessel {
        charter.vessel_name = v.trim().to_string();
    }
    if let Some(g) = a.guests {
        charter.guest_count = g;
    }
    if !a.guest_names.is_empty() {
        charter.guest_names = a.guest_names.clone();
    }
    if let Some(r) = &a.revenue {
        charter.reportable_revenue = Money::parse(r).context("--revenue")?;
    }
    if let Some(t) = &a.tips {
        charter.tips = Money::parse(t).context("--tips")?;
    }
    if a.crew_needed.is_some() {
        charter.crew_needed = a.crew_needed;
    }
    if charter.vessel_name.is_empty() {
        bail!("--vessel must not be empty (or blank): give the vessel's name; nothing was booked");
    }
    if a.vessel.is_some() && !a.vessel_unknown_ok {
        if let Some(why) = vessel::unknown(settings, &charter.vessel_name) {
            bail!("{why}; nothing was booked");
        }
    }
    if let Err(why) = charter.check_new() {
        // Name the flag rather than the attribute.
        let why = [
            ("`vessel_name`", "--vessel"),
            ("`reportable_revenue`", "--revenue"),
            ("`tips`", "--tips"),
            ("`guest_count`", "--guests"),
            ("`crew_needed`", "--crew-needed"),
            ("`guest_names[", "--guest-name ["),
            ("`guest_names`", "--guest-name"),
            ("]` ", "] "),
        ]
        .iter()
        .fold(why, |w, (a, flag)| w.replace(a, flag));
        bail!("{why}; nothing was booked");
    }
    let id = charter.charter_id.clone();
    match store_booking(
        backend.charters.as_ref(),
        &charter,
        booking_ref.as_ref(),
        a.update,
    )
    .await?
    {
        Stored::New => println!(
            "booked charter {}{} on {} ({})",
            charter.charter_id,
            booking_ref
                .as_ref()
                .map_or(String::new(), |r| format!(" (booking {r})")),
            charter.charter_date,
            charter.vessel_name
        ),
        Stored::Unchanged => println!("charter {id} is already stored like this; left unchanged"),
        Stored::Updated(c) => println!(
            "updated charter {id}: {} aboard {}, {} guests, revenue {}, tips {} (captain, crew and status kept)",
            c.charter_date, c.vessel_name, c.guest_count, c.reportable_revenue, c.tips
        ),
        Stored::Refused(why) => bail!(
            "{why}; nothing was {}",
            if a.update { "changed" } else { "booked" }
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The base of `--update` for a stored item that cannot be read: the item as stored with the
/// flags given written over its attributes, read as a charter. Fails, naming what is still
/// wrong, when the flags do not repair it.
async fn repaired_base(
    backend: &Backend,
    id: &CharterId,
    a: &AddArgs,
    why: &dispatch_core::item::ItemError,
) -> anyhow::Result<Charter> {
    use dispatch_core::domain::charter_attr as attr;
    use serde_dynamo::AttributeValue as AV;
    let mut item = backend
        .charters
        .get_item(id)
        .await
        .context("reading crew-dispatch")?
        .ok_or_else(|| anyhow::anyhow!("charter {id} was deleted while being read"))?;
    let mut set = |name: &str, v: AV| {
        item.insert(name.to_string(), v);
    };
    if let Some(d) = &a.date {
        set(
            attr::CHARTER_DATE,
            AV::S(CharterDate::parse(d).context("--date")?.to_string()),
        );
    }
    if let Some(v) = &a.vessel {
        set(attr::VESSEL_NAME, AV::S(v.trim().to_string()));
    }
    if let Some(g) = a.guests {
        set(attr::GUEST_COUNT, AV::N(g.to_string()));
    }
    if let Some(r) = &a.revenue {
        set(
            attr::REPORTABLE_REVENUE,
            AV::N(Money::parse(r).context("--revenue")?.to_string()),
        );
    }
    if let Some(t) = &a.tips {
        set(
            attr::TIPS,
            AV::N(Money::parse(t).context("--tips")?.to_string()),
        );
    }
    if let Some(n) = a.crew_needed {
        set(attr::CREW_NEEDED, AV::N(n.to_string()));
    }
    if !a.guest_names.is_empty() {
        set(
            attr::GUEST_NAMES,
            AV::L(a.guest_names.iter().cloned().map(AV::S).collect()),
        );
        item.remove(attr::GUEST_NAME);
    }
    Charter::from_item(&item).map_err(|still| {
        anyhow::anyhow!(
            "charter {id} is stored but cannot be read ({why}); with the flags given it still \
             cannot ({still}): give the flag that sets that attribute (see `dispatch charter show {id}`); \
             nothing was changed"
        )
    })
}
