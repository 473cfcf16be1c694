//! What a member's papers allow: the captain's licence (`captain_licence`, a map of `class`,
//! `max_passengers`, `expires`) and when each certification runs out (`certification_expiry`,
//! a map of certification → date). Both optional on the roster item: a member without them is
//! judged as before. A date is the last day the paper is good for: it covers a charter on that
//! day, not one the day after.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_dynamo::AttributeValue as AV;

use super::crew::normalize_certification;
use super::CharterDate;
use crate::item::{type_tag, ItemError, Reader};

/// Attribute names inside the `captain_licence` map.
pub mod licence_attr {
    pub const CLASS: &str = "class";
    pub const MAX_PASSENGERS: &str = "max_passengers";
    pub const EXPIRES: &str = "expires";
}

/// A captain's licence, as the roster carries it. Each part is optional: a licence without
/// `max_passengers` limits no guest count, one without `expires` never runs out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaptainLicence {
    /// Free text, as ops name it: `six-pack`, `OUPV`, `Master 100 GT`.
    pub class: String,
    /// The most guests the licence allows aboard.
    pub max_passengers: Option<u32>,
    /// The last day the licence is good for.
    pub expires: Option<CharterDate>,
}

impl CaptainLicence {
    /// `six-pack licence` (or `licence` when the class is blank).
    pub fn name(&self) -> String {
        if self.class.trim().is_empty() {
            "licence".into()
        } else {
            format!("{} licence", self.class.trim())
        }
    }

    /// Whether this licence adds nothing (no class, no limit, no expiry): stored as absent.
    pub fn is_blank(&self) -> bool {
        self.class.trim().is_empty() && self.max_passengers.is_none() && self.expires.is_none()
    }

    pub(super) fn read(r: &Reader<'_>, attribute: &str) -> Result<Option<Self>, ItemError> {
        let map = match r.raw(attribute) {
            None => return Ok(None),
            Some(AV::M(m)) => m,
            Some(other) => {
                return Err(r.error(
                    attribute,
                    format!(
                        "must be a map (M) of class, max_passengers and expires, found {}",
                        type_tag(other)
                    ),
                ))
            }
        };
        let part = |name: &str| match map.get(name) {
            None | Some(AV::Null(_)) => Ok(None),
            Some(AV::S(s)) if s.trim().is_empty() => Ok(None),
            Some(AV::S(s)) => Ok(Some(s.trim())),
            Some(AV::N(n)) => Ok(Some(n.trim())),
            Some(other) => Err(r.error(
                attribute,
                format!(
                    "`{name}` must be a string or number, found {}",
                    type_tag(other)
                ),
            )),
        };
        let class = part(licence_attr::CLASS)?.unwrap_or_default().to_string();
        let max_passengers = part(licence_attr::MAX_PASSENGERS)?
            .map(|n| {
                n.parse::<u32>().map_err(|_| {
                    r.error(
                        attribute,
                        format!("`max_passengers` holds `{n}`, expected a whole number"),
                    )
                })
            })
            .transpose()?;
        let expires = part(licence_attr::EXPIRES)?
            .map(|s| expiry_date(r, attribute, "expires", s))
            .transpose()?;
        let licence = Self {
            class,
            max_passengers,
            expires,
        };
        Ok((!licence.is_blank()).then_some(licence))
    }

    pub(super) fn to_attr(&self) -> AV {
        let mut m = std::collections::HashMap::new();
        if !self.class.trim().is_empty() {
            m.insert(
                licence_attr::CLASS.to_string(),
                AV::S(self.class.trim().to_string()),
            );
        }
        if let Some(n) = self.max_passengers {
            m.insert(
                licence_attr::MAX_PASSENGERS.to_string(),
                AV::N(n.to_string()),
            );
        }
        if let Some(d) = self.expires {
            m.insert(licence_attr::EXPIRES.to_string(), AV::S(d.to_string()));
        }
        AV::M(m)
    }
}

/// Reads the `certification_expiry` map: names normalized ([`normalize_certification`]),
/// dates `YYYY-MM-DD`.
pub(super) fn read_expiry(
    r: &Reader<'_>,
    attribute: &str,
) -> Result<BTreeMap<String, CharterDate>, ItemError> {
    let map = match r.raw(attribute) {
        None => return Ok(BTreeMap::new()),
        Some(AV::M(m)) => m,
        Some(other) => {
            return Err(r.error(
                attribute,
                format!(
                    "must be a map (M) of certification to date, found {}",
                    type_tag(other)
                ),
            ))
        }
    };
    let mut out = BTreeMap::new();
    for (name, v) in map {
        let cert = normalize_certification(name);
        let date = match v {
            AV::Null(_) => continue,
            AV::S(s) if s.trim().is_empty() => continue,
            AV::S(s) => expiry_date(r, attribute, name, s.trim())?,
            other => {
                return Err(r.error(
                    attribute,
                    format!("`{name}` must be a date string, found {}", type_tag(other)),
                ))
            }
        };
        if !cert.is_empty() {
            out.insert(cert, date);
        }
    }
    Ok(out)
}

pub(super) fn expiry_to_attr(expiry: &BTreeMap<String, CharterDate>) -> AV {
    AV::M(
        expiry
            .iter()
            .map(|(c, d)| (c.clone(), AV::S(d.to_string())))
            .collect(),
    )
}

fn expiry_date(
    r: &Reader<'_>,
    attribute: &str,
    part: &str,
    s: &str,
) -> Result<CharterDate, ItemError> {
    CharterDate::parse(s).map_err(|_| {
        r.error(
            attribute,
            format!("`{part}` holds `{s}`, expected YYYY-MM-DD"),
        )
    })
}

/// `3 Jan 2027`: how an expiry is said in reasons and mails.
pub fn expiry_words(d: CharterDate) -> String {
    d.naive().format("%-d %b %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::super::{unfit, CrewId, CrewMember, EmailAddress, SlotNeeds, Unfit};
    use super::*;
    use crate::item::Writer;

    fn d(s: &str) -> CharterDate {
        CharterDate::parse(s).unwrap()
    }

    fn captain() -> CrewMember {
        CrewMember {
            crew_id: CrewId::parse("cap-1").unwrap(),
            name: "Ana".into(),
            email: EmailAddress::parse("ana@example.com").unwrap(),
            phone: None,
            captain_certified: true,
            available_dates: [d("2027-01-05")].into(),
            certifications: ["first_aid".to_string(), "deckhand".to_string()].into(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: Some(CaptainLicence {
                class: "six-pack".into(),
                max_passengers: Some(6),
                expires: Some(d("2027-01-03")),
            }),
            certification_expiry: [("first_aid".to_string(), d("2027-01-03"))].into(),
        }
    }

    fn needs(captain: bool, guests: u32) -> SlotNeeds {
        SlotNeeds {
            captain,
            certifications: if captain {
                vec![]
            } else {
                vec!["first_aid".into()]
            },
            guests,
        }
    }

    #[test]
    fn round_trip_and_tolerant_reading() {
        let m = captain();
        let item = m.to_item();
        assert!(matches!(item.get("captain_licence"), Some(AV::M(_))));
        assert!(matches!(item.get("certification_expiry"), Some(AV::M(_))));
        assert_eq!(CrewMember::from_item(&item).unwrap(), m);
        // Without them: as before, and nothing written.
        let mut plain = m.clone();
        plain.captain_licence = None;
        plain.certification_expiry = BTreeMap::new();
        let item = plain.to_item();
        assert!(
            !item.contains_key("captain_licence") && !item.contains_key("certification_expiry")
        );
        assert_eq!(CrewMember::from_item(&item).unwrap(), plain);
        // A number typed as text, a spelled-out certification name, a blank part.
        let mut item = Writer::new()
            .s("crew_id", "c9")
            .s("email", "c9@example.com")
            .build();
        item.insert(
            "captain_licence".into(),
            AV::M(
                [
                    ("class".to_string(), AV::S("OUPV".into())),
                    ("max_passengers".to_string(), AV::S(" 6 ".into())),
                    ("expires".to_string(), AV::S(String::new())),
                ]
                .into(),
            ),
        );
        item.insert(
            "certification_expiry".into(),
            AV::M([("First Aid".to_string(), AV::S("2027-01-03".into()))].into()),
        );
        let back = CrewMember::from_item(&item).unwrap();
        assert_eq!(
            back.captain_licence,
            Some(CaptainLicence {
                class: "OUPV".into(),
                max_passengers: Some(6),
                expires: None
            })
        );
        assert_eq!(
            back.certification_expiry.get("first_aid"),
            Some(&d("2027-01-03"))
        );
    }

    #[test]
    fn bad_papers_are_named() {
        let mut item = Writer::new()
            .s("crew_id", "c9")
            .s("email", "c9@example.com")
            .build();
        item.insert(
            "captain_licence".into(),
            AV::M([("expires".to_string(), AV::S("Jan 3".into()))].into()),
        );
        let e = CrewMember::from_item(&item).unwrap_err();
        assert_eq!(e.attribute, "captain_licence");
        item.insert("captain_licence".into(), AV::S("six-pack".into()));
        assert_eq!(
            CrewMember::from_item(&item).unwrap_err().attribute,
            "captain_licence"
        );
    }

    #[test]
    fn the_licence_binds_the_captain_only_and_says_why() {
        let mut m = captain();
        let on_the_day = d("2027-01-03");
        m.available_dates.insert(on_the_day);
        // Good through its last day, for up to 6 guests.
        assert_eq!(m.unfit_for(&needs(true, 6), on_the_day), None);
        let too_many = m.unfit_for(&needs(true, 8), on_the_day).unwrap();
        assert_eq!(too_many.text(), "six-pack licence: 8 guests");
        let later = m.unfit_for(&needs(true, 4), d("2027-01-05")).unwrap();
        assert_eq!(later, Unfit::LicenceExpires(d("2027-01-03")));
        assert_eq!(later.text(), "licence expires 3 Jan 2027");
        // Crew slots do not look at the licence, but at the certifications they need.
        let crew = m.unfit_for(&needs(false, 20), d("2027-01-05")).unwrap();
        assert_eq!(crew.text(), "first_aid expires 3 Jan 2027");
        m.certification_expiry.clear();
        assert_eq!(m.unfit_for(&needs(false, 20), d("2027-01-05")), None);
        // Certification before licence before papers: the older reasons keep their order.
        m.captain_certified = false;
        assert_eq!(
            unfit(Some(&m), &needs(true, 8), d("2027-01-05")),
            Some(Unfit::NotCaptainCertified)
        );
        // A licence with no limit and no expiry limits nothing; a blank class reads `licence`.
        let open = CaptainLicence {
            class: " ".into(),
            max_passengers: Some(2),
            expires: None,
        };
        assert_eq!(open.name(), "licence");
    }
}
