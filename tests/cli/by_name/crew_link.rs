//! `dispatch crew link MEMBER [--revoke]`: a member named as every command names one gets a
//! fresh page link by mail; `--revoke` says from when earlier links are void (the cascade tests
//! check they are refused, and that imports keep it); an ambiguous name lists the candidates
//! and sends nothing.

use super::{fails, ok, season};

/// The outbox files of page-link mails to `crew`.
fn page_link_mails(d: &std::path::Path, crew: &str) -> usize {
    std::fs::read_dir(d.join("data/outbox"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .contains(&format!("page_link_{crew}_"))
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn crew_link_mails_a_fresh_page_link_and_revokes_the_old_ones() {
    let dir = season();
    let d = dir.path();
    let out = ok(d, &["crew", "link", "ana@crew.example.com"]);
    assert!(
        out.contains("mailed a fresh page link to Ana Lopez"),
        "{out}"
    );
    assert!(!out.contains("void"), "{out}");
    assert_eq!(page_link_mails(d, "crew-0001"), 1);
    // A revocation's link is issued at the next whole second: a mail of its own key.
    let out = ok(d, &["crew", "link", "Ana Lopez", "--revoke"]);
    assert!(
        out.contains("links issued before") && out.contains("are void"),
        "{out}"
    );
    assert_eq!(page_link_mails(d, "crew-0001"), 2);
    let err = fails(d, &["crew", "link", "Sam Reed", "--revoke"]);
    assert!(err.contains("2 members are called `Sam Reed`"), "{err}");
    assert_eq!(
        page_link_mails(d, "crew-0003") + page_link_mails(d, "crew-0004"),
        0
    );
}
