//! Which month a job or command means (`YYYY-MM`, or `previous` as the month-end schedule sends
//! it) and whether it has ended: the calendar rules of month-end, pure and tested here, apart from
//! the I/O of the jobs that use them.

use chrono::Datelike;
use dispatch_core::domain::Month;

use crate::error::MonthError;

/// A job payload's month: `YYYY-MM`, or `previous` (the month before `now`, UTC) as the
/// month-end schedule sends it.
pub fn resolve_month(raw: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Month, MonthError> {
    match raw.trim() {
        "previous" => {
            let this = Month::new(now.year(), now.month())
                .ok_or_else(|| MonthError::Input(format!("no month for {now}")))?;
            Ok(this.previous())
        }
        other => Month::parse(other).map_err(|e| {
            MonthError::Input(format!("month `{other}`: {e} (use YYYY-MM or `previous`)"))
        }),
    }
}

/// Refuses statements for a month that has not ended at `now` (UTC): they would leave out the
/// charters still to come, and a statement is never sent twice for the same member and month.
/// `override_hint` says how to send them anyway (`--force`, or the job payload's `force`).
pub fn refuse_unended(
    month: Month,
    now: chrono::DateTime<chrono::Utc>,
    override_hint: &str,
) -> Result<(), MonthError> {
    let today = now.date_naive();
    let last = month.days().last().map(|d| d.naive());
    if last.is_some_and(|last| today <= last) {
        return Err(MonthError::Input(format!(
            "{month} has not ended yet (its last day is {}): statements sent now would miss its \
             remaining charters and are never sent again for that month; run them once the month \
             is over, or {override_hint}",
            last.map(|d| d.to_string()).unwrap_or_default()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_wait_for_the_month_to_end() {
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        let may = Month::parse("2024-05").unwrap();
        let e = refuse_unended(may, at("2024-05-01T08:00:00Z"), "pass --force").unwrap_err();
        assert!(e.to_string().contains("2024-05 has not ended yet"), "{e}");
        assert!(e.to_string().contains("2024-05-31"), "{e}");
        assert!(e.to_string().contains("--force"), "{e}");
        assert!(!e.is_retryable());
        assert!(refuse_unended(may, at("2024-05-31T23:59:00Z"), "x").is_err());
        assert!(refuse_unended(may, at("2024-06-01T00:00:00Z"), "x").is_ok());
        assert!(refuse_unended(may, at("2025-01-10T00:00:00Z"), "x").is_ok());
        assert!(refuse_unended(
            Month::parse("2024-06").unwrap(),
            at("2024-05-20T00:00:00Z"),
            "x"
        )
        .is_err());
    }

    #[test]
    fn previous_month_crosses_the_year() {
        let jan = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            resolve_month("previous", jan).unwrap().to_string(),
            "2024-12"
        );
        assert_eq!(
            resolve_month("2024-05", jan).unwrap().to_string(),
            "2024-05"
        );
        let e = resolve_month("May", jan).unwrap_err();
        assert!(e.to_string().contains("YYYY-MM"), "{e}");
        assert!(!e.is_retryable());
    }
}
