//! The SQLite file: schema, one shared connection, and the generic item store under the tables.

use std::path::Path;
use std::sync::{mpsc, Arc};

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use tokio::sync::Notify;

use crate::item::{self, Item};
use crate::ports::ChangeKind;
use crate::StoreError;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS tables (name TEXT PRIMARY KEY, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    tbl TEXT NOT NULL, pk TEXT NOT NULL, sk TEXT NOT NULL, date_idx TEXT, body TEXT NOT NULL,
    PRIMARY KEY (tbl, pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_by_date ON items (tbl, date_idx) WHERE date_idx IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_unsettled ON items (tbl) WHERE json_extract(body, '$.unsettled') IS NOT NULL;
CREATE TABLE IF NOT EXISTS feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, kind TEXT NOT NULL,
    keys TEXT NOT NULL, old_image TEXT, new_image TEXT, created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY, dlq TEXT, max_receive_count INTEGER);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL, body TEXT NOT NULL,
    attributes TEXT NOT NULL, sent_ms INTEGER NOT NULL, visible_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_ms, seq);
CREATE INDEX IF NOT EXISTS messages_receipt ON messages (receipt);
"#;

/// Every statement through the connection's statement cache: a transaction's SQL is a handful of
/// fixed strings, and parsing them again on every call was most of a reconcile's CPU (58 % of a
/// roster import's samples were in `sqlite3_prepare`).
pub(crate) trait Cached {
    fn exec_cached<P: rusqlite::Params>(&self, sql: &str, p: P) -> rusqlite::Result<usize>;
    fn row_cached<T, P, F>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec_cached<P: rusqlite::Params>(&self, sql: &str, p: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(p)
    }
    fn row_cached<T, P, F>(&self, sql: &str, p: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(p, f)
    }
}

/// Statements kept prepared (rusqlite's default is 16; the stores use about 30 distinct ones).
const STATEMENT_CACHE: usize = 64;

/// The embedded database: one connection, owned by its own thread (`db_thread`), which runs the
/// transactions sent to it one after another.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<super::db_thread::Job>,
    /// Woken on every queue send, so a long poll in this process answers at once.
    pub(crate) sent: Arc<Notify>,
}

pub(crate) fn sql_err(op: &str, e: rusqlite::Error) -> StoreError {
    let busy = matches!(
        &e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        // Two `dispatch` processes on one data folder take turns; say so instead of a bare
        // "database is locked".
        return StoreError::backend(
            op,
            true,
            format!("{e}: another dispatch process holds the database; it is retried"),
        );
    }
    StoreError::backend(op, false, e)
}

impl Db {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            crate::private_fs::create_dir(dir).map_err(|e| {
                StoreError::backend(format!("creating {}", dir.display()), false, e)
            })?;
        }
        // A new database file is the owner's alone (SQLite gives its -wal and -shm files the
        // database file's mode).
        if !path.exists() {
            match crate::private_fs::new_file().open(path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(StoreError::backend(
                        format!("creating {}", path.display()),
                        false,
                        e,
                    ))
                }
            }
        }
        let conn = Connection::open(path)
            .map_err(|e| sql_err(&format!("opening {}", path.display()), e))?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(|e| sql_err("opening in-memory db", e))?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| sql_err("busy_timeout", e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| sql_err("journal_mode", e))?;
        // WAL with synchronous=NORMAL: a commit is written to the WAL but fsynced only at
        // checkpoints. A killed process loses nothing (the WAL is in the OS's hands at commit;
        // the kill tests SIGKILL `dispatch run` mid-load); only a power cut or OS crash can drop
        // the last commits, and the database stays consistent. What those commits did is done
        // again: the change feed and the queues are in the same file, so a lost commit also
        // loses the feed record or the message deletion that followed it, and the record or
        // message comes back; mails are sent under a claim by key, and the outbox writes one
        // file per key, so a mail sent again replaces its file. FULL would fsync every commit,
        // about ten a charter.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| sql_err("synchronous", e))?;
        conn.execute_batch(SCHEMA)
            .map_err(|e| sql_err("creating schema", e))?;
        Ok(Self {
            jobs: super::db_thread::start(conn)?,
            sent: Arc::new(Notify::new()),
        })
    }

    /// Runs `f` in one IMMEDIATE transaction on the database's thread; commits if it returns Ok.
    pub async fn tx<T, F>(&self, op: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        crate::requests::count("sqlite", op);
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: super::db_thread::Job = Box::new(move |conn: &mut Connection| {
            let run = || {
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| sql_err(op, e))?;
                let out = f(&tx)?;
                tx.commit().map_err(|e| sql_err(op, e))?;
                Ok(out)
            };
            // The caller may have stopped waiting; the transaction ran to its end all the same.
            let _ = reply.send(run());
        });
        let gone = || StoreError::backend(op, false, "the database thread has stopped");
        self.jobs.send(job).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Helpers on a transaction: the generic item store with its change feed.
pub trait TxExt {
    fn require_table(&self, name: &str) -> Result<(), StoreError>;
    fn get_item(&self, tbl: &str, pk: &str, sk: &str) -> Result<Option<Item>, StoreError>;
    /// Writes an item; records the change in the feed when `feed` is set.
    #[allow(clippy::too_many_arguments)]
    fn put_item(
        &self,
        tbl: &str,
        pk: &str,
        sk: &str,
        date_idx: Option<&str>,
        item: &Item,
        old: Option<&Item>,
        feed: bool,
    ) -> Result<(), StoreError>;
    fn delete_item(
        &self,
        tbl: &str,
        pk: &str,
        sk: &str,
        old: &Item,
        feed: bool,
    ) -> Result<(), StoreError>;
    /// Items of one partition, by sort key (optionally with a prefix).
    fn query_items(
        &self,
        tbl: &str,
        pk: &str,
        sk_prefix: Option<&str>,
    ) -> Result<Vec<Item>, StoreError>;
    /// Adds `delta` to a member's assignment count for `month` (never below 0).
    fn add_load(
        &self,
        tbl: &str,
        crew: &crate::domain::CrewId,
        month: crate::domain::Month,
        delta: i64,
    ) -> Result<(), StoreError> {
        let (pk, sk) = crate::records::load_key(crew, month);
        let old = self.get_item(tbl, &pk, &sk)?;
        let now = old.as_ref().map(crate::records::load_count).unwrap_or(0);
        let next = (i64::from(now) + delta).clamp(0, i64::from(u32::MAX)) as u32;
        let item = crate::records::load_to_item(crew, month, next);
        self.put_item(tbl, &pk, &sk, None, &item, old.as_ref(), false)
    }
}

pub(crate) fn decode(body: &str) -> Result<Item, StoreError> {
    let v: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| StoreError::backend("decoding stored item", false, e))?;
    item::from_json(&v).map_err(|e| StoreError::backend("decoding stored item", false, e))
}

pub(crate) fn encode(item: &Item) -> String {
    item::to_json(item).to_string()
}

impl TxExt for Transaction<'_> {
    fn require_table(&self, name: &str) -> Result<(), StoreError> {
        let found: Option<String> = self
            .row_cached(
                "SELECT name FROM tables WHERE name = ?1 AND kind = 'table'",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_err("checking table", e))?;
        found.map(|_| ()).ok_or_else(|| StoreError::Missing {
            kind: "table",
            name: name.to_string(),
        })
    }

    fn get_item(&self, tbl: &str, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.require_table(tbl)?;
        let body: Option<String> = self
            .row_cached(
                "SELECT body FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3",
                params![tbl, pk, sk],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_err("reading item", e))?;
        body.map(|b| decode(&b)).transpose()
    }

    fn put_item(
        &self,
        tbl: &str,
        pk: &str,
        sk: &str,
        date_idx: Option<&str>,
        item: &Item,
        old: Option<&Item>,
        feed: bool,
    ) -> Result<(), StoreError> {
        self.require_table(tbl)?;
        self.exec_cached(
            "INSERT INTO items (tbl, pk, sk, date_idx, body) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tbl, pk, sk) DO UPDATE SET date_idx = excluded.date_idx, body = excluded.body",
            params![tbl, pk, sk, date_idx, encode(item)],
        )
        .map_err(|e| sql_err("writing item", e))?;
        if feed {
            let kind = if old.is_some() {
                ChangeKind::Modify
            } else {
                ChangeKind::Insert
            };
            self.append_feed(tbl, kind, item, old, Some(item))?;
        }
        Ok(())
    }

    fn delete_item(
        &self,
        tbl: &str,
        pk: &str,
        sk: &str,
        old: &Item,
        feed: bool,
    ) -> Result<(), StoreError> {
        self.require_table(tbl)?;
        self.exec_cached(
            "DELETE FROM items WHERE tbl = ?1 AND pk = ?2 AND sk = ?3",
            params![tbl, pk, sk],
        )
        .map_err(|e| sql_err("deleting item", e))?;
        if feed {
            self.append_feed(tbl, ChangeKind::Remove, old, Some(old), None)?;
        }
        Ok(())
    }

    fn query_items(
        &self,
        tbl: &str,
        pk: &str,
        sk_prefix: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        self.require_table(tbl)?;
        let prefix = sk_prefix.unwrap_or("");
        let mut stmt = self
            .prepare_cached("SELECT body FROM items WHERE tbl = ?1 AND pk = ?2 AND substr(sk, 1, length(?3)) = ?3 ORDER BY sk")
            .map_err(|e| sql_err("querying items", e))?;
        let rows = stmt
            .query_map(params![tbl, pk, prefix], |r| r.get::<_, String>(0))
            .map_err(|e| sql_err("querying items", e))?;
        rows.map(|b| decode(&b.map_err(|e| sql_err("querying items", e))?))
            .collect()
    }
}

/// The key attributes of charter items, which the feed record carries as `Keys`.
const FEED_KEYS: [&str; 2] = [
    crate::domain::charter_attr::CHARTER_ID,
    crate::domain::charter_attr::CREATED_AT,
];

trait FeedExt {
    fn append_feed(
        &self,
        tbl: &str,
        kind: ChangeKind,
        keys_from: &Item,
        old: Option<&Item>,
        new: Option<&Item>,
    ) -> Result<(), StoreError>;
}

impl FeedExt for Transaction<'_> {
    fn append_feed(
        &self,
        tbl: &str,
        kind: ChangeKind,
        keys_from: &Item,
        old: Option<&Item>,
        new: Option<&Item>,
    ) -> Result<(), StoreError> {
        let keys: Item = FEED_KEYS
            .iter()
            .filter_map(|k| keys_from.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        self.exec_cached(
            "INSERT INTO feed (tbl, kind, keys, old_image, new_image, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![tbl, kind.as_str(), encode(&keys), old.map(encode), new.map(encode), chrono::Utc::now().timestamp_millis()],
        )
        .map_err(|e| sql_err("appending to change feed", e))?;
        Ok(())
    }
}

pub(crate) use sql_err as sql_error;
