//! Matching a label file's rows to the kept rows of the windows they belong to, and holding the
//! labels whose window has not arrived.
//!
//! Why the label file is indexed in memory and the kept ids scanned against it, rather than a
//! lookup per id in the history (a million lookups in SQLite take seconds) or an index of every
//! kept id (as many inserts as rows kept, up to `[labels] max_rows`, for every label file): a
//! file's labels are usually far fewer than the rows kept, and a small map stays in cache.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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
/// has labels, whatever the number of rows kept; the scan writes each window's labels in order.
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
    let mut given: FxMap<&str, Given> =
        FxMap::with_capacity_and_hasher(rows.rows(), Default::default());
    for (row, &value) in values.iter().enumerate() {
        let Some(id) = rows.id(row).filter(|_| !value.is_nan()) else {
            counts.unusable += 1;
            continue;
        };
        let entry = given.entry(id).or_insert(Given {
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
    for (w, kept) in windows.iter().enumerate().rev() {
        let Some(slots) = labels.get_mut(w) else {
            continue;
        };
        let mut changed = false;
        for r in (0..kept.rows()).rev() {
            let id = kept.id(r);
            if id.is_empty() {
                continue;
            }
            let Some(g) = given.get_mut(id).filter(|g| !g.taken) else {
                continue;
            };
            g.taken = true;
            let Some(slot) = slots.get_mut(r) else {
                continue;
            };
            match set_label(slot, g.value) {
                Change::New => {
                    counts.matched += 1;
                    changed = true;
                }
                Change::Replaced => {
                    counts.replaced += 1;
                    changed = true;
                }
                Change::Unchanged => counts.unchanged += 1,
            }
        }
        if let (true, Some(t)) = (changed, touched.get_mut(w)) {
            *t = true;
        }
    }
    for (id, g) in given.into_iter().filter(|(_, g)| !g.taken) {
        counts.unknown += g.rows as usize;
        if held.hold(id.to_string(), g.value, file) == Change::Replaced {
            counts.replaced += 1;
        }
    }
    counts
}

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
