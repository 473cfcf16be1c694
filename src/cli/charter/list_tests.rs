//! Tests of `list`.

use super::*;
use dispatch_cascade::overview::{Person, Waiting};
use dispatch_core::domain::{CharterId, CharterStatus, CrewId};

fn person(id: &str, name: &str) -> Person {
    Person {
        crew_id: CrewId::parse(id).unwrap(),
        name: name.into(),
    }
}

fn overview(attention: &[&str]) -> Overview {
    Overview {
        charter_id: CharterId::new_random(),
        charter_date: CharterDate::parse("2024-05-04").unwrap(),
        vessel: "Blue Fin of the Northern Isles".into(),
        status: CharterStatus::Booked,
        guest_count: 12,
        captain: Some(person("ana", "Ana Lopez-Fernandez")),
        crew: vec![person("bo", "Bo Lee"), person("cy", "Cy Diaz")],
        crew_needed: 3,
        waiting: vec![Waiting {
            role: "crew (slot 3)".into(),
            who: person("dee", "Dee Winterbottom"),
            until: chrono::Utc::now(),
            overdue: true,
            undelivered_since: None,
        }],
        attention: attention.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn the_terminal_table_fits_the_width_and_keeps_ids_whole() {
    let zone = BusinessZone::default();
    let all = [
        overview(&[]),
        overview(&["no deckhand left to ask: call Bo Lee"]),
    ];
    let r = BookingRef::parse("HL-1207-OSP").unwrap();
    let rows: Vec<Row> = vec![(&all[0], Some(r.clone())), (&all[1], None)];
    let plain = plain_table(&zone, &rows);
    assert!(
        plain.iter().map(|l| l.chars().count()).max().unwrap() > 120,
        "{plain:#?}"
    );
    for width in [80u16, 100, 160] {
        let t = terminal_table(&zone, &rows, Some(width));
        for line in t.lines() {
            assert!(
                line.chars().count() <= width as usize,
                "{width}: {line}\n{t}"
            );
        }
        for o in &all {
            assert!(t.contains(o.charter_id.as_str()), "the id is whole:\n{t}");
        }
        assert!(
            t.contains("NEEDS ATTENTION") && t.contains("call Bo Lee"),
            "{t}"
        );
        assert_eq!(t.matches(all[1].charter_id.as_str()).count(), 2, "{t}");
        assert_eq!(t.matches("HL-1207-OSP").count(), 1, "{t}");
    }
}

#[test]
fn the_plain_layout_is_one_line_per_charter_with_reasons_under_it() {
    let zone = BusinessZone::default();
    let all = [overview(&["why"]), overview(&[])];
    let rows: Vec<Row> = vec![
        (&all[0], None),
        (&all[1], Some(BookingRef::parse("HL-1207-OSP").unwrap())),
    ];
    let plain = plain_table(&zone, &rows);
    assert_eq!(plain.len(), 4, "{plain:#?}");
    assert!(
        plain[0].starts_with("DATE            VESSEL"),
        "{}",
        plain[0]
    );
    assert!(
        plain[1].starts_with("Sat 2024-05-04  Blue Fin of the Northern Isles  booked"),
        "{}",
        plain[1]
    );
    assert!(
        plain[1].ends_with(all[0].charter_id.as_str()),
        "{}",
        plain[1]
    );
    assert_eq!(plain[2], "    NEEDS ATTENTION: why");
    // The booking reference is the last column, empty for a charter without one.
    assert!(
        plain[0].ends_with("ID                                    REF"),
        "{}",
        plain[0]
    );
    assert!(
        plain[3].ends_with(&format!("{}  HL-1207-OSP", all[1].charter_id)),
        "{}",
        plain[3]
    );
}
