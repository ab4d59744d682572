//! Settings in the history: each distinct reference and set of alerting settings, with the first
//! result stored under it, so a restart with another reference or other thresholds is marked
//! instead of carrying the old results' problems on as if nothing had changed.
//!
//! Why parts and not one hash: the note says *what* changed (`reference`, `thresholds`,
//! `detectors`). Why a new settings row is written in the transaction of the first window under
//! it ([`History::note_settings`] stages it): a run that stops before any window records
//! nothing, so the next run still sees the change, and closes the old problems, once. A result
//! belongs to the settings with the largest `first_result_id` at or below its own id.

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{sql_err, History, HistoryError};

/// Schema step: the settings each stretch of results was computed under.
pub(super) const MIGRATION: &str = "
    CREATE TABLE settings (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        parts TEXT NOT NULL,
        description TEXT NOT NULL,
        started_us INTEGER NOT NULL,
        first_result_id INTEGER NOT NULL UNIQUE REFERENCES results (id)
    );
";

/// The settings a run computes under: a hash of each part that decides results and alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Part name (`reference`, `thresholds`, `detectors`) to its hash.
    pub(crate) parts: BTreeMap<String, String>,
    /// For people: the reference file's name.
    pub(crate) reference: String,
}

impl Settings {
    /// The parts' hashes in one string.
    pub(crate) fn fingerprint(&self) -> String {
        self.parts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Settings as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedSettings {
    pub(crate) id: i64,
    pub(crate) fingerprint: String,
    pub(crate) parts: BTreeMap<String, String>,
    pub(crate) description: String,
    pub(crate) started_us: i64,
    pub(crate) first_result_id: i64,
}

/// How this run's settings compare with the last recorded ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SettingsCheck {
    /// None recorded yet (a new history, or one from before settings were kept): nothing to
    /// compare with, nothing closed.
    First,
    Same,
    /// The parts that differ, in name order.
    Changed(Vec<String>),
}

/// A settings row waiting for the first window recorded under it.
#[derive(Debug, Clone)]
pub(super) struct Staged {
    settings: Settings,
    description: String,
}

impl History {
    /// Compares `current` with the last recorded settings; when they are new or changed, stages
    /// them to be recorded with the next window ([`History::record_window`]).
    pub(crate) fn note_settings(
        &mut self,
        current: Settings,
    ) -> Result<SettingsCheck, HistoryError> {
        let check = match self.last_settings()? {
            None => SettingsCheck::First,
            Some(last) if last.fingerprint == current.fingerprint() => SettingsCheck::Same,
            Some(last) => {
                let names: std::collections::BTreeSet<&String> =
                    last.parts.keys().chain(current.parts.keys()).collect();
                SettingsCheck::Changed(
                    names
                        .into_iter()
                        .filter(|n| last.parts.get(*n) != current.parts.get(*n))
                        .cloned()
                        .collect(),
                )
            }
        };
        let description = match &check {
            SettingsCheck::Same => return Ok(check),
            SettingsCheck::First => format!("reference {}", current.reference),
            SettingsCheck::Changed(what) => {
                format!(
                    "reference {}; changed: {}",
                    current.reference,
                    what.join(", ")
                )
            }
        };
        self.staged_settings = Some(Staged {
            settings: current,
            description,
        });
        Ok(check)
    }

    /// The settings recorded last, if any.
    pub(crate) fn last_settings(&self) -> Result<Option<RecordedSettings>, HistoryError> {
        Ok(self.all_settings()?.pop())
    }

    /// Every recorded settings, oldest first.
    pub(crate) fn all_settings(&self) -> Result<Vec<RecordedSettings>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, fingerprint, parts, description, started_us, first_result_id
                 FROM settings ORDER BY id",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, fingerprint, parts, description, started_us, first_result_id) =
                row.map_err(&err)?;
            let parts = serde_json::from_str(&parts).map_err(|error| HistoryError::Corrupt {
                path: self.path.clone(),
                id,
                window: format!("settings {id}"),
                error,
            })?;
            out.push(RecordedSettings {
                id,
                fingerprint,
                parts,
                description,
                started_us,
                first_result_id,
            });
        }
        Ok(out)
    }

    /// The window of the first result of each recorded settings after the first one: where a
    /// trend's boundary is drawn.
    #[cfg(test)]
    pub(crate) fn settings_boundaries(&self) -> Result<Vec<String>, HistoryError> {
        let err = sql_err(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.window FROM settings s JOIN results r ON r.id = s.first_result_id
                 WHERE s.id > (SELECT MIN(id) FROM settings) ORDER BY s.id",
            )
            .map_err(&err)?;
        let windows = stmt
            .query_map([], |row| row.get(0))
            .map_err(&err)?
            .collect::<Result<_, _>>()
            .map_err(&err)?;
        Ok(windows)
    }
}

/// Records staged settings against the window (`result_id`) that is the first under them.
pub(super) fn store(tx: &Transaction<'_>, result_id: i64, staged: &Staged) -> rusqlite::Result<()> {
    let parts = serde_json::to_string(&staged.settings.parts)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let previous: Option<String> = tx
        .query_row(
            "SELECT fingerprint FROM settings ORDER BY id DESC LIMIT 1",
            [],
            |row| row.get(0),
        )
        .optional()?;
    let fingerprint = staged.settings.fingerprint();
    // Another run may have recorded the same settings since they were compared.
    if previous.as_deref() == Some(fingerprint.as_str()) {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO settings (fingerprint, parts, description, started_us, first_result_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            fingerprint,
            parts,
            staged.description,
            Utc::now().timestamp_micros(),
            result_id
        ],
    )?;
    Ok(())
}

/// A stable 64-bit hash in hex: FNV-1a's constants over 8-byte little-endian words (eight times
/// fewer multiplications than byte by byte: a 100 MB reference costs tens of milliseconds), the
/// tail and the length last. The same bytes give the same text on every build and machine, so
/// an upgrade of ml-monitor is not taken for a change of settings.
pub(crate) fn stable_hash(bytes: &[u8]) -> String {
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
    }
    for b in words.remainder() {
        h = (h ^ u64::from(*b)).wrapping_mul(PRIME);
    }
    h = (h ^ bytes.len() as u64).wrapping_mul(PRIME);
    format!("{h:016x}")
}

/// [`stable_hash`] of a file's bytes, read a block at a time (a streamed reference is never
/// whole in memory).
pub(crate) fn stable_hash_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut file = std::fs::File::open(path)?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut block = vec![0u8; 1 << 20];
    // Bytes of a word not yet complete at the end of a block.
    let mut carry: Vec<u8> = Vec::with_capacity(8);
    let mut len: u64 = 0;
    loop {
        let n = match file.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        len += n as u64;
        let mut bytes = &block[..n];
        if !carry.is_empty() {
            let take = (8 - carry.len()).min(bytes.len());
            carry.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if carry.len() == 8 {
                let mut w = [0u8; 8];
                w.copy_from_slice(&carry);
                h = (h ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
                carry.clear();
            }
        }
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            h = (h ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
        }
        carry.extend_from_slice(words.remainder());
    }
    for b in &carry {
        h = (h ^ u64::from(*b)).wrapping_mul(PRIME);
    }
    h = (h ^ len).wrapping_mul(PRIME);
    Ok(format!("{h:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml_monitor::MonitoringResult;

    /// The streamed hash is the whole-bytes one, whatever the length (words split across the
    /// 1 MiB blocks included).
    #[test]
    fn a_file_hashed_a_block_at_a_time_hashes_as_its_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        for len in [
            0usize,
            1,
            7,
            8,
            9,
            (1 << 20) - 3,
            (1 << 20) + 5,
            3 * (1 << 20) + 1,
        ] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let path = dir.path().join("r.csv");
            std::fs::write(&path, &bytes).expect("write");
            assert_eq!(
                stable_hash_file(&path).expect("read"),
                stable_hash(&bytes),
                "{len} bytes"
            );
        }
    }

    fn settings(reference: &str, thresholds: &str) -> Settings {
        Settings {
            parts: BTreeMap::from([
                ("reference".to_string(), stable_hash(reference.as_bytes())),
                ("thresholds".to_string(), stable_hash(thresholds.as_bytes())),
            ]),
            reference: "reference.csv".into(),
        }
    }

    fn window(h: &mut History, name: &str) {
        let result = MonitoringResult::new(name);
        assert!(h.record(None, &result).expect("recorded"));
    }

    #[test]
    fn a_changed_fingerprint_is_recorded_once_and_an_unchanged_one_not_at_all() {
        let mut h = History::open_in_memory().expect("history");
        assert_eq!(
            h.note_settings(settings("a", "t")).expect("noted"),
            SettingsCheck::First
        );
        window(&mut h, "w1");
        window(&mut h, "w2");
        assert_eq!(h.all_settings().expect("settings").len(), 1);
        // A restart with the same settings records nothing.
        assert_eq!(
            h.note_settings(settings("a", "t")).expect("noted"),
            SettingsCheck::Same
        );
        window(&mut h, "w3");
        assert_eq!(h.all_settings().expect("settings").len(), 1);
        // Another threshold: recorded once, with the first window under it.
        assert_eq!(
            h.note_settings(settings("a", "u")).expect("noted"),
            SettingsCheck::Changed(vec!["thresholds".into()])
        );
        window(&mut h, "w4");
        window(&mut h, "w5");
        let all = h.all_settings().expect("settings");
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[1].description,
            "reference reference.csv; changed: thresholds"
        );
        assert_eq!(h.settings_boundaries().expect("boundaries"), vec!["w4"]);
        assert_eq!(
            h.note_settings(settings("a", "u")).expect("noted"),
            SettingsCheck::Same
        );
    }

    #[test]
    fn the_stable_hash_does_not_depend_on_the_build() {
        // Fixed values (computed apart, with Python integers): a build that hashed differently
        // would close every problem on upgrade.
        assert_eq!(stable_hash(b""), "af63bd4c8601b7df");
        assert_eq!(stable_hash(b"x,y\n1,2\n"), "bc8ae224a9eefa7d");
        assert_ne!(stable_hash(b"x,y\n1,2\n"), stable_hash(b"x,y\n1,3\n"));
        assert_ne!(stable_hash(b"a"), stable_hash(b"a\0"));
    }
}
