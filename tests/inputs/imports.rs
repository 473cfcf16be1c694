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

// The cases, one module per kind of damage (the macros above build their rows).
mod fields;
mod files;
mod roster;

/// Every case, files first.
const CASES: [&[Case]; 3] = [files::CASES, fields::CASES, roster::CASES];

pub const COUNT: usize = files::CASES.len() + fields::CASES.len() + roster::CASES.len();

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
    for case in CASES.iter().flat_map(|cases| cases.iter()) {
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
