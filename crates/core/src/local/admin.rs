//! Bootstrap and doctor for the embedded backend.

use rusqlite::{params, OptionalExtension};

use super::db::sql_error;
use super::Local;
use crate::ports::{Admin, Check, Provisioned, QueueId};
use crate::StoreError;

#[async_trait::async_trait]
impl Admin for Local {
    async fn bootstrap(&self) -> Result<Vec<(String, Provisioned)>, StoreError> {
        let names = self.names.clone();
        self.db
            .tx("bootstrapping", move |tx| {
                let mut out = Vec::new();
                for t in [&names.charters, &names.roster, &names.chats, &names.state] {
                    let n = tx
                        .execute("INSERT OR IGNORE INTO tables (name, kind) VALUES (?1, 'table')", [t])
                        .map_err(|e| sql_error("creating table", e))?;
                    out.push((format!("table {t}"), if n == 1 { Provisioned::Created } else { Provisioned::AlreadyThere }));
                }
                // DLQs first so the work queues' redrive targets exist.
                let mut queues = QueueId::ALL.to_vec();
                queues.sort_by_key(|q| !q.is_dlq());
                for q in queues {
                    let name = q.name(&names.prefix);
                    let dlq = q.dlq().map(|d| d.name(&names.prefix));
                    let max = dlq.as_ref().map(|_| names.max_receive_count);
                    let existing: Option<(Option<String>, Option<u32>)> = tx
                        .query_row("SELECT dlq, max_receive_count FROM queues WHERE name = ?1", [&name], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .map_err(|e| sql_error("reading queue", e))?;
                    let status = match existing {
                        None => Provisioned::Created,
                        Some(_) => Provisioned::AlreadyThere,
                    };
                    tx.execute(
                        "INSERT INTO queues (name, dlq, max_receive_count) VALUES (?1, ?2, ?3)
                         ON CONFLICT (name) DO UPDATE SET dlq = excluded.dlq, max_receive_count = excluded.max_receive_count",
                        params![name, dlq, max],
                    )
                    .map_err(|e| sql_error("creating queue", e))?;
                    out.push((format!("queue {name}"), status));
                }
                Ok(out)
            })
            .await
    }

    async fn doctor(&self) -> Result<Vec<Check>, StoreError> {
        let names = self.names.clone();
        self.db
            .tx("checking", move |tx| {
                let mut out = Vec::new();
                for t in [&names.charters, &names.roster, &names.chats, &names.state] {
                    let found: Option<String> = tx
                        .query_row("SELECT name FROM tables WHERE name = ?1", [t], |r| r.get(0))
                        .optional()
                        .map_err(|e| sql_error("checking table", e))?;
                    out.push(Check {
                        subject: format!("table {t}"),
                        problem: found.is_none().then(|| "missing: run `dispatch bootstrap`".to_string()),
                    });
                }
                for q in QueueId::ALL {
                    let name = q.name(&names.prefix);
                    let row: Option<(Option<String>, Option<u32>)> = tx
                        .query_row("SELECT dlq, max_receive_count FROM queues WHERE name = ?1", [&name], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                        .map_err(|e| sql_error("checking queue", e))?;
                    let want_dlq = q.dlq().map(|d| d.name(&names.prefix));
                    let problem = match row {
                        None => Some("missing: run `dispatch bootstrap`".to_string()),
                        Some((dlq, max)) if dlq != want_dlq || (want_dlq.is_some() && max != Some(names.max_receive_count)) => Some(format!(
                            "redrive is {} (max {}), expected {} (max {}): run `dispatch bootstrap` to fix",
                            dlq.as_deref().unwrap_or("none"),
                            max.map_or("-".into(), |m| m.to_string()),
                            want_dlq.as_deref().unwrap_or("none"),
                            names.max_receive_count
                        )),
                        Some(_) => None,
                    };
                    out.push(Check { subject: format!("queue {name}"), problem });
                }
                Ok(out)
            })
            .await
    }

    fn describe(&self) -> String {
        format!("embedded SQLite at {}", self.path)
    }
}
