//! The ops board: `GET /ops/{token}`, a read-only page of the next 30 days for a link of scope
//! `ops` (mailed to `ops_emails` with every escalation; `dispatch ops link` prints a fresh one).
//! The charters that need attention come first, with the names to call; then every charter by
//! date with its state, whom we wait on and until when. Any bad link gets the crew page's 403.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dispatch_core::domain::CharterDate;
use dispatch_core::zone::{format_date, BusinessZone};

use crate::overview::Overview;
use crate::reconcile::Cascade;
use crate::web::{esc, html_page, invalid_link, path_token, unavailable, AppState};

/// Days the board shows, today included.
pub const BOARD_DAYS: u32 = 30;

impl Cascade {
    /// A fresh link to the ops board, valid for the page-link time (`link_ttl`).
    pub fn ops_link(&self, now: DateTime<Utc>) -> String {
        let token = self.links.issue_ops(now, self.cfg.link_ttl);
        format!("{}/ops/{token}", self.cfg.public_url.trim_end_matches('/'))
    }

    /// The board's charters: from `today` for [`BOARD_DAYS`], those needing attention first.
    pub async fn board(&self, today: CharterDate) -> Result<Vec<Overview>, crate::CascadeError> {
        let last = today
            .naive()
            .checked_add_days(chrono::Days::new(u64::from(BOARD_DAYS - 1)))
            .map(CharterDate::from_naive)
            .unwrap_or(today);
        let mut all = self.overviews(today, last).await?;
        // Stable: by date within each group.
        all.sort_by_key(|o| !o.needs_attention());
        Ok(all)
    }
}

fn card(zone: &BusinessZone, o: &Overview) -> String {
    let names = |v: &[String]| if v.is_empty() { "-".to_string() } else { esc(&v.join(", ")) };
    let crew: Vec<String> = o.crew.iter().map(|p| p.name.clone()).collect();
    let mut lines = vec![
        format!(
            "<li>Captain: {}</li>",
            o.captain.as_ref().map_or("-".to_string(), |p| esc(&p.name))
        ),
        format!(
            "<li>Crew: {} ({} of {} needed) · {} guests</li>",
            names(&crew),
            o.crew.len(),
            o.crew_needed,
            o.guest_count
        ),
    ];
    for w in &o.waiting {
        lines.push(format!(
            "<li class=\"waiting\">Waiting on {} ({}) until {}{}</li>",
            esc(&w.who.name),
            esc(&w.role),
            zone.format_time(w.until),
            if w.overdue { " — overdue, the next sweep asks the next person" } else { "" }
        ));
    }
    let attention: String = o
        .attention
        .iter()
        .map(|a| format!("<li class=\"why\">{}</li>", esc(a)))
        .collect();
    format!(
        "<section class=\"charter{cls}\" data-charter-id=\"{id}\"><h3>{date} · {vessel} · {status}</h3>{att}<ul>{lines}</ul><p><small>{id}</small></p></section>",
        cls = if o.needs_attention() { " attention" } else { "" },
        id = o.charter_id,
        date = format_date(o.charter_date),
        vessel = esc(&o.vessel),
        status = o.status.as_str(),
        att = if attention.is_empty() { String::new() } else { format!("<ul class=\"attention\"><li><b>Needs attention</b></li>{attention}</ul>") },
        lines = lines.join(""),
    )
}

/// The board's HTML body.
pub fn render(zone: &BusinessZone, today: CharterDate, now: DateTime<Utc>, board: &[Overview]) -> String {
    let (attention, rest): (Vec<&Overview>, Vec<&Overview>) =
        board.iter().partition(|o| o.needs_attention());
    let list = |v: &[&Overview]| v.iter().map(|o| card(zone, o)).collect::<String>();
    format!(
        "<p>{n} charters from {today} for {BOARD_DAYS} days · as of {now}</p>\
         <h2 id=\"needs-attention\">Needs attention ({a})</h2>{att}\
         <h2 id=\"by-date\">By date</h2>{rest}\
         <p><small>Read-only. Act with <code>dispatch charter assign|unassign|reoffer|cancel ID</code>. Do not forward this link.</small></p>\
         <style>section.attention{{border-color:#c33;background:#fff6f6}}ul.attention{{color:#a11}}</style>",
        n = board.len(),
        today = format_date(today),
        now = zone.format_time(now),
        a = attention.len(),
        att = if attention.is_empty() { "<p>Nothing needs attention.</p>".to_string() } else { list(&attention) },
        rest = if rest.is_empty() { "<p>No other charters.</p>".to_string() } else { list(&rest) },
    )
}

/// `GET /ops/{token}`.
pub(crate) async fn board(
    State(st): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(token) = path_token(token) else {
        tracing::info!("ops board: link refused (not a token)");
        return invalid_link();
    };
    let now = Utc::now();
    if let Err(e) = st.cascade.links.verify_ops(&token, now) {
        tracing::info!(reason = %e, "ops board: link refused");
        return invalid_link();
    }
    let zone = &st.cascade.cfg.zone;
    let today = zone.today(now);
    match st.cascade.board(today).await {
        Ok(b) => html_page("Ops board", &render(zone, today, now, &b)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "ops board failed");
            unavailable()
        }
    }
}
