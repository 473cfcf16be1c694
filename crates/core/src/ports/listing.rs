//! What a read of many items returns: the items of the right shape, and the records skipped
//! (named, and logged) because of theirs. Readers are tolerant; nothing of the wrong shape is a
//! crash.

use crate::item::ItemError;

/// Items read from a table, and the records that were skipped because of their shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Records of the wrong shape, each naming its key and attribute. They are also logged.
    pub skipped: Vec<ItemError>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl<T> Listing<T> {
    /// Parses items, keeping the good ones and naming (and logging) the ones of the wrong shape.
    pub fn parse(
        items: Vec<crate::item::Item>,
        parse: impl Fn(&crate::item::Item) -> Result<T, ItemError>,
    ) -> Self {
        let mut out = Listing {
            items: Vec::with_capacity(items.len()),
            skipped: Vec::new(),
        };
        for item in &items {
            out.add(parse(item));
        }
        out
    }

    /// Adds one parsed item, or names (and logs) one of the wrong shape: for a listing parsed
    /// as it is read, so a large table is never held twice (as items and as values).
    pub fn add(&mut self, parsed: Result<T, ItemError>) {
        match parsed {
            Ok(v) => self.items.push(v),
            Err(e) => {
                tracing::warn!(record = %e.key, attribute = %e.attribute, problem = %e.problem, "skipping record of the wrong shape");
                self.skipped.push(e);
            }
        }
    }

    pub fn merge(&mut self, other: Listing<T>) {
        self.items.extend(other.items);
        self.skipped.extend(other.skipped);
    }
}
