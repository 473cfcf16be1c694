//! `dispatch charter show` of a stored item the cascade cannot read (written by the booking
//! system with, say, `charter_date = "12/14/2026"`): the item as stored, why it is unreadable,
//! how to repair it, and its dead letters.

use std::process::ExitCode;

use dispatch_core::domain::{Charter, CharterId};
use dispatch_core::item::{self, Item};
use dispatch_core::Backend;

use crate::cli::dlq_charter;

/// Prints the malformed item and returns `Some` when the stored charter `id` is of the wrong
/// shape; `None` when it reads (or is absent), so `show` goes on as usual.
pub async fn show(backend: &Backend, id: &CharterId) -> anyhow::Result<Option<ExitCode>> {
    let Some(raw) = backend.charters.get_item(id).await? else {
        return Ok(None);
    };
    let Err(why) = Charter::from_item(&raw) else {
        return Ok(None);
    };
    for line in lines(id, &raw, &why.to_string()) {
        println!("{line}");
    }
    for line in dlq_charter::lines_for(backend, id).await {
        println!("{line}");
    }
    Ok(Some(ExitCode::from(2)))
}

/// What `show` prints about a malformed item (pure, for tests).
fn lines(id: &CharterId, raw: &Item, why: &str) -> Vec<String> {
    let stored = serde_json::to_string_pretty(&item::to_json(raw)).unwrap_or_default();
    let mut out = vec![
        format!("charter {id} is stored but cannot be read: {why}"),
        "  the cascade leaves it alone (no offers) and month-end reports name it as left out"
            .into(),
        "  as stored (DynamoDB JSON):".into(),
    ];
    out.extend(stored.lines().map(|l| format!("    {l}")));
    out.push(format!(
        "  repair it: dispatch charter add --id {id} --update --date YYYY-MM-DD (and any other flag that \
         fixes an attribute), or fix the row and `dispatch charter import FILE --update`"
    ));
    out.push("  then replay its dead letter (the command below) so the cascade offers it".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_dynamo::AttributeValue as AV;

    #[test]
    fn the_item_and_the_reason_are_shown_with_the_repair() {
        let id = CharterId::parse("5b1a7c3e-2f4d-4b8a-9c6e-0d1f2a3b4c5d").unwrap();
        let raw: Item = [("charter_date".to_string(), AV::S("12/14/2026".into()))].into();
        let text = lines(&id, &raw, "attribute `charter_date` is not valid").join("\n");
        assert!(
            text.contains("cannot be read: attribute `charter_date` is not valid"),
            "{text}"
        );
        assert!(text.contains("\"12/14/2026\""), "{text}");
        assert!(
            text.contains(&format!("charter add --id {id} --update --date")),
            "{text}"
        );
    }
}
