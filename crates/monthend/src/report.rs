//! The monthly revenue report: charters of the month (by the date index, one query per day),
//! the workbook, the upload that replaces that month's file, and sharing with ops.

use std::collections::HashMap;

use dispatch_core::domain::{CrewId, Month};
use dispatch_mailer::XLSX;
use dispatch_reporting::prior::prior_columns;
use dispatch_reporting::revenue::{is_reportable, RevenueReport};

use crate::context::MonthContext;
use crate::error::MonthError;
use crate::ports::StoredFile;

/// The report's file name for a month, e.g. `Revenue 2024-05.xlsx` (also how the prior month's
/// workbook is found).
pub fn report_file_name(month: Month) -> String {
    format!("Revenue {month}.xlsx")
}

/// What a report run did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportOutcome {
    pub month: String,
    /// Charters on the month tab (`reportable_revenue > 0`).
    pub rows: usize,
    /// Charters of the month left out for having no reportable revenue (cancelled ones aside).
    pub without_revenue: usize,
    /// Cancelled charters of the month, left out.
    #[serde(default)]
    pub cancelled: usize,
    /// Stored records of the wrong shape (named in the log), not in the workbook.
    pub unreadable_records: usize,
    /// Charters of the month the workbook cannot hold, or whose records cannot be read (named,
    /// with why, on its `Left out` tab); the rest is written.
    #[serde(default)]
    pub left_out: Vec<dispatch_reporting::revenue::LeftOut>,
    /// Whether the prior month's workbook gave the column order.
    pub prior_order: bool,
    pub file: StoredFile,
    pub shared_with: Vec<String>,
    pub bytes: usize,
}

/// Builds, uploads and shares the month's workbook. `progress` hears each stage.
pub async fn run_report(
    ctx: &MonthContext,
    month: Month,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<ReportOutcome, MonthError> {
    progress(&format!("reading charters of {month} (one query per day)"));
    let listing = ctx
        .backend
        .charters
        .in_month(month)
        .await
        .map_err(MonthError::store(format!("reading charters of {month}")))?;
    for bad in &listing.skipped {
        tracing::warn!(%month, error = %bad, "charter record left out of the report");
    }
    let unreadable = crate::unreadable::left_out(&listing.skipped);
    let charters = listing.items;
    let cancelled = charters
        .iter()
        .filter(|c| c.status == dispatch_core::domain::CharterStatus::Cancelled)
        .count();
    let rows = charters.iter().filter(|c| is_reportable(c)).count();
    progress(&format!(
        "{} charters, {rows} with revenue ({cancelled} cancelled left out)",
        charters.len()
    ));

    let roster = ctx
        .backend
        .roster
        .list()
        .await
        .map_err(MonthError::store("reading crew-roster for names"))?;
    let names: HashMap<CrewId, String> = roster
        .items
        .into_iter()
        .map(|m| (m.crew_id, m.name))
        .collect();

    let prior_month = month.previous();
    let prior = match ctx.files.read(&report_file_name(prior_month)).await? {
        None => None,
        Some(bytes) => match prior_columns(&bytes, Some(&prior_month.title())) {
            Ok(cols) => Some(cols),
            Err(e) => {
                tracing::warn!(%month, error = %e, "prior month's workbook unreadable; default column order");
                None
            }
        },
    };

    progress(&format!("writing the workbook ({rows} rows)"));
    let prior_order = prior.is_some();
    let total = charters.len();
    let mut last_said = 0;
    let generated_at = chrono::Utc::now();
    let mut write = || {
        RevenueReport::new(month, &names)
            .titled(&ctx.from_name, generated_at)
            .prior_columns(prior.as_deref())
            .unreadable(&unreadable)
            .workbook_leaving_out(&charters, &mut |done, all| {
                // Big months: a line every 10,000 rows.
                if all >= 10_000 && (done == all || done >= last_said + 10_000) {
                    last_said = done;
                    progress(&format!("{done} of {all} rows written"));
                }
            })
    };
    // CPU work: off the async worker threads where the runtime allows it.
    let written = if tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::MultiThread
    {
        tokio::task::block_in_place(write)?
    } else {
        write()?
    };
    for l in &written.left_out {
        tracing::error!(%month, charter_id = %l.charter_id, "charter left out of the report: {}", l.why);
    }
    let (bytes, mut left_out) = (written.bytes, written.left_out);
    let rows = rows - left_out.len();
    let unwritable = left_out.len();
    left_out.extend(unreadable);
    let name = report_file_name(month);
    progress(&format!(
        "uploading {name} ({} KB) to {}",
        bytes.len() / 1024,
        ctx.files.describe()
    ));
    let file = ctx.files.put(&name, XLSX, &bytes).await?;
    if !ctx.ops.is_empty() {
        progress(&format!("sharing with {} ops addresses", ctx.ops.len()));
        ctx.files.share(&file, &ctx.ops).await?;
    }
    tracing::info!(%month, rows, file = %file.id, "monthly report stored");
    Ok(ReportOutcome {
        month: month.to_string(),
        rows,
        without_revenue: total - rows - unwritable - cancelled,
        cancelled,
        left_out,
        unreadable_records: listing.skipped.len(),
        prior_order,
        file,
        shared_with: ctx.ops.iter().map(|e| e.as_str().to_string()).collect(),
        bytes: bytes.len(),
    })
}
