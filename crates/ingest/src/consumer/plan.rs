//! The pure part of shard balancing: which shards are done, which may be read, where a shard
//! starts, which lease rows nobody needs. No I/O: the coordinator feeds it what it listed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use dispatch_core::ports::{Lease, Shard, StartAt, SHARD_END};

/// Lease rows whose id starts with this are consumers' heartbeats, not shards.
pub const WORKER_PREFIX: &str = "worker#";

/// What the lease table and the stream say, indexed once.
pub struct View<'a> {
    shards: &'a [Shard],
    rows: HashMap<&'a str, &'a Lease>,
    children: HashMap<&'a str, Vec<&'a str>>,
    known: HashSet<&'a str>,
}

impl<'a> View<'a> {
    pub fn new(shards: &'a [Shard], leases: &'a [Lease]) -> Self {
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for s in shards {
            if let Some(p) = &s.parent {
                children.entry(p.as_str()).or_default().push(s.id.as_str());
            }
        }
        Self {
            shards,
            rows: leases.iter().map(|l| (l.shard_id.as_str(), l)).collect(),
            children,
            known: shards.iter().map(|s| s.id.as_str()).collect(),
        }
    }

    fn has_checkpoint(&self, shard: &str) -> bool {
        self.rows.get(shard).is_some_and(|l| l.checkpoint.is_some())
    }

    /// Shards that need no more reading: read to their end (`SHARD_END`), or whose every child
    /// is under way (has a checkpoint, or is settled itself) — the state after the parent's
    /// `SHARD_END` row was removed.
    pub fn settled(&self) -> HashSet<&'a str> {
        let mut memo: HashMap<&str, bool> = HashMap::new();
        self.shards
            .iter()
            .map(|s| s.id.as_str())
            .filter(|id| self.is_settled(id, &mut memo))
            .collect()
    }

    fn is_settled(&self, shard: &'a str, memo: &mut HashMap<&'a str, bool>) -> bool {
        if let Some(v) = memo.get(shard) {
            return *v;
        }
        memo.insert(shard, false); // a cycle (never in a real stream) counts as unsettled
        let ended = self
            .rows
            .get(shard)
            .is_some_and(|l| l.checkpoint.as_deref() == Some(SHARD_END));
        let v = ended
            || self.children.get(shard).is_some_and(|kids| {
                kids.iter()
                    .all(|k| self.has_checkpoint(k) || self.is_settled(k, memo))
            });
        memo.insert(shard, v);
        v
    }

    /// Shards that may be read now, in stream order: not settled, and their parent (if the
    /// stream still has it) settled. Parent before child.
    pub fn eligible(&self, settled: &HashSet<&str>) -> Vec<&'a Shard> {
        self.shards
            .iter()
            .filter(|s| !settled.contains(s.id.as_str()))
            .filter(|s| match &s.parent {
                None => true,
                Some(p) => settled.contains(p.as_str()) || !self.known.contains(p.as_str()),
            })
            .collect()
    }

    /// Where a shard without a checkpoint starts: a child (its parent is in the stream or in
    /// the lease table) at its trim horizon, so nothing written to it before its parent ended is
    /// skipped; any other shard where the configuration says.
    pub fn fresh_start(&self, shard: &Shard, configured: &StartAt) -> StartAt {
        let has_parent = shard
            .parent
            .as_deref()
            .is_some_and(|p| self.known.contains(p) || self.rows.contains_key(p));
        if has_parent {
            StartAt::TrimHorizon
        } else {
            configured.clone()
        }
    }

    /// Rows nobody needs: heartbeats that expired (their consumer stopped without saying so),
    /// and `SHARD_END` rows of shards that are gone from the stream or whose children are all
    /// under way.
    pub fn removable(&self, leases: &'a [Lease], now: DateTime<Utc>) -> Vec<&'a Lease> {
        leases
            .iter()
            .filter(|l| {
                if l.shard_id.starts_with(WORKER_PREFIX) {
                    return l.expires_at <= now;
                }
                if l.checkpoint.as_deref() != Some(SHARD_END) || l.expires_at > now {
                    return false;
                }
                if !self.known.contains(l.shard_id.as_str()) {
                    return true;
                }
                self.children.get(l.shard_id.as_str()).is_some_and(|kids| {
                    let mut memo = HashMap::new();
                    kids.iter()
                        .all(|k| self.has_checkpoint(k) || self.is_settled(k, &mut memo))
                })
            })
            .collect()
    }
}

/// Owners with a live heartbeat.
pub fn live_owners(leases: &[Lease], now: DateTime<Utc>) -> HashSet<&str> {
    leases
        .iter()
        .filter(|l| l.shard_id.starts_with(WORKER_PREFIX) && l.expires_at > now)
        .map(|l| l.owner.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parent: Option<&str>) -> Shard {
        Shard {
            id: id.into(),
            parent: parent.map(str::to_string),
            closed: false,
        }
    }

    fn row(id: &str, cp: Option<&str>, expires_in_s: i64) -> Lease {
        Lease {
            stream: "s".into(),
            shard_id: id.into(),
            owner: "o".into(),
            counter: 1,
            expires_at: Utc::now() + chrono::Duration::seconds(expires_in_s),
            checkpoint: cp.map(str::to_string),
        }
    }

    fn ids<'a>(v: impl IntoIterator<Item = &'a Shard>) -> Vec<&'a str> {
        v.into_iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn parent_first_then_children_and_children_start_at_the_trim_horizon() {
        let shards = [
            shard("p", None),
            shard("c1", Some("p")),
            shard("c2", Some("p")),
        ];
        let leases = [];
        let v = View::new(&shards, &leases);
        assert_eq!(ids(v.eligible(&v.settled())), ["p"]);
        assert_eq!(v.fresh_start(&shards[0], &StartAt::Latest), StartAt::Latest);
        assert_eq!(
            v.fresh_start(&shards[1], &StartAt::Latest),
            StartAt::TrimHorizon
        );
        let leases = [row("p", Some(SHARD_END), -1)];
        let v = View::new(&shards, &leases);
        assert_eq!(ids(v.eligible(&v.settled())), ["c1", "c2"]);
        // A child whose parent is gone from the stream but still has a row is still a child.
        let orphan = [shard("c1", Some("p"))];
        let v = View::new(&orphan, &leases);
        assert_eq!(
            v.fresh_start(&orphan[0], &StartAt::Latest),
            StartAt::TrimHorizon
        );
        // A parent trimmed away long ago and forgotten: latest applies.
        let none: [Lease; 0] = [];
        let v = View::new(&orphan, &none);
        assert_eq!(v.fresh_start(&orphan[0], &StartAt::Latest), StartAt::Latest);
    }

    #[test]
    fn shard_end_rows_go_once_every_child_is_under_way_and_the_parent_stays_settled() {
        let shards = [
            shard("p", None),
            shard("c1", Some("p")),
            shard("c2", Some("p")),
        ];
        let one_child = [row("p", Some(SHARD_END), -1), row("c1", Some("5"), 30)];
        let v = View::new(&shards, &one_child);
        assert!(
            v.removable(&one_child, Utc::now()).is_empty(),
            "c2 not started"
        );
        let both = [
            row("p", Some(SHARD_END), -1),
            row("c1", Some("5"), 30),
            row("c2", Some("7"), 30),
        ];
        let v = View::new(&shards, &both);
        let gone: Vec<&str> = v
            .removable(&both, Utc::now())
            .iter()
            .map(|l| l.shard_id.as_str())
            .collect();
        assert_eq!(gone, ["p"]);
        // After the row is gone the parent is still settled (never read again).
        let after = [row("c1", Some("5"), 30), row("c2", Some("7"), 30)];
        let v = View::new(&shards, &after);
        assert!(v.settled().contains("p"));
        assert_eq!(ids(v.eligible(&v.settled())), ["c1", "c2"]);
        // Grandchildren: c1 ended and removed, its child under way: p and c1 stay settled.
        let deep = [
            shard("p", None),
            shard("c1", Some("p")),
            shard("g", Some("c1")),
        ];
        let rows = [row("g", Some("9"), 30)];
        let v = View::new(&deep, &rows);
        let settled = v.settled();
        assert!(settled.contains("p") && settled.contains("c1"));
        assert_eq!(ids(v.eligible(&settled)), ["g"]);
        // A finished shard the stream no longer has: its row goes.
        let rows = [row("old", Some(SHARD_END), -1)];
        let v = View::new(&deep, &rows);
        assert_eq!(v.removable(&rows, Utc::now()).len(), 1);
    }

    #[test]
    fn expired_heartbeats_are_removable_live_ones_are_not() {
        let leases = [
            row("worker#dead", None, -1),
            row("worker#alive", None, 30),
            row("s1", None, -1),
        ];
        let v = View::new(&[], &leases);
        let gone: Vec<&str> = v
            .removable(&leases, Utc::now())
            .iter()
            .map(|l| l.shard_id.as_str())
            .collect();
        assert_eq!(gone, ["worker#dead"]);
        let mut alive = leases.to_vec();
        alive[1].owner = "alive".into();
        assert_eq!(
            live_owners(&alive, Utc::now())
                .into_iter()
                .collect::<Vec<_>>(),
            ["alive"]
        );
    }
}
