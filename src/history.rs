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

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use ml_monitor::monitoring::{AlertLevel, MonitoringResult, Performance};
use rusqlite::{params, Connection, TransactionBehavior};

/// Schema steps, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &["
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
"];

const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What went wrong with the history; every message names the database.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot create the directory of history database {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("history database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "history database {} has schema version {found}, newer than this ml-monitor understands \
         ({SCHEMA_VERSION}); use a newer ml-monitor or another --history path",
        path.display()
    )]
    SchemaTooNew { path: PathBuf, found: i64 },
    #[error("history database {}: stored result #{id} (window \"{window}\") cannot be read: {source}", path.display())]
    Corrupt {
        path: PathBuf,
        id: i64,
        window: String,
        source: serde_json::Error,
    },
    #[error("history database {}: result for window \"{window}\" cannot be stored: {source}", path.display())]
    Unstorable {
        path: PathBuf,
        window: String,
        source: serde_json::Error,
    },
    #[error("history database {}: cannot write the export: {source}", path.display())]
    Output { path: PathBuf, source: io::Error },
}

/// What identifies a processed file without reading it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileKey {
    pub name: String,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (negative before it).
    pub mtime_ns: i64,
}

impl FileKey {
    /// The key of the file at `path`: its file name, size and modification time.
    pub fn of(path: &Path) -> io::Result<FileKey> {
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
        let meta = std::fs::metadata(path)?;
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
pub struct History {
    conn: Connection,
    path: PathBuf,
}

impl History {
    /// Opens (creating it and its parent directories if needed) and migrates the database.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let err = sql_err(path);
        let conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(&err)?;
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
    pub fn open_in_memory() -> Result<History, HistoryError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(sql_err(&path))?;
        Self::init(conn, path)
    }

    fn init(conn: Connection, path: PathBuf) -> Result<History, HistoryError> {
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql_err(&path))?;
        let mut history = History { conn, path };
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
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this exact file (name, size, mtime) has been recorded.
    pub fn is_processed(&self, key: &FileKey) -> Result<bool, HistoryError> {
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
    pub fn processed_keys(&self) -> Result<HashSet<FileKey>, HistoryError> {
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

    /// Records a result, its alerts and (if given) the file it came from, in one transaction.
    /// Returns `Ok(false)`, recording nothing, when that file key is already recorded.
    pub fn record(
        &mut self,
        key: Option<&FileKey>,
        result: &MonitoringResult,
    ) -> Result<bool, HistoryError> {
        let json =
            serde_json::to_string(result).map_err(|source| self.unstorable(result, source))?;
        // What is stored must read back: a NaN where a number is required serialises as null and
        // would make the whole history unreadable later, so refuse it now, naming the window.
        serde_json::from_str::<MonitoringResult>(&json)
            .map_err(|source| self.unstorable(result, source))?;
        let err = sql_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let file_id = match key {
            Some(key) => {
                let inserted = tx
                    .execute(
                        "INSERT INTO processed_files (name, size, mtime_ns) VALUES (?1, ?2, ?3)
                         ON CONFLICT (name, size, mtime_ns) DO NOTHING",
                        params![key.name, size_i64(key.size), key.mtime_ns],
                    )
                    .map_err(&err)?;
                if inserted == 0 {
                    return Ok(false);
                }
                Some(tx.last_insert_rowid())
            }
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
        tx.commit().map_err(&err)?;
        Ok(true)
    }

    fn unstorable(&self, result: &MonitoringResult, source: serde_json::Error) -> HistoryError {
        HistoryError::Unstorable {
            path: self.path.clone(),
            window: result.window.clone(),
            source,
        }
    }

    /// The last `n` results recorded, oldest first.
    pub fn recent(&self, n: usize) -> Result<Vec<MonitoringResult>, HistoryError> {
        self.results(
            "SELECT id, window, json FROM
                 (SELECT id, window, json FROM results ORDER BY id DESC LIMIT ?1)
             ORDER BY id",
            i64::try_from(n).unwrap_or(i64::MAX),
        )
    }

    /// Every result whose timestamp is at or after `since` (all with `None`), in recording order.
    pub fn since(
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
            let result = serde_json::from_str(&json).map_err(|source| HistoryError::Corrupt {
                path: self.path.clone(),
                id,
                window,
                source,
            })?;
            results.push(result);
        }
        Ok(results)
    }

    /// Marks alert `alert_index` of the latest result for `window` acknowledged.
    /// Returns `false` when there is no such alert.
    pub fn acknowledge(&mut self, window: &str, alert_index: usize) -> Result<bool, HistoryError> {
        let changed = self
            .conn
            .execute(
                "UPDATE alerts SET acknowledged = 1
                 WHERE alert_index = ?2 AND result_id =
                     (SELECT id FROM results WHERE window = ?1 ORDER BY id DESC LIMIT 1)",
                params![window, i64::try_from(alert_index).unwrap_or(i64::MAX)],
            )
            .map_err(sql_err(&self.path))?;
        Ok(changed > 0)
    }

    /// The acknowledged alerts, as (window, index of the alert in its result).
    pub fn acknowledged(&self) -> Result<HashSet<(String, usize)>, HistoryError> {
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
    pub fn count(&self) -> Result<usize, HistoryError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM results", [], |row| row.get(0))
            .map_err(sql_err(&self.path))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn output_err(&self) -> impl Fn(io::Error) -> HistoryError + '_ {
        |source| HistoryError::Output {
            path: self.path.clone(),
            source,
        }
    }
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
    move |source| HistoryError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

fn size_i64(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Format of `history export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON array of results, compact, on one line.
    Json,
    /// One row per window with the headline figures.
    Csv,
}

/// Writes the results recorded since `since` (all with `None`), in recording order.
///
/// JSON is a single compact array of `MonitoringResult`s (not JSON Lines: an export is one
/// document that tools load whole), followed by a newline. CSV has one row per window: window,
/// timestamp, rows, error (its message, empty if none), worst_level, n_alerts, then
/// `<detector>_drift_detected` and `<detector>_drift_score` for every detector present in the
/// export, then accuracy, f1, roc_auc, r2, rmse, prediction_mean, prediction_shift; a figure a
/// window does not have is an empty cell.
pub fn export(
    history: &History,
    format: ExportFormat,
    since: Option<DateTime<Utc>>,
    out: &mut dyn Write,
) -> Result<(), HistoryError> {
    let results = history.since(since)?;
    let io_err = history.output_err();
    match format {
        ExportFormat::Json => {
            serde_json::to_writer(&mut *out, &results).map_err(|e| io_err(io::Error::other(e)))?;
            writeln!(out).map_err(&io_err)?;
        }
        ExportFormat::Csv => {
            let csv_err = |e: csv::Error| io_err(io::Error::other(e));
            let detectors: BTreeSet<&str> = results
                .iter()
                .flat_map(|r| r.drift.keys().map(String::as_str))
                .collect();
            let mut writer = csv::Writer::from_writer(&mut *out);
            let mut header: Vec<String> = [
                "window",
                "timestamp",
                "rows",
                "error",
                "worst_level",
                "n_alerts",
            ]
            .map(String::from)
            .to_vec();
            for d in &detectors {
                header.push(format!("{d}_drift_detected"));
                header.push(format!("{d}_drift_score"));
            }
            header.extend(
                [
                    "accuracy",
                    "f1",
                    "roc_auc",
                    "r2",
                    "rmse",
                    "prediction_mean",
                    "prediction_shift",
                ]
                .map(String::from),
            );
            writer.write_record(&header).map_err(csv_err)?;
            for r in &results {
                writer
                    .write_record(csv_row(r, &detectors))
                    .map_err(csv_err)?;
            }
            writer.flush().map_err(&io_err)?;
        }
    }
    Ok(())
}

fn csv_row(r: &MonitoringResult, detectors: &BTreeSet<&str>) -> Vec<String> {
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut row = vec![
        r.window.clone(),
        rfc3339(r.timestamp),
        r.rows.to_string(),
        r.error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
        r.worst_level()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        r.alerts.len().to_string(),
    ];
    for d in detectors {
        let drift = r.drift.get(*d);
        row.push(
            drift
                .map(|d| d.drift_detected.to_string())
                .unwrap_or_default(),
        );
        row.push(num(drift.map(|d| d.drift_score)));
    }
    let (accuracy, f1, roc_auc, r2, rmse) = match &r.performance {
        Some(Performance::Classification(m)) => {
            (Some(m.accuracy), Some(m.f1), m.roc_auc, None, None)
        }
        Some(Performance::Regression(m)) => (None, None, None, Some(m.r2), Some(m.rmse)),
        None => (None, None, None, None, None),
    };
    row.extend([accuracy, f1, roc_auc, r2, rmse].map(num));
    row.push(num(r.predictions.as_ref().map(|p| p.mean)));
    row.push(num(r.prediction_shift));
    row
}

/// Writes a short table of the last `last` windows: window, time, rows, drifted detectors,
/// headline metric, alerts by level.
pub fn show(history: &History, last: usize, out: &mut dyn Write) -> Result<(), HistoryError> {
    const MAX_WINDOW: usize = 40;
    let results = history.recent(last)?;
    let io_err = history.output_err();
    if results.is_empty() {
        writeln!(out, "no windows recorded in {}", history.path().display()).map_err(&io_err)?;
        return Ok(());
    }
    let header = ["WINDOW", "TIME (UTC)", "ROWS", "DRIFT", "METRIC", "ALERTS"].map(String::from);
    let mut table = vec![header];
    table.extend(results.iter().map(|r| show_row(r, MAX_WINDOW)));
    let mut widths = [0usize; 6];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for [window, time, rows, drift, metric, alerts] in &table {
        let _ = writeln!(
            text,
            "{window:<w0$}  {time:<w1$}  {rows:>w2$}  {drift:<w3$}  {metric:<w4$}  {alerts}",
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
    }
    out.write_all(text.as_bytes()).map_err(&io_err)?;
    Ok(())
}

fn show_row(r: &MonitoringResult, max_window: usize) -> [String; 6] {
    let drifted: Vec<&str> = r
        .drift
        .iter()
        .filter(|(_, d)| d.drift_detected)
        .map(|(n, _)| n.as_str())
        .collect();
    let drift = match (&r.error, drifted.is_empty()) {
        (Some(_), _) => "error".to_string(),
        (None, true) => "-".to_string(),
        (None, false) => clean(&drifted.join(",")),
    };
    let metric = match (&r.error, &r.performance) {
        (Some(e), _) => clean(&e.kind),
        (None, Some(p)) => {
            let (label, value) = p.headline();
            format!("{label} {value:.4}")
        }
        (None, None) => "-".to_string(),
    };
    let alerts: Vec<String> = AlertLevel::ALL
        .iter()
        .rev()
        .filter_map(|level| {
            let n = r.alerts.iter().filter(|a| a.level == *level).count();
            (n > 0).then(|| format!("{n} {level}"))
        })
        .collect();
    let alerts = if alerts.is_empty() {
        "-".to_string()
    } else {
        alerts.join(", ")
    };
    [
        clip(&clean(&r.window), max_window),
        r.timestamp.format("%Y-%m-%d %H:%M:%S").to_string(),
        r.rows.to_string(),
        drift,
        metric,
        alerts,
    ]
}

/// File names and other data text, with control characters replaced, before a terminal sees them.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

/// Parses `--since`: RFC 3339 (`2026-11-27T20:00:00Z`), a date (`2026-11-27`, midnight UTC), or
/// an age before now (`90s`, `30m`, `2h`, `7d`, `2w`).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let invalid = || {
        format!(
            "invalid time \"{text}\": expected RFC 3339 (2026-11-27T20:00:00Z), a date \
             (2026-11-27) or an age such as 90s, 30m, 2h, 7d, 2w"
        )
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(invalid()),
    };
    number
        .checked_mul(seconds)
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|age| Utc::now().checked_sub_signed(age))
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml_monitor::drift::DriftResult;
    use ml_monitor::monitoring::metrics::ClassificationMetrics;
    use ml_monitor::monitoring::{Alert, AlertKind, PredictionStats, WindowError};
    use std::collections::BTreeMap;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_800_000 + secs, 0).unwrap_or_default()
    }

    fn alert(window: &str, level: AlertLevel, kind: AlertKind, message: &str, secs: i64) -> Alert {
        Alert {
            level,
            kind,
            window: window.to_string(),
            message: message.to_string(),
            timestamp: at(secs),
        }
    }

    /// A result with drift, metrics, predictions and `n_alerts` alerts.
    fn result(i: i64, n_alerts: usize) -> MonitoringResult {
        let window = format!("window_{i:04}.csv");
        let mut r = MonitoringResult::new(&window);
        r.timestamp = at(i * 60);
        r.rows = 1000 + i as usize;
        r.drift = BTreeMap::from([(
            "ks".to_string(),
            DriftResult {
                drift_detected: i % 2 == 1,
                drift_score: 0.1 * i as f64,
                window_drift: i % 2 == 1,
                n_features: 10,
                n_drifted: i as usize,
                features: BTreeMap::new(),
                auc: None,
                feature_importances: None,
                status: None,
            },
        )]);
        r.performance = Some(Performance::Classification(ClassificationMetrics {
            accuracy: 0.9 - 0.01 * i as f64,
            precision: 0.8,
            recall: 0.7,
            f1: 0.75,
            roc_auc: Some(0.93),
            log_loss: None,
            n_classes: 2,
            average: "binary".to_string(),
        }));
        r.predictions = Some(PredictionStats {
            count: 1000,
            mean: 0.4 + 0.001 * i as f64,
            std: 0.2,
            min: 0.0,
            max: 1.0,
        });
        r.prediction_shift = Some(0.01 * i as f64);
        let levels = [AlertLevel::Warning, AlertLevel::Critical, AlertLevel::Info];
        r.alerts = (0..n_alerts)
            .map(|k| {
                alert(
                    &window,
                    levels[k % 3],
                    AlertKind::DataDrift,
                    &format!("alert {k}"),
                    i * 60,
                )
            })
            .collect();
        r
    }

    fn key(name: &str, size: u64, mtime_ns: i64) -> FileKey {
        FileKey {
            name: name.to_string(),
            size,
            mtime_ns,
        }
    }

    fn rows(h: &History, table: &str) -> i64 {
        h.conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap_or(-1)
    }

    #[test]
    fn record_stores_result_alerts_and_file_key() {
        let mut h = History::open_in_memory().unwrap();
        let k = key("window_0001.csv", 123, 456);
        assert!(!h.is_processed(&k).unwrap());
        assert!(h.record(Some(&k), &result(1, 2)).unwrap());
        assert!(h.is_processed(&k).unwrap());
        assert!(!h.is_processed(&key("window_0001.csv", 124, 456)).unwrap());
        assert_eq!(
            h.processed_keys().unwrap(),
            HashSet::from([key("window_0001.csv", 123, 456)])
        );
        assert_eq!(h.count().unwrap(), 1);
        assert_eq!(rows(&h, "alerts"), 2);
        let (worst, error): (Option<String>, bool) = h
            .conn
            .query_row("SELECT worst_level, error FROM results", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((worst.as_deref(), error), (Some("CRITICAL"), false));
    }

    #[test]
    fn same_file_key_recorded_twice_stays_once() {
        let mut h = History::open_in_memory().unwrap();
        let k = key("window_0001.csv", 10, 20);
        assert!(h.record(Some(&k), &result(1, 1)).unwrap());
        assert!(!h.record(Some(&k), &result(1, 1)).unwrap());
        assert_eq!(h.count().unwrap(), 1);
        assert_eq!(rows(&h, "alerts"), 1);
        assert_eq!(rows(&h, "processed_files"), 1);
        // The same name rewritten (new size) is a new window.
        assert!(h
            .record(Some(&key("window_0001.csv", 11, 20)), &result(1, 1))
            .unwrap());
        assert_eq!(h.count().unwrap(), 2);
        // Results without a file (e.g. generated) are always recorded.
        assert!(h.record(None, &result(2, 0)).unwrap());
        assert!(h.record(None, &result(2, 0)).unwrap());
        assert_eq!(h.count().unwrap(), 4);
    }

    #[test]
    fn failure_mid_record_leaves_nothing_behind() {
        let mut h = History::open_in_memory().unwrap();
        // The second alert insert fails inside the transaction, after the file key, the
        // result and the first alert have been written.
        h.conn
            .execute_batch(
                "CREATE TRIGGER fail BEFORE INSERT ON alerts WHEN NEW.alert_index = 1
                 BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
            )
            .unwrap();
        let k = key("window_0001.csv", 1, 1);
        let e = h.record(Some(&k), &result(1, 3)).unwrap_err();
        assert!(e.to_string().contains("simulated failure"), "{e}");
        assert!(e.to_string().contains(":memory:"), "{e}");
        assert_eq!(rows(&h, "results"), 0);
        assert_eq!(rows(&h, "alerts"), 0);
        assert_eq!(rows(&h, "processed_files"), 0);
        assert!(!h.is_processed(&k).unwrap());
        // The window is processed again after the failure, once.
        h.conn.execute_batch("DROP TRIGGER fail").unwrap();
        assert!(h.record(Some(&k), &result(1, 3)).unwrap());
        assert_eq!((rows(&h, "results"), rows(&h, "alerts")), (1, 3));
    }

    #[test]
    fn unreadable_result_is_refused_before_writing() {
        let mut h = History::open_in_memory().unwrap();
        let mut r = result(1, 0);
        if let Some(Performance::Classification(m)) = &mut r.performance {
            m.accuracy = f64::NAN;
        }
        let e = h.record(Some(&key("w", 1, 1)), &r).unwrap_err();
        assert!(matches!(e, HistoryError::Unstorable { .. }), "{e}");
        assert!(e.to_string().contains("window_0001.csv"), "{e}");
        assert_eq!((rows(&h, "results"), rows(&h, "processed_files")), (0, 0));
    }

    #[test]
    fn reopened_database_has_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".ml-monitor").join("history.sqlite");
        let written: Vec<MonitoringResult> =
            (1..=10).map(|i| result(i, (i % 4) as usize)).collect();
        {
            let mut h = History::open(&path).unwrap();
            for (i, r) in written.iter().enumerate() {
                let k = key(&r.window, 100, i as i64);
                assert!(h.record(Some(&k), r).unwrap());
            }
            assert!(h.acknowledge("window_0003.csv", 2).unwrap());
        }
        let mut h = History::open(&path).unwrap();
        assert_eq!(h.count().unwrap(), 10);
        assert_eq!(h.since(None).unwrap(), written);
        assert!(h.is_processed(&key("window_0004.csv", 100, 3)).unwrap());
        assert_eq!(h.processed_keys().unwrap().len(), 10);
        assert!(!h
            .record(Some(&key("window_0004.csv", 100, 3)), &written[3])
            .unwrap());
        assert_eq!(
            h.acknowledged().unwrap(),
            HashSet::from([("window_0003.csv".to_string(), 2)])
        );
    }

    #[test]
    fn recent_is_the_last_n_oldest_first() {
        let mut h = History::open_in_memory().unwrap();
        for i in 1..=5 {
            h.record(None, &result(i, 0)).unwrap();
        }
        let windows =
            |rs: Vec<MonitoringResult>| rs.into_iter().map(|r| r.window).collect::<Vec<_>>();
        assert_eq!(
            windows(h.recent(3).unwrap()),
            ["window_0003.csv", "window_0004.csv", "window_0005.csv"]
        );
        assert_eq!(windows(h.recent(100).unwrap()).len(), 5);
        assert!(h.recent(0).unwrap().is_empty());
        assert_eq!(windows(h.recent(usize::MAX).unwrap()).len(), 5);
    }

    #[test]
    fn since_filters_on_the_result_timestamp() {
        let mut h = History::open_in_memory().unwrap();
        for i in 1..=5 {
            h.record(None, &result(i, 0)).unwrap();
        }
        let got = h.since(Some(at(3 * 60))).unwrap();
        assert_eq!(
            got.iter().map(|r| r.rows).collect::<Vec<_>>(),
            [1003, 1004, 1005]
        );
        assert_eq!(h.since(None).unwrap().len(), 5);
        assert!(h.since(Some(at(10_000))).unwrap().is_empty());
    }

    #[test]
    fn acknowledge_marks_the_latest_result_of_a_window() {
        let mut h = History::open_in_memory().unwrap();
        h.record(None, &result(1, 2)).unwrap();
        assert!(h.acknowledged().unwrap().is_empty());
        assert!(h.acknowledge("window_0001.csv", 1).unwrap());
        assert!(h.acknowledge("window_0001.csv", 1).unwrap());
        assert!(!h.acknowledge("window_0001.csv", 2).unwrap());
        assert!(!h.acknowledge("window_0009.csv", 0).unwrap());
        assert_eq!(
            h.acknowledged().unwrap(),
            HashSet::from([("window_0001.csv".to_string(), 1)])
        );
        let flags: Vec<bool> = h
            .conn
            .prepare("SELECT acknowledged FROM alerts ORDER BY alert_index")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(flags, [false, true]);
    }

    #[test]
    fn newer_schema_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite");
        drop(History::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let e = History::open(&path).unwrap_err();
        assert!(
            matches!(e, HistoryError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1)
        );
        let text = e.to_string();
        assert!(
            text.contains(&path.display().to_string()) && text.contains("newer"),
            "{text}"
        );
    }

    #[test]
    fn open_uses_wal_and_reports_the_path_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite");
        let h = History::open(&path).unwrap();
        let mode: String = h
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        // A directory where the database should be.
        let e = History::open(dir.path()).unwrap_err();
        assert!(
            e.to_string().contains(&dir.path().display().to_string()),
            "{e}"
        );
    }

    #[test]
    fn export_json_round_trips() {
        let mut h = History::open_in_memory().unwrap();
        let mut written: Vec<MonitoringResult> = (1..=3).map(|i| result(i, 2)).collect();
        let mut broken = MonitoringResult::new("bad.csv");
        broken.timestamp = at(500);
        broken.error = Some(WindowError {
            kind: "parse".to_string(),
            message: "bad.csv line 3: expected 4 fields".to_string(),
            file: "bad.csv".to_string(),
            line: Some(3),
            column: None,
        });
        broken.alerts = vec![alert(
            "bad.csv",
            AlertLevel::Critical,
            AlertKind::WindowError,
            "x",
            500,
        )];
        written.push(broken);
        for r in &written {
            h.record(None, r).unwrap();
        }
        let mut out = Vec::new();
        export(&h, ExportFormat::Json, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1);
        let back: Vec<MonitoringResult> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, written);
        let mut out = Vec::new();
        export(&h, ExportFormat::Json, Some(at(3 * 60)), &mut out).unwrap();
        let back: Vec<MonitoringResult> = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, written[2..]);
    }

    #[test]
    fn export_csv_has_one_row_per_window() {
        let mut h = History::open_in_memory().unwrap();
        for i in 1..=4 {
            h.record(None, &result(i, i as usize)).unwrap();
        }
        let mut out = Vec::new();
        export(&h, ExportFormat::Csv, None, &mut out).unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(records.len(), 4);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let r = &records[2];
        assert_eq!(&r[col("window")], "window_0003.csv");
        assert_eq!(&r[col("rows")], "1003");
        assert_eq!(&r[col("n_alerts")], "3");
        assert_eq!(&r[col("worst_level")], "CRITICAL");
        assert_eq!(&r[col("ks_drift_detected")], "true");
        assert_eq!(r[col("ks_drift_score")].parse::<f64>().unwrap(), 0.1 * 3.0);
        assert_eq!(r[col("accuracy")].parse::<f64>().unwrap(), 0.9 - 0.01 * 3.0);
        assert_eq!(&r[col("r2")], "");
        assert_eq!(&r[col("error")], "");
        assert_eq!(
            r[col("prediction_shift")].parse::<f64>().unwrap(),
            0.01 * 3.0
        );
    }

    #[test]
    fn show_lists_the_last_windows() {
        let mut h = History::open_in_memory().unwrap();
        let mut out = Vec::new();
        show(&h, 5, &mut out).unwrap();
        assert!(String::from_utf8_lossy(&out).contains("no windows recorded"));
        for i in 1..=4 {
            h.record(None, &result(i, i as usize)).unwrap();
        }
        h.record(None, &MonitoringResult::new("evil\x1b[2J.csv"))
            .unwrap();
        let mut out = Vec::new();
        show(&h, 3, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("WINDOW"));
        assert!(lines[1].starts_with("window_0003.csv"), "{text}");
        assert!(
            lines[1].contains("ks") && lines[1].contains("accuracy 0.8700"),
            "{text}"
        );
        assert!(lines[1].contains("1 CRITICAL, 1 WARNING, 1 INFO"), "{text}");
        assert!(lines[2].contains("1 CRITICAL, 2 WARNING, 1 INFO"), "{text}");
        assert!(
            !text.contains('\x1b') && lines[3].starts_with("evil?[2J.csv"),
            "{text}"
        );
    }

    #[test]
    fn parse_since_accepts_the_three_forms() {
        assert_eq!(
            parse_since("2026-11-27T20:00:00Z").unwrap().to_rfc3339(),
            "2026-11-27T20:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-11-27T21:00:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-27T20:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-11-27").unwrap().to_rfc3339(),
            "2026-11-27T00:00:00+00:00"
        );
        let age = Utc::now() - parse_since("2h").unwrap();
        assert!((age.num_seconds() - 7200).abs() <= 5, "{age}");
        let age = Utc::now() - parse_since("7d").unwrap();
        assert!((age.num_seconds() - 7 * 86_400).abs() <= 5, "{age}");
        let age = Utc::now() - parse_since("30m").unwrap();
        assert!((age.num_seconds() - 1800).abs() <= 5, "{age}");
        for bad in [
            "",
            "2h30m",
            "h",
            "-2h",
            "5y",
            "2026-13-01",
            "99999999999999999999d",
        ] {
            let e = parse_since(bad).unwrap_err();
            assert!(e.contains("RFC 3339"), "{bad}: {e}");
        }
    }

    #[test]
    fn file_key_of_a_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("window_0001.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let k = FileKey::of(&path).unwrap();
        assert_eq!((k.name.as_str(), k.size), ("window_0001.csv", 8));
        assert!(k.mtime_ns > 0);
        assert_eq!(FileKey::of(&path).unwrap(), k);
        assert!(FileKey::of(&dir.path().join("missing.csv")).is_err());
    }
}
