//! Money as an exact decimal. Never `f64`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ids::ParseError;

/// An amount of money in the business's currency, exact to the cent or finer.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses a decimal such as `1234.50` (a DynamoDB `N` or typed input); no exponent, no `$`.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if t.contains(['e', 'E']) {
            return Err(ParseError::new(
                "amount",
                s,
                "scientific notation is not accepted",
            ));
        }
        Decimal::from_str(t)
            .map(Self)
            .map_err(|_| ParseError::new("amount", s, "expected a decimal number such as 1234.50"))
    }
    pub fn from_decimal(d: Decimal) -> Self {
        Self(d)
    }
    /// Whole cents, e.g. `Money::from_cents(1050)` is 10.50.
    pub fn from_cents(cents: i64) -> Self {
        Self(Decimal::new(cents, 2))
    }
    pub fn decimal(&self) -> Decimal {
        self.0
    }
    pub fn is_positive(&self) -> bool {
        self.0 > Decimal::ZERO
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Normalized, but never fewer than two decimals: 1250 → 1250.00, 0.125 → 0.125.
        let mut d = self.0.normalize();
        if d.scale() < 2 {
            d.rescale(2);
        }
        write!(f, "{d}")
    }
}
impl TryFrom<String> for Money {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        Self::parse(&s)
    }
}
impl From<Money> for String {
    fn from(m: Money) -> String {
        m.to_string()
    }
}
impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        let a = Money::parse("0.1").unwrap();
        let b = Money::parse("0.2").unwrap();
        assert_eq!(a + b, Money::parse("0.3").unwrap());
        assert_eq!(Money::parse("1250").unwrap().to_string(), "1250.00");
        assert_eq!(Money::parse("0.125").unwrap().to_string(), "0.125");
        assert!(Money::parse("$12").is_err());
        assert!(Money::parse("1e3").is_err());
        assert_eq!(Money::from_cents(1050), Money::parse("10.5").unwrap());
    }
}
