//! The roster and availability, read from the sheet's tabs, and the plan that syncs them.
//!
//! - A `Roster` tab (any case): the header row is the first row naming at least a name and an
//!   e-mail column (case, spaces, punctuation, common synonyms and one-letter typos tolerated);
//!   rows above it (titles, merged headers) and blank rows are skipped. Each row is a member; the
//!   id is the `crew id` column when present, otherwise derived from the lower-cased e-mail
//!   ([`id_for_email`]) — never from a row number, so reordering rows changes nothing.
//! - Availability, either layout: tabs per status (`Available`, `Unavailable`, …; each row a member
//!   by name, e-mail or id, then cells of dates) or one tab per member (named like the member; every
//!   cell holding a digit is dates, text labels are skipped). A member's availability from the
//!   sheet replaces the stored one; members the sheet says nothing about keep theirs.
//! - Optional licence and expiry columns (`papers`): `Licence class`, `Licence max passengers`,
//!   `Licence expires`, `Certification expiry` (`first_aid 2027-01-03; deckhand 2026-12-31`). A
//!   column the sheet lacks, or an unreadable cell, leaves the stored value as it is.
//! - Bad cells become [`CellProblem`]s with tab and A1 reference; the rest still syncs.
//!
//! Files: `model` (what the sheet says and what a sync will do), `cells` (header names and cell
//! values), `papers` (licence and expiry cells), `read` (the tabs into a [`SheetRoster`]), `plan`
//! (the sheet against the store), `write` (a member's availability back into the sheet:
//! [`availability_writes`]).

mod cells;
mod model;
mod papers;
mod plan;
mod read;
mod write;

pub use model::{id_for_email, CellProblem, SheetRoster, SyncPlan};
pub use papers::SheetPapers;
pub use plan::plan;
pub use read::read_sheet;
pub use write::{availability_writes, RangeWrite};
