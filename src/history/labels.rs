//! Late labels in the history: each window's kept ids and predictions, its labels so far, and
//! the labels held for windows not seen yet.
//!
//! Why a window's labels are a table of their own: SQLite rewrites a whole row on update, and
//! the kept blob beside them would be written again with every label file.
//! Why the kept rows are written in the window's own transaction ([`History::stage_kept`]): a
//! window recorded without its ids would make its labels "unknown" forever. Why a label file's
//! effects (every window's labels, its updated result, the held labels and the file's key) are
//! one transaction: reading the file again after a crash then changes nothing twice.

use std::time::Duration;

use chrono::Utc;
use ml_monitor::{
    monitoring::{Incident, IncidentChange},
    MonitoringResult,
};
use rusqlite::{params, OptionalExtension, Transaction};

use super::{claim_file, sql_err, FileKey, History, HistoryError};

/// Schema step: kept rows and held labels.
pub(super) const MIGRATION: &str = "
    CREATE TABLE kept_rows (
        result_id INTEGER PRIMARY KEY REFERENCES results (id),
        window TEXT NOT NULL,
        kept_us INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        kept BLOB NOT NULL
    );
    CREATE TABLE window_labels (
        result_id INTEGER PRIMARY KEY REFERENCES kept_rows (result_id) ON DELETE CASCADE,
        labels BLOB NOT NULL,
        label_files TEXT NOT NULL
    );
    CREATE TABLE held_labels (
        id TEXT PRIMARY KEY,
        label REAL NOT NULL,
        file TEXT NOT NULL,
        seq INTEGER NOT NULL
    ) WITHOUT ROWID;
";

/// A window's kept rows waiting to be written with its result.
#[derive(Debug)]
pub(crate) struct StagedKept {
    pub(crate) blob: Vec<u8>,
    pub(crate) rows: usize,
    /// `[labels] keep` and `max_rows`: older windows' rows are dropped in the same transaction.
    pub(crate) keep: Duration,
    pub(crate) max_rows: usize,
}

/// A window's kept rows, as stored.
#[derive(Debug, Clone)]
pub(crate) struct KeptWindow {
    pub(crate) result_id: i64,
    pub(crate) window: String,
    pub(crate) blob: Vec<u8>,
    /// Its labels so far (see `join::encode_labels`); `None` before the first.
    pub(crate) labels: Option<Vec<u8>>,
    /// The label files its labels came from, in arrival order.
    pub(crate) files: Vec<String>,
}

/// What a label file (or held labels applied to a new window) changes in one window.
#[derive(Debug)]
pub(crate) struct WindowLabels {
    pub(crate) result_id: i64,
    pub(crate) labels: Vec<u8>,
    pub(crate) files: Vec<String>,
    /// The window's result with its realised figures.
    pub(crate) result: MonitoringResult,
    /// The problem changes its realised figures made (late-label problems), recorded against
    /// the window and queued for the sinks with the rest.
    pub(crate) changes: Vec<IncidentChange>,
}

/// Held labels to write (`held`) and to forget (`forget`).
#[derive(Debug, Default)]
pub(crate) struct HeldChanges {
    pub(crate) held: Vec<(String, f64, String, u64)>,
    pub(crate) forget: Vec<String>,
}

impl History {
    /// Kept rows to write with the next recorded window (see [`History::record_window`]).
    pub(crate) fn stage_kept(&mut self, staged: StagedKept) {
        self.staged_kept = Some(staged);
    }

    /// Every window's kept rows, oldest first.
    pub(crate) fn kept_windows(&self) -> Result<Vec<KeptWindow>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT k.result_id, k.window, k.kept, l.labels, l.label_files
                 FROM kept_rows k LEFT JOIN window_labels l USING (result_id)
                 ORDER BY k.result_id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok(KeptWindow {
                    result_id: row.get(0)?,
                    window: row.get(1)?,
                    blob: row.get(2)?,
                    labels: row.get(3)?,
                    files: files_of(row.get(4)?),
                })
            })
            .map_err(&err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&err)?;
        Ok(rows)
    }

    /// The newest window's kept rows (the window just recorded).
    pub(crate) fn newest_kept(&self) -> Result<Option<KeptWindow>, HistoryError> {
        self.conn
            .query_row(
                "SELECT k.result_id, k.window, k.kept, l.labels, l.label_files
                 FROM kept_rows k LEFT JOIN window_labels l USING (result_id)
                 ORDER BY k.result_id DESC LIMIT 1",
                [],
                |row| {
                    Ok(KeptWindow {
                        result_id: row.get(0)?,
                        window: row.get(1)?,
                        blob: row.get(2)?,
                        labels: row.get(3)?,
                        files: files_of(row.get(4)?),
                    })
                },
            )
            .optional()
            .map_err(sql_err(&self.path))
    }

    /// A recorded result by its row id.
    pub(crate) fn result_by_id(&self, id: i64) -> Result<Option<MonitoringResult>, HistoryError> {
        let found: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT window, json FROM results WHERE id = ?1",
                [id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(sql_err(&self.path))?;
        found
            .map(|(window, json)| {
                serde_json::from_str(&json).map_err(|error| HistoryError::Corrupt {
                    path: self.path.clone(),
                    id,
                    window,
                    error,
                })
            })
            .transpose()
    }

    /// The labels held for windows not seen yet: (id, label, file, arrival order).
    pub(crate) fn held_labels(&self) -> Result<Vec<(String, f64, String, u64)>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT id, label, file, seq FROM held_labels")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get::<_, i64>(3)?.max(0) as u64,
                ))
            })
            .map_err(&err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&err)?;
        Ok(rows)
    }

    /// Records what labels changed, in one transaction: each window's labels and result, the
    /// held labels, and (if given) the label file's key. `Ok(false)`, recording nothing, when
    /// that key is recorded already.
    pub(crate) fn record_labels(
        &mut self,
        key: Option<&FileKey>,
        windows: &[WindowLabels],
        held: &HeldChanges,
        changed: &[Incident],
    ) -> Result<bool, HistoryError> {
        let mut jsons = Vec::with_capacity(windows.len());
        for w in windows {
            let json =
                serde_json::to_string(&w.result).map_err(|error| HistoryError::Unstorable {
                    path: self.path.clone(),
                    window: w.result.window.clone(),
                    error,
                })?;
            jsons.push(json);
        }
        let err = sql_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&err)?;
        if let Some(key) = key {
            if claim_file(&tx, key).map_err(&err)?.is_none() {
                return Ok(false);
            }
        }
        for (w, json) in windows.iter().zip(&jsons) {
            let files = serde_json::to_string(&w.files).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "INSERT INTO window_labels (result_id, labels, label_files) VALUES (?1, ?2, ?3)
                 ON CONFLICT (result_id) DO UPDATE SET labels = ?2, label_files = ?3",
                params![w.result_id, w.labels, files],
            )
            .map_err(&err)?;
            tx.execute(
                "UPDATE results SET json = ?2 WHERE id = ?1",
                params![w.result_id, json],
            )
            .map_err(&err)?;
            super::incidents::store_changes(&tx, w.result_id, &w.changes, &self.sinks)
                .map_err(&err)?;
        }
        super::incidents::store_firing(&tx, changed).map_err(&err)?;
        {
            let mut upsert = tx
                .prepare(
                    "INSERT INTO held_labels (id, label, file, seq) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET label = ?2, file = ?3, seq = ?4",
                )
                .map_err(&err)?;
            for (id, label, file, seq) in &held.held {
                upsert
                    .execute(params![
                        id,
                        label,
                        file,
                        i64::try_from(*seq).unwrap_or(i64::MAX)
                    ])
                    .map_err(&err)?;
            }
            let mut forget = tx
                .prepare("DELETE FROM held_labels WHERE id = ?1")
                .map_err(&err)?;
            for id in &held.forget {
                forget.execute([id]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(true)
    }
}

/// The label files of a window, from their stored JSON list (none when absent or unreadable).
fn files_of(json: Option<String>) -> Vec<String> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// Writes the staged kept rows for `result_id`, then drops the rows kept longer than `keep` and
/// the oldest windows beyond `max_rows`.
pub(super) fn store_kept(
    tx: &Transaction,
    result_id: i64,
    result: &MonitoringResult,
    staged: &StagedKept,
) -> rusqlite::Result<()> {
    let now = Utc::now().timestamp_micros();
    tx.execute(
        "INSERT INTO kept_rows (result_id, window, kept_us, rows, kept) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            result_id,
            result.window,
            now,
            i64::try_from(staged.rows).unwrap_or(i64::MAX),
            staged.blob
        ],
    )?;
    let keep_us = i64::try_from(staged.keep.as_micros()).unwrap_or(i64::MAX);
    tx.execute(
        "DELETE FROM kept_rows WHERE kept_us < ?1",
        [now.saturating_sub(keep_us)],
    )?;
    tx.execute(
        "DELETE FROM kept_rows WHERE result_id IN (
             SELECT result_id FROM (
                 SELECT result_id, SUM(rows) OVER (ORDER BY result_id DESC) AS total
                 FROM kept_rows)
             WHERE total > ?1)",
        [i64::try_from(staged.max_rows).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}
