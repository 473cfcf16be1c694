//! `dispatch charter import FILE` and `dispatch roster import FILE` with hostile files. `{A}`,
//! `{B}` are fresh ids per case; `{BOM}`, `{FF}` (a byte that is not UTF-8), `{LONG}` (40,000
//! characters) and `{DEEP}` (nesting 10,000 deep) are put in before the file is written.
//! `stored` must be readable afterwards (with vessel or name `Good`), `absent` must not be stored,
//! and the sentinel stored before every case must be unchanged.

use dispatch_core::domain::*;

use crate::{expect, Env, Tally};

#[derive(Clone, Copy, PartialEq)]
enum What {
    Charters,
    Roster,
}
use What::*;

struct Case {
    name: &'static str,
    what: What,
    input: &'static str,
    exit: i32,
    fragment: &'static str,
    stored: &'static [&'static str],
    absent: &'static [&'static str],
}

macro_rules! good {
    ($id:literal) => {
        concat!(
            r#"{"charter_id":""#,
            $id,
            r#"","created_at":"2024-04-01T10:00:00Z","charter_date":"2024-06-03","vessel_name":"Good","guest_count":4,"reportable_revenue":"100.00","tips":"5"}"#
        )
    };
}
macro_rules! bad {
    ($id:literal, $extra:literal) => {
        concat!(
            r#"{"charter_id":""#,
            $id,
            r#"","created_at":"2024-04-01T10:00:00Z","charter_date":"2024-06-03","vessel_name":"Bad","#,
            $extra,
            "}"
        )
    };
}
macro_rules! member {
    ($id:literal) => {
        concat!(
            r#"{"crew_id":""#,
            $id,
            r#"","name":"Good","email":""#,
            $id,
            r#"@example.com","available_dates":["2024-06-03"],"certifications":["deckhand"]}"#
        )
    };
}
macro_rules! bad_member {
    ($id:literal, $extra:literal) => {
        concat!(r#"{"crew_id":""#, $id, r#"","name":"Bad","#, $extra, "}")
    };
}

const CASES: &[Case] = &[
    Case {
        name: "bom_then_good_row",
        what: Charters,
        input: concat!("{BOM}[", good!("{A}"), "]"),
        exit: 0,
        fragment: "1 charters stored",
        stored: &["{A}"],
        absent: &[],
    },
    Case {
        name: "not_utf8",
        what: Charters,
        input: concat!("[", good!("{A}"), r#",{"vessel_name":"{FF}"}]"#),
        exit: 1,
        fragment: "not UTF-8 text (first bad byte at line 1",
        stored: &[],
        absent: &["{A}"],
    },
    Case {
        name: "not_json",
        what: Charters,
        input: "hello",
        exit: 1,
        fragment: "not valid JSON",
        stored: &[],
        absent: &[],
    },
    Case {
        name: "object_cut_short",
        what: Charters,
        input: "{oops",
        exit: 1,
        fragment: "not valid JSON (key must be a string",
        stored: &[],
        absent: &[],
    },
    Case {
        name: "empty_file",
        what: Charters,
        input: "",
        exit: 1,
        fragment: "not valid JSON",
        stored: &[],
        absent: &[],
    },
    Case {
        name: "object_not_array",
        what: Charters,
        input: good!("{A}"),
        exit: 1,
        fragment: "expected a JSON array of objects at the top level, found an object",
        stored: &[],
        absent: &["{A}"],
    },
    Case {
        name: "empty_array",
        what: Charters,
        input: "[]",
        exit: 0,
        fragment: "0 charters stored",
        stored: &[],
        absent: &[],
    },
    Case {
        name: "truncated_json",
        what: Charters,
        input: concat!("[", good!("{A}"), r#",{"charter_id":"#),
        exit: 1,
        fragment: "not valid JSON",
        stored: &[],
        absent: &["{A}"],
    },
    Case {
        name: "deep_nesting",
        what: Charters,
        input: "{DEEP}",
        exit: 2,
        fragment: "row 1: not valid JSON: recursion limit exceeded",
        stored: &[],
        absent: &[],
    },
    Case {
        name: "number_1e400",
        what: Charters,
        input: concat!("[", good!("{A}"), ",", bad!("{B}", r#""tips":1e400"#), "]"),
        exit: 2,
        fragment: "row 2: a number is out of range",
        stored: &["{A}"],
        absent: &["{B}"],
    },
    Case {
        name: "scientific_money",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""reportable_revenue":"1e3""#), "]"),
        exit: 2,
        fragment: "scientific notation",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "negative_revenue",
        what: Charters,
        input: concat!(
            "[",
            good!("{A}"),
            ",",
            bad!("{B}", r#""reportable_revenue":"-5""#),
            "]"
        ),
        exit: 2,
        fragment: "row 2: `reportable_revenue` is -5.00: amounts must not be negative",
        stored: &["{A}"],
        absent: &["{B}"],
    },
    Case {
        name: "negative_tips_number",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""tips":-0.01"#), "]"),
        exit: 2,
        fragment: "`tips` is -0.01",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "absurd_revenue",
        what: Charters,
        input: concat!(
            "[",
            bad!("{B}", r#""reportable_revenue":"99999999999""#),
            "]"
        ),
        exit: 2,
        fragment: "looks like a typo",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "money_with_dollar",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""tips":"$5""#), "]"),
        exit: 2,
        fragment: "attribute `tips` must be a number",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "vessel_over_32767",
        what: Charters,
        input: concat!(
            "[",
            good!("{A}"),
            r#",{"charter_id":"{B}","created_at":"2024-04-01T10:00:00Z","charter_date":"2024-06-03","vessel_name":"{LONG}"}]"#
        ),
        exit: 2,
        fragment: "row 2: `vessel_name` is 40000 characters long; at most 200",
        stored: &["{A}"],
        absent: &["{B}"],
    },
    Case {
        name: "vessel_with_line_break",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""guest_names":["Ann\r\nBcc: x"]"#), "]"),
        exit: 2,
        fragment: "control character",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "created_at_yesterday",
        what: Charters,
        input: r#"[{"charter_id":"{B}","created_at":"yesterday","charter_date":"2024-06-03"}]"#,
        exit: 2,
        fragment:
            "`created_at` is `yesterday`: it is the table's sort key and must be an ISO 8601 time",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "created_at_missing",
        what: Charters,
        input: r#"[{"charter_id":"{B}","charter_date":"2024-06-03"}]"#,
        exit: 2,
        fragment: "attribute `created_at` is missing",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "charter_id_not_uuid",
        what: Charters,
        input: r#"[{"charter_id":"charter-1","created_at":"2024-04-01T10:00:00Z","charter_date":"2024-06-03"}]"#,
        exit: 2,
        fragment: "expected a UUID",
        stored: &[],
        absent: &[],
    },
    Case {
        name: "date_that_does_not_exist",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""charter_date":"2024-02-30""#), "]"),
        exit: 2,
        fragment: "charter_date",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "guest_count_fraction",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""guest_count":2.5"#), "]"),
        exit: 2,
        fragment: "`guest_count` must be a whole number",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "guest_count_words",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""guest_count":"many""#), "]"),
        exit: 2,
        fragment: "attribute `guest_count` must be a number, found `many`",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "crew_needed_negative",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""crew_needed":-2"#), "]"),
        exit: 2,
        fragment: "`crew_needed` must be a whole number",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "status_unknown",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""status":"maybe""#), "]"),
        exit: 2,
        fragment: "found `maybe`",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "captain_with_hash",
        what: Charters,
        input: concat!("[", bad!("{B}", r#""captain_assigned":"a#b""#), "]"),
        exit: 2,
        fragment: "captain_assigned",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "too_many_guests_named",
        what: Charters,
        input: r#"[{"charter_id":"{B}","created_at":"2024-04-01T10:00:00Z","charter_date":"2024-06-03","guest_names":{MANY}}]"#,
        exit: 2,
        fragment: "`guest_names` lists 600 names; at most 500",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "same_id_twice",
        what: Charters,
        input: concat!(
            "[",
            good!("{A}"),
            r#",{"charter_id":"{A}","created_at":"2024-04-02T10:00:00Z","charter_date":"2024-06-04","vessel_name":"Other"}]"#
        ),
        exit: 2,
        fragment: "row 2: duplicate row: charter_id `{A}` is also on row 1",
        stored: &["{A}"],
        absent: &[],
    },
    Case {
        name: "element_not_object",
        what: Charters,
        input: concat!("[", good!("{A}"), ",42]"),
        exit: 2,
        fragment: "row 2: expected an object, found a number",
        stored: &["{A}"],
        absent: &[],
    },
    Case {
        name: "dynamodb_json_wrong_tag",
        what: Charters,
        input: r#"[{"charter_id":{"S":"{B}"},"created_at":{"S":"2024-04-01T10:00:00Z"},"charter_date":{"S":"2024-06-03"},"guest_count":{"X":"3"}}]"#,
        exit: 2,
        fragment: "attribute `guest_count` has the DynamoDB type tag `X`",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "dynamodb_json_number_as_list",
        what: Charters,
        input: r#"[{"charter_id":{"S":"{B}"},"created_at":{"S":"2024-04-01T10:00:00Z"},"charter_date":{"S":"2024-06-03"},"tips":{"L":[]}}]"#,
        exit: 2,
        fragment: "attribute `tips` must be a number (N), found L",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "dynamodb_json_good",
        what: Charters,
        input: r#"[{"charter_id":{"S":"{A}"},"created_at":{"S":"2024-04-01T10:00:00Z"},"charter_date":{"S":"2024-06-03"},"vessel_name":{"S":"Good"},"tips":{"N":"5"}}]"#,
        exit: 0,
        fragment: "1 charters stored",
        stored: &["{A}"],
        absent: &[],
    },
    Case {
        name: "missing_file",
        what: Charters,
        input: "{NOFILE}",
        exit: 1,
        fragment: "no such file",
        stored: &[],
        absent: &[],
    },
    // Roster imports.
    Case {
        name: "roster_bad_email",
        what: Roster,
        input: concat!(
            "[",
            member!("{A}"),
            ",",
            bad_member!("{B}", r#""email":"bob@""#),
            "]"
        ),
        exit: 2,
        fragment: "row 2: record crew_id={B}: attribute `email` is not valid",
        stored: &["{A}"],
        absent: &["{B}"],
    },
    Case {
        name: "roster_same_id_twice",
        what: Roster,
        input: concat!(
            "[",
            member!("{A}"),
            r#",{"crew_id":"{A}","name":"Other","email":"other@example.com"}]"#
        ),
        exit: 2,
        fragment: "row 2: duplicate row: crew_id `{A}` is also on row 1",
        stored: &["{A}"],
        absent: &[],
    },
    Case {
        name: "roster_same_email_twice",
        what: Roster,
        input: concat!(
            "[",
            member!("{A}"),
            r#",{"crew_id":"{B}","name":"Bad","email":"{A}@example.com"}]"#
        ),
        exit: 2,
        fragment: "duplicate row: email",
        stored: &["{A}"],
        absent: &["{B}"],
    },
    Case {
        name: "roster_bad_date",
        what: Roster,
        input: concat!(
            "[",
            bad_member!(
                "{B}",
                r#""email":"{B}@example.com","available_dates":["May 3"]"#
            ),
            "]"
        ),
        exit: 2,
        fragment: "`available_dates` holds `May 3`, expected YYYY-MM-DD",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "roster_long_name",
        what: Roster,
        input: r#"[{"crew_id":"{B}","name":"{LONG}","email":"{B}@example.com"}]"#,
        exit: 2,
        fragment: "`name` is 40000 characters long",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "roster_id_with_hash",
        what: Roster,
        input: r#"[{"crew_id":"crew#1","name":"Bad","email":"x@example.com"}]"#,
        exit: 2,
        fragment: "character `#` is not allowed",
        stored: &[],
        absent: &[],
    },
    Case {
        name: "roster_flag_as_text",
        what: Roster,
        input: concat!(
            "[",
            bad_member!(
                "{B}",
                r#""email":"{B}@example.com","captain_certified":"yes""#
            ),
            "]"
        ),
        exit: 2,
        fragment: "`captain_certified` must be a boolean",
        stored: &[],
        absent: &["{B}"],
    },
    Case {
        name: "roster_bom_good",
        what: Roster,
        input: concat!("{BOM}[", member!("{A}"), "]"),
        exit: 0,
        fragment: "1 members upserted",
        stored: &["{A}"],
        absent: &[],
    },
];

pub const COUNT: usize = CASES.len();

fn fill(input: &str, a: &str, b: &str) -> Vec<u8> {
    let text = input
        .replace("{A}", a)
        .replace("{B}", b)
        .replace("{BOM}", "\u{feff}")
        .replace("{LONG}", &"V".repeat(40_000))
        .replace(
            "{DEEP}",
            &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        )
        .replace(
            "{MANY}",
            &serde_json::to_string(&vec!["Guest"; 600]).unwrap(),
        );
    let mut out = Vec::new();
    for (i, part) in text.split("{FF}").enumerate() {
        if i > 0 {
            out.push(0xFF);
        }
        out.extend_from_slice(part.as_bytes());
    }
    out
}

async fn sentinel(env: &Env) -> (Charter, CrewMember) {
    let mut c = crate::common::charter("2024-06-03", 6, None);
    c.vessel_name = "Sentinel".into();
    c.reportable_revenue = Money::parse("1200.50").unwrap();
    env.backend.charters.insert(&c).await.unwrap();
    let m = crate::common::member("sentinel-1", true, true, &["2024-06-03", "2024-06-04"]);
    env.backend
        .roster
        .upsert_batch(std::slice::from_ref(&m))
        .await
        .unwrap();
    (c, m)
}

async fn lost(
    env: &Env,
    what: What,
    ids: &[String],
    want: bool,
    sentinel: &(Charter, CrewMember),
) -> Option<String> {
    match env.backend.charters.get(&sentinel.0.charter_id).await {
        Ok(Some(c)) if c == sentinel.0 => {}
        other => return Some(format!("the sentinel charter changed: {other:?}")),
    }
    match env.backend.roster.get(&sentinel.1.crew_id).await {
        Ok(Some(m)) if m == sentinel.1 => {}
        other => return Some(format!("the sentinel member changed: {other:?}")),
    }
    for id in ids {
        let name = match what {
            Charters => env
                .backend
                .charters
                .get(&CharterId::parse(id).unwrap())
                .await
                .unwrap()
                .map(|c| c.vessel_name),
            Roster => env
                .backend
                .roster
                .get(&CrewId::parse(id).unwrap())
                .await
                .unwrap()
                .map(|m| m.name),
        };
        match (want, name) {
            (true, Some(n)) if n == "Good" => {}
            (true, other) => return Some(format!("good row {id} not stored as it was: {other:?}")),
            (false, None) => {}
            (false, Some(n)) => return Some(format!("bad row {id} was stored ({n})")),
        }
    }
    None
}

pub async fn run(env: &Env) {
    let sentinel = sentinel(env).await;
    let mut tally = Tally::default();
    for case in CASES {
        let (a, b) = match case.what {
            Charters => (
                CharterId::new_random().to_string(),
                CharterId::new_random().to_string(),
            ),
            Roster => {
                let s = uuid::Uuid::new_v4().simple().to_string();
                (format!("m{}", &s[..10]), format!("n{}", &s[10..20]))
            }
        };
        let path = if case.input == "{NOFILE}" {
            env.dir.path().join("no-such-file.json")
        } else {
            env.file(&format!("{}.json", case.name), &fill(case.input, &a, &b))
        };
        let cmd = if case.what == Charters {
            "charter"
        } else {
            "roster"
        };
        let (code, out) = env.dispatch(&[cmd, "import", path.to_str().unwrap()], &[]);
        let fragment = case.fragment.replace("{A}", &a).replace("{B}", &b);
        let ids = |list: &[&str]| -> Vec<String> {
            list.iter()
                .map(|p| p.replace("{A}", &a).replace("{B}", &b))
                .collect()
        };
        let problem = match expect(code, case.exit, &out, &fragment) {
            Some(p) => Some(p),
            None => match lost(env, case.what, &ids(case.stored), true, &sentinel).await {
                Some(p) => Some(p),
                None => lost(env, case.what, &ids(case.absent), false, &sentinel).await,
            },
        };
        tally.check(&format!("{}/{}", env.kind, case.name), problem, &out);
    }
    tally.finish("imports");
}
