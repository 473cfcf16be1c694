//! Finding a roster member the way ops name one — a crew id, an e-mail or a full name — and the
//! closest spelling of a name (a vessel in the settings), for "did you mean". Pure: the roster
//! is given; the CLI and the ops board read it and call [`find_member`].

use std::fmt;

use super::CrewMember;

/// Why a member could not be found; its text lists the candidates (name, id, e-mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberLookupError {
    /// Nothing was given.
    Blank,
    /// Several members have this name.
    Ambiguous {
        query: String,
        candidates: Vec<CrewMember>,
    },
    /// No member has this id, e-mail or name; `candidates` are near misses (maybe none).
    Unknown {
        query: String,
        candidates: Vec<CrewMember>,
    },
}

impl MemberLookupError {
    /// The members this error lists.
    pub fn candidates(&self) -> &[CrewMember] {
        match self {
            Self::Blank => &[],
            Self::Ambiguous { candidates, .. } | Self::Unknown { candidates, .. } => candidates,
        }
    }
}

fn list(f: &mut fmt::Formatter<'_>, candidates: &[CrewMember]) -> fmt::Result {
    for m in candidates {
        write!(f, "\n  {} (id {}, {})", m.name, m.crew_id, m.email)?;
    }
    Ok(())
}

impl fmt::Display for MemberLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blank => f.write_str("no member given: name one by crew id, e-mail or full name"),
            Self::Ambiguous { query, candidates } => {
                write!(
                    f,
                    "{} members are called `{query}`: name one by crew id or e-mail:",
                    candidates.len()
                )?;
                list(f, candidates)
            }
            Self::Unknown { query, candidates } if candidates.is_empty() => write!(
                f,
                "no member has the crew id, e-mail or name `{query}` (`dispatch roster list` shows everyone)"
            ),
            Self::Unknown { query, candidates } => {
                write!(
                    f,
                    "no member has the crew id, e-mail or name `{query}`; did you mean:"
                )?;
                list(f, candidates)
            }
        }
    }
}

impl std::error::Error for MemberLookupError {}

/// A name as compared: trimmed, inner runs of white space made one space, lower case.
pub fn fold_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Most near misses listed for an unknown member.
const MAX_CANDIDATES: usize = 8;

/// The member `query` names: a crew id (exactly, else ignoring case), an e-mail (ignoring case),
/// or a full name (ignoring case and extra spaces) that exactly one member has. Several members
/// with the name, or none, is an error listing the candidates; an unknown query lists near
/// misses (names containing it or a word of it, or within two typos of it).
pub fn find_member<'a>(
    roster: &'a [CrewMember],
    query: &str,
) -> Result<&'a CrewMember, MemberLookupError> {
    let q = query.trim();
    if q.is_empty() {
        return Err(MemberLookupError::Blank);
    }
    if let Some(m) = roster.iter().find(|m| m.crew_id.as_str() == q) {
        return Ok(m);
    }
    let unique = |hits: Vec<&'a CrewMember>| match hits.as_slice() {
        [one] => Some(Ok(*one)),
        [] => None,
        _ => Some(Err(MemberLookupError::Ambiguous {
            query: q.to_string(),
            candidates: hits.into_iter().cloned().collect(),
        })),
    };
    let by_id = roster
        .iter()
        .filter(|m| m.crew_id.as_str().eq_ignore_ascii_case(q))
        .collect();
    if let Some(r) = unique(by_id) {
        return r;
    }
    let by_email = roster
        .iter()
        .filter(|m| m.email.as_str().eq_ignore_ascii_case(q))
        .collect();
    if let Some(r) = unique(by_email) {
        return r;
    }
    let folded = fold_name(q);
    let by_name = roster
        .iter()
        .filter(|m| fold_name(&m.name) == folded)
        .collect();
    if let Some(r) = unique(by_name) {
        return r;
    }
    Err(MemberLookupError::Unknown {
        query: q.to_string(),
        candidates: near_misses(roster, &folded),
    })
}

/// Members whose name, id or e-mail contains the query or one of its words, or whose name is
/// within two typos of it; closest first.
fn near_misses(roster: &[CrewMember], folded: &str) -> Vec<CrewMember> {
    let words: Vec<&str> = folded.split(' ').filter(|w| w.len() >= 2).collect();
    let mut hits: Vec<(usize, &CrewMember)> = roster
        .iter()
        .filter_map(|m| {
            let name = fold_name(&m.name);
            let id = m.crew_id.as_str().to_lowercase();
            let email = m.email.as_str().to_lowercase();
            let d = edit_distance(&name, folded);
            let contains = |w: &str| name.contains(w) || id.contains(w) || email.contains(w);
            (d <= 2 || contains(folded) || words.iter().any(|w| contains(w))).then_some((d, m))
        })
        .collect();
    hits.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    hits.into_iter()
        .take(MAX_CANDIDATES)
        .map(|(_, m)| m.clone())
        .collect()
}

/// The name among `known` that `name` most likely meant: the same ignoring case and spaces, or
/// within two typos (the closest; `None` if nothing is that close).
pub fn closest_name<'a>(known: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    let n = fold_name(name);
    known
        .into_iter()
        .map(|k| (edit_distance(&fold_name(k), &n), k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CrewId, EmailAddress};

    fn member(id: &str, name: &str, email: &str) -> CrewMember {
        CrewMember {
            crew_id: CrewId::parse(id).unwrap(),
            name: name.into(),
            email: EmailAddress::parse(email).unwrap(),
            phone: None,
            captain_certified: false,
            available_dates: Default::default(),
            certifications: Default::default(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: Default::default(),
        }
    }

    fn roster() -> Vec<CrewMember> {
        vec![
            member("ana", "Ana Lopez", "ana@crew.example.com"),
            member("ben", "Ben Ortiz", "Ben.Ortiz@crew.example.com"),
            member("sam-1", "Sam Reed", "sam1@crew.example.com"),
            member("sam-2", "Sam  reed", "sam2@crew.example.com"),
        ]
    }

    #[test]
    fn by_id_email_or_full_name_ignoring_case_and_spaces() {
        let r = roster();
        let id = |q: &str| find_member(&r, q).map(|m| m.crew_id.as_str().to_string());
        assert_eq!(id("ana").unwrap(), "ana");
        assert_eq!(id(" BEN ").unwrap(), "ben");
        assert_eq!(id("ben.ortiz@CREW.example.com").unwrap(), "ben");
        assert_eq!(id("  ana   LOPEZ ").unwrap(), "ana");
        assert_eq!(id("Ben Ortiz").unwrap(), "ben");
    }

    #[test]
    fn a_name_two_members_share_lists_both() {
        let r = roster();
        let e = find_member(&r, "sam reed").unwrap_err();
        assert!(matches!(e, MemberLookupError::Ambiguous { .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("2 members are called `sam reed`")
                && text.contains("Sam Reed (id sam-1, sam1@crew.example.com)")
                && text.contains("id sam-2"),
            "{text}"
        );
        // Each is still found by id or e-mail.
        assert_eq!(
            find_member(&r, "sam2@crew.example.com")
                .unwrap()
                .crew_id
                .as_str(),
            "sam-2"
        );
    }

    #[test]
    fn an_unknown_name_lists_near_misses_or_says_where_to_look() {
        let r = roster();
        let e = find_member(&r, "Ana Lopes").unwrap_err();
        assert_eq!(e.candidates().len(), 1, "{e}");
        assert!(
            e.to_string().contains("did you mean:\n  Ana Lopez (id ana"),
            "{e}"
        );
        let e = find_member(&r, "Sam").unwrap_err();
        assert!(
            matches!(e, MemberLookupError::Unknown { .. }),
            "a first name alone is not a name"
        );
        assert_eq!(e.candidates().len(), 2, "{e}");
        let e = find_member(&r, "Zed Quux").unwrap_err();
        assert!(e.candidates().is_empty());
        assert!(e.to_string().contains("dispatch roster list"), "{e}");
        assert_eq!(find_member(&r, "  ").unwrap_err(), MemberLookupError::Blank);
    }

    #[test]
    fn the_closest_vessel_name() {
        let known = ["Sea Breeze", "Osprey", "Blue Fin"];
        assert_eq!(closest_name(known, "sea  breeze"), Some("Sea Breeze"));
        assert_eq!(closest_name(known, "Ospery"), Some("Osprey"));
        assert_eq!(closest_name(known, "Titanic"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
