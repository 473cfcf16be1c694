//! `dispatch dlq list|show|replay|discard`. Reading a DLQ does not consume it (a peek: on the
//! embedded queue nothing changes; on SQS a receive with a visibility timeout of 0). The dead
//! letters of one charter, for `charter show`, are in `dlq_charter`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;
use dispatch_core::ports::QueueId;
use dispatch_core::Backend;
use dispatch_ingest::dlq::{self, DeadLetter, ReplayFilter};

use crate::cli::table;

const DLQS: [QueueId; 5] = [
    QueueId::CascadeDlq,
    QueueId::ReportsDlq,
    QueueId::RosterDlq,
    QueueId::IngestDlq,
    QueueId::StreamFailures,
];

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Counts and a table of dead letters (they stay in the DLQ).
    List {
        /// One DLQ (cascade-dlq, reports-dlq, roster-dlq, ingest-dlq, stream-failures, or a
        /// source queue's name: cascade means cascade-dlq); default: all.
        #[arg(long)]
        queue: Option<String>,
        /// At most this many messages per queue.
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// One dead letter in full (it stays in the DLQ).
    Show {
        /// The message id from `dlq list` (the DLQ's, or the original one).
        id: String,
        #[arg(long)]
        queue: Option<String>,
    },
    /// Move dead letters back to their source queue (send first, then delete: never lost).
    Replay {
        /// The DLQ to replay (cascade-dlq, reports-dlq, roster-dlq, ingest-dlq, stream-failures,
        /// or a source queue's name).
        #[arg(long)]
        queue: String,
        /// Only messages of this job kind (e.g. monthly_report).
        #[arg(long)]
        kind: Option<String>,
        /// Only the message with this idempotency key.
        #[arg(long)]
        key: Option<String>,
        /// Only this message id (the DLQ's, or the original one `dlq list` shows).
        #[arg(long)]
        id: Option<String>,
        /// Show what would be replayed; move nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove one dead letter for good, after printing it; the reason and the message are kept
    /// in a `discarded` record (and the charter's thread, when it names a charter).
    Discard {
        /// The DLQ it is in (or its source queue's name).
        #[arg(long)]
        queue: String,
        /// Its message id (the DLQ's, or the original one `dlq list` shows).
        #[arg(long)]
        id: String,
        /// Why it is discarded, for whoever looks later (required).
        #[arg(long)]
        reason: String,
    },
}

/// The header of the plain layout of `dlq list`, its columns over [`plain_line`]'s fields.
fn plain_header() -> String {
    format!(
        "  {:<36}  {:<45} {:<16} {:<44} {:<11} {:<10} REASON",
        "MESSAGE", "ORIGINAL", "KIND", "KEY", "RECEIVES", "AGE"
    )
}

fn parse_dlq(name: &str) -> anyhow::Result<QueueId> {
    dlq::dlq_named(name).map_err(anyhow::Error::msg)
}

fn age(d: &DeadLetter) -> String {
    d.sent_at
        .map(|t| format!("{}m", (Utc::now() - t).num_minutes()))
        .unwrap_or_else(|| "-".into())
}

/// Why a letter is in its DLQ, for people.
fn reason(d: &DeadLetter) -> &str {
    d.reason
        .as_deref()
        .unwrap_or("(no reason recorded: moved by the redrive policy)")
}

/// One dead letter in the plain layout of `dlq list` (stdout not a terminal): padded fields on
/// one line. Stable: scripts and tests read it.
fn plain_line(d: &DeadLetter) -> String {
    format!(
        "  {}  original:{:<36} {:<16} {:<44} receives:{:<2} age:{:<6} {}",
        d.message_id,
        d.original_id.as_deref().unwrap_or("-"),
        d.kind.as_deref().unwrap_or("?"),
        d.key.as_deref().unwrap_or("?"),
        d.receive_count,
        age(d),
        reason(d)
    )
}

/// The dead letters of one DLQ on a terminal: the message id (kept whole, to copy into `dlq
/// show` or `--id`) with the original id under it, the job (kind and key), receives and age, and
/// the reason, wrapped to `width` (the terminal's when `None`).
fn terminal_table(letters: &[DeadLetter], width: Option<u16>) -> comfy_table::Table {
    let head = [
        "MESSAGE (original)",
        "JOB (kind, key)",
        "RECEIVES, AGE",
        "REASON",
    ];
    let mut t = table::for_people(&head, width);
    for d in letters {
        t.add_row(vec![
            format!(
                "{}\n({})",
                d.message_id,
                d.original_id.as_deref().unwrap_or("-")
            ),
            format!(
                "{}\n{}",
                d.kind.as_deref().unwrap_or("?"),
                d.key.as_deref().unwrap_or("?")
            ),
            format!("{}, {}", d.receive_count, age(d)),
            reason(d).to_string(),
        ]);
    }
    table::keep_whole(&mut t, &[0]);
    t
}

/// Runs a `dlq` command.
pub async fn run(backend: &Backend, cmd: DlqCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DlqCommand::List { queue, max } => {
            if max == 0 {
                bail!("--max 0 would list nothing: give at least 1 (default 100)");
            }
            let queues = match queue {
                Some(q) => vec![parse_dlq(&q)?],
                None => DLQS.to_vec(),
            };
            for q in queues {
                let held = backend.queues.depth(q).await.ok();
                let mut letters = dlq::list(backend.queues.as_ref(), q, max)
                    .await
                    .with_context(|| format!("listing {q}"))?;
                letters.truncate(max);
                match held.map(|d| d.visible + d.in_flight + d.delayed) {
                    Some(n) if n > letters.len() as u64 => println!(
                        "{q}: {} message(s) shown of {n} held (--max {max}; raise it to see more)",
                        letters.len()
                    ),
                    _ => println!("{q}: {} message(s)", letters.len()),
                }
                if table::stdout_is_terminal() {
                    if !letters.is_empty() {
                        println!("{}", terminal_table(&letters, None));
                    }
                } else if !letters.is_empty() {
                    println!("{}", plain_header());
                    for d in &letters {
                        println!("{}", plain_line(d));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DlqCommand::Show { id, queue } => {
            let queues = match queue {
                Some(q) => vec![parse_dlq(&q)?],
                None => DLQS.to_vec(),
            };
            for q in queues {
                let letters = dlq::list(backend.queues.as_ref(), q, usize::MAX).await?;
                if let Some(d) = letters
                    .into_iter()
                    .find(|d| d.message_id == id || d.original_id.as_deref() == Some(id.as_str()))
                {
                    println!("{}", full(q, &d));
                    return Ok(ExitCode::SUCCESS);
                }
            }
            bail!("no dead letter with id {id}: run `dispatch dlq list` to see the ids")
        }
        DlqCommand::Replay {
            queue,
            kind,
            key,
            id,
            dry_run,
        } => {
            let q = parse_dlq(&queue)?;
            if let Some(k) = kind.as_deref() {
                let known =
                    dispatch_core::domain::JobKind::parse(k).is_some() || k == "stream_record";
                if !known {
                    bail!(
                        "--kind `{k}` is not a job kind: use one of {}, stream_record",
                        dispatch_core::domain::JobKind::ALL
                            .map(|k| k.as_str())
                            .join(", ")
                    );
                }
            }
            let filter = ReplayFilter {
                kind,
                key,
                message_id: id,
            };
            let stream = dlq::StreamReplay {
                handler: crate::app::record_handler(backend),
                feed: Some(backend.feed.clone()),
                charters: Some(backend.charters.clone()),
            };
            let progress = |done: usize, total: usize| {
                eprint!("\rreplaying {done}/{total}");
                let _ = std::io::stderr().flush();
            };
            let report = dlq::replay(
                backend.queues.clone(),
                q,
                &filter,
                dry_run,
                Some(stream),
                &progress,
            )
            .await?;
            if !report.matched.is_empty() && !dry_run {
                eprintln!();
            }
            for d in &report.matched {
                let done = report.replayed_ids.contains(&d.message_id);
                println!(
                    "  {} {} {} {}",
                    match (dry_run, done) {
                        (true, _) => "would replay",
                        (false, true) => "replayed",
                        (false, false) => "NOT replayed",
                    },
                    d.message_id,
                    d.kind.as_deref().unwrap_or("?"),
                    d.key.as_deref().unwrap_or("?")
                );
            }
            println!(
                "{}: {} matched, {} replayed, {} failed, {} left in {q}",
                if dry_run { "dry run" } else { "replay" },
                report.matched.len(),
                report.replayed,
                report.failed.len(),
                report.left + report.failed.len() + if dry_run { report.matched.len() } else { 0 }
            );
            for (id, why) in &report.failed {
                eprintln!("  failed {id}: {why}");
            }
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        DlqCommand::Discard { queue, id, reason } => {
            super::dlq_discard::run(backend, parse_dlq(&queue)?, &id, &reason).await
        }
    }
}

/// One dead letter in full, as `dlq show` and `dlq discard` print it.
pub fn full(q: QueueId, d: &DeadLetter) -> String {
    let body = serde_json::from_str::<serde_json::Value>(&d.body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(d.body.clone());
    format!(
        "queue:    {q}\nid:       {}\noriginal: {}\nkind:     {}\nkey:      {}\nreceives: {}\nage:      {}\nreason:   {}\nbody:\n{body}",
        d.message_id,
        d.original_id.as_deref().unwrap_or("-"),
        d.kind.as_deref().unwrap_or("?"),
        d.key.as_deref().unwrap_or("?"),
        d.receive_count,
        age(d),
        d.reason.as_deref().unwrap_or("-"),
    )
}

/// `dispatch dlq replay` for exactly this message.
pub fn replay_command(queue: QueueId, d: &DeadLetter) -> String {
    format!("dispatch dlq replay --queue {queue} --id {}", d.message_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(reason: Option<&str>) -> DeadLetter {
        DeadLetter {
            message_id: "8f14e45f-ceea-467f-a2b1-1f0c6d4e5a77".into(),
            original_id: Some("orig-7f3a".into()),
            kind: Some("offer_send".into()),
            key: Some("offer#6e1c0f9a-0d7c-4f55-9b7e-3c1d2a4b5c6d#captain#1".into()),
            receive_count: 5,
            reason: reason.map(str::to_string),
            sent_at: None,
            body: "{}".into(),
        }
    }

    #[test]
    fn the_terminal_table_fits_the_width_and_the_plain_line_is_stable() {
        let letters = [
            letter(Some("Gmail said 503 Service Unavailable after 5 tries")),
            letter(None),
        ];
        for width in [80u16, 120] {
            let t = terminal_table(&letters, Some(width)).to_string();
            for line in t.lines() {
                assert!(
                    line.chars().count() <= width as usize,
                    "{width}: {line}\n{t}"
                );
            }
            assert!(
                t.contains("8f14e45f-ceea-467f-a2b1-1f0c6d4e5a77"),
                "the id is whole:\n{t}"
            );
        }
        let line = plain_line(&letters[1]);
        assert!(
            line.starts_with("  8f14e45f-ceea-467f-a2b1-1f0c6d4e5a77  original:orig-7f3a "),
            "{line}"
        );
        assert!(
            line.ends_with("(no reason recorded: moved by the redrive policy)"),
            "{line}"
        );
    }
}
