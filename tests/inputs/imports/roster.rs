//! Roster import rows with one bad field each: e-mail, dates, long names, ids with `#`, a flag
//! as text; the same id or e-mail twice in one file; a BOM before good rows is read.

use super::Case;
use super::What::*;

pub const CASES: &[Case] = &[
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
