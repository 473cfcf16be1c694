//! Settings: one documented struct, layered defaults → `dispatch.toml` → `DISPATCH_*` variables.
//!
//! Every field can be set in the file by its name or in the environment as `DISPATCH_<NAME>`
//! (upper case), e.g. `backend = "aws"` or `DISPATCH_BACKEND=aws`. Lists in the environment are
//! comma-separated. [`Settings::load`] checks everything and names the setting at fault.
//!
//! By concern: `settings` (the struct, its defaults and derived values), `choices` (the
//! backend, mail, drive and stream-start switches), `vessels` (per-vessel sections), `load`
//! (file + environment, and misspelled variables), `check` (validation at load, naming the
//! setting), `error`, and [`tables`] (base table names).

mod check;
mod choices;
mod error;
mod load;
mod settings;
pub mod tables;
mod vessels;

pub use check::{check_header_text, check_link_key_ids};
pub use choices::{BackendKind, DriveKind, MailKind, StreamStart};
pub use error::ConfigError;
pub use load::unknown_env_vars;
pub use settings::Settings;
pub use vessels::VesselConfig;

#[cfg(test)]
mod tests;
