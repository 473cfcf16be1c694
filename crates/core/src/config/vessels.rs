//! Per-vessel sections (`[vessels."Sea Breeze"]`): crew slots, certifications, preferred
//! captains, reporting time and meeting point, and the message that names a bad field.

use serde::{Deserialize, Serialize};

/// Per-vessel settings (from configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VesselConfig {
    /// Crew slots besides the captain (a charter's own `crew_needed` wins).
    pub crew_needed: Option<u32>,
    /// Certifications a crew member needs (default `deckhand`).
    pub crew_certifications: Vec<String>,
    /// Captains asked first for this vessel, in this order of preference among equals.
    pub preferred_captains: Vec<String>,
    /// When crew report aboard, local time of the business (`HH:MM`, e.g. `08:30`): shown on the
    /// crew page and in mails, and the start of the calendar entry (all day without it).
    pub start_time: Option<String>,
    /// How long a charter lasts, in hours, for the calendar entry (default 4).
    pub duration_hours: Option<u32>,
    /// Where crew meet, e.g. `Dock B, Harbor Marina slip 14`.
    pub meeting_point: Option<String>,
}

impl VesselConfig {
    /// The reporting time (`start_time`, checked at load).
    pub fn start(&self) -> Option<chrono::NaiveTime> {
        self.start_time
            .as_deref()
            .and_then(|t| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok())
    }

    /// How long the charter lasts (default 4 hours).
    pub fn duration(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.duration_hours.unwrap_or(4).clamp(1, 24)))
    }
}

/// Names the vessel and field at fault in a `[vessels."Name"]` table that does not parse.
pub(super) fn vessel_error(vessels: &toml::Value) -> Option<String> {
    let table = vessels.as_table()?;
    for (name, v) in table {
        if let Err(e) = v.clone().try_into::<VesselConfig>() {
            let field = v
                .as_table()
                .and_then(|t| {
                    t.iter().find_map(|(k, x)| {
                        let mut one = toml::Table::new();
                        one.insert(k.clone(), x.clone());
                        toml::Value::Table(one)
                            .try_into::<VesselConfig>()
                            .err()
                            .map(|_| k.clone())
                    })
                })
                .map(|k| format!(".{k}"))
                .unwrap_or_default();
            return Some(format!(
                "setting `vessels.\"{name}\"{field}`: {} (crew_needed is a whole number of crew slots, 0 or more)",
                e.message()
            ));
        }
    }
    None
}
