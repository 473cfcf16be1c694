//! A crew member as kept in the `crew-roster` table.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::licence::{expiry_to_attr, expiry_words, read_expiry, CaptainLicence};
use super::{CharterDate, CrewId, EmailAddress};
use crate::item::{Item, ItemError, Reader, Writer};

/// Attribute names of the `crew-roster` table.
pub mod attr {
    pub const CREW_ID: &str = "crew_id";
    pub const NAME: &str = "name";
    pub const EMAIL: &str = "email";
    pub const PHONE: &str = "phone";
    pub const CAPTAIN_CERTIFIED: &str = "captain_certified";
    pub const AVAILABLE_DATES: &str = "available_dates";
    pub const CERTIFICATIONS: &str = "certifications";
    pub const ACTIVE: &str = "active";
    pub const UPDATED_AT: &str = "updated_at";
    /// ISO 8601 UTC: the member's links issued before this time are void.
    pub const LINKS_NOT_BEFORE: &str = "links_not_before";
    /// M: `class` S, `max_passengers` N, `expires` S date ([`super::CaptainLicence`]).
    pub const CAPTAIN_LICENCE: &str = "captain_licence";
    /// M: certification name → S date, the last day it is good for.
    pub const CERTIFICATION_EXPIRY: &str = "certification_expiry";
}

/// A member of the crew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrewMember {
    pub crew_id: CrewId,
    pub name: String,
    pub email: EmailAddress,
    pub phone: Option<String>,
    pub captain_certified: bool,
    pub available_dates: BTreeSet<CharterDate>,
    /// Lower-case certification names, e.g. `deckhand`, `first_aid`.
    pub certifications: BTreeSet<String>,
    /// Inactive members are never offered work. Absent means active.
    pub active: bool,
    pub updated_at: Option<String>,
    /// Links to this member issued before this time are void (`dispatch crew link --revoke`,
    /// "e-mail me a new link"). Only ever moves forward: imports and syncs keep it.
    pub links_not_before: Option<DateTime<Utc>>,
    /// The captain's licence, if the roster carries one: checked for the captain's slot only
    /// (guest count and expiry). Absent: only `captain_certified` counts, as before.
    pub captain_licence: Option<CaptainLicence>,
    /// The last day each certification is good for (normalized names). A certification without
    /// an entry never runs out.
    pub certification_expiry: BTreeMap<String, CharterDate>,
}

impl CrewMember {
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let r = Reader::new(item, &[attr::CREW_ID]);
        let crew_id = CrewId::parse(r.s(attr::CREW_ID)?)
            .map_err(|e| r.error(attr::CREW_ID, format!("is not valid: {}", e.why)))?;
        let email = EmailAddress::parse(r.s(attr::EMAIL)?)
            .map_err(|e| r.error(attr::EMAIL, format!("is not valid: {}", e.why)))?;
        let available_dates = r
            .opt_strings(attr::AVAILABLE_DATES)?
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                CharterDate::parse(s).map_err(|_| {
                    r.error(
                        attr::AVAILABLE_DATES,
                        format!("holds `{s}`, expected YYYY-MM-DD"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let certifications = r
            .opt_strings(attr::CERTIFICATIONS)?
            .unwrap_or_default()
            .into_iter()
            .map(normalize_certification)
            .filter(|c| !c.is_empty())
            .collect();
        Ok(Self {
            crew_id,
            name: r.opt_s(attr::NAME)?.unwrap_or_default().to_string(),
            email,
            phone: r.opt_s(attr::PHONE)?.map(str::to_string),
            captain_certified: r.opt_bool(attr::CAPTAIN_CERTIFIED)?.unwrap_or(false),
            available_dates,
            certifications,
            active: r.opt_bool(attr::ACTIVE)?.unwrap_or(true),
            updated_at: r.opt_s(attr::UPDATED_AT)?.map(str::to_string),
            links_not_before: r
                .opt_s(attr::LINKS_NOT_BEFORE)?
                .map(|s| {
                    DateTime::parse_from_rfc3339(s)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|_| {
                            r.error(
                                attr::LINKS_NOT_BEFORE,
                                format!("holds `{s}`, expected an ISO 8601 time"),
                            )
                        })
                })
                .transpose()?,
            captain_licence: CaptainLicence::read(&r, attr::CAPTAIN_LICENCE)?,
            certification_expiry: read_expiry(&r, attr::CERTIFICATION_EXPIRY)?,
        })
    }

    pub fn to_item(&self) -> Item {
        let mut item = Writer::new()
            .s(attr::CREW_ID, self.crew_id.as_str())
            .s(attr::NAME, &self.name)
            .s(attr::EMAIL, self.email.as_str())
            .opt_s(attr::PHONE, self.phone.as_deref())
            .bool(attr::CAPTAIN_CERTIFIED, self.captain_certified)
            .set(
                attr::AVAILABLE_DATES,
                self.available_dates.iter().map(|d| d.to_string()),
            )
            .set(
                attr::CERTIFICATIONS,
                self.certifications.iter().map(String::as_str),
            )
            .bool(attr::ACTIVE, self.active)
            .opt_s(attr::UPDATED_AT, self.updated_at.as_deref())
            .opt_s(
                attr::LINKS_NOT_BEFORE,
                self.links_not_before.map(|t| links_time(&t)),
            )
            .build();
        if let Some(l) = self.captain_licence.as_ref().filter(|l| !l.is_blank()) {
            item.insert(attr::CAPTAIN_LICENCE.into(), l.to_attr());
        }
        if !self.certification_expiry.is_empty() {
            item.insert(
                attr::CERTIFICATION_EXPIRY.into(),
                expiry_to_attr(&self.certification_expiry),
            );
        }
        item
    }

    /// Whether a link issued at `issued_at` was revoked ([`CrewMember::links_not_before`]).
    pub fn link_revoked(&self, issued_at: DateTime<Utc>) -> bool {
        self.links_not_before.is_some_and(|t| issued_at < t)
    }

    pub fn is_available(&self, date: CharterDate) -> bool {
        self.available_dates.contains(&date)
    }

    pub fn has_certification(&self, name: &str) -> bool {
        self.certifications.contains(&normalize_certification(name))
    }

    /// Why this member may not take a slot needing `needs` on `date`, checked in this order:
    /// active, certified for the slot, the captain's licence (covers the guests, good on the
    /// date), each needed certification held and good on the date, available that day. `None`:
    /// they may.
    pub fn unfit_for(&self, needs: &SlotNeeds, date: CharterDate) -> Option<Unfit> {
        if !self.active {
            return Some(Unfit::Inactive);
        }
        if needs.captain && !self.captain_certified {
            return Some(Unfit::NotCaptainCertified);
        }
        if let Some(l) = self.captain_licence.as_ref().filter(|_| needs.captain) {
            if let Some(expires) = l.expires.filter(|e| *e < date) {
                return Some(Unfit::LicenceExpires(expires));
            }
            if let Some(max) = l.max_passengers.filter(|m| *m < needs.guests) {
                return Some(Unfit::LicenceTooSmall {
                    licence: l.name(),
                    max_passengers: max,
                    guests: needs.guests,
                });
            }
        }
        if let Some(missing) = needs
            .certifications
            .iter()
            .find(|c| !self.certifications.contains(*c))
        {
            return Some(Unfit::MissingCertification(missing.clone()));
        }
        for c in &needs.certifications {
            if let Some(expires) = self.certification_expiry.get(c).filter(|e| **e < date) {
                return Some(Unfit::CertificationExpires(c.clone(), *expires));
            }
        }
        if !self.is_available(date) {
            return Some(Unfit::NotAvailable);
        }
        None
    }
}

/// What a slot asks of the member who takes it (the roster's part of the rules; being free
/// of other charters that day is the holds' part).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlotNeeds {
    /// The captain's slot: `captain_certified`.
    pub captain: bool,
    /// Certifications the slot needs, normalized ([`normalize_certification`]), e.g. `deckhand`.
    pub certifications: Vec<String>,
    /// Guests aboard the charter (the charter's `guest_count`): what a captain's licence must
    /// cover.
    pub guests: u32,
}

/// Why a member may not take a slot: the one rule the candidate choice, the accept transaction
/// and the planner's withdrawals all apply ([`CrewMember::unfit_for`], [`unfit`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unfit {
    /// No such member in `crew-roster` (any more).
    NotOnRoster,
    Inactive,
    /// The captain's slot, and `captain_certified` is not set.
    NotCaptainCertified,
    /// A certification the slot needs (normalized name).
    MissingCertification(String),
    /// The date is not in their `available_dates`.
    NotAvailable,
    /// The captain's licence runs out before the charter's date (its last good day).
    LicenceExpires(CharterDate),
    /// The captain's licence allows fewer guests than the charter has (`licence` is its name,
    /// e.g. `six-pack licence`).
    LicenceTooSmall {
        licence: String,
        max_passengers: u32,
        guests: u32,
    },
    /// A certification the slot needs runs out before the charter's date (name, last good day).
    CertificationExpires(String, CharterDate),
}

impl Unfit {
    /// A licence or certification that is too small or runs out: a reason said as it is
    /// ("six-pack licence: 8 guests"), not as a state of the member ("inactive").
    pub fn is_papers(&self) -> bool {
        matches!(
            self,
            Self::LicenceExpires(_) | Self::LicenceTooSmall { .. } | Self::CertificationExpires(..)
        )
    }

    /// Plain words for ops and the thread ("no longer …" is the caller's).
    pub fn text(&self) -> String {
        match self {
            Self::NotOnRoster => "not on the roster".into(),
            Self::Inactive => "inactive".into(),
            Self::NotCaptainCertified => "not captain certified".into(),
            Self::MissingCertification(c) => format!("not certified `{c}`"),
            Self::NotAvailable => "not available that day".into(),
            Self::LicenceExpires(d) => format!("licence expires {}", expiry_words(*d)),
            Self::LicenceTooSmall {
                licence, guests, ..
            } => format!("{licence}: {guests} guests"),
            Self::CertificationExpires(c, d) => format!("{c} expires {}", expiry_words(*d)),
        }
    }
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

/// [`CrewMember::unfit_for`] of a member who may have left the roster (`None`).
pub fn unfit(member: Option<&CrewMember>, needs: &SlotNeeds, date: CharterDate) -> Option<Unfit> {
    match member {
        None => Some(Unfit::NotOnRoster),
        Some(m) => m.unfit_for(needs, date),
    }
}

/// How `links_not_before` is written: RFC 3339 UTC to the second (`2027-06-05T10:00:00Z`), so
/// stored values compare as text in the order of time.
pub fn links_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `First Aid` → `first_aid`: how certifications are compared.
pub fn normalize_certification(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_dynamo::AttributeValue as AV;

    #[test]
    fn round_trip_and_defaults() {
        let m = CrewMember {
            crew_id: CrewId::parse("crew-1").unwrap(),
            name: "Ana".into(),
            email: EmailAddress::parse("ana@example.com").unwrap(),
            phone: None,
            captain_certified: true,
            available_dates: [CharterDate::parse("2024-05-03").unwrap()].into(),
            certifications: ["deckhand".to_string()].into(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: BTreeMap::new(),
        };
        assert_eq!(CrewMember::from_item(&m.to_item()).unwrap(), m);
        let mut item = m.to_item();
        item.remove(attr::ACTIVE);
        item.insert(
            attr::CERTIFICATIONS.into(),
            AV::Ss(vec!["First Aid".into()]),
        );
        let back = CrewMember::from_item(&item).unwrap();
        assert!(back.active);
        assert!(back.has_certification("first-aid"));
    }

    #[test]
    fn unfit_checks_active_then_certification_then_availability() {
        let day = CharterDate::parse("2024-05-03").unwrap();
        let other = CharterDate::parse("2024-05-04").unwrap();
        let mut m = CrewMember {
            crew_id: CrewId::parse("crew-1").unwrap(),
            name: "Ana".into(),
            email: EmailAddress::parse("ana@example.com").unwrap(),
            phone: None,
            captain_certified: true,
            available_dates: [day].into(),
            certifications: ["deckhand".to_string()].into(),
            active: true,
            updated_at: None,
            links_not_before: None,
            captain_licence: None,
            certification_expiry: BTreeMap::new(),
        };
        let captain = SlotNeeds {
            captain: true,
            certifications: vec![],
            guests: 4,
        };
        let crew = SlotNeeds {
            captain: false,
            certifications: vec!["deckhand".into(), "first_aid".into()],
            guests: 4,
        };
        assert_eq!(m.unfit_for(&captain, day), None);
        assert_eq!(m.unfit_for(&captain, other), Some(Unfit::NotAvailable));
        assert_eq!(
            m.unfit_for(&crew, day),
            Some(Unfit::MissingCertification("first_aid".into()))
        );
        m.captain_certified = false;
        assert_eq!(m.unfit_for(&captain, day), Some(Unfit::NotCaptainCertified));
        m.active = false;
        assert_eq!(m.unfit_for(&captain, day), Some(Unfit::Inactive));
        assert_eq!(unfit(None, &captain, day), Some(Unfit::NotOnRoster));
    }

    #[test]
    fn bad_date_is_named() {
        let mut item = Writer::new()
            .s("crew_id", "c9")
            .s("email", "c9@example.com")
            .build();
        item.insert(attr::AVAILABLE_DATES.into(), AV::Ss(vec!["May 3".into()]));
        let e = CrewMember::from_item(&item).unwrap_err();
        assert_eq!(e.attribute, "available_dates");
        assert_eq!(e.key, "crew_id=c9");
    }
}
