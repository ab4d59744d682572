//! Silences in the history: made by `silence add`, read by the sender and the TUI.
//!
//! Why in the history: the monitor, `silence add` and the TUI are different processes that
//! already share this database (WAL: one writes while the others read), and a silence must
//! outlive a restart. Expiring one by hand sets its end to now, so `silence list` still says
//! when it stopped.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{sql_err, History, HistoryError};
use crate::silences::{Matcher, Silence};

/// Schema step: silences.
pub(super) const MIGRATION: &str = "
    CREATE TABLE silences (
        id INTEGER PRIMARY KEY,
        matchers TEXT NOT NULL,
        starts_us INTEGER NOT NULL,
        ends_us INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        comment TEXT NOT NULL
    );
    CREATE INDEX silences_ends ON silences (ends_us);
";

/// The silences that end after `after` (all with `None`), by id.
pub(super) fn read(
    conn: &Connection,
    path: &std::path::Path,
    after: Option<DateTime<Utc>>,
) -> Result<Vec<Silence>, HistoryError> {
    let err = sql_err(path);
    let mut stmt = conn
        .prepare(
            "SELECT id, matchers, starts_us, ends_us, created_by, comment FROM silences
             WHERE ends_us > ?1 ORDER BY id",
        )
        .map_err(&err)?;
    let rows = stmt
        .query_map(
            params![after.map_or(i64::MIN, |t| t.timestamp_micros())],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                ))
            },
        )
        .map_err(&err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, matchers, starts, ends, created_by, comment) = row.map_err(&err)?;
        let matchers: Vec<Matcher> =
            serde_json::from_str(&matchers).map_err(|error| HistoryError::Corrupt {
                path: path.to_path_buf(),
                id,
                window: format!("silence {id}"),
                error,
            })?;
        out.push(Silence {
            id,
            matchers,
            starts_at: DateTime::from_timestamp_micros(starts).unwrap_or_default(),
            ends_at: DateTime::from_timestamp_micros(ends).unwrap_or_default(),
            created_by,
            comment,
        });
    }
    Ok(out)
}

impl History {
    /// Stores a new silence from now until `ends_at`; its id.
    pub(crate) fn add_silence(
        &mut self,
        matchers: &[Matcher],
        ends_at: DateTime<Utc>,
        created_by: &str,
        comment: &str,
    ) -> Result<i64, HistoryError> {
        let json = serde_json::to_string(matchers).map_err(|error| HistoryError::Unstorable {
            path: self.path.clone(),
            window: "silence".into(),
            error,
        })?;
        self.conn
            .execute(
                "INSERT INTO silences (matchers, starts_us, ends_us, created_by, comment)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    json,
                    Utc::now().timestamp_micros(),
                    ends_at.timestamp_micros(),
                    created_by,
                    comment
                ],
            )
            .map_err(sql_err(&self.path))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every silence, by id; `active_only`: only those not yet ended.
    pub(crate) fn silences(&self, active_only: bool) -> Result<Vec<Silence>, HistoryError> {
        read(&self.conn, &self.path, active_only.then(Utc::now))
    }

    /// Ends a silence now; `false` when there is no such silence. Expiring an ended one
    /// changes nothing.
    pub(crate) fn expire_silence(&mut self, id: i64) -> Result<bool, HistoryError> {
        let err = sql_err(&self.path);
        let exists: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM silences WHERE id = ?1)",
                params![id],
                |row| row.get(0),
            )
            .map_err(&err)?;
        if exists {
            self.conn
                .execute(
                    "UPDATE silences SET ends_us = MIN(ends_us, ?2) WHERE id = ?1",
                    params![id, Utc::now().timestamp_micros()],
                )
                .map_err(&err)?;
        }
        Ok(exists)
    }
}
