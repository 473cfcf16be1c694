//! The condition the accept transaction puts on the member's roster item (DynamoDB): built from
//! the item as read, it holds only while the member still meets the slot's rules, so a roster
//! change between the read and the commit cancels the transaction.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, ConditionCheck};

use super::convert::{from_sdk, n, s};
use crate::domain::{
    crew_attr, licence_attr, normalize_certification, unfit, CharterDate, CrewId, CrewMember,
    SlotNeeds, Unfit,
};
use crate::StoreError;

/// The member's item as read (`raw`, `None`: not on the roster) judged by [`unfit`] for `needs` on
/// `date`; if they fit, the condition check on `table` that keeps them so until the transaction
/// commits: the item exists, is active, has `captain_certified` (captain) and each certification
/// the slot needs (under its stored spelling), a captain's licence that is absent or covers the
/// guests and is good on `date`, no needed certification that runs out before `date`, and the
/// date in `available_dates`. Public so a test can run it against an item changed after the read.
pub fn roster_condition(
    table: &str,
    crew: &CrewId,
    raw: Option<&HashMap<String, Av>>,
    needs: &SlotNeeds,
    date: CharterDate,
) -> Result<Result<ConditionCheck, Unfit>, StoreError> {
    let member = raw
        .cloned()
        .map(|i| CrewMember::from_item(&from_sdk(i)))
        .transpose()?;
    if let Some(why) = unfit(member.as_ref(), needs, date) {
        return Ok(Err(why));
    }
    let stored: Vec<String> = match raw.and_then(|i| i.get(crew_attr::CERTIFICATIONS)) {
        Some(Av::Ss(v)) => v.clone(),
        Some(Av::L(v)) => v.iter().filter_map(|x| x.as_s().ok().cloned()).collect(),
        _ => Vec::new(),
    };
    let mut cond = vec![
        "attribute_exists(#id)".to_string(),
        "(attribute_not_exists(#active) OR #active = :yes)".to_string(),
        "contains(#dates, :date)".to_string(),
    ];
    let mut check = ConditionCheck::builder()
        .table_name(table)
        .key(crew_attr::CREW_ID, s(crew.as_str()))
        .expression_attribute_names("#id", crew_attr::CREW_ID)
        .expression_attribute_names("#active", crew_attr::ACTIVE)
        .expression_attribute_names("#dates", crew_attr::AVAILABLE_DATES)
        .expression_attribute_values(":yes", Av::Bool(true))
        .expression_attribute_values(":date", s(date.to_string()));
    if needs.captain {
        cond.push("#captain = :yes".into());
        check = check.expression_attribute_names("#captain", crew_attr::CAPTAIN_CERTIFIED);
    }
    for (i, want) in needs.certifications.iter().enumerate() {
        // `unfit` found it, so some stored spelling normalizes to it.
        let Some(as_stored) = stored.iter().find(|c| normalize_certification(c) == *want) else {
            return Ok(Err(Unfit::MissingCertification(want.clone())));
        };
        cond.push(format!("contains(#certs, :cert{i})"));
        check = check
            .expression_attribute_names("#certs", crew_attr::CERTIFICATIONS)
            .expression_attribute_values(format!(":cert{i}"), s(as_stored));
    }
    let raw_map = |name: &str| match raw.and_then(|i| i.get(name)) {
        Some(Av::M(m)) => Some(m.clone()),
        _ => None,
    };
    let canonical_date = |v: &Av| {
        v.as_s()
            .is_ok_and(|t| CharterDate::parse(t).is_ok_and(|d| d.to_string() == *t))
    };
    if needs.captain {
        // The licence is absent, or covers the guests and is good on the date. A part not
        // stored the way this code writes it (a number as text, a date with spaces) is held
        // to the value read instead, which `unfit` judged above.
        let licence = raw_map(crew_attr::CAPTAIN_LICENCE).unwrap_or_default();
        let max = match licence.get(licence_attr::MAX_PASSENGERS) {
            Some(v @ Av::S(_)) => {
                check = check.expression_attribute_values(":lic_max", v.clone());
                "#lic.#max = :lic_max"
            }
            _ => "(attribute_not_exists(#lic.#max) OR #lic.#max >= :guests)",
        };
        let exp = match licence.get(licence_attr::EXPIRES) {
            Some(v) if !canonical_date(v) => {
                check = check.expression_attribute_values(":lic_exp", v.clone());
                "#lic.#exp = :lic_exp"
            }
            _ => "(attribute_not_exists(#lic.#exp) OR #lic.#exp >= :date)",
        };
        cond.push(format!("(attribute_not_exists(#lic) OR ({max} AND {exp}))"));
        check = check
            .expression_attribute_names("#lic", crew_attr::CAPTAIN_LICENCE)
            .expression_attribute_names("#max", licence_attr::MAX_PASSENGERS)
            .expression_attribute_names("#exp", licence_attr::EXPIRES)
            .expression_attribute_values(":guests", n(needs.guests));
    }
    let expiry = raw_map(crew_attr::CERTIFICATION_EXPIRY).unwrap_or_default();
    for (i, want) in needs.certifications.iter().enumerate() {
        // Each needed certification has no expiry, or one on or after the date (under its
        // stored spelling, as for the certifications).
        let (as_stored, value) = expiry
            .iter()
            .find(|(k, _)| normalize_certification(k) == *want)
            .map(|(k, v)| (k.clone(), Some(v)))
            .unwrap_or_else(|| (want.clone(), None));
        check = check
            .expression_attribute_names("#cx", crew_attr::CERTIFICATION_EXPIRY)
            .expression_attribute_names(format!("#cx{i}"), as_stored);
        match value {
            Some(v) if !canonical_date(v) => {
                cond.push(format!("#cx.#cx{i} = :cx{i}"));
                check = check.expression_attribute_values(format!(":cx{i}"), v.clone());
            }
            _ => cond.push(format!(
                "(attribute_not_exists(#cx.#cx{i}) OR #cx.#cx{i} >= :date)"
            )),
        }
    }
    let check = check
        .condition_expression(cond.join(" AND "))
        .build()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(Ok(check))
}
