//! A charter a workbook could not hold, and why: named by the revenue writer and by the error
//! that refuses a whole month (its own module, so neither imports the other); the
//! workbook's `Left out` tab that lists them is written with the workbook (`revenue`).

/// A charter the month tab could not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeftOut {
    pub charter_id: String,
    pub charter_date: String,
    pub why: String,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "charter {} on {}: {}",
            self.charter_id, self.charter_date, self.why
        )
    }
}
