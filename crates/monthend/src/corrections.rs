//! Corrected statements: a charter added (or changed) after a month's statements went out
//! changes what a member's statement would say. Each statement sent records a digest of its
//! content (`statement#<month>#<crew>#digest#<hex>`, an idempotency record); a member whose
//! statement was sent and whose current content has no such record is out of date. `statements
//! --corrections` sends each of them a "Corrected statement" (a new workbook, the same
//! recipients and CC) under the key of the new digest, so each distinct content is sent once,
//! whatever retries or repeated runs happen.

use dispatch_core::domain::Month;
use dispatch_core::idempotency::{run_once, Once, OnceError};

use crate::context::MonthContext;
use crate::digests::{digest, digest_key, done, kept};
use crate::error::MonthError;
use crate::recipients::statement_key;
use crate::statements::{plan, send_one, Planned};

/// Whether the statement of `p` went out before and no longer says what was sent.
pub async fn out_of_date(
    ctx: &MonthContext,
    month: Month,
    p: &Planned,
) -> Result<bool, MonthError> {
    if p.problem.is_some() || !done(ctx, &statement_key(month, &p.statement.crew_id)).await? {
        return Ok(false);
    }
    Ok(!done(ctx, &digest_key(month, &p.statement, &digest(&p.statement))).await?)
}

/// What a corrections run did, by crew id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorrectionsOutcome {
    pub sent: Vec<String>,
    pub up_to_date: usize,
    pub not_sent: Vec<(String, String)>,
}

/// Sends a corrected statement to every member whose sent statement is out of date, once per
/// distinct content.
pub async fn send_corrections(
    ctx: &MonthContext,
    month: Month,
) -> Result<CorrectionsOutcome, MonthError> {
    let mut out = CorrectionsOutcome::default();
    for mut p in plan(ctx, month).await? {
        if !out_of_date(ctx, month, &p).await? {
            out.up_to_date += 1;
            continue;
        }
        let id = p.statement.crew_id.to_string();
        let d = digest(&p.statement);
        let key = digest_key(month, &p.statement, &d);
        p.subject = format!("Corrected: {}", p.subject);
        let payload = serde_json::json!({ "month": month.to_string(), "crew_id": id });
        let mail_key = format!("{key}#corrected");
        let sent = run_once(
            ctx.backend.idempotency.as_ref(),
            &key,
            &payload,
            kept(ctx),
            || send_one(ctx, &mail_key, &p, true),
        )
        .await;
        match sent {
            Ok(Once::Ran(mail)) => {
                tracing::info!(%month, crew_id = %id, %mail, digest = %d, "corrected statement sent");
                out.sent.push(id);
            }
            Ok(Once::AlreadyDone(_)) => out.up_to_date += 1,
            Ok(Once::InProgress { until }) => out
                .not_sent
                .push((id, format!("another run is sending it (until {until})"))),
            Err(OnceError::Work(e)) => out.not_sent.push((id, e.to_string())),
            Err(e) => out.not_sent.push((id, e.to_string())),
        }
    }
    Ok(out)
}
