//! A crew member as kept in the `crew-roster` table.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

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
        })
    }

    pub fn to_item(&self) -> Item {
        Writer::new()
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
            .build()
    }

    pub fn is_available(&self, date: CharterDate) -> bool {
        self.available_dates.contains(&date)
    }

    pub fn has_certification(&self, name: &str) -> bool {
        self.certifications.contains(&normalize_certification(name))
    }
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
