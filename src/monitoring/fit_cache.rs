//! What a reference fit computed, kept on disk so that a restart (or the next `--once`) on the
//! same reference and settings does not compute it again.
//!
//! One file per kind of fitted state (`estimator`, …) beside the history: `HISTORY.fit-KIND`.
//! Each holds the key it was made for — a hash of exactly what that fit reads (the reference's
//! columns, bit for bit, and the settings that shape it) — then the state as JSON (exact for
//! every float: `float_roundtrip`), its length and a checksum. A file whose key differs is
//! stale and is overwritten by the next fit; a file that is truncated, corrupt, unreadable or of
//! another format version is never trusted: the fit runs and rewrites it. Writing goes through
//! a temporary file renamed into place, so a crash leaves the old file or the new, never half of
//! one. A cache that cannot be written costs only the next start's time: it is logged, not an
//! error.
//!
//! The hash is std's SipHash with fixed keys, 128 bits from two of them: stable for a build of
//! the program, which is all a cache needs (another build may hash differently and then simply
//! refits once).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// First bytes of every cache file; the last digit is the format version.
const MAGIC: &[u8; 16] = b"ml-monitor-fit-1";

/// A 128-bit key: what a fit read, hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitKey([u64; 2]);

/// Builds a [`FitKey`] from the settings and the columns a fit reads.
pub(crate) struct KeyBuilder {
    hashers: [std::collections::hash_map::DefaultHasher; 2],
}

impl Default for KeyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyBuilder {
    pub fn new() -> Self {
        let mut hashers = [
            std::collections::hash_map::DefaultHasher::new(),
            std::collections::hash_map::DefaultHasher::new(),
        ];
        // Two different hashes of the same input: the second starts from another state.
        1u8.hash(&mut hashers[1]);
        KeyBuilder { hashers }
    }

    /// Adds text (a kind's name, settings as JSON).
    pub fn text(mut self, text: &str) -> Self {
        for h in &mut self.hashers {
            text.hash(h);
        }
        self
    }

    /// Adds a column of numbers, bit for bit (`None`: the column is absent).
    pub fn values(mut self, values: Option<&[f64]>) -> Self {
        for h in &mut self.hashers {
            match values {
                None => h.write_u8(0),
                Some(v) => {
                    h.write_u8(1);
                    h.write_usize(v.len());
                    for x in v {
                        h.write_u64(x.to_bits());
                    }
                }
            }
        }
        self
    }

    pub fn finish(self) -> FitKey {
        FitKey([self.hashers[0].finish(), self.hashers[1].finish()])
    }
}

/// Where fitted states are kept: files named after a path (the history's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitCache {
    stem: PathBuf,
}

impl FitCache {
    /// Keeps its files beside `path`: `PATH.fit-KIND`.
    pub fn beside(path: &Path) -> Self {
        FitCache {
            stem: path.to_path_buf(),
        }
    }

    /// The file of `kind`.
    pub(crate) fn path(&self, kind: &str) -> PathBuf {
        let mut name = self.stem.as_os_str().to_os_string();
        name.push(format!(".fit-{kind}"));
        PathBuf::from(name)
    }

    /// The state of `kind` stored for `key`, if the file holds exactly that, intact.
    pub(crate) fn load<T: DeserializeOwned>(&self, kind: &str, key: FitKey) -> Option<T> {
        let bytes = std::fs::read(self.path(kind)).ok()?;
        let payload = checked_payload(&bytes, key)?;
        serde_json::from_slice(payload).ok()
    }

    /// Stores `state` as the state of `kind` for `key` (replacing any other); a failure is
    /// logged and otherwise ignored.
    pub(crate) fn store<T: Serialize>(&self, kind: &str, key: FitKey, state: &T) {
        if let Err(e) = self.try_store(kind, key, state) {
            log::warn!(
                target: "ml_monitor::fit_cache",
                "{}: the fitted reference could not be cached: {e}",
                self.path(kind).display()
            );
        }
    }

    fn try_store<T: Serialize>(&self, kind: &str, key: FitKey, state: &T) -> std::io::Result<()> {
        let payload = serde_json::to_vec(state)?;
        let path = self.path(kind);
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        file.write_all(MAGIC)?;
        file.write_all(&key.0[0].to_le_bytes())?;
        file.write_all(&key.0[1].to_le_bytes())?;
        file.write_all(&(payload.len() as u64).to_le_bytes())?;
        file.write_all(&checksum(&payload).to_le_bytes())?;
        file.write_all(&payload)?;
        file.as_file().sync_all()?;
        file.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The payload of a cache file made for `key`, if its header, length and checksum hold.
fn checked_payload(bytes: &[u8], key: FitKey) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (header, payload) = rest.split_at_checked(32)?;
    let word = |i: usize| -> Option<u64> {
        Some(u64::from_le_bytes(
            header.get(i * 8..i * 8 + 8)?.try_into().ok()?,
        ))
    };
    if [word(0)?, word(1)?] != key.0 || word(2)? != payload.len() as u64 {
        return None;
    }
    (word(3)? == checksum(payload)).then_some(payload)
}

fn checksum(payload: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    payload.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_comes_back_only_for_its_key_and_intact() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = FitCache::beside(&dir.path().join("history.sqlite"));
        let key = KeyBuilder::new()
            .text("a")
            .values(Some(&[1.0, 2.0]))
            .finish();
        let other = KeyBuilder::new()
            .text("a")
            .values(Some(&[1.0, 2.5]))
            .finish();
        assert_ne!(key, other);
        cache.store("x", key, &vec![0.1, 0.2, 1.0 / 3.0]);
        assert_eq!(
            cache.load::<Vec<f64>>("x", key),
            Some(vec![0.1, 0.2, 1.0 / 3.0])
        );
        assert_eq!(cache.load::<Vec<f64>>("x", other), None);
        assert_eq!(cache.load::<Vec<f64>>("y", key), None);
        // Truncated, or one byte changed: not trusted.
        let path = cache.path("x");
        let bytes = std::fs::read(&path).expect("written");
        std::fs::write(&path, &bytes[..bytes.len() - 3]).expect("truncate");
        assert_eq!(cache.load::<Vec<f64>>("x", key), None);
        let mut flipped = bytes.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 1;
        std::fs::write(&path, &flipped).expect("corrupt");
        assert_eq!(cache.load::<Vec<f64>>("x", key), None);
        std::fs::write(&path, b"").expect("empty");
        assert_eq!(cache.load::<Vec<f64>>("x", key), None);
    }

    #[test]
    fn absent_and_empty_columns_differ() {
        let none = KeyBuilder::new().values(None).finish();
        let empty = KeyBuilder::new().values(Some(&[])).finish();
        assert_ne!(none, empty);
    }
}
