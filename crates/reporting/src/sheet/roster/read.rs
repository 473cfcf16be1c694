//! The tabs into a [`SheetRoster`]: the `Roster` tab's members (header row found, not assumed),
//! then availability from status tabs or one tab per member.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use dispatch_core::domain::{CharterDate, CrewId, CrewMember, EmailAddress};

use super::cells::{
    boolean, cell_dates, field_of, norm, status_of, tab_rule, text, unreadable, Field,
};
use super::model::{id_for_email, CellProblem, SheetRoster};
use super::papers::{expiry_map, max_passengers, one_date, SheetPapers};
use crate::sheet::dates::{parse_dates, YearRule};
use crate::sheet::{a1, Cell, Tab};

/// Reads the tabs. `year` says how dates typed without a year get one ([`YearRule`]; a plain
/// year is a fixed season).
pub fn read_sheet(tabs: &[Tab], year: impl Into<YearRule>) -> SheetRoster {
    let rule: YearRule = year.into();
    let mut out = SheetRoster::default();
    let Some(roster_tab) = tabs.iter().find(|t| norm(&t.name) == "roster") else {
        out.problems.push(CellProblem {
            tab: "Roster".into(),
            cell: "A1".into(),
            value: String::new(),
            why: format!(
                "the workbook has no `Roster` tab (tabs: {})",
                tabs.iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        return out;
    };
    read_roster(roster_tab, tab_rule(roster_tab, rule), &mut out);

    // Members by every way a person may refer to them.
    let mut by_ref: HashMap<String, usize> = HashMap::new();
    for (i, m) in out.members.iter().enumerate() {
        for r in [
            norm(&m.name),
            norm(m.email.as_str()),
            norm(m.crew_id.as_str()),
        ] {
            if !r.is_empty() {
                by_ref.entry(r).or_insert(i);
            }
        }
    }
    // Members with a cell that could not be read keep their stored dates (the problem says so):
    // a sheet that cannot be read must never erase what is known.
    let mut unreadable_of: Vec<(usize, usize)> = Vec::new();
    let mut available: BTreeMap<usize, BTreeSet<NaiveDate>> = BTreeMap::new();
    let mut unavailable: BTreeMap<usize, BTreeSet<NaiveDate>> = BTreeMap::new();
    for tab in tabs.iter().filter(|t| !std::ptr::eq(*t, roster_tab)) {
        let year = tab_rule(tab, rule);
        let problem = |out: &mut SheetRoster, r: usize, c: usize, cell: &Cell, why: String| {
            out.problems.push(CellProblem {
                tab: tab.name.clone(),
                cell: a1(r, c),
                value: cell.display(),
                why,
            })
        };
        if let Some(is_available) = status_of(&tab.name) {
            for (r, row) in tab.rows.iter().enumerate() {
                let Some((c0, first)) = row.iter().enumerate().find(|(_, c)| !c.is_empty()) else {
                    continue;
                };
                let who = text(first).unwrap_or_default();
                if field_of(&who).is_some() {
                    continue; // a header row: `Member | Dates`
                }
                let Some(&m) = by_ref.get(&norm(&who)) else {
                    problem(
                        &mut out,
                        r,
                        c0,
                        first,
                        "no member with this name, e-mail or id on the Roster tab".into(),
                    );
                    continue;
                };
                let set = if is_available {
                    &mut available
                } else {
                    &mut unavailable
                };
                let dates = set.entry(m).or_default();
                for (c, cell) in row.iter().enumerate().skip(c0 + 1) {
                    if cell.is_empty() {
                        continue;
                    }
                    match cell_dates(cell, year) {
                        Ok(ds) => dates.extend(ds),
                        Err(why) => {
                            unreadable_of.push((m, out.problems.len()));
                            problem(&mut out, r, c, cell, why)
                        }
                    }
                }
            }
        } else if let Some(&m) = by_ref.get(&norm(&tab.name)) {
            let dates = available.entry(m).or_default();
            for (r, row) in tab.rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    match cell {
                        Cell::Empty => {}
                        Cell::Text(t)
                            if !t.chars().any(|ch| ch.is_ascii_digit())
                                && parse_dates(t, year).is_err() => {} // a label
                        _ => match cell_dates(cell, year) {
                            Ok(ds) => dates.extend(ds),
                            Err(why) => {
                                unreadable_of.push((m, out.problems.len()));
                                problem(&mut out, r, c, cell, why)
                            }
                        },
                    }
                }
            }
        } else {
            out.ignored_tabs.push(tab.name.clone());
        }
    }
    let kept: BTreeSet<usize> = unreadable_of.iter().map(|(m, _)| *m).collect();
    for (m, at) in &unreadable_of {
        if let (Some(p), Some(member)) = (out.problems.get_mut(*at), out.members.get(*m)) {
            p.why = format!(
                "{}; {}'s stored availability is kept until it is fixed",
                p.why, member.name
            );
        }
    }
    let touched: BTreeSet<usize> = available
        .keys()
        .chain(unavailable.keys())
        .copied()
        .collect();
    for i in touched {
        let off = unavailable.get(&i).cloned().unwrap_or_default();
        let m = &mut out.members[i];
        m.available_dates = available
            .get(&i)
            .into_iter()
            .flatten()
            .filter(|d| !off.contains(d))
            .map(|d| CharterDate::from_naive(*d))
            .collect();
        if !kept.contains(&i) {
            out.with_availability.insert(m.crew_id.clone());
        }
    }
    out
}

fn read_roster(tab: &Tab, year: YearRule, out: &mut SheetRoster) {
    let header = tab.rows.iter().enumerate().find_map(|(r, row)| {
        let cols: HashMap<Field, usize> = row
            .iter()
            .enumerate()
            .filter_map(|(c, cell)| text(cell).and_then(|t| field_of(&t)).map(|f| (f, c)))
            .fold(HashMap::new(), |mut m, (f, c)| {
                m.entry(f).or_insert(c);
                m
            });
        (cols.contains_key(&Field::Name) && cols.contains_key(&Field::Email)).then_some((r, cols))
    });
    let Some((hr, cols)) = header else {
        out.problems.push(CellProblem {
            tab: tab.name.clone(),
            cell: "A1".into(),
            value: String::new(),
            why: "no header row with a name and an e-mail column".into(),
        });
        return;
    };
    for (field, column) in [
        (Field::Phone, "Phone"),
        (Field::Captain, "Captain certified"),
        (Field::Certs, "Certifications"),
        (Field::Active, "Active"),
    ] {
        if !cols.contains_key(&field) {
            out.missing_columns.push(column.into());
        }
    }
    let mut seen_email: HashMap<String, String> = HashMap::new();
    let mut seen_id: HashMap<CrewId, String> = HashMap::new();
    for (r, row) in tab.rows.iter().enumerate().skip(hr + 1) {
        if row.iter().all(Cell::is_empty) {
            continue;
        }
        let get = |f: Field| {
            cols.get(&f)
                .map(|&c| (c, row.get(c).unwrap_or(&Cell::Empty)))
        };
        let mut bad = |c: usize, cell: &Cell, why: String| {
            out.problems.push(CellProblem {
                tab: tab.name.clone(),
                cell: a1(r, c),
                value: cell.display(),
                why,
            });
        };
        let (Some((nc, name_cell)), Some((ec, email_cell))) = (get(Field::Name), get(Field::Email))
        else {
            continue; // the header row found has both columns
        };
        if let Some(why) = unreadable(name_cell).or_else(|| unreadable(email_cell)) {
            let (c, cell) = if unreadable(name_cell).is_some() {
                (nc, name_cell)
            } else {
                (ec, email_cell)
            };
            bad(
                c,
                cell,
                format!("{why}: row skipped (a stored member keeps everything)"),
            );
            continue;
        }
        let Some(name) = text(name_cell) else {
            bad(nc, name_cell, "the row has no name: row skipped".into());
            continue;
        };
        let email = match text(email_cell).map(|e| EmailAddress::parse(&e.to_ascii_lowercase())) {
            Some(Ok(e)) => e,
            Some(Err(e)) => {
                bad(ec, email_cell, format!("{}: row skipped", e.why));
                continue;
            }
            None => {
                bad(ec, email_cell, "no e-mail: row skipped".into());
                continue;
            }
        };
        let crew_id = match get(Field::Id).and_then(|(c, cell)| text(cell).map(|t| (c, cell, t))) {
            Some((c, cell, t)) => match CrewId::parse(&t) {
                Ok(id) => id,
                Err(e) => {
                    bad(c, cell, format!("{}: row skipped", e.why));
                    continue;
                }
            },
            None => {
                out.derived_ids.insert(id_for_email(&email));
                id_for_email(&email)
            }
        };
        if let Some(first) = seen_email.get(email.as_str()) {
            bad(
                ec,
                email_cell,
                format!("same e-mail as {first}: row skipped"),
            );
            continue;
        }
        if let Some(first) = seen_id.get(&crew_id) {
            bad(
                cols.get(&Field::Id).copied().unwrap_or(ec),
                email_cell,
                format!("same crew id as {first}: row skipped"),
            );
            continue;
        }
        seen_email.insert(
            email.as_str().to_string(),
            format!("{}!{}", tab.name, a1(r, ec)),
        );
        seen_id.insert(crew_id.clone(), format!("{}!{}", tab.name, a1(r, nc)));
        // `Some(value)`: the sheet says it (a blank cell is `Some(None)`); `None`: no such
        // column, or a cell that cannot be read; the stored value stays.
        let mut flag = |f: Field| match get(f) {
            None => None,
            Some((c, cell)) => match boolean(cell) {
                Ok(b) => Some(b),
                Err(why) => {
                    bad(c, cell, format!("{why}: left as it was"));
                    None
                }
            },
        };
        let captain = flag(Field::Captain);
        let active = flag(Field::Active).flatten();
        let certifications = get(Field::Certs)
            .and_then(|(_, c)| text(c))
            .map(|t| {
                t.split([',', ';', '/', '\n'])
                    .map(|s| s.trim().to_lowercase().replace(' ', "_"))
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let member = CrewMember {
            crew_id,
            name,
            email,
            phone: get(Field::Phone).and_then(|(_, c)| text(c)),
            captain_certified: captain.flatten().unwrap_or(false),
            available_dates: BTreeSet::new(),
            certifications,
            active: active.unwrap_or(true),
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        };
        let mut papers = SheetPapers::default();
        if let Some((c, cell)) = get(Field::LicenceClass) {
            match unreadable(cell) {
                Some(why) => bad(c, cell, format!("{why}: left as it was")),
                None => papers.class = Some(text(cell).unwrap_or_default()),
            }
        }
        if let Some((c, cell)) = get(Field::LicenceMax) {
            match max_passengers(cell) {
                Ok(n) => papers.max_passengers = Some(n),
                Err(why) => bad(c, cell, format!("{why}: left as it was")),
            }
        }
        if let Some((c, cell)) = get(Field::LicenceExpires) {
            match one_date(cell, year) {
                Ok(d) => papers.expires = Some(d),
                Err(why) => bad(c, cell, format!("{why}: left as it was")),
            }
        }
        if let Some((c, cell)) = get(Field::CertExpiry) {
            match expiry_map(cell, year) {
                Ok(e) => papers.certification_expiry = Some(e),
                Err(why) => bad(c, cell, format!("{why}: left as it was")),
            }
        }
        let mut member = member;
        papers.apply_to(&mut member);
        if let Err(why) = member.check_new() {
            bad(nc, name_cell, format!("{why}: row skipped"));
            out.derived_ids.remove(&member.crew_id);
            continue;
        }
        if active.is_some() {
            out.with_active.insert(member.crew_id.clone());
        }
        if captain.is_some() {
            out.with_captain.insert(member.crew_id.clone());
        }
        if papers.says_anything() {
            out.papers.insert(member.crew_id.clone(), papers);
        }
        out.rows
            .insert(member.crew_id.clone(), (tab.name.clone(), a1(r, ec)));
        out.members.push(member);
    }
}
