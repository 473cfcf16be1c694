//! The shape of every table and queue, written once: `dispatch bootstrap` creates from it,
//! `dispatch doctor` checks against it (and the infra template is compared with it).

use crate::config::tables;
use crate::domain::charter_attr;
use crate::ports::QueueId;
use crate::records;

/// One key attribute (always a string here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub hash: &'static str,
    pub range: Option<&'static str>,
}

/// A table's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// Base name (without prefix).
    pub base: &'static str,
    pub key: KeySpec,
    /// Global secondary indexes: name and key (projection ALL).
    pub indexes: Vec<(&'static str, KeySpec)>,
    /// Whether the table has a stream with NEW_AND_OLD_IMAGES.
    pub stream: bool,
    /// The TTL attribute, if any.
    pub ttl: Option<&'static str>,
}

/// A queue's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub queue: QueueId,
    /// The DLQ it redrives to, with maxReceiveCount.
    pub redrive: Option<(QueueId, u32)>,
}

pub fn tables() -> Vec<TableSpec> {
    vec![
        TableSpec {
            base: tables::CHARTERS,
            key: KeySpec {
                hash: charter_attr::CHARTER_ID,
                range: Some(charter_attr::CREATED_AT),
            },
            indexes: vec![
                (
                    charter_attr::DATE_INDEX,
                    KeySpec {
                        hash: charter_attr::CHARTER_DATE,
                        range: None,
                    },
                ),
                // Sparse: only charters that may need work carry its keys (see the sweep).
                (
                    charter_attr::UNSETTLED_INDEX,
                    KeySpec {
                        hash: charter_attr::UNSETTLED,
                        range: Some(charter_attr::UNSETTLED_MARK),
                    },
                ),
            ],
            stream: true,
            ttl: None,
        },
        TableSpec {
            base: tables::ROSTER,
            key: KeySpec {
                hash: "crew_id",
                range: None,
            },
            indexes: vec![],
            stream: false,
            ttl: None,
        },
        TableSpec {
            base: tables::CHATS,
            key: KeySpec {
                hash: records::thread_attr::CHARTER_ID,
                range: Some(records::thread_attr::TS_ID),
            },
            indexes: vec![],
            stream: false,
            ttl: None,
        },
        TableSpec {
            base: tables::STATE,
            key: KeySpec {
                hash: records::PK,
                range: Some(records::SK),
            },
            indexes: vec![],
            stream: false,
            ttl: Some(records::TTL_ATTR),
        },
    ]
}

pub fn queues(max_receive_count: u32) -> Vec<QueueSpec> {
    QueueId::ALL
        .into_iter()
        .map(|q| QueueSpec {
            queue: q,
            redrive: q.dlq().map(|d| (d, max_receive_count)),
        })
        .collect()
}
