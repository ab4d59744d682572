//! Matching a label file's rows to the kept rows of the windows they belong to, and holding the
//! labels whose window has not arrived.
//!
//! Why the label file is indexed in memory and the kept ids scanned against it, rather than a
//! lookup per id in the history (a million lookups in SQLite take seconds) or an index of every
//! kept id (as many inserts as rows kept, up to `[labels] max_rows`, for every label file): a
//! file's labels are usually far fewer than the rows kept, and a small map stays in cache.
//! Why both sides are first split by hash into partitions, each with a copy of its ids: a map of
//! a million ids does not stay in cache, and every insert and lookup then waits for memory
//! (three or four cache misses: the table, the entry, the id's bytes); a partition's map and
//! ids do, and the split itself writes its partitions in order (joining a million labels took
//! 1.3 s with one map, about a third of that split).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use super::kept::KeptRows;
use crate::data::{LabelRows, LabelTargets};
use crate::monitoring::estimation::MulticlassEstimator;

/// The Fx hash (rustc's): several times faster than SipHash on short ids. It does not resist
/// ids chosen to collide; ids come from the model's own data, and the maps are bounded.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    /// With murmur3's finaliser: Fx alone leaves the low bits (hashbrown's bucket index)
    /// depending on the low bytes of each word only, and ids such as `w000-0012345` then
    /// share a few thousand buckets.
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// What a label file did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct JoinCounts {
    /// Rows of the label file.
    pub label_rows: usize,
    /// Labels given to rows that had none.
    pub matched: usize,
    /// Labels for rows labelled before with another value: the later one replaces it.
    pub replaced: usize,
    /// Labels for rows labelled before with the same value: nothing changes.
    pub unchanged: usize,
    /// Labels for ids of no kept window: held for their window (see [`PendingLabels`]).
    pub unknown: usize,
    /// Rows without an id or a label, or with a class that is not one of the model's.
    pub unusable: usize,
}

/// How a label changed a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    Replaced,
    Unchanged,
}

/// Sets a row's label: NaN means none yet.
pub fn set_label(slot: &mut f64, label: f64) -> Change {
    if slot.is_nan() {
        *slot = label;
        Change::New
    } else if *slot == label {
        Change::Unchanged
    } else {
        *slot = label;
        Change::Replaced
    }
}

/// The label file's targets as numbers: the numbers themselves, or a multiclass model's class
/// index (`classes` sorted); NaN where missing or not a class.
pub fn label_values(rows: &LabelRows, classes: &[String]) -> Vec<f64> {
    match rows.targets() {
        LabelTargets::Numbers(v) => v.clone(),
        LabelTargets::Classes(column) => (0..rows.rows())
            .map(|row| {
                crate::data::id_text(column, row)
                    .and_then(|label| MulticlassEstimator::index_in(classes, &label))
                    .map_or(f64::NAN, |i| i as f64)
            })
            .collect(),
    }
}

/// One id's label in a label file: the last row's value, how many rows gave it, and whether a
/// window took it.
struct Given {
    value: f64,
    rows: u32,
    taken: bool,
}

/// Applies a label file to `windows` (oldest first): `labels[w]` holds window `w`'s labels
/// (NaN: none) and `touched[w]` is set when one of them changed. Labels of ids no window has
/// are given to `held` (the later of two for one id wins).
///
/// The file's labels are indexed by id and the kept ids scanned against them, newest window
/// first, so an id kept in several windows goes to the latest (and, within a window, to its
/// last row). Indexing the file rather than the kept rows costs as many inserts as the file
/// has labels, whatever the number of rows kept. Both sides are split by hash first (see the
/// module doc), each partition keeping that order.
pub fn apply(
    windows: &[&KeptRows],
    rows: &LabelRows,
    values: &[f64],
    labels: &mut [Vec<f64>],
    touched: &mut [bool],
    held: &mut PendingLabels,
    file: &str,
) -> JoinCounts {
    let mut counts = JoinCounts {
        label_rows: rows.rows(),
        ..JoinCounts::default()
    };
    let bits = partition_bits(rows.rows());
    // The file's labels, in file order within each partition.
    let mut files: Vec<Part<f64>> = parts(bits, rows.rows());
    for (row, &value) in values.iter().enumerate() {
        let Some(id) = rows.id(row).filter(|_| !value.is_nan()) else {
            counts.unusable += 1;
            continue;
        };
        let hash = hash_id(id.as_bytes());
        files[part_of(hash, bits)].push(hash, id.as_bytes(), value);
    }
    // The kept ids in the order they are matched: newest window first, last row first.
    let kept_rows: usize = windows.iter().map(|k| k.rows()).sum();
    let mut kept: Vec<Part<(usize, usize)>> = parts(bits, kept_rows);
    for (w, k) in windows.iter().enumerate().rev() {
        if labels.get(w).is_none() {
            continue;
        }
        for r in (0..k.rows()).rev() {
            let id = k.id(r);
            if id.is_empty() {
                continue;
            }
            let hash = hash_id(id.as_bytes());
            kept[part_of(hash, bits)].push(hash, id.as_bytes(), (w, r));
        }
    }
    for (file_part, kept_part) in files.iter().zip(&kept) {
        let mut given: KeyMap<Key, Given> =
            KeyMap::with_capacity_and_hasher(file_part.entries.len(), Default::default());
        for (key, &value) in file_part.iter() {
            let entry = given.entry(key).or_insert(Given {
                value,
                rows: 0,
                taken: false,
            });
            if entry.rows > 0 {
                // A repeated id: the later row replaces the earlier.
                if entry.value == value {
                    counts.unchanged += 1;
                } else {
                    counts.replaced += 1;
                    entry.value = value;
                }
            }
            entry.rows += 1;
        }
        if given.is_empty() {
            continue;
        }
        for (key, &(w, r)) in kept_part.iter() {
            let Some(g) = given.get_mut(&key).filter(|g| !g.taken) else {
                continue;
            };
            g.taken = true;
            let Some(slot) = labels.get_mut(w).and_then(|slots| slots.get_mut(r)) else {
                continue;
            };
            match set_label(slot, g.value) {
                Change::New => counts.matched += 1,
                Change::Replaced => counts.replaced += 1,
                Change::Unchanged => {
                    counts.unchanged += 1;
                    continue;
                }
            }
            if let Some(t) = touched.get_mut(w) {
                *t = true;
            }
        }
        for (key, g) in given.into_iter().filter(|(_, g)| !g.taken) {
            counts.unknown += g.rows as usize;
            let id = String::from_utf8_lossy(key.id).into_owned();
            if held.hold(id, g.value, file) == Change::Replaced {
                counts.replaced += 1;
            }
        }
    }
    counts
}

/// Partitions for `rows` label rows: about a thousand ids each, at most 4096.
fn partition_bits(rows: usize) -> u32 {
    (rows / 1024).max(1).ilog2().min(12)
}

/// The hash an id is split and looked up by.
#[inline]
fn hash_id(id: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(id);
    h.finish()
}

/// An id's partition: bits of its hash that neither a map's buckets (the low bits) nor its
/// control bytes (the top seven) use, so ids of one partition still spread in its map.
#[inline]
fn part_of(hash: u64, bits: u32) -> usize {
    ((hash >> 32) as usize) & ((1usize << bits) - 1)
}

/// One partition: its ids' bytes one after the other, and per id its hash, where its bytes
/// end, and what it carries.
struct Part<T> {
    text: Vec<u8>,
    entries: Vec<(u64, usize, T)>,
}

fn parts<T>(bits: u32, rows: usize) -> Vec<Part<T>> {
    let each = (rows >> bits) + (rows >> bits) / 4 + 4;
    (0..1usize << bits)
        .map(|_| Part {
            text: Vec::with_capacity(each * 16),
            entries: Vec::with_capacity(each),
        })
        .collect()
}

impl<T> Part<T> {
    #[inline]
    fn push(&mut self, hash: u64, id: &[u8], payload: T) {
        self.text.extend_from_slice(id);
        self.entries.push((hash, self.text.len(), payload));
    }

    fn iter(&self) -> impl Iterator<Item = (Key<'_>, &T)> {
        let mut start = 0;
        self.entries.iter().map(move |(hash, end, payload)| {
            let id = self.text.get(start..*end).unwrap_or_default();
            start = *end;
            (Key { hash: *hash, id }, payload)
        })
    }
}

/// An id with its hash, computed once.
#[derive(Clone, Copy)]
struct Key<'a> {
    hash: u64,
    id: &'a [u8],
}

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.id == other.id
    }
}

impl Eq for Key<'_> {}

impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Hands a [`Key`]'s hash to the map as it is.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = FxHasher(self.0);
        h.write(bytes);
        self.0 = h.finish();
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// A label waiting for its window.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub label: f64,
    /// The label file it came from.
    pub file: String,
    /// Arrival order: the oldest are dropped first when too many are held.
    pub seq: u64,
}

/// Labels whose id no kept window has, held (at most `max`) until their window arrives.
#[derive(Debug, Clone, Default)]
pub struct PendingLabels {
    map: FxMap<String, Held>,
    next: u64,
    max: usize,
}

impl PendingLabels {
    /// Holds at most `max` labels.
    pub fn new(max: usize) -> Self {
        PendingLabels {
            map: FxMap::default(),
            next: 0,
            max,
        }
    }

    /// Number of labels held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The label held for an id.
    #[cfg(test)]
    pub(crate) fn get(&self, id: &str) -> Option<&Held> {
        self.map.get(id)
    }

    /// Every label held, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Held)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Restores a held label (from the history), keeping its order.
    pub fn restore(&mut self, id: String, held: Held) {
        self.next = self.next.max(held.seq + 1);
        self.map.insert(id, held);
    }

    /// Holds a label; a later label for the same id replaces the earlier.
    pub(crate) fn hold(&mut self, id: String, label: f64, file: &str) -> Change {
        let seq = self.next;
        self.next += 1;
        let held = Held {
            label,
            file: file.to_string(),
            seq,
        };
        match self.map.insert(id, held) {
            None => Change::New,
            Some(old) if old.label == label => Change::Unchanged,
            Some(_) => Change::Replaced,
        }
    }

    /// Drops the oldest labels beyond the bound; returns their ids.
    pub fn trim(&mut self) -> Vec<String> {
        if self.map.len() <= self.max {
            return Vec::new();
        }
        let mut order: Vec<(u64, &String)> = self.map.iter().map(|(k, h)| (h.seq, k)).collect();
        order.sort_unstable();
        let excess = self.map.len() - self.max;
        let dropped: Vec<String> = order[..excess].iter().map(|(_, k)| (*k).clone()).collect();
        for id in &dropped {
            self.map.remove(id);
        }
        dropped
    }

    /// Takes the labels held for a window's ids: (row, label), and the files they came from.
    pub fn take_for(&mut self, kept: &KeptRows) -> (Vec<(usize, f64)>, Vec<String>) {
        let mut found = Vec::new();
        let mut files: Vec<String> = Vec::new();
        if self.map.is_empty() {
            return (found, files);
        }
        for row in 0..kept.rows() {
            let id = kept.id(row);
            if id.is_empty() {
                continue;
            }
            if let Some(held) = self.map.remove(id) {
                if !files.contains(&held.file) {
                    files.push(held.file);
                }
                found.push((row, held.label));
            }
        }
        (found, files)
    }
}
