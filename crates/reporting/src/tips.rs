//! The tip split: a charter's tips shared equally among captain and crew, exactly.
//!
//! Pure arithmetic on [`Money`]; no rounding ever loses or invents a cent.

use dispatch_core::domain::{CrewId, Money};
use rust_decimal::Decimal;

/// Splits `total` equally among `people` (captain first, then crew in list order).
///
/// The amount is divided in its smallest unit: whole cents for ordinary amounts. The leftover
/// units after the equal division are handed out one each, starting with the first person, so
/// the shares always add up to `total` exactly and differ by at most one unit.
///
/// Deliberate edge cases:
/// - no people → an empty vector (nobody to pay; the caller decides what to do with the tips);
/// - a **negative** total (a refunded or charged-back tip) is split the same way: every share is
///   negative or zero, and the first people carry the extra negative cent;
/// - a total with **sub-cent** precision (e.g. `0.125`, seen in imported data) is split in its own
///   smallest unit (here a tenth of a cent) rather than rounded, so the shares still add up to the
///   total exactly; nothing is silently dropped.
/// - duplicates in `people` are kept: a person listed twice receives two shares.
pub fn split_tips(total: Money, people: &[CrewId]) -> Vec<(CrewId, Money)> {
    if people.is_empty() {
        return Vec::new();
    }
    let mut d = total.decimal();
    let scale = d.scale().max(2);
    d.rescale(scale);
    let units = d.mantissa();
    let n = people.len() as i128;
    let base = units / n; // truncates toward zero
    let rem = units % n; // same sign as `units`
    let extra_count = rem.unsigned_abs() as usize;
    let step = rem.signum();
    people
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let share = if i < extra_count { base + step } else { base };
            (
                id.clone(),
                Money::from_decimal(Decimal::from_i128_with_scale(share, scale)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(n: usize) -> Vec<CrewId> {
        (0..n)
            .map(|i| CrewId::parse(&format!("crew-{i:04}")).expect("valid test id"))
            .collect()
    }

    fn sum(shares: &[(CrewId, Money)]) -> Decimal {
        shares.iter().map(|(_, m)| m.decimal()).sum()
    }

    #[test]
    fn leftover_cents_go_to_the_first_people() {
        let shares = split_tips(Money::from_cents(1000), &ids(3));
        let cents: Vec<_> = shares.iter().map(|(_, m)| m.to_string()).collect();
        assert_eq!(cents, ["3.34", "3.33", "3.33"]);
        assert_eq!(shares[0].0.as_str(), "crew-0000");
    }

    #[test]
    fn no_people_no_shares() {
        assert!(split_tips(Money::from_cents(500), &[]).is_empty());
    }

    #[test]
    fn negative_total_is_split_with_the_extra_cent_first() {
        let shares = split_tips(Money::from_cents(-100), &ids(3));
        let v: Vec<_> = shares.iter().map(|(_, m)| m.to_string()).collect();
        assert_eq!(v, ["-0.34", "-0.33", "-0.33"]);
    }

    #[test]
    fn sub_cent_total_is_split_in_its_own_unit() {
        let total = Money::parse("0.125").expect("valid");
        let shares = split_tips(total, &ids(2));
        assert_eq!(sum(&shares), total.decimal());
        assert_eq!(shares[0].1, Money::parse("0.063").expect("valid"));
    }

    proptest! {
        #[test]
        fn shares_add_up_differ_by_one_unit_and_are_deterministic(
            cents in -10_000_000i64..10_000_000, n in 1usize..40,
        ) {
            let people = ids(n);
            let total = Money::from_cents(cents);
            let shares = split_tips(total, &people);
            prop_assert_eq!(shares.len(), n);
            prop_assert_eq!(sum(&shares), total.decimal());
            let max = shares.iter().map(|(_, m)| m.decimal()).max().expect("n >= 1");
            let min = shares.iter().map(|(_, m)| m.decimal()).min().expect("n >= 1");
            prop_assert!(max - min <= Decimal::new(1, 2));
            prop_assert_eq!(&shares, &split_tips(total, &people));
            let order: Vec<_> = shares.iter().map(|(id, _)| id.clone()).collect();
            prop_assert_eq!(order, people);
        }
    }
}
