//! The roster and availability, read from the sheet's tabs, and the plan that syncs them.
//!
//! - A `Roster` tab (any case): the header row is the first row naming at least a name and an
//!   e-mail column (case, spaces, punctuation, common synonyms and one-letter typos tolerated);
//!   rows above it (titles, merged headers) and blank rows are skipped. Each row is a member; the
//!   id is the `crew id` column when present, otherwise derived from the lower-cased e-mail
//!   ([`id_for_email`]) — never from a row number, so reordering rows changes nothing.
//! - Availability, either layout: tabs per status (`Available`, `Unavailable`, …; each row a member
//!   by name, e-mail or id, then cells of dates) or one tab per member (named like the member; every
//!   cell holding a digit is dates, text labels are skipped). A member's availability from the
//!   sheet replaces the stored one; members the sheet says nothing about keep theirs.
//! - Bad cells become [`CellProblem`]s with tab and A1 reference; the rest still syncs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use dispatch_core::domain::{CharterDate, CrewId, CrewMember, EmailAddress};
use sha2::{Digest, Sha256};

use super::dates::{from_serial, parse_dates, typed_years, YearRule};
use super::{a1, Cell, Tab};

/// A cell that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellProblem {
    pub tab: String,
    /// A1 reference, e.g. `C7`.
    pub cell: String,
    pub value: String,
    pub why: String,
}

impl std::fmt::Display for CellProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}!{} {:?}: {}",
            self.tab, self.cell, self.value, self.why
        )
    }
}

/// The stable id of a member without a `crew id` column: `crew-` and 12 hex digits of the SHA-256
/// of the lower-cased, trimmed e-mail.
pub fn id_for_email(email: &EmailAddress) -> CrewId {
    let digest = Sha256::digest(email.as_str().trim().to_ascii_lowercase().as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    #[allow(clippy::expect_used)]
    // `crew-` and 12 hex digits: letters, digits and `-` only, 17 characters.
    CrewId::parse(&format!("crew-{hex}")).expect("crew- and hex digits is a valid id")
}

/// What the sheet says, before comparing with the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SheetRoster {
    pub members: Vec<CrewMember>,
    /// Members whose availability the sheet carries (replace the stored dates).
    pub with_availability: BTreeSet<CrewId>,
    /// Members whose `active` the sheet carries.
    pub with_active: BTreeSet<CrewId>,
    pub problems: Vec<CellProblem>,
    /// Tabs that are neither the roster nor availability.
    pub ignored_tabs: Vec<String>,
    /// Members whose id was derived from their e-mail (no `crew id` column or cell): the sync
    /// matches them to a stored member by e-mail first.
    pub derived_ids: BTreeSet<CrewId>,
    /// Where each member's row is: (tab, A1 of its e-mail cell).
    pub rows: HashMap<CrewId, (String, String)>,
}

/// What a sync will do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncPlan {
    /// Created and updated members, ready to write.
    pub to_write: Vec<CrewMember>,
    pub created: Vec<CrewId>,
    pub updated: Vec<CrewId>,
    pub unchanged: Vec<CrewId>,
    /// Stored members the sheet does not list (left alone, never deleted).
    pub not_in_sheet: Vec<CrewId>,
    pub problems: Vec<CellProblem>,
    pub ignored_tabs: Vec<String>,
}

/// Lower-case letters and digits only: `E-mail Address` → `emailaddress`.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Name,
    Email,
    Phone,
    Captain,
    Certs,
    Id,
    Active,
}

const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::Name,
        &["name", "fullname", "crewname", "member", "crewmember"],
    ),
    (Field::Email, &["email", "emailaddress", "mail", "emails"]),
    (
        Field::Phone,
        &["phone", "mobile", "cell", "phonenumber", "tel", "telephone"],
    ),
    (
        Field::Captain,
        &[
            "captain",
            "captaincertified",
            "captaincert",
            "iscaptain",
            "captaincertification",
            "skipper",
        ],
    ),
    (
        Field::Certs,
        &[
            "certifications",
            "certs",
            "certification",
            "certificates",
            "qualifications",
            "skills",
        ],
    ),
    (Field::Id, &["crewid", "id", "memberid"]),
    (Field::Active, &["active", "isactive"]),
];

/// One edit (insert, delete, substitute or swap of neighbours) or none.
fn near(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 || a.len().min(b.len()) < 4 {
        return false;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() && a[i] == b[j] {
        i += 1;
        j += 1;
    }
    let (ra, rb) = (&a[i..], &b[j..]);
    match (ra.len(), rb.len()) {
        (x, y) if x == y => {
            ra[1..] == rb[1..] || (x >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        (x, y) if x > y => ra[1..] == *rb,
        _ => rb[1..] == *ra,
    }
}

fn field_of(header: &str) -> Option<Field> {
    let h = norm(header);
    if h.is_empty() {
        return None;
    }
    SYNONYMS
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .or_else(|| {
            SYNONYMS
                .iter()
                .find(|(_, names)| names.iter().any(|n| near(n, &h)))
        })
        .map(|(f, _)| *f)
}

fn boolean(c: &Cell) -> Result<Option<bool>, String> {
    match c {
        Cell::Empty => Ok(None),
        Cell::Bool(b) => Ok(Some(*b)),
        Cell::Number(n) if *n == 1.0 => Ok(Some(true)),
        Cell::Number(n) if *n == 0.0 => Ok(Some(false)),
        Cell::Text(t) => match norm(t).as_str() {
            "yes" | "y" | "true" | "x" | "1" | "certified" | "active" => Ok(Some(true)),
            "no" | "n" | "false" | "0" | "inactive" => Ok(Some(false)),
            _ if t.trim() == "✓" || t.trim() == "✔" => Ok(Some(true)),
            _ if t.trim() == "-" => Ok(Some(false)),
            _ => Err("not yes or no".into()),
        },
        other => Err(format!("{} is not yes or no", other.display())),
    }
}

fn text(c: &Cell) -> Option<String> {
    match c {
        Cell::Text(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
        Cell::Number(n) => Some(if n.fract() == 0.0 {
            format!("{}", *n as i64)
        } else {
            n.to_string()
        }),
        _ => None,
    }
}

/// Why a cell's value cannot be read at all (a formula error, a formula without a value).
fn unreadable(c: &Cell) -> Option<String> {
    match c {
        Cell::Error(e) => Some(format!("the cell's formula gives {e}: fix the formula or type the value")),
        Cell::Uncomputed(_) => Some(
            "a formula whose value the file does not carry: open the file in Excel or Google Sheets and save it again, or type the value".into(),
        ),
        _ => None,
    }
}

/// Dates of one availability cell.
fn cell_dates(c: &Cell, year: YearRule) -> Result<Vec<NaiveDate>, String> {
    if let Some(why) = unreadable(c) {
        return Err(why);
    }
    match c {
        Cell::DateSerial(n) | Cell::Number(n) => from_serial(*n).map(|d| vec![d]),
        Cell::Text(t) => parse_dates(t, year),
        other => Err(format!("{} is not a date", other.display())),
    }
}

fn status_of(tab: &str) -> Option<bool> {
    match norm(tab).as_str() {
        "available" | "availability" | "availabledates" | "dates" => Some(true),
        "unavailable" | "notavailable" | "blackout" | "blackoutdates" | "off" | "timeoff"
        | "away" => Some(false),
        _ => None,
    }
}

/// The year for a tab's dates typed without one: with [`YearRule::NextFrom`], the year of the
/// tab's other dates (typed with a year, or sheet dates) when they all agree, else the next
/// occurrence from today. A fixed season year stays.
fn tab_rule(tab: &Tab, rule: YearRule) -> YearRule {
    if let YearRule::Season(_) = rule {
        return rule;
    }
    let mut years = BTreeSet::new();
    for cell in tab.rows.iter().flatten() {
        match cell {
            Cell::DateSerial(n) => years.extend(from_serial(*n).ok().map(|d| d.year())),
            Cell::Text(t) => years.extend(typed_years(t)),
            _ => {}
        }
    }
    match (years.len(), years.first()) {
        (1, Some(y)) => YearRule::Season(*y),
        _ => rule,
    }
}

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
    read_roster(roster_tab, &mut out);

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

fn read_roster(tab: &Tab, out: &mut SheetRoster) {
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
        let mut flag = |f: Field| match get(f) {
            None => None,
            Some((c, cell)) => match boolean(cell) {
                Ok(b) => b,
                Err(why) => {
                    bad(c, cell, format!("{why}: left as it was"));
                    None
                }
            },
        };
        let captain = flag(Field::Captain);
        let active = flag(Field::Active);
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
            captain_certified: captain.unwrap_or(false),
            available_dates: BTreeSet::new(),
            certifications,
            active: active.unwrap_or(true),
            updated_at: None,
        };
        if let Err(why) = member.check_new() {
            bad(nc, name_cell, format!("{why}: row skipped"));
            out.derived_ids.remove(&member.crew_id);
            continue;
        }
        if active.is_some() {
            out.with_active.insert(member.crew_id.clone());
        }
        out.rows
            .insert(member.crew_id.clone(), (tab.name.clone(), a1(r, ec)));
        out.members.push(member);
    }
}

/// Compares the sheet with the stored members: what to create, update or leave.
///
/// A member is matched to a stored one by e-mail first, then by id: a sheet without a `Crew ID`
/// column updates the member stored under another id rather than creating a second one with the
/// same address. A row whose own id disagrees with the stored owner of its e-mail is skipped and
/// reported (neither member changes).
pub fn plan(sheet: SheetRoster, existing: &[CrewMember]) -> SyncPlan {
    let stored: HashMap<&CrewId, &CrewMember> = existing.iter().map(|m| (&m.crew_id, m)).collect();
    let by_email: HashMap<String, &CrewMember> = existing
        .iter()
        .map(|m| (m.email.as_str().to_ascii_lowercase(), m))
        .collect();
    let mut p = SyncPlan {
        problems: sheet.problems,
        ignored_tabs: sheet.ignored_tabs,
        ..Default::default()
    };
    let mut members = Vec::with_capacity(sheet.members.len());
    for mut m in sheet.members {
        let sheet_id = m.crew_id.clone();
        let owner = by_email
            .get(&m.email.as_str().to_ascii_lowercase())
            .filter(|o| o.crew_id != m.crew_id);
        if let Some(owner) = owner {
            if sheet.derived_ids.contains(&m.crew_id) && !stored.contains_key(&m.crew_id) {
                m.crew_id = owner.crew_id.clone();
            } else {
                let (tab, cell) = sheet
                    .rows
                    .get(&sheet_id)
                    .cloned()
                    .unwrap_or_else(|| ("Roster".into(), "A1".into()));
                p.problems.push(CellProblem {
                    tab,
                    cell,
                    value: m.email.to_string(),
                    why: format!(
                        "this e-mail belongs to stored member {} but the row is member {}: row skipped; fix the crew id or the e-mail",
                        owner.crew_id, sheet_id
                    ),
                });
                continue;
            }
        }
        members.push((sheet_id, m));
    }
    let listed: BTreeSet<&CrewId> = members.iter().map(|(_, m)| &m.crew_id).collect();
    p.not_in_sheet = existing
        .iter()
        .filter(|m| !listed.contains(&m.crew_id))
        .map(|m| m.crew_id.clone())
        .collect();
    for (sheet_id, mut m) in members {
        match stored.get(&m.crew_id) {
            None => {
                p.created.push(m.crew_id.clone());
                p.to_write.push(m);
            }
            Some(old) => {
                if !sheet.with_availability.contains(&sheet_id) {
                    m.available_dates = old.available_dates.clone();
                }
                if !sheet.with_active.contains(&sheet_id) {
                    m.active = old.active;
                }
                m.updated_at = old.updated_at.clone();
                if m == **old {
                    p.unchanged.push(m.crew_id);
                } else {
                    p.updated.push(m.crew_id.clone());
                    p.to_write.push(m);
                }
            }
        }
    }
    p
}

impl SyncPlan {
    /// `created 3, updated 1, unchanged 20, …` then one line per unreadable cell.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "created {}, updated {}, unchanged {}, not in the sheet (left alone) {}, {} cells unreadable",
            self.created.len(),
            self.updated.len(),
            self.unchanged.len(),
            self.not_in_sheet.len(),
            self.problems.len()
        );
        for p in &self.problems {
            s.push_str(&format!("\n  {p}"));
        }
        if !self.ignored_tabs.is_empty() {
            s.push_str(&format!(
                "\n  tabs ignored (neither roster nor availability): {}",
                self.ignored_tabs.join(", ")
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_with_synonyms_and_typos() {
        assert_eq!(field_of("E-mail"), Some(Field::Email));
        assert_eq!(field_of("Emial"), Some(Field::Email));
        assert_eq!(field_of("Captain certified?"), Some(Field::Captain));
        assert_eq!(field_of("Certs"), Some(Field::Certs));
        assert_eq!(field_of("Crew ID"), Some(Field::Id));
        assert_eq!(field_of("Mobile"), Some(Field::Phone));
        assert_eq!(field_of("Notes"), None);
        assert_eq!(field_of(""), None);
    }

    #[test]
    fn ids_are_stable_and_case_blind() {
        let a = id_for_email(&EmailAddress::parse("Ana@Example.com").unwrap());
        let b = id_for_email(&EmailAddress::parse("ana@example.com").unwrap());
        assert_eq!(a, b);
        assert!(
            a.as_str().starts_with("crew-") && a.as_str().len() == 17,
            "{a:?}"
        );
    }
}
