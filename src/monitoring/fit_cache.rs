//! What a reference fit computed, kept on disk so that a restart (or the next `--once`) on the
//! same reference and settings does not compute it again.
//!
//! One file per kind of fitted state (`estimator`, `pca`) beside the history:
//! `HISTORY.fit-KIND`. Each holds the key it was made for — a hash of exactly what that fit
//! reads (the reference's columns, bit for bit, and the settings that shape it) — then the
//! state, its length and a checksum. A small state is JSON (exact for every float:
//! `float_roundtrip`); a detector's state with large float arrays (pca's basis: 250,000
//! numbers for 500 features) is a JSON head and the arrays' bits as they are in memory
//! ([`FittedState`]), read back in a copy instead of parsed (JSON would be slower than the
//! fit it saves). A file whose key differs is
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

use crate::data::{Column, ColumnData};
use crate::drift::FittedState;

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

    /// Adds a feature column: its name, kind and every value (codes and their dictionary for
    /// a categorical one), bit for bit.
    pub fn column(mut self, column: &Column) -> Self {
        self = self.text(&column.name);
        match &column.data {
            ColumnData::Numeric(values) => self.values(Some(values)),
            ColumnData::Categorical { codes, dictionary } => {
                for h in &mut self.hashers {
                    h.write_u8(2);
                    h.write_usize(codes.len());
                    for &c in codes {
                        h.write_u32(c);
                    }
                    h.write_usize(dictionary.len());
                    for d in dictionary {
                        d.hash(h);
                    }
                }
                self
            }
        }
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
        let payload = serde_json::to_vec(state).map_err(std::io::Error::from);
        self.store_payload(kind, key, payload);
    }

    /// A detector's state stored for `key` ([`FitCache::load`] for a [`FittedState`]).
    pub(crate) fn load_state(&self, kind: &str, key: FitKey) -> Option<FittedState> {
        let bytes = std::fs::read(self.path(kind)).ok()?;
        decode_state(checked_payload(&bytes, key)?)
    }

    /// [`FitCache::store`] for a detector's [`FittedState`].
    pub(crate) fn store_state(&self, kind: &str, key: FitKey, state: &FittedState) {
        self.store_payload(kind, key, Ok(encode_state(state)));
    }

    fn store_payload(&self, kind: &str, key: FitKey, payload: std::io::Result<Vec<u8>>) {
        if let Err(e) = payload.and_then(|p| self.try_store(kind, key, &p)) {
            log::warn!(
                target: "ml_monitor::fit_cache",
                "{}: the fitted reference could not be cached: {e}",
                self.path(kind).display()
            );
        }
    }

    fn try_store(&self, kind: &str, key: FitKey, payload: &[u8]) -> std::io::Result<()> {
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
        file.write_all(&checksum(payload).to_le_bytes())?;
        file.write_all(payload)?;
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

/// A [`FittedState`] as bytes: the head's length, the head, then each float's bits (little
/// endian).
fn encode_state(state: &FittedState) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + state.head.len() + 8 * state.floats.len());
    bytes.extend_from_slice(&(state.head.len() as u64).to_le_bytes());
    bytes.extend_from_slice(state.head.as_bytes());
    for x in &state.floats {
        bytes.extend_from_slice(&x.to_bits().to_le_bytes());
    }
    bytes
}

/// [`encode_state`]'s bytes back, if they are whole.
fn decode_state(bytes: &[u8]) -> Option<FittedState> {
    let (length, rest) = bytes.split_at_checked(8)?;
    let length = usize::try_from(u64::from_le_bytes(length.try_into().ok()?)).ok()?;
    let (head, floats) = rest.split_at_checked(length)?;
    let floats = floats.chunks(8).map(|b| {
        let word: [u8; 8] = b.try_into().ok()?;
        Some(f64::from_bits(u64::from_le_bytes(word)))
    });
    Some(FittedState {
        head: String::from_utf8(head.to_vec()).ok()?,
        floats: floats.collect::<Option<Vec<f64>>>()?,
    })
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
    fn a_detectors_state_comes_back_bit_for_bit() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = FitCache::beside(&dir.path().join("history.sqlite"));
        let key = KeyBuilder::new().text("pca").finish();
        let floats = vec![
            0.1,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
        ];
        let state = FittedState {
            head: r#"{"components":3}"#.to_string(),
            floats: floats.clone(),
        };
        cache.store_state("pca", key, &state);
        let back = cache.load_state("pca", key).expect("stored");
        assert_eq!(back.head, state.head);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(bits(&back.floats), bits(&floats));
        // A float cut in half is not a float.
        let payload = encode_state(&state);
        assert!(decode_state(&payload[..payload.len() - 3]).is_none());
        assert!(decode_state(&payload[..4]).is_none());
    }

    #[test]
    fn absent_and_empty_columns_differ() {
        let none = KeyBuilder::new().values(None).finish();
        let empty = KeyBuilder::new().values(Some(&[])).finish();
        assert_ne!(none, empty);
    }
}
