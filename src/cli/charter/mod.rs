//! `dispatch charter …`: the commands on charters, one file per command (or per group of small
//! ops actions), each a thin call into `dispatch-core`'s booking rules or the cascade.
//!
//! - [`add`]: `charter add` (book one, or `--update` one).
//! - [`import`]: `charter import` (a JSON file of charters; also how bad rows are reported).
//! - [`list`]: `charter list` (a table fitted to the terminal, plain when piped, or `--json`).
//! - [`show`]: `charter show` (the overview, the thread, its dead letters).
//! - [`actions`]: `charter assign|unassign|cancel|reoffer`, the ops actions.
//! - [`reconcile`]: `charter reconcile ID|--all`.
//! - [`ids`]: parsing the charters (id or booking reference) and dates these commands take.
//! - [`vessel`]: the check of a vessel name against the settings' `vessels`.

mod actions;
mod add;
mod ids;
pub mod import;
mod list;
mod reconcile;
mod show;
mod show_malformed;
pub mod undelivered;
mod vessel;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use dispatch_core::{Backend, Settings};

#[derive(Debug, Subcommand)]
pub enum CharterCommand {
    /// Book one charter (as the booking system would).
    Add(add::AddArgs),
    /// Import charters from a JSON array (plain or DynamoDB JSON). Good rows are stored, bad rows
    /// are named, and the command exits non-zero if any row was bad. Re-importing is harmless. A
    /// row whose charter id is already stored with other booking details is refused (named)
    /// unless `--update` is given. A row with a `booking_ref` (e.g. HL-1207-OSP) may leave out
    /// `charter_id` and `created_at`: its id is derived from the reference and `created_at` is
    /// the time of its first import. The README lists every field.
    Import {
        /// The JSON file.
        file: PathBuf,
        /// Rows of charters already stored update them in place (date, vessel, guests, revenue,
        /// tips, crew needed; a `cancelled` or `completed` status is applied), keeping who is
        /// assigned.
        #[arg(long)]
        update: bool,
        /// Do not warn about rows whose vessel the settings' `vessels` do not name (there is no
        /// warning at all when the settings define no vessel).
        #[arg(long)]
        vessel_unknown_ok: bool,
    },
    /// Charters by date (at most 400 days at a time): vessel, status, captain and crew by name, crew needed, whom we are
    /// waiting on and until when, and why a charter needs attention (names to call).
    List(list::ListArgs),
    /// One charter (by name: captain, crew of crew needed, whom we wait on, why it needs
    /// attention) and its thread (offers, answers, lapses, escalations, staffing), oldest first.
    Show {
        /// The charter: its id or booking reference (e.g. HL-1207-OSP).
        id: String,
    },
    /// Put a member on a charter by hand (after a phone call): takes their day's hold as an
    /// accept does, refuses a member booked that day, withdraws the slot's open offer.
    Assign(actions::AssignArgs),
    /// Take a member off a charter: their hold is released and the slot is offered again.
    Unassign {
        /// The charter: its id or booking reference.
        id: String,
        /// The member: crew id, e-mail or full name.
        member: String,
    },
    /// Cancel a charter: open offers withdrawn, holds released, the assigned crew told.
    Cancel {
        /// The charter: its id or booking reference.
        id: String,
    },
    /// Ask again: clear "already asked" for the named members (default: everyone who let an
    /// offer of this charter lapse), then reconcile, so an escalated charter gets offers again.
    Reoffer {
        /// The charter: its id or booking reference.
        id: String,
        /// A member to ask again (crew id, e-mail or full name), e.g. one who declined; repeat
        /// for several.
        #[arg(long = "include", value_name = "MEMBER")]
        include: Vec<String>,
    },
    /// Reconcile a charter now (or, with --all, every unsettled charter from today to +60 days,
    /// as the sweep does): lapse what is overdue, make the next offer, escalate, release.
    Reconcile {
        /// The charter: its id or booking reference.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every unsettled charter in the horizon.
        #[arg(long)]
        all: bool,
    },
}

/// Runs a `charter` command.
pub async fn run(
    settings: &Settings,
    backend: &Backend,
    cmd: CharterCommand,
) -> anyhow::Result<ExitCode> {
    match cmd {
        CharterCommand::Add(a) => add::add(settings, backend, a).await,
        CharterCommand::Import {
            file,
            update,
            vessel_unknown_ok,
        } => import::run(settings, backend, &file, update, vessel_unknown_ok).await,
        CharterCommand::List(a) => list::list(settings, backend, a).await,
        CharterCommand::Show { id } => show::show(settings, backend, &id).await,
        CharterCommand::Assign(a) => actions::assign(settings, backend, a).await,
        CharterCommand::Unassign { id, member } => {
            actions::unassign(settings, backend, &id, &member).await
        }
        CharterCommand::Cancel { id } => actions::cancel(settings, backend, &id).await,
        CharterCommand::Reoffer { id, include } => {
            actions::reoffer(settings, backend, &id, &include).await
        }
        CharterCommand::Reconcile { id, all } => {
            reconcile::run(settings, backend, id.as_deref(), all).await
        }
    }
}
