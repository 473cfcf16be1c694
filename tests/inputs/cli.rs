//! Command lines: `charter add` with bad values, `jobs enqueue`, `dlq list|replay`, `report`,
//! `statements`, `charter show` with bad arguments. Before the cases three dead letters are put
//! in `cascade-dlq` and a sentinel charter stored; afterwards they are all still there, and
//! nothing was booked for July 2024 (the month the `charter add` cases use).

use std::time::Duration;

use dispatch_core::domain::*;
use dispatch_core::ports::{OutMessage, QueueId};

use crate::{expect, Env, Tally};

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    exit: i32,
    fragment: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "add_negative_revenue",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "Marlin",
            "--revenue=-5",
        ],
        exit: 1,
        fragment: "--revenue is -5.00: amounts must not be negative",
    },
    Case {
        name: "add_negative_tips_spaced",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "Marlin",
            "--tips",
            "-1",
        ],
        exit: 1,
        fragment: "--tips is -1.00",
    },
    Case {
        name: "add_scientific_revenue",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "Marlin",
            "--revenue",
            "1e3",
        ],
        exit: 1,
        fragment: "scientific notation is not accepted",
    },
    Case {
        name: "add_revenue_words",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "Marlin",
            "--revenue",
            "lots",
        ],
        exit: 1,
        fragment: "--revenue",
    },
    Case {
        name: "add_long_vessel",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "{LONG}",
        ],
        exit: 1,
        fragment: "--vessel is 40000 characters long; at most 200",
    },
    Case {
        name: "add_vessel_line_break",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "Sea\r\nBreeze",
        ],
        exit: 1,
        fragment: "control character",
    },
    Case {
        name: "add_empty_vessel",
        args: &["charter", "add", "--date", "2024-07-03", "--vessel", "  "],
        exit: 1,
        fragment: "--vessel must not be empty",
    },
    Case {
        name: "add_bad_date",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-13-01",
            "--vessel",
            "Marlin",
        ],
        exit: 1,
        fragment: "--date",
    },
    Case {
        name: "add_bad_id",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "Marlin",
            "--id",
            "charter-1",
        ],
        exit: 1,
        fragment: "expected a UUID",
    },
    Case {
        name: "add_guest_name_too_long",
        args: &[
            "charter",
            "add",
            "--date",
            "2024-07-03",
            "--vessel",
            "Marlin",
            "--guest-name",
            "{LONG}",
        ],
        exit: 1,
        fragment: "--guest-name",
    },
    Case {
        name: "enqueue_empty_key",
        args: &[
            "jobs", "enqueue", "report", "--month", "2024-05", "--key", "",
        ],
        exit: 1,
        fragment: "--key must not be empty",
    },
    Case {
        name: "enqueue_blank_key",
        args: &[
            "jobs",
            "enqueue",
            "statements",
            "--month",
            "2024-05",
            "--key",
            "   ",
        ],
        exit: 1,
        fragment: "--key must not be empty",
    },
    Case {
        name: "enqueue_bad_month",
        args: &["jobs", "enqueue", "report", "--month", "2024-13"],
        exit: 1,
        fragment: "use YYYY-MM or `previous`",
    },
    Case {
        name: "enqueue_no_month",
        args: &["jobs", "enqueue", "statements"],
        exit: 1,
        fragment: "`statements` needs --month",
    },
    Case {
        name: "enqueue_unknown_kind",
        args: &["jobs", "enqueue", "launch"],
        exit: 1,
        fragment: "unknown job kind `launch`",
    },
    Case {
        name: "enqueue_previous_month",
        args: &["jobs", "enqueue", "report", "--month", "previous"],
        exit: 0,
        fragment: "enqueued monthly_report (key monthly_report#",
    },
    Case {
        name: "dlq_list_max_zero",
        args: &["dlq", "list", "--max", "0"],
        exit: 1,
        fragment: "--max 0 would list nothing",
    },
    Case {
        name: "dlq_list_max_one",
        args: &["dlq", "list", "--queue", "cascade-dlq", "--max", "1"],
        exit: 0,
        fragment: "cascade-dlq: 1 message(s) shown of 3 held",
    },
    Case {
        name: "dlq_list_by_work_queue_name",
        args: &["dlq", "list", "--queue", "cascade"],
        exit: 0,
        fragment: "cascade-dlq: 3 message(s)",
    },
    Case {
        name: "dlq_replay_unknown_queue",
        args: &["dlq", "replay", "--queue", "cascade-dlq-2", "--dry-run"],
        exit: 1,
        fragment: "cascade-dlq-2",
    },
    Case {
        name: "dlq_list_unknown_queue",
        args: &["dlq", "list", "--queue", "nope"],
        exit: 1,
        fragment: "unknown queue `nope`",
    },
    Case {
        name: "dlq_replay_bogus_kind",
        args: &["dlq", "replay", "--queue", "cascade-dlq", "--kind", "bogus"],
        exit: 1,
        fragment: "--kind `bogus` is not a job kind",
    },
    Case {
        name: "dlq_show_unknown_id",
        args: &["dlq", "show", "no-such-id", "--queue", "cascade-dlq"],
        exit: 1,
        fragment: "no dead letter with id no-such-id",
    },
    Case {
        name: "report_bad_month",
        args: &["report", "--month", "May"],
        exit: 1,
        fragment: "--month: month `May`",
    },
    Case {
        name: "statements_bad_month",
        args: &["statements", "--month", "2024-5x", "--dry-run"],
        exit: 1,
        fragment: "use YYYY-MM or `previous`",
    },
    Case {
        name: "show_bad_id",
        args: &["charter", "show", "../../etc/passwd"],
        exit: 1,
        fragment: "charter id",
    },
    Case {
        name: "show_unknown_charter",
        args: &["charter", "show", "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a"],
        exit: 1,
        fragment: "no charter 0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a",
    },
];

pub const COUNT: usize = CASES.len() + 1;

pub async fn run(env: &Env) {
    let dead: Vec<OutMessage> = (0..3)
        .map(|i| {
            OutMessage::new(
                JobEnvelope::new(
                    JobKind::OfferSend,
                    format!("dead-{i}"),
                    serde_json::json!({}),
                )
                .to_body(),
            )
            .attribute("dispatch-error", "kept for the corpus")
        })
        .collect();
    env.backend
        .queues
        .send(QueueId::CascadeDlq, &dead)
        .await
        .unwrap();
    let sentinel = crate::common::charter("2024-06-03", 4, None);
    env.backend.charters.insert(&sentinel).await.unwrap();
    let long = "V".repeat(40_000);
    let mut tally = Tally::default();
    for case in CASES {
        let args: Vec<&str> = case
            .args
            .iter()
            .map(|a| if *a == "{LONG}" { long.as_str() } else { a })
            .collect();
        let (code, out) = env.dispatch(&args, &[]);
        let mut problem = expect(code, case.exit, &out, case.fragment);
        if problem.is_none() {
            problem = lost(env, &sentinel).await;
        }
        tally.check(&format!("{}/{}", env.kind, case.name), problem, &out);
    }
    report_with_an_unwritable_charter(env, &mut tally).await;
    tally.finish("cli");
}

/// The booking system stored a charter whose vessel name no Excel cell holds: the month's report
/// names it, writes every other charter, and exits 2.
async fn report_with_an_unwritable_charter(env: &Env, tally: &mut Tally) {
    let mut long = crate::common::charter("2024-08-03", 4, None);
    long.vessel_name = "V".repeat(40_000);
    long.reportable_revenue = Money::parse("900").unwrap();
    let mut good = crate::common::charter("2024-08-04", 4, None);
    good.vessel_name = "Osprey".into();
    good.reportable_revenue = Money::parse("1200").unwrap();
    env.backend.charters.insert(&long).await.unwrap();
    env.backend.charters.insert(&good).await.unwrap();
    let (code, out) = env.dispatch(&["report", "--month", "2024-08"], &[]);
    let fragment = format!(
        "left out of the report: charter {} on 2024-08-03: its vessel name is 40000 characters",
        long.charter_id
    );
    let mut problem = expect(code, 2, &out, &fragment);
    if problem.is_none() {
        let path = env
            .data_dir()
            .join("drive/JADA Business/Reports/Revenue 2024-08.xlsx");
        problem = match std::fs::read(&path) {
            Err(e) => Some(format!("no workbook at {}: {e}", path.display())),
            Ok(bytes) => {
                use calamine::{open_workbook_from_rs, Reader, Xlsx};
                let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
                let range = wb.worksheet_range("August 2024").unwrap();
                let vessels: Vec<String> = range
                    .rows()
                    .skip(2)
                    .filter_map(|r| r.get(1).map(|c| c.to_string()))
                    .filter(|v| !v.is_empty())
                    .collect();
                (vessels != ["Osprey"]).then(|| {
                    format!("the month tab holds {vessels:?}, expected the good charter only")
                })
            }
        };
    }
    tally.check(
        &format!("{}/report_names_an_unwritable_charter", env.kind),
        problem,
        &out,
    );
}

async fn lost(env: &Env, sentinel: &Charter) -> Option<String> {
    if env
        .backend
        .charters
        .get(&sentinel.charter_id)
        .await
        .unwrap()
        .as_ref()
        != Some(sentinel)
    {
        return Some("the sentinel charter changed".into());
    }
    let july = env
        .backend
        .charters
        .in_month(Month::parse("2024-07").unwrap())
        .await
        .unwrap();
    if !july.items.is_empty() {
        return Some(format!(
            "{} charter(s) were booked by a refused command",
            july.items.len()
        ));
    }
    // The dead letters are all still there (listing and refused replays never consume).
    let held = crate::common::eventually(
        "the dead letters to be visible again",
        Duration::from_secs(45),
        || async {
            let d = env.backend.queues.depth(QueueId::CascadeDlq).await.ok()?;
            (d.visible == 3).then_some(d.visible + d.in_flight)
        },
    )
    .await;
    (held != 3).then(|| format!("cascade-dlq holds {held}, expected 3"))
}
