//! `dispatch roster list|show`: the roster as ops read it. `list` is one row per member (name,
//! id, roles, certifications, active, the next available days from today in the business's
//! zone), a table fitted to the terminal or the plain layout when piped; `show MEMBER` is
//! everything about one member and the charters they hold from today on.

use std::process::ExitCode;

use anyhow::Context;
use dispatch_core::domain::{expiry_words, Charter, CharterDate, CrewMember};
use dispatch_core::{Backend, Settings};
use futures::StreamExt;

use crate::cli::{member, table};

/// Available days shown per member in `roster list`.
const NEXT_DAYS: usize = 3;
/// How far ahead `roster show` looks for the member's charters (days, read one date at a time).
const SHOW_HORIZON_DAYS: u64 = 400;

/// `captain`, `crew`, both or `-`: captain when certified, crew when they hold the crew
/// certifications of a vessel in the settings (by default `deckhand`).
pub fn roles(settings: &Settings, m: &CrewMember) -> String {
    let mut required: Vec<Vec<String>> = settings
        .vessels
        .values()
        .filter(|v| !v.crew_certifications.is_empty())
        .map(|v| v.crew_certifications.clone())
        .collect();
    required.push(vec!["deckhand".into()]);
    let crew = required
        .iter()
        .any(|certs| certs.iter().all(|c| m.has_certification(c)));
    let mut r = Vec::new();
    if m.captain_certified {
        r.push("captain");
    }
    if crew {
        r.push("crew");
    }
    if r.is_empty() {
        "-".into()
    } else {
        r.join(", ")
    }
}

fn next_available(m: &CrewMember, today: CharterDate, n: usize) -> Vec<CharterDate> {
    m.available_dates.range(today..).take(n).copied().collect()
}

fn dates_cell(dates: &[CharterDate]) -> String {
    if dates.is_empty() {
        return "-".into();
    }
    dates
        .iter()
        .map(|d| format!("{} {d}", d.naive().format("%a")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn certs_cell(m: &CrewMember) -> String {
    if m.certifications.is_empty() {
        "-".into()
    } else {
        m.certifications
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The columns of `roster list`.
const HEAD: [&str; 6] = [
    "NAME",
    "ID",
    "ROLES",
    "CERTIFICATIONS",
    "ACTIVE",
    "NEXT AVAILABLE",
];

fn cells(settings: &Settings, m: &CrewMember, today: CharterDate) -> [String; 6] {
    [
        m.name.clone(),
        m.crew_id.to_string(),
        roles(settings, m),
        certs_cell(m),
        if m.active { "yes" } else { "no" }.into(),
        dates_cell(&next_available(m, today, NEXT_DAYS)),
    ]
}

/// The plain layout (stdout not a terminal): a header and one padded line per member. Stable:
/// scripts and tests read it.
fn plain_table(rows: &[[String; 6]]) -> Vec<String> {
    let mut width = HEAD.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(width.iter())
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(&HEAD.map(String::from))];
    out.extend(rows.iter().map(|r| line(r)));
    out
}

/// The table for people on a terminal, wrapped to `width` (the terminal's when `None`), ids kept
/// whole.
fn terminal_table(rows: &[[String; 6]], width: Option<u16>) -> String {
    let mut t = table::for_people(&HEAD, width);
    for r in rows {
        t.add_row(r.to_vec());
    }
    table::keep_whole(&mut t, &[1]);
    format!("{t}\n")
}

/// `dispatch roster list`: every member, by name.
pub async fn list(settings: &Settings, backend: &Backend) -> anyhow::Result<ExitCode> {
    let zone = settings.zone();
    let today = zone.today(chrono::Utc::now());
    let listing = backend.roster.list().await.context("reading crew-roster")?;
    let mut members = listing.items;
    members.sort_by(|a, b| {
        (a.name.to_lowercase(), &a.crew_id).cmp(&(b.name.to_lowercase(), &b.crew_id))
    });
    if members.is_empty() {
        println!("the roster is empty: `dispatch roster import FILE` or `dispatch roster sync` adds members");
    } else {
        let rows: Vec<[String; 6]> = members.iter().map(|m| cells(settings, m, today)).collect();
        if table::stdout_is_terminal() {
            print!("{}", terminal_table(&rows, None));
        } else {
            for line in plain_table(&rows) {
                println!("{line}");
            }
        }
        let active = members.iter().filter(|m| m.active).count();
        println!(
            "{} members ({active} active); available days from {today} (today in {})",
            members.len(),
            zone.name()
        );
    }
    for e in &listing.skipped {
        eprintln!("  unreadable roster record: {e}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The charters dated `from` to `from + days` whose captain or crew is `m` (each charter's newest
/// version, read one date at a time through the date index, a few dates at once).
async fn held(
    backend: &Backend,
    m: &CrewMember,
    from: CharterDate,
    days: u64,
) -> anyhow::Result<Vec<Charter>> {
    let dates: Vec<CharterDate> = (0..=days)
        .filter_map(|n| from.naive().checked_add_days(chrono::Days::new(n)))
        .map(CharterDate::from_naive)
        .collect();
    let listings: Vec<_> = futures::stream::iter(dates)
        .map(|d| backend.charters.on_date(d))
        .buffered(8)
        .collect()
        .await;
    let mut out = Vec::new();
    for l in listings {
        for c in l.context("reading crew-dispatch by date")?.items {
            if c.captain_assigned.as_ref() == Some(&m.crew_id)
                || c.crew_assigned.contains(&m.crew_id)
            {
                out.push(c);
            }
        }
    }
    Ok(out)
}

/// `dispatch roster show MEMBER`: everything about one member, and the charters they hold from
/// today on.
pub async fn show(settings: &Settings, backend: &Backend, raw: &str) -> anyhow::Result<ExitCode> {
    let roster = member::roster(backend).await?;
    let m = member::pick(&roster, "MEMBER", raw)?;
    let zone = settings.zone();
    let today = zone.today(chrono::Utc::now());
    println!("{} ({})", m.name, m.crew_id);
    println!("  e-mail: {}", m.email);
    println!("  phone: {}", m.phone.as_deref().unwrap_or("-"));
    println!("  roles: {}", roles(settings, &m));
    println!("  certifications: {}", certs_cell(&m));
    if let Some(l) = &m.captain_licence {
        println!(
            "  captain's licence: {}{}{}",
            l.name(),
            l.max_passengers
                .map(|n| format!(", up to {n} guests"))
                .unwrap_or_default(),
            l.expires
                .map(|d| format!(", good through {}", expiry_words(d)))
                .unwrap_or_default()
        );
    }
    if !m.certification_expiry.is_empty() {
        let each: Vec<String> = m
            .certification_expiry
            .iter()
            .map(|(c, d)| format!("{c} {}", expiry_words(*d)))
            .collect();
        println!("  certifications good through: {}", each.join(", "));
    }
    println!(
        "  active: {}",
        if m.active {
            "yes"
        } else {
            "no (never offered work)"
        }
    );
    if let Some(u) = &m.updated_at {
        println!("  updated: {u}");
    }
    let upcoming: Vec<CharterDate> = m.available_dates.range(today..).copied().collect();
    println!(
        "  available from today ({} days): {}",
        upcoming.len(),
        dates_cell(&upcoming)
    );
    let charters = held(backend, &m, today, SHOW_HORIZON_DAYS).await?;
    let until = today
        .naive()
        .checked_add_days(chrono::Days::new(SHOW_HORIZON_DAYS))
        .map(CharterDate::from_naive)
        .unwrap_or(today);
    println!(
        "  charters from {today} to {until}: {}",
        if charters.is_empty() {
            "none".to_string()
        } else {
            charters.len().to_string()
        }
    );
    for c in &charters {
        let role = if c.captain_assigned.as_ref() == Some(&m.crew_id) {
            "captain"
        } else {
            "crew"
        };
        let r = backend
            .charters
            .booking_ref(&c.charter_id)
            .await
            .with_context(|| format!("reading charter {} from crew-dispatch", c.charter_id))?;
        println!(
            "    {} {}  {:<8} {}  {}  {}{}",
            c.charter_date.naive().format("%a"),
            c.charter_date,
            role,
            c.vessel_name,
            c.status.as_str(),
            c.charter_id,
            r.map_or(String::new(), |r| format!(" ({r})"))
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dispatch_core::domain::{CrewId, EmailAddress};

    fn member(captain: bool, certs: &[&str], dates: &[&str]) -> CrewMember {
        CrewMember {
            crew_id: CrewId::parse("ana").unwrap(),
            name: "Ana Lopez-Fernandez de la Vega".into(),
            email: EmailAddress::parse("ana@crew.example.com").unwrap(),
            phone: None,
            captain_certified: captain,
            available_dates: dates
                .iter()
                .map(|d| CharterDate::parse(d).unwrap())
                .collect(),
            certifications: certs.iter().map(|c| c.to_string()).collect(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        }
    }

    #[test]
    fn roles_follow_the_captain_flag_and_the_crew_certifications() {
        let mut s = Settings::default();
        assert_eq!(
            roles(&s, &member(true, &["deckhand"], &[])),
            "captain, crew"
        );
        assert_eq!(roles(&s, &member(false, &["first_aid"], &[])), "-");
        s.vessels.insert(
            "Osprey".into(),
            dispatch_core::config::VesselConfig {
                crew_certifications: vec!["first_aid".into()],
                ..Default::default()
            },
        );
        assert_eq!(roles(&s, &member(false, &["first_aid"], &[])), "crew");
    }

    #[test]
    fn the_next_three_days_from_today_and_a_table_that_fits() {
        let m = member(
            true,
            &["deckhand"],
            &[
                "2024-05-01",
                "2024-05-03",
                "2024-05-04",
                "2024-05-09",
                "2024-05-10",
            ],
        );
        let today = CharterDate::parse("2024-05-02").unwrap();
        let row = cells(&Settings::default(), &m, today);
        assert_eq!(row[5], "Fri 2024-05-03, Sat 2024-05-04, Thu 2024-05-09");
        let plain = plain_table(std::slice::from_ref(&row));
        assert!(plain[0].starts_with("NAME"), "{plain:?}");
        let columns: Vec<&str> = plain[1]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            columns,
            [
                "Ana Lopez-Fernandez de la Vega",
                "ana",
                "captain, crew",
                "deckhand",
                "yes",
                "Fri 2024-05-03, Sat 2024-05-04, Thu 2024-05-09"
            ],
            "{plain:?}"
        );
        for width in [60u16, 100] {
            let t = terminal_table(std::slice::from_ref(&row), Some(width));
            assert!(
                t.lines().all(|l| l.chars().count() <= width as usize),
                "{t}"
            );
            assert!(t.contains("ana"), "{t}");
        }
    }
}
