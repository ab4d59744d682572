//! Reading a history for `history show`, `export` and `incidents`: whatever can be read is.
//!
//! A history on a read-only mount (a backup, a copy from a colleague, a container's read-only
//! volume) opens read-only: first as usual, then read-only, then as SQLite's `immutable` (its WAL
//! index cannot be created there; nothing writes a read-only mount, so nothing can change under
//! the reader). One stored result that no longer parses is skipped with a warning instead of
//! failing the whole export: the other rows are still the user's data.

use std::path::Path;

use chrono::{DateTime, Utc};
use ml_monitor::MonitoringResult;
use rusqlite::{Connection, OpenFlags};

use super::{sql_err, History, HistoryError, SCHEMA_VERSION};

impl History {
    /// Opens an existing history to read it: writable when it can be (migrated as by
    /// [`History::open`]), else read-only, else immutable.
    pub(crate) fn open_for_reading(path: &Path) -> Result<History, HistoryError> {
        let first = match History::open(path) {
            Ok(history) => return Ok(history),
            Err(e) => e,
        };
        if !path.is_file() {
            return Err(first);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        for uri in [
            format!("file:{}?mode=ro", uri_path(path)),
            format!("file:{}?immutable=1", uri_path(path)),
        ] {
            if let Ok(history) = Self::open_read_only(path, &uri, flags) {
                return Ok(history);
            }
        }
        Err(first)
    }

    fn open_read_only(path: &Path, uri: &str, flags: OpenFlags) -> Result<History, HistoryError> {
        let err = sql_err(path);
        let conn = Connection::open_with_flags(uri, flags).map_err(&err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(&err)?;
        if version > SCHEMA_VERSION {
            return Err(HistoryError::SchemaTooNew {
                path: path.to_path_buf(),
                found: version,
            });
        }
        // A query that reads a page: an open that cannot read fails here, not later.
        conn.query_row("SELECT count(*) FROM results", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(&err)?;
        Ok(History {
            conn,
            path: path.to_path_buf(),
            sinks: Vec::new(),
            staged_kept: None,
            staged_settings: None,
        })
    }

    /// [`History::since`], skipping a result that cannot be read: each skipped one is returned
    /// as its error, for a warning.
    pub(crate) fn since_readable(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<(Vec<MonitoringResult>, Vec<HistoryError>), HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT id, window, json FROM results WHERE timestamp_us >= ?1 ORDER BY id")
            .map_err(&err)?;
        let mut rows = stmt
            .query([since.map_or(i64::MIN, |t| t.timestamp_micros())])
            .map_err(&err)?;
        let (mut results, mut skipped) = (Vec::new(), Vec::new());
        while let Some(row) = rows.next().map_err(&err)? {
            let id: i64 = row.get(0).map_err(&err)?;
            let window = row.get::<_, String>(1).unwrap_or_else(|_| format!("#{id}"));
            let json = match row.get::<_, String>(2) {
                Ok(json) => json,
                Err(error) => {
                    skipped.push(err(error));
                    continue;
                }
            };
            match serde_json::from_str(&json) {
                Ok(result) => results.push(result),
                Err(error) => skipped.push(HistoryError::Corrupt {
                    path: self.path.clone(),
                    id,
                    window,
                    error,
                }),
            }
        }
        Ok((results, skipped))
    }
}

/// A path as the path of a `file:` URI: every byte but the unreserved ones and `/`
/// percent-encoded.
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_escape_what_a_uri_would_read() {
        assert_eq!(
            uri_path(Path::new("/a b/h?#%.sqlite")),
            "/a%20b/h%3F%23%25.sqlite"
        );
    }
}
