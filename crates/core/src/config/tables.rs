//! Base names of the four tables (the real names carry the configured prefix).

/// Charters (`charter_id`, `created_at`), with the `charter_date-index` GSI and a stream.
pub const CHARTERS: &str = "crew-dispatch";
/// Crew members by `crew_id`.
pub const ROSTER: &str = "crew-roster";
/// The thread of each charter (`charter_id`, `ts#id`).
pub const CHATS: &str = "charter-chats";
/// Offers, holds, idempotency records, leases and checkpoints (`pk`, `sk`).
pub const STATE: &str = "dispatch-state";
/// All four, in that order.
pub const ALL: [&str; 4] = [CHARTERS, ROSTER, CHATS, STATE];
