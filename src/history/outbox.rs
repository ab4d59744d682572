//! The delivery outbox: what each sink still owes, read and updated by the sender thread.
//!
//! Rows are written with the window's result (see `incidents::store`), so a change is either
//! recorded and owed, or neither. The sender drains them on its own connection (WAL lets it read
//! and write while the monitor records windows).
//!
//! Order and coalescing: a sink is owed the latest state of each incident, not its history, so
//! when several changes of one incident are pending only the newest is sent; the older ones are
//! marked `superseded`. With one pending change per incident, the most severe go first
//! (CRITICAL, then WARNING, then INFO; oldest first within a level): a new CRITICAL page never
//! waits behind a backlog of INFO updates, and an incident's "resolved" can never overtake its
//! "opened" (they are never both pending). A row an active silence matches is `held` (see
//! [`crate::silences::hold`]) until the silence ends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ml_monitor::{
    monitoring::{Incident, IncidentChange},
    AlertLevel,
};
use rusqlite::{params, Connection};

use super::{sql_err, HistoryError};
use crate::silences::Silence;

/// A sink as the outbox knows it: its name and the lowest level it is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SinkFilter {
    pub(crate) name: String,
    pub(crate) min_level: AlertLevel,
}

/// One owed delivery.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutboxRow {
    pub(crate) id: i64,
    /// The change's row: the same for every sink and every retry.
    pub(crate) change_id: i64,
    pub(crate) change: IncidentChange,
    pub(crate) attempts: u32,
}

/// The sender's connection to the history.
pub(crate) struct Outbox {
    conn: Connection,
    path: PathBuf,
}

impl Outbox {
    /// Opens the history at `path` (already created and migrated by `History::open`).
    pub(crate) fn open(path: &Path) -> Result<Outbox, HistoryError> {
        let err = sql_err(path);
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(&err)?;
        // As the monitor's own connection (see `History::open`): in WAL, a commit does not wait
        // for the disk. Without it every delivered change cost a sync, a few per second.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(&err)?;
        Ok(Outbox {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Up to `limit` pending rows of a sink, the latest change of each incident, the most
    /// severe incidents first (then the oldest). Older pending changes of the same incidents
    /// are marked `superseded` first.
    pub(crate) fn pending(&self, sink: &str, limit: usize) -> Result<Vec<OutboxRow>, HistoryError> {
        self.rows(sink, "pending", limit)
    }

    /// The rows of a sink held back by a silence, oldest first.
    pub(crate) fn held(&self, sink: &str) -> Result<Vec<OutboxRow>, HistoryError> {
        self.rows(sink, "held", usize::MAX)
    }

    /// The silences in force at `now`.
    pub(crate) fn active_silences(&self, now: DateTime<Utc>) -> Result<Vec<Silence>, HistoryError> {
        let mut all = super::silences::read(&self.conn, &self.path, Some(now))?;
        all.retain(|s| s.is_active(now));
        Ok(all)
    }

    /// A pending row is held back by a silence.
    pub(crate) fn hold(&self, id: i64) -> Result<(), HistoryError> {
        self.set_state(id, "held")
    }

    /// A held row is owed again (its silence ended while it still matters).
    pub(crate) fn release(&self, id: i64) -> Result<(), HistoryError> {
        self.set_state(id, "pending")
    }

    /// A held row is no longer owed: its incident resolved while silenced, never announced.
    pub(crate) fn drop_held(&self, id: i64) -> Result<(), HistoryError> {
        self.set_state(id, "dropped")
    }

    fn set_state(&self, id: i64, state: &str) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "UPDATE outbox SET state = ?2 WHERE id = ?1",
                params![id, state],
            )
            .map_err(sql_err(&self.path))?;
        Ok(())
    }

    /// Marks the older pending changes of an incident `superseded`: only its latest is owed.
    fn supersede(&self, sink: &str) -> Result<(), HistoryError> {
        let err = sql_err(&self.path);
        self.conn
            .execute(
                "UPDATE outbox SET state = 'superseded', done_us = ?2
                 WHERE sink = ?1 AND state = 'pending' AND id NOT IN (
                     SELECT MAX(id) FROM outbox WHERE sink = ?1 AND state = 'pending'
                     GROUP BY incident_id)",
                params![sink, Utc::now().timestamp_micros()],
            )
            .map_err(&err)?;
        Ok(())
    }

    fn rows(&self, sink: &str, state: &str, limit: usize) -> Result<Vec<OutboxRow>, HistoryError> {
        let err = sql_err(&self.path);
        if state == "pending" {
            self.supersede(sink)?;
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT o.id, c.json, o.attempts, o.change_id FROM outbox o
                 JOIN incident_changes c ON c.id = o.change_id
                 LEFT JOIN incidents i ON i.id = o.incident_id
                 WHERE o.sink = ?1 AND o.state = ?3
                 ORDER BY CASE i.level WHEN 'CRITICAL' THEN 0 WHEN 'WARNING' THEN 1 ELSE 2 END,
                          o.id
                 LIMIT ?2",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(
                params![sink, i64::try_from(limit).unwrap_or(i64::MAX), state],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                },
            )
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json, attempts, change_id) = row.map_err(&err)?;
            let change = serde_json::from_str(&json).map_err(|error| HistoryError::Corrupt {
                path: self.path.clone(),
                id,
                window: format!("outbox row {id}"),
                error,
            })?;
            out.push(OutboxRow {
                id,
                change_id,
                change,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            });
        }
        Ok(out)
    }

    /// The levels of the incident's changes recorded before change `change_id` (its levels, and
    /// those it escalated from), lowest first: the severities a receiver may hold it at.
    pub(crate) fn earlier_levels(
        &self,
        incident_id: u64,
        change_id: i64,
    ) -> Result<Vec<AlertLevel>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT json_extract(json, '$.level') FROM incident_changes
                 WHERE incident_id = ?1 AND id < ?2
                 UNION SELECT json_extract(json, '$.previous_level') FROM incident_changes
                 WHERE incident_id = ?1 AND id < ?2",
            )
            .map_err(&err)?;
        let names = stmt
            .query_map(
                params![i64::try_from(incident_id).unwrap_or(i64::MAX), change_id],
                |row| row.get::<_, Option<String>>(0),
            )
            .map_err(&err)?;
        let mut levels = Vec::new();
        for name in names {
            // A level this version does not know cannot be ended by name: skipped.
            if let Some(level) = name.map_err(&err)?.and_then(|n| n.parse().ok()) {
                levels.push(level);
            }
        }
        levels.sort();
        levels.dedup();
        Ok(levels)
    }

    /// Whether a row added after row `after` is pending for the sink at a level above `level`
    /// (the sender then reads its queue again, most severe first).
    pub(crate) fn more_severe_pending(
        &self,
        sink: &str,
        after: i64,
        level: AlertLevel,
    ) -> Result<bool, HistoryError> {
        let above: Vec<&str> = [AlertLevel::Warning, AlertLevel::Critical]
            .into_iter()
            .filter(|l| *l > level)
            .map(AlertLevel::as_str)
            .collect();
        if above.is_empty() {
            return Ok(false);
        }
        let found: i64 = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM outbox o JOIN incidents i ON i.id = o.incident_id
                 WHERE o.sink = ?1 AND o.state = 'pending' AND o.id > ?2
                   AND i.level IN (?3, ?4))",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![
                        sink,
                        after,
                        above[0],
                        above.get(1).copied().unwrap_or(above[0])
                    ],
                    |row| row.get(0),
                )
            })
            .map_err(sql_err(&self.path))?;
        Ok(found != 0)
    }

    /// How many rows of a sink are pending.
    pub(crate) fn pending_count(&self, sink: &str) -> Result<usize, HistoryError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE sink = ?1 AND state = 'pending'",
                params![sink],
                |row| row.get(0),
            )
            .map_err(sql_err(&self.path))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Whether any change of this incident was delivered to the sink.
    pub(crate) fn announced(&self, sink: &str, incident_id: u64) -> Result<bool, HistoryError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM outbox
                 WHERE sink = ?1 AND incident_id = ?2 AND state = 'delivered'",
                params![sink, i64::try_from(incident_id).unwrap_or(i64::MAX)],
                |row| row.get(0),
            )
            .map_err(sql_err(&self.path))?;
        Ok(n > 0)
    }

    /// A row was delivered.
    pub(crate) fn delivered(&self, id: i64) -> Result<(), HistoryError> {
        self.finish(id, "delivered", None)
    }

    /// A row can never be delivered (the receiver refused it); `error` is its answer.
    pub(crate) fn failed(&self, id: i64, error: &str) -> Result<(), HistoryError> {
        self.finish(id, "failed", Some(error))
    }

    fn finish(&self, id: i64, state: &str, error: Option<&str>) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "UPDATE outbox SET state = ?2, attempts = attempts + 1,
                     last_error = COALESCE(?3, last_error), done_us = ?4 WHERE id = ?1",
                params![id, state, error, Utc::now().timestamp_micros()],
            )
            .map_err(sql_err(&self.path))?;
        Ok(())
    }

    /// A try failed and will be retried.
    pub(crate) fn attempt_failed(&self, id: i64, error: &str) -> Result<(), HistoryError> {
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map_err(sql_err(&self.path))?;
        Ok(())
    }

    /// The incidents firing now at or above `min_level` (what Alertmanager is reminded of).
    pub(crate) fn firing(&self, min_level: AlertLevel) -> Result<Vec<Incident>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT id, json FROM incidents WHERE status = 'firing' ORDER BY id")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(&err)?;
            let incident: Incident =
                serde_json::from_str(&json).map_err(|error| HistoryError::Corrupt {
                    path: self.path.clone(),
                    id,
                    window: format!("incident {id}"),
                    error,
                })?;
            if incident.level >= min_level {
                out.push(incident);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
pub(crate) mod tests;
