//! What a sent statement said, kept as a digest: each statement sent leaves a
//! `statement#<month>#<crew>#digest#<hex>` record (see `corrections`, which reads them to find
//! the statements a later change made out of date).

use dispatch_core::domain::Month;
use dispatch_core::idempotency::{payload_hash, run_once, IdempotencyConfig};
use dispatch_core::ports::IdempotencyStatus;
use dispatch_reporting::statement::Statement;

use crate::context::MonthContext;
use crate::error::MonthError;
use crate::recipients::statement_key;

/// How long a digest record is kept: long after anyone would correct a month.
const KEPT: std::time::Duration = std::time::Duration::from_secs(3 * 366 * 24 * 3600);

/// A digest of what a statement says: each charter (id, date, vessel, role, revenue, tips,
/// share), the total and the member's name.
pub fn digest(s: &Statement) -> String {
    let lines: Vec<serde_json::Value> = s
        .lines
        .iter()
        .map(|l| {
            serde_json::json!([
                l.charter_id.as_str(),
                l.date.to_string(),
                l.vessel,
                l.role.label(),
                l.charter_revenue.to_string(),
                l.tips_total.to_string(),
                l.share.to_string()
            ])
        })
        .collect();
    let content = serde_json::json!({
        "crew_id": s.crew_id.as_str(), "name": s.name, "month": s.month.to_string(),
        "lines": lines, "total": s.total_share.to_string(),
    });
    payload_hash(&content)[..16].to_string()
}

/// The key of the record that says the statement with `digest` was sent.
pub fn digest_key(month: Month, s: &Statement, digest: &str) -> String {
    format!("{}#digest#{digest}", statement_key(month, &s.crew_id))
}

pub(crate) fn kept(ctx: &MonthContext) -> IdempotencyConfig {
    IdempotencyConfig {
        expiry: KEPT,
        ..ctx.idem
    }
}

pub(crate) async fn done(ctx: &MonthContext, key: &str) -> Result<bool, MonthError> {
    let r = ctx
        .backend
        .idempotency
        .get(key)
        .await
        .map_err(MonthError::store(format!("reading {key}")))?;
    Ok(r.is_some_and(|r| {
        r.status == IdempotencyStatus::Completed && r.expires_at > chrono::Utc::now()
    }))
}

/// Records that statement `s` (just sent as mail `mail_id`) said what it says now.
pub async fn record_sent(
    ctx: &MonthContext,
    month: Month,
    s: &Statement,
    mail_id: &str,
) -> Result<(), MonthError> {
    let key = digest_key(month, s, &digest(s));
    let payload = serde_json::json!({ "month": month.to_string(), "crew_id": s.crew_id.as_str() });
    run_once(
        ctx.backend.idempotency.as_ref(),
        &key,
        &payload,
        kept(ctx),
        || async { Ok::<_, MonthError>(mail_id.to_string()) },
    )
    .await
    .map(|_| ())
    .map_err(|e| MonthError::Files {
        message: format!("recording {key}: {e}"),
        retryable: true,
    })
}
