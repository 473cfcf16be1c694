//! Accessibility checks in the browser tests: axe-core (vendored under `vendor/`, MPL-2.0, its
//! licence beside it) injected into the page through WebDriver and run on the whole document.
//! Any violation fails the test with its rule, help text and the elements concerned.

use serde_json::json;

use crate::webdriver::wd;

/// The axe-core build the checks use (4.14.1, from the npm registry).
const AXE: &str = include_str!("vendor/axe.min.js");

/// Runs axe-core on the session's current page; panics listing every violation (`page` names
/// the page in the message).
pub async fn assert_no_axe_violations(port: u16, sid: &str, page: &str) {
    let injected = wd(
        port,
        "POST",
        &format!("/session/{sid}/execute/sync"),
        Some(json!({"script": format!("{AXE}\nreturn typeof window.axe;"), "args": []})),
    )
    .await;
    assert_eq!(
        injected["value"], "object",
        "axe-core injected on {page}: {injected}"
    );
    let run = r#"const done = arguments[arguments.length - 1];
window.axe.run(document).then(r => done(r.violations.map(v =>
  v.id + ': ' + v.help + ' [' + v.nodes.map(n => n.target.join(' ')).join(', ') + ']')))
  .catch(e => done(['axe failed: ' + e]));"#;
    let found = wd(
        port,
        "POST",
        &format!("/session/{sid}/execute/async"),
        Some(json!({"script": run, "args": []})),
    )
    .await;
    let violations = found["value"]
        .as_array()
        .unwrap_or_else(|| panic!("axe answered on {page}: {found}"));
    assert!(
        violations.is_empty(),
        "axe violations on {page}: {violations:#?}"
    );
}
