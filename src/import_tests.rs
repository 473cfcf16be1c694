//! Tests of `import`: plain JSON, DynamoDB JSON, the bad-input messages.
use super::*;
use serde_json::json;

#[test]
fn good_rows_kept_bad_rows_named() {
    let values = vec![
        json!({"charter_id": "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03", "vessel_name": "A", "guest_count": 4, "reportable_revenue": "100.10"}),
        json!({"charter_id": "not-a-uuid", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03"}),
        json!({"charter_id": {"S": "1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a"}, "created_at": {"S": "x"}, "charter_date": {"S": "2024-05-04"}, "tips": {"N": "5"}}),
        json!({"charter_id": "2b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a", "created_at": "2024-04-01T00:00:00Z", "charter_date": "2024-05-03", "tips": "lots"}),
        json!("hello"),
    ];
    let p = charters_from_values(&values);
    assert_eq!(p.good.len(), 1);
    assert_eq!(p.good[0].reportable_revenue.to_string(), "100.10");
    assert_eq!(
        p.bad.iter().map(|b| b.row).collect::<Vec<_>>(),
        vec![2, 3, 4, 5]
    );
    assert!(p.bad[0].reason.contains("charter_id"), "{}", p.bad[0]);
    assert!(p.bad[1].reason.contains("created_at"), "{}", p.bad[1]);
    assert!(p.bad[2].reason.contains("tips"), "{}", p.bad[2]);
}

fn elements(text: &str) -> Vec<Element> {
    elements_from_text("f.json", text).unwrap()
}

const ID: &str = "0b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a";

#[test]
fn a_charter_id_twice_in_one_file_is_a_duplicate_row() {
    let text = format!(
        r#"[{{"charter_id":"{ID}","created_at":"2024-04-01T00:00:00Z","charter_date":"2024-05-03","vessel_name":"A"}},
            {{"charter_id":"{ID}","created_at":"2024-04-02T00:00:00Z","charter_date":"2024-05-04","vessel_name":"B"}}]"#
    );
    let p = charters_from_elements(&elements(&text));
    assert_eq!(p.good.len(), 1);
    assert_eq!(p.good[0].vessel_name, "A");
    assert_eq!(p.bad.len(), 1);
    assert_eq!(p.bad[0].row, 2);
    assert!(
        p.bad[0].reason.contains("duplicate row") && p.bad[0].reason.contains("row 1"),
        "{}",
        p.bad[0]
    );
}

#[test]
fn one_number_out_of_range_is_one_bad_row_and_a_bom_is_skipped() {
    const BOM: char = '\u{feff}';
    let text = format!(
        "{BOM}[{{\"charter_id\":\"{ID}\",\"created_at\":\"2024-04-01T00:00:00Z\",\"charter_date\":\"2024-05-03\",\"tips\":1e400}},
          {{\"charter_id\":\"1b7c9d2e-4f1a-4c3b-9a8e-2d6f5e4c3b2a\",\"created_at\":\"2024-04-01T00:00:00Z\",\"charter_date\":\"2024-05-03\",\"vessel_name\":\"A\"}}]"
    );
    let p = charters_from_elements(&elements(&text));
    assert_eq!(p.good.len(), 1);
    assert_eq!(p.bad[0].row, 1);
    assert!(p.bad[0].reason.contains("out of range"), "{}", p.bad[0]);
    let e = elements_from_bytes("f.json", b"[{\"a\": \"\xff\"}]")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not UTF-8") && e.contains("line 1"), "{e}");
}

#[test]
fn negative_money_and_a_wrong_type_tag_are_named() {
    let text = format!(
        r#"[{{"charter_id":"{ID}","created_at":"2024-04-01T00:00:00Z","charter_date":"2024-05-03","reportable_revenue":"-5"}},
            {{"charter_id":{{"S":"{ID}"}},"created_at":{{"S":"2024-04-01T00:00:00Z"}},"charter_date":{{"S":"2024-05-03"}},"guest_count":{{"X":"3"}}}}]"#
    );
    let p = charters_from_elements(&elements(&text));
    assert!(p.good.is_empty());
    assert!(
        p.bad[0].reason.contains("reportable_revenue") && p.bad[0].reason.contains("negative"),
        "{}",
        p.bad[0]
    );
    assert!(
        p.bad[1].reason.contains("guest_count") && p.bad[1].reason.contains("`X`"),
        "{}",
        p.bad[1]
    );
}

#[test]
fn roster_rows_carry_the_licence_and_certification_expiry() {
    let values = vec![
        json!({"crew_id": "cap-1", "name": "Ana Silva", "email": "ana@example.com", "captain_certified": true,
               "captain_licence": {"class": "six-pack", "max_passengers": 6, "expires": "2027-01-03"},
               "certification_expiry": {"First Aid": "2027-01-03"}}),
        json!({"crew_id": "cap-2", "name": "Bo Lee", "email": "bo@example.com",
               "captain_licence": {"max_passengers": "many"}}),
        json!({"crew_id": "cap-3", "name": "Cy Diaz", "email": "cy@example.com",
               "certification_expiry": {"first_aid": "Jan 3"}}),
        json!({"crew_id": "cap-4", "name": "Di Park", "email": "di@example.com"}),
    ];
    let p = members_from_values(&values);
    assert_eq!(p.good.len(), 2, "{:?}", p.bad);
    let ana = &p.good[0];
    let l = ana.captain_licence.as_ref().unwrap();
    assert_eq!((l.class.as_str(), l.max_passengers), ("six-pack", Some(6)));
    assert_eq!(l.expires.unwrap().to_string(), "2027-01-03");
    assert_eq!(
        ana.certification_expiry
            .get("first_aid")
            .map(ToString::to_string),
        Some("2027-01-03".to_string())
    );
    assert!(
        p.good[1].captain_licence.is_none(),
        "without them: as before"
    );
    assert!(p.bad[0].reason.contains("captain_licence"), "{}", p.bad[0]);
    assert!(
        p.bad[1].reason.contains("certification_expiry"),
        "{}",
        p.bad[1]
    );
}
