//! The persistent history: every result, every alert and every processed file, in SQLite.
//!
//! Why SQLite (rusqlite, bundled): one file, no server, and transactions that survive `kill -9`
//! without a hand-written journal; WAL lets `history show` read while the monitor writes.
//! Why one transaction per window: the result, its alerts and the file key commit together or
//! not at all, so a crash between reading a window and recording it reprocesses that window once
//! and never leaves a file marked processed without its result (or a result without its file).
//! Why the file key is name + size + mtime: that is what the watcher can know without reading a
//! file again; a file rewritten under the same name is a new window, the same file seen twice is
//! not. A unique constraint on the key, not a check in Rust, is what refuses a second record.
//!
//! Each result is kept whole as JSON (the source of truth, read back with serde) beside a few
//! indexed columns for queries. Schema changes go through [`MIGRATIONS`] and `PRAGMA
//! user_version`; a database from a newer ml-monitor is refused rather than guessed at.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};
use ml_monitor::{monitoring::Incident, AlertLevel, MonitoringResult};
use rusqlite::{params, Connection, TransactionBehavior};

/// Schema steps, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE processed_files (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        UNIQUE (name, size, mtime_ns)
    );
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        file_id INTEGER UNIQUE REFERENCES processed_files (id),
        window TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        timestamp_us INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        worst_level TEXT,
        error INTEGER NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX results_timestamp ON results (timestamp_us);
    CREATE INDEX results_window ON results (window);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        result_id INTEGER NOT NULL REFERENCES results (id),
        window TEXT NOT NULL,
        alert_index INTEGER NOT NULL,
        level TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        acknowledged INTEGER NOT NULL DEFAULT 0,
        UNIQUE (result_id, alert_index)
    );
    CREATE INDEX alerts_window ON alerts (window, alert_index);
",
    incidents::MIGRATION,
    silences::MIGRATION,
    labels::MIGRATION,
    settings::MIGRATION,
];

const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a write (or the opening) waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// What went wrong with the history; every message names the database.
///
/// The underlying error is part of the message and deliberately not a `source()`: printed with
/// anyhow's `{:#}` chain it would otherwise be said twice.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HistoryError {
    #[error("cannot create the directory of history database {}: {error}", path.display())]
    CreateDir { path: PathBuf, error: io::Error },
    #[error("history database {}: {error}", path.display())]
    Sqlite {
        path: PathBuf,
        error: rusqlite::Error,
    },
    #[error(
        "history database {} has schema version {found}, newer than this ml-monitor understands \
         ({SCHEMA_VERSION}); use a newer ml-monitor or another --history path",
        path.display()
    )]
    SchemaTooNew { path: PathBuf, found: i64 },
    #[error("history database {}: stored result #{id} (window \"{window}\") cannot be read: {error}", path.display())]
    Corrupt {
        path: PathBuf,
        id: i64,
        window: String,
        error: serde_json::Error,
    },
    #[error("history database {}: result for window \"{window}\" cannot be stored: {error}", path.display())]
    Unstorable {
        path: PathBuf,
        window: String,
        error: serde_json::Error,
    },
    #[error("history database {}: cannot write the export: {error}", path.display())]
    Output { path: PathBuf, error: io::Error },
}

/// What identifies a processed file without reading it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FileKey {
    pub(crate) name: String,
    pub(crate) size: u64,
    /// Modification time, nanoseconds since the Unix epoch (negative before it).
    pub(crate) mtime_ns: i64,
}

impl FileKey {
    /// The key of the file at `path`: its file name, size and modification time.
    pub(crate) fn of(path: &Path) -> io::Result<FileKey> {
        FileKey::from_metadata(path, &std::fs::metadata(path)?)
    }

    /// The key of the file at `path` whose metadata is `meta` (taken from the open file whose
    /// bytes were read, so the key describes those bytes).
    pub(crate) fn from_metadata(path: &Path, meta: &std::fs::Metadata) -> io::Result<FileKey> {
        let name = path
            .file_name()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} has no file name", path.display()),
                )
            })?
            .to_string_lossy()
            .into_owned();
        let mtime = meta.modified()?;
        let mtime_ns = match mtime.duration_since(UNIX_EPOCH) {
            Ok(after) => nanos(after),
            Err(before) => -nanos(before.duration()),
        };
        Ok(FileKey {
            name,
            size: meta.len(),
            mtime_ns,
        })
    }
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// The history database. One writer (the monitor); readers may run beside it.
#[derive(Debug)]
pub(crate) struct History {
    conn: Connection,
    path: PathBuf,
    /// The sinks whose outbox rows each window's changes add (see [`History::set_sinks`]).
    sinks: Vec<SinkFilter>,
    /// Kept ids and predictions written with the next recorded window (late labels).
    staged_kept: Option<labels::StagedKept>,
    /// New settings, recorded with the next recorded window (see [`settings`]).
    staged_settings: Option<settings::Staged>,
}

impl History {
    /// Opens (creating it and its parent directories if needed) and migrates the database.
    pub(crate) fn open(path: &Path) -> Result<History, HistoryError> {
        Self::open_waiting(path, BUSY_TIMEOUT)
    }

    /// [`History::open`], waiting at most `patience` for other connections' locks (zero: not
    /// at all, which the tests use to show the waiting is needed).
    fn open_waiting(path: &Path, patience: Duration) -> Result<History, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|error| HistoryError::CreateDir {
                path: path.to_path_buf(),
                error,
            })?;
        }
        // Two monitors started at the same instant on a new database race to create it and to
        // switch it to WAL; SQLite reports some of those lock conflicts at once, without calling
        // the busy handler, so the whole opening is retried for as long as the busy timeout.
        let deadline = std::time::Instant::now() + patience;
        loop {
            match Self::open_once(path, patience) {
                Err(HistoryError::Sqlite { error, .. })
                    if is_busy(&error) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path, busy_timeout: Duration) -> Result<History, HistoryError> {
        let err = sql_err(path);
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(busy_timeout).map_err(&err)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(&err)?;
        // In WAL mode NORMAL survives kill -9; a power cut may roll back the last windows,
        // which are then processed again, never recorded twice.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(&err)?;
        Self::init(conn, path.to_path_buf())
    }

    /// A history that lives as long as the value (tests).
    #[cfg(test)]
    pub(crate) fn open_in_memory() -> Result<History, HistoryError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(sql_err(&path))?;
        Self::init(conn, path)
    }

    fn init(conn: Connection, path: PathBuf) -> Result<History, HistoryError> {
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql_err(&path))?;
        let mut history = History {
            conn,
            path,
            sinks: Vec::new(),
            staged_kept: None,
            staged_settings: None,
        };
        history.migrate()?;
        Ok(history)
    }

    /// Applies the missing schema steps, each in its own transaction with its version bump.
    fn migrate(&mut self) -> Result<(), HistoryError> {
        let err = sql_err(&self.path);
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            let version: i64 = tx
                .pragma_query_value(None, "user_version", |row| row.get(0))
                .map_err(&err)?;
            if version > SCHEMA_VERSION {
                return Err(HistoryError::SchemaTooNew {
                    path: self.path.clone(),
                    found: version,
                });
            }
            let Some(step) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                return Ok(());
            };
            tx.execute_batch(step).map_err(&err)?;
            tx.pragma_update(None, "user_version", version + 1)
                .map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
    }

    /// The database's path (`:memory:` for an in-memory history).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this exact file (name, size, mtime) has been recorded.
    pub(crate) fn is_processed(&self, key: &FileKey) -> Result<bool, HistoryError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM processed_files
                                WHERE name = ?1 AND size = ?2 AND mtime_ns = ?3)",
                params![key.name, size_i64(key.size), key.mtime_ns],
                |row| row.get(0),
            )
            .map_err(sql_err(&self.path))
    }

    /// Keys of every processed file: the watcher skips exactly these at start-up, so a file
    /// rewritten under an old name (new size or mtime) is a new window, as in `is_processed`.
    pub(crate) fn processed_keys(&self) -> Result<HashSet<FileKey>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT name, size, mtime_ns FROM processed_files")
            .map_err(&err)?;
        let keys = stmt
            .query_map([], |row| {
                Ok(FileKey {
                    name: row.get(0)?,
                    size: row.get::<_, i64>(1)?.max(0) as u64,
                    mtime_ns: row.get(2)?,
                })
            })
            .map_err(&err)?
            .collect::<Result<_, _>>()
            .map_err(&err)?;
        Ok(keys)
    }

    /// The key most recently recorded under this file name, if any.
    pub(crate) fn latest_key(&self, name: &str) -> Result<Option<FileKey>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, size, mtime_ns FROM processed_files WHERE name = ?1
                 ORDER BY id DESC LIMIT 1",
            )
            .map_err(sql_err(&self.path))?;
        let mut rows = stmt
            .query_map([name], |row| {
                Ok(FileKey {
                    name: row.get(0)?,
                    size: row.get::<_, i64>(1)?.max(0) as u64,
                    mtime_ns: row.get(2)?,
                })
            })
            .map_err(sql_err(&self.path))?;
        rows.next().transpose().map_err(sql_err(&self.path))
    }

    /// Records a result, its alerts and (if given) the file it came from, in one transaction.
    /// Returns `Ok(false)`, recording nothing, when that file key is already recorded.
    #[cfg(test)]
    pub(crate) fn record(
        &mut self,
        key: Option<&FileKey>,
        result: &MonitoringResult,
    ) -> Result<bool, HistoryError> {
        self.record_window(key, result, &[])
    }

    /// [`History::record`], also storing the window's incident changes, the firing incidents
    /// whose state changed since the last record (`changed`, with their updated counts:
    /// [`IncidentTracker::take_changed`](ml_monitor::monitoring::IncidentTracker::take_changed),
    /// not every open one) and the outbox rows of the changes, in the same transaction.
    ///
    /// A window whose file could not be read is given no key by the caller (the pipeline): the
    /// file is tried again (by a later run, or when the watcher sees it change), never marked
    /// done unread. A file read whole whose content cannot be decoded keeps its key: that
    /// version is done, and reported once.
    pub(crate) fn record_window(
        &mut self,
        key: Option<&FileKey>,
        result: &MonitoringResult,
        changed: &[Incident],
    ) -> Result<bool, HistoryError> {
        // Staged for this window only, whether it is recorded or not.
        let staged = self.staged_kept.take();
        let json = serde_json::to_string(result).map_err(|error| self.unstorable(result, error))?;
        // What is stored must read back (a figure that is not finite is written as null and read
        // back as NaN); anything else that would not is refused now, naming the window.
        serde_json::from_str::<MonitoringResult>(&json)
            .map_err(|error| self.unstorable(result, error))?;
        let err = sql_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let file_id = match key {
            Some(key) => match claim_file(&tx, key).map_err(&err)? {
                Some(id) => Some(id),
                None => return Ok(false),
            },
            None => None,
        };
        tx.execute(
            "INSERT INTO results (file_id, window, timestamp, timestamp_us, rows, worst_level,
                                  error, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                file_id,
                result.window,
                rfc3339(result.timestamp),
                result.timestamp.timestamp_micros(),
                i64::try_from(result.rows).unwrap_or(i64::MAX),
                result.worst_level().map(AlertLevel::as_str),
                result.error.is_some(),
                json,
            ],
        )
        .map_err(&err)?;
        let result_id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO alerts (result_id, window, alert_index, level, kind, message,
                                         timestamp)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(&err)?;
            for (index, alert) in result.alerts.iter().enumerate() {
                insert
                    .execute(params![
                        result_id,
                        result.window,
                        i64::try_from(index).unwrap_or(i64::MAX),
                        alert.level.as_str(),
                        alert.kind.as_str(),
                        alert.message,
                        rfc3339(alert.timestamp),
                    ])
                    .map_err(&err)?;
            }
        }
        incidents::store(&tx, result_id, result, changed, &self.sinks).map_err(&err)?;
        if let Some(staged) = &staged {
            labels::store_kept(&tx, result_id, result, staged).map_err(&err)?;
        }
        if let Some(staged) = &self.staged_settings {
            settings::store(&tx, result_id, staged).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        self.staged_settings = None;
        Ok(true)
    }

    fn unstorable(&self, result: &MonitoringResult, error: serde_json::Error) -> HistoryError {
        HistoryError::Unstorable {
            path: self.path.clone(),
            window: result.window.clone(),
            error,
        }
    }

    /// Rows inserted, updated or deleted through this connection since it opened (SQLite's
    /// `total_changes()`): what a test counts a window's writes with.
    #[cfg(test)]
    pub(crate) fn rows_written(&self) -> u64 {
        self.conn
            .query_row("SELECT total_changes()", [], |row| row.get::<_, i64>(0))
            .map_or(0, |n| u64::try_from(n).unwrap_or(0))
    }

    /// The last `n` results recorded, oldest first.
    pub(crate) fn recent(&self, n: usize) -> Result<Vec<MonitoringResult>, HistoryError> {
        self.results(
            "SELECT id, window, json FROM
                 (SELECT id, window, json FROM results ORDER BY id DESC LIMIT ?1)
             ORDER BY id",
            i64::try_from(n).unwrap_or(i64::MAX),
        )
    }

    /// Every result whose timestamp is at or after `since` (all with `None`), in recording order
    /// (`export` reads through [`History::since_readable`], which skips an unreadable one).
    #[cfg(test)]
    pub(crate) fn since(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<MonitoringResult>, HistoryError> {
        self.results(
            "SELECT id, window, json FROM results WHERE timestamp_us >= ?1 ORDER BY id",
            since.map_or(i64::MIN, |t| t.timestamp_micros()),
        )
    }

    fn results(&self, query: &str, arg: i64) -> Result<Vec<MonitoringResult>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self.conn.prepare(query).map_err(&err)?;
        let rows = stmt
            .query_map([arg], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .map_err(&err)?;
        let mut results = Vec::new();
        for row in rows {
            let (id, window, json) = row.map_err(&err)?;
            let result = serde_json::from_str(&json).map_err(|error| HistoryError::Corrupt {
                path: self.path.clone(),
                id,
                window,
                error,
            })?;
            results.push(result);
        }
        Ok(results)
    }

    /// Marks alert `alert_index` of the latest result for `window` acknowledged.
    /// Returns `false` when there is no such alert.
    #[cfg(test)]
    pub(crate) fn acknowledge(
        &mut self,
        window: &str,
        alert_index: usize,
    ) -> Result<bool, HistoryError> {
        self.set_acknowledged(window, alert_index, true)
    }

    /// As [`Self::acknowledge`], or takes the acknowledgement back (`acknowledged: false`).
    pub(crate) fn set_acknowledged(
        &mut self,
        window: &str,
        alert_index: usize,
        acknowledged: bool,
    ) -> Result<bool, HistoryError> {
        let changed = self
            .conn
            .execute(
                "UPDATE alerts SET acknowledged = ?3
                 WHERE alert_index = ?2 AND result_id =
                     (SELECT id FROM results WHERE window = ?1 ORDER BY id DESC LIMIT 1)",
                params![
                    window,
                    i64::try_from(alert_index).unwrap_or(i64::MAX),
                    acknowledged
                ],
            )
            .map_err(sql_err(&self.path))?;
        Ok(changed > 0)
    }

    /// The acknowledged alerts, as (window, index of the alert in its result).
    pub(crate) fn acknowledged(&self) -> Result<HashSet<(String, usize)>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT window, alert_index FROM alerts WHERE acknowledged = 1")
            .map_err(&err)?;
        let pairs = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(&err)?
            .map(|row| row.map(|(w, i)| (w, usize::try_from(i).unwrap_or(usize::MAX))))
            .collect::<Result<_, _>>()
            .map_err(&err)?;
        Ok(pairs)
    }

    /// How many results are recorded.
    #[cfg(test)]
    pub(crate) fn count(&self) -> Result<usize, HistoryError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM results", [], |row| row.get(0))
            .map_err(sql_err(&self.path))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn output_err(&self) -> impl Fn(io::Error) -> HistoryError + '_ {
        |error| HistoryError::Output {
            path: self.path.clone(),
            error,
        }
    }
}

impl HistoryError {
    /// Whether this is a write to a closed stdout (`history export | head`).
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, HistoryError::Output { error, .. } if error.kind() == io::ErrorKind::BrokenPipe)
    }
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
    move |error| HistoryError::Sqlite {
        path: path.to_path_buf(),
        error,
    }
}

/// Records a complete file as processed inside `tx`: its row id, or `None` when it already was
/// (so whatever it would have recorded is not recorded twice).
fn claim_file(tx: &rusqlite::Transaction<'_>, key: &FileKey) -> rusqlite::Result<Option<i64>> {
    let inserted = tx.execute(
        "INSERT INTO processed_files (name, size, mtime_ns) VALUES (?1, ?2, ?3)
         ON CONFLICT (name, size, mtime_ns) DO NOTHING",
        params![key.name, size_i64(key.size), key.mtime_ns],
    )?;
    Ok((inserted > 0).then(|| tx.last_insert_rowid()))
}

fn size_i64(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

mod incidents;
pub(crate) mod labels;
pub(crate) mod lock;
mod outbox;
mod past;
mod read;
mod report;
mod settings;
mod silences;
mod timeline;

#[cfg(test)]
pub(crate) use outbox::tests as outbox_tests;
pub(crate) use outbox::{Outbox, OutboxRow, SinkFilter};
pub(crate) use report::{export, parse_since, show, ExportFormat};
pub(crate) use settings::{stable_hash, stable_hash_file, Settings, SettingsCheck};
pub(crate) use timeline::{incidents_report, IncidentFormat};

#[cfg(test)]
mod tests;
