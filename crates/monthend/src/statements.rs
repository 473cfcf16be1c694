//! Crew statements: one workbook per member with charters in the month, mailed to the roster
//! address plus whoever else had last month's statement, CC the auditor — at most once per member
//! and month, whatever retries or replays happen (each send is a `run_once` on
//! `statement#<month>#<crew_id>`).

use std::collections::{BTreeSet, HashMap};

use dispatch_core::domain::{CrewId, CrewMember, EmailAddress, Month};
use dispatch_core::idempotency::{run_once, Once, OnceError};
use dispatch_mailer::{Attachment, Mail, XLSX};
use dispatch_reporting::statement::{statement_subject, statements_for_month, Statement};
use dispatch_reporting::statement_book::{statement_file_name, statement_workbook};

use crate::context::MonthContext;
use crate::error::MonthError;
use crate::recipients::statement_key;

/// One member's statement as it would be sent.
#[derive(Debug, Clone)]
pub struct Planned {
    pub statement: Statement,
    pub subject: String,
    pub to: Vec<EmailAddress>,
    pub cc: Vec<EmailAddress>,
    /// Why it cannot be sent (e.g. the member is not on the roster).
    pub problem: Option<String>,
}

impl Planned {
    /// One line for `--dry-run` and logs (ids and addresses, no guest names).
    pub fn line(&self) -> String {
        let s = &self.statement;
        let join = |v: &[EmailAddress]| {
            v.iter()
                .map(EmailAddress::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.problem {
            Some(p) => format!("{}  {}  NOT SENT: {p}", s.crew_id, s.name),
            None => format!(
                "{}  {}  {} charters, share {}  to {}{}  subject \"{}\"",
                s.crew_id,
                s.name,
                s.lines.len(),
                s.total_share,
                join(&self.to),
                if self.cc.is_empty() {
                    String::new()
                } else {
                    format!("  cc {}", join(&self.cc))
                },
                self.subject
            ),
        }
    }
}

/// Who gets what for `month`, without sending anything.
pub async fn plan(ctx: &MonthContext, month: Month) -> Result<Vec<Planned>, MonthError> {
    Ok(plan_naming_left_out(ctx, month).await?.0)
}

/// [`plan`], and the month's charters whose records cannot be read (left out of every
/// statement, named so that someone repairs them and sends corrections).
pub async fn plan_naming_left_out(
    ctx: &MonthContext,
    month: Month,
) -> Result<(Vec<Planned>, Vec<dispatch_reporting::revenue::LeftOut>), MonthError> {
    let charters = ctx
        .backend
        .charters
        .in_month(month)
        .await
        .map_err(MonthError::store(format!("reading charters of {month}")))?;
    for bad in &charters.skipped {
        tracing::warn!(%month, error = %bad, "charter record left out of the statements");
    }
    let left_out = crate::unreadable::left_out(&charters.skipped);
    let roster = ctx
        .backend
        .roster
        .list()
        .await
        .map_err(MonthError::store("reading crew-roster"))?
        .items;
    let by_id: HashMap<&CrewId, &CrewMember> = roster.iter().map(|m| (&m.crew_id, m)).collect();
    let mut out = Vec::new();
    for statement in statements_for_month(&charters.items, &roster, month) {
        let subject = statement_subject(&statement.name, month);
        let Some(member) = by_id.get(&statement.crew_id) else {
            out.push(Planned {
                problem: Some(format!(
                    "{} is not on the roster, so there is no address: add them (dispatch roster sync), then run statements again",
                    statement.crew_id
                )),
                statement,
                subject,
                to: vec![],
                cc: vec![],
            });
            continue;
        };
        let prior_subject = statement_subject(&member.name, month.previous());
        let prior = ctx
            .recipients
            .recipients(&member.crew_id, month.previous(), &prior_subject)
            .await?;
        let cc: Vec<EmailAddress> = ctx.auditor.iter().cloned().collect();
        let mut to = vec![member.email.clone()];
        let skip: BTreeSet<&str> = cc
            .iter()
            .chain([&ctx.from, &member.email])
            .map(EmailAddress::as_str)
            .collect();
        to.extend(prior.into_iter().filter(|e| !skip.contains(e.as_str())));
        out.push(Planned {
            statement,
            subject,
            to,
            cc,
            problem: None,
        });
    }
    Ok((out, left_out))
}

/// What a statements run did, by crew id.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatementsOutcome {
    pub month: String,
    pub sent: Vec<String>,
    /// Sent by an earlier run (the idempotency store remembered).
    pub already_sent: Vec<String>,
    /// Not sent, with the reason.
    pub not_sent: Vec<(String, String)>,
    /// Charters of the month whose records cannot be read, so no statement counts them.
    #[serde(default)]
    pub left_out: Vec<dispatch_reporting::revenue::LeftOut>,
}

impl StatementsOutcome {
    pub fn summary(&self) -> String {
        format!(
            "statements for {}: {} sent, {} already sent earlier, {} not sent",
            self.month,
            self.sent.len(),
            self.already_sent.len(),
            self.not_sent.len()
        )
    }
}

/// Sends every statement of `month` not sent before. A member whose send fails does not stop the
/// others; the error returned afterwards says whether a retry can help (sent ones stay sent).
pub async fn send(ctx: &MonthContext, month: Month) -> Result<StatementsOutcome, MonthError> {
    let (planned, left_out) = plan_naming_left_out(ctx, month).await?;
    let mut out = StatementsOutcome {
        month: month.to_string(),
        left_out,
        ..Default::default()
    };
    let mut retry = false;
    for p in planned {
        let id = p.statement.crew_id.to_string();
        if let Some(problem) = p.problem {
            tracing::error!(%month, crew_id = %id, "statement not sent: {problem}");
            out.not_sent.push((id, problem));
            continue;
        }
        let key = statement_key(month, &p.statement.crew_id);
        let payload = serde_json::json!({ "month": month.to_string(), "crew_id": id });
        let result = run_once(
            ctx.backend.idempotency.as_ref(),
            &key,
            &payload,
            ctx.idem,
            || send_one(ctx, &key, &p, false),
        )
        .await;
        match result {
            Ok(Once::Ran(mail_id)) => {
                tracing::info!(%month, crew_id = %id, mail = %mail_id, "statement sent");
                if let Err(e) =
                    crate::digests::record_sent(ctx, month, &p.statement, &mail_id).await
                {
                    tracing::error!(%month, crew_id = %id, error = %e, "statement sent, but what it said was not recorded: `statements --corrections` may send it again as a correction");
                }
                out.sent.push(id);
            }
            Ok(Once::AlreadyDone(_)) => out.already_sent.push(id),
            Ok(Once::InProgress { until }) => {
                retry = true;
                out.not_sent.push((
                    id,
                    format!("another worker is sending it (claim until {until})"),
                ));
            }
            Err(OnceError::Work(e)) => {
                retry |= e.is_retryable();
                tracing::error!(%month, crew_id = %id, error = %e, "statement not sent");
                out.not_sent.push((id, e.to_string()));
            }
            Err(e) => {
                retry = true;
                tracing::error!(%month, crew_id = %id, error = %e, "statement not sent");
                out.not_sent.push((id, e.to_string()));
            }
        }
    }
    if out.not_sent.is_empty() {
        return Ok(out);
    }
    let detail = out
        .not_sent
        .iter()
        .map(|(id, why)| format!("{id}: {why}"))
        .collect::<Vec<_>>()
        .join("; ");
    let message = format!("{} ({detail})", out.summary());
    Err(if retry {
        MonthError::Files {
            message,
            retryable: true,
        }
    } else {
        MonthError::Input(message)
    })
}

/// Sends one member's statement (`corrected`: it replaces one sent earlier) as mail `key`.
pub(crate) async fn send_one(
    ctx: &MonthContext,
    key: &str,
    p: &Planned,
    corrected: bool,
) -> Result<String, MonthError> {
    let s = p.statement.clone();
    let (bytes, filename) = tokio::task::spawn_blocking(move || {
        statement_workbook(&s).map(|b| (b, statement_file_name(&s)))
    })
    .await
    .map_err(|e| MonthError::Input(format!("writing the statement workbook stopped: {e}")))??;
    let s = &p.statement;
    let mail = Mail {
        key: key.to_string(),
        from_name: ctx.from_name.clone(),
        from: ctx.from.clone(),
        to: p.to.clone(),
        cc: p.cc.clone(),
        subject: p.subject.clone(),
        text: format!(
            "Hello {},\n\n{}Attached is your crew statement for {}: {} charter(s), your share of the tips {}.\n\nQuestions? Reply to this mail.\n\n{}\n",
            s.name,
            if corrected {
                "This corrects the statement we sent you earlier for this month: please use this one.\n\n"
            } else {
                ""
            },
            s.month.title(),
            s.lines.len(),
            s.total_share,
            ctx.from_name
        ),
        attachments: vec![Attachment {
            filename,
            content_type: XLSX.into(),
            bytes,
        }],
    };
    Ok(ctx.mailer.send(&mail).await?)
}
