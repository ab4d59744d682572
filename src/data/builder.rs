//! Per-column builders the reader pushes cells into, one set per parallel chunk, and the
//! assembly of a column from its chunks.
//!
//! Each column is allocated once, at its final size, before parsing: the reader counts the
//! line ends of each chunk, every row takes at most one, so chunk `c` owns a disjoint slice of
//! every column starting at the line ends before it. Builders write straight into those slices
//! from parallel tasks; nothing is concatenated or copied afterwards unless blank lines left
//! gaps. (A window is a few tens of megabytes of columns, and on a virtual machine every fresh
//! page costs a fault: writing them once matters.) Category codes are per chunk until assembly
//! remaps them onto one dictionary.

use std::collections::HashMap;

use super::is_missing_token;
use super::number;
use super::window::{Column, ColumnData, MISSING_CODE};

/// What to do with one field position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    Skip,
    Numeric,
    /// Numeric unless a non-missing cell fails to parse.
    Infer,
    Categorical,
    /// Each cell's text as it is, no dictionary (row ids: every value distinct). CSV only.
    Text,
}

/// A finished column before it gets its name.
#[derive(Debug)]
pub(super) enum Built {
    Numeric {
        values: Vec<f64>,
        missing: usize,
        invalid: usize,
        non_numeric: bool,
    },
    Categorical {
        codes: Vec<u32>,
        dictionary: Vec<Vec<u8>>,
        missing: usize,
    },
    /// Cell `i` is `bytes[ends[i - 1]..ends[i]]` (from 0 for the first); empty when missing.
    Text { bytes: Vec<u8>, ends: Vec<u32> },
}

impl Built {
    pub(super) fn into_column(self, name: &str) -> Column {
        match self {
            Built::Numeric {
                values,
                missing,
                invalid,
                ..
            } => Column {
                name: name.to_string(),
                data: ColumnData::Numeric(values),
                missing,
                invalid,
            },
            Built::Categorical {
                codes,
                dictionary,
                missing,
            } => Column {
                name: name.to_string(),
                data: ColumnData::Categorical {
                    codes,
                    dictionary: dictionary
                        .into_iter()
                        .map(|d| String::from_utf8_lossy(&d).into_owned())
                        .collect(),
                },
                missing,
                invalid: 0,
            },
            Built::Text { bytes, ends } => {
                let mut start = 0usize;
                let cells: Vec<Option<String>> = ends
                    .iter()
                    .map(|&end| {
                        let cell = bytes.get(start..end as usize).unwrap_or_default();
                        start = end as usize;
                        (!cell.is_empty()).then(|| String::from_utf8_lossy(cell).into_owned())
                    })
                    .collect();
                Column::categorical(name, &cells)
            }
        }
    }
}

/// The memory of one column for all chunks, allocated before parsing.
pub(super) enum Storage {
    Skip,
    /// The chunks' slots are `values[base..]`; before them, the blocks parsed already (see
    /// [`Gathered::storage_for_next`]).
    Numeric {
        values: Vec<f64>,
        base: usize,
    },
    Categorical(Vec<u32>),
    /// Each chunk's builder owns its text; joined at `assemble`.
    Text,
}

impl Storage {
    /// `slots` zeroed entries for a parsed plan. The zeroing is the allocator's (`calloc`):
    /// pages are touched first by the task that writes them.
    pub(super) fn new(plan: Plan, slots: usize) -> Self {
        match plan {
            Plan::Skip => Storage::Skip,
            Plan::Numeric | Plan::Infer => Storage::Numeric {
                values: vec![0.0; slots],
                base: 0,
            },
            Plan::Categorical => Storage::Categorical(vec![0; slots]),
            Plan::Text => Storage::Text,
        }
    }

    /// Splits the column into consecutive builders of the given sizes, one per chunk.
    pub(super) fn builders(&mut self, plan: Plan, sizes: &[usize]) -> Vec<Builder<'_>> {
        fn split<'a, T>(mut rest: &'a mut [T], sizes: &[usize]) -> Vec<&'a mut [T]> {
            sizes
                .iter()
                .map(|&n| {
                    let n = n.min(rest.len());
                    let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
                    rest = tail;
                    head
                })
                .collect()
        }
        match self {
            Storage::Skip => sizes.iter().map(|_| Builder::Skip).collect(),
            Storage::Numeric { values, base } => split(&mut values[*base..], sizes)
                .into_iter()
                .map(|out| Builder::Numeric {
                    out,
                    len: 0,
                    missing: 0,
                    invalid: 0,
                    non_numeric: false,
                    infer: plan == Plan::Infer,
                })
                .collect(),
            Storage::Categorical(codes) => split(codes, sizes)
                .into_iter()
                .map(|out| Builder::Categorical {
                    out,
                    len: 0,
                    index: HashMap::new(),
                    dictionary: Vec::new(),
                    missing: 0,
                })
                .collect(),
            Storage::Text => sizes
                .iter()
                .map(|&n| Builder::Text {
                    bytes: Vec::with_capacity(n.saturating_mul(12)),
                    ends: Vec::with_capacity(n),
                })
                .collect(),
        }
    }

    /// The finished column from the chunks' parts: `slots[c]` entries were reserved for chunk
    /// `c`, of which `rows[c]` were written. Gaps are closed and category codes remapped onto
    /// one dictionary (first seen, first coded).
    pub(super) fn assemble(
        self,
        parts: Vec<Part>,
        slots: &[usize],
        rows: &[usize],
    ) -> Option<Built> {
        let missing = parts.iter().map(|p| p.missing).sum();
        match self {
            Storage::Skip => None,
            Storage::Text => {
                let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.text.0.len()).sum());
                let mut ends = Vec::with_capacity(parts.iter().map(|p| p.text.1.len()).sum());
                for part in parts {
                    let base = bytes.len() as u32;
                    bytes.extend_from_slice(&part.text.0);
                    ends.extend(part.text.1.iter().map(|e| e + base));
                }
                Some(Built::Text { bytes, ends })
            }
            Storage::Numeric { mut values, base } => {
                close_gaps(&mut values, base, slots, rows, |_, _| {});
                Some(Built::Numeric {
                    values,
                    missing,
                    invalid: parts.iter().map(|p| p.invalid).sum(),
                    non_numeric: parts.iter().any(|p| p.non_numeric),
                })
            }
            Storage::Categorical(mut codes) => {
                let mut global: HashMap<Vec<u8>, u32> = HashMap::new();
                let mut dictionary: Vec<Vec<u8>> = Vec::new();
                let remaps: Vec<Vec<u32>> = parts
                    .into_iter()
                    .map(|part| {
                        part.dictionary
                            .into_iter()
                            .map(|entry| {
                                *global.entry(entry.clone()).or_insert_with(|| {
                                    dictionary.push(entry);
                                    (dictionary.len() - 1) as u32
                                })
                            })
                            .collect()
                    })
                    .collect();
                close_gaps(&mut codes, 0, slots, rows, |chunk, range| {
                    let Some(remap) = remaps.get(chunk) else {
                        return;
                    };
                    for code in range {
                        if *code != MISSING_CODE {
                            *code = remap.get(*code as usize).copied().unwrap_or(MISSING_CODE);
                        }
                    }
                });
                Some(Built::Categorical {
                    codes,
                    dictionary,
                    missing,
                })
            }
        }
    }
}

/// A column gathered block by block (`scan.rs` reads a large file in blocks): each block's
/// column appended to the ones before, category codes remapped onto one dictionary (first
/// seen, first coded, as one parse of the whole file would code them). A numeric column's
/// next block is parsed straight into the column's end ([`Gathered::storage_for_next`]):
/// copying every block's values once more cost a fifth of reading a window.
pub(super) struct Gathered {
    built: Built,
    /// The dictionary's index (categorical columns).
    index: HashMap<Vec<u8>, u32>,
}

impl Gathered {
    /// Starts from the first block's column, with room for `rows` in all.
    pub(super) fn new(mut built: Built, rows: usize) -> Self {
        let mut index = HashMap::new();
        match &mut built {
            Built::Numeric { values, .. } => values.reserve(rows.saturating_sub(values.len())),
            Built::Categorical {
                codes, dictionary, ..
            } => {
                codes.reserve(rows.saturating_sub(codes.len()));
                index = dictionary
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (d.clone(), i as u32))
                    .collect();
            }
            Built::Text { ends, .. } => ends.reserve(rows.saturating_sub(ends.len())),
        }
        Gathered { built, index }
    }

    /// Where the next block's column is parsed: for a numeric column, its own memory with
    /// `slots` more entries (the column is then the next block's [`Built`], handed back to
    /// [`Gathered::append`]); otherwise memory of its own.
    pub(super) fn storage_for_next(&mut self, plan: Plan, slots: usize) -> Storage {
        match &mut self.built {
            Built::Numeric { values, .. } if matches!(plan, Plan::Numeric | Plan::Infer) => {
                let mut values = std::mem::take(values);
                let base = values.len();
                values.resize(base + slots, 0.0);
                Storage::Numeric { values, base }
            }
            _ => Storage::new(plan, slots),
        }
    }

    /// Appends the next block's column (built with the same plan). A numeric column parsed
    /// into the storage [`Gathered::storage_for_next`] gave holds the blocks before it too.
    pub(super) fn append(&mut self, next: Built) {
        match (&mut self.built, next) {
            (
                Built::Numeric {
                    values,
                    missing,
                    invalid,
                    non_numeric,
                },
                Built::Numeric {
                    values: more,
                    missing: m,
                    invalid: i,
                    non_numeric: n,
                },
            ) => {
                if values.is_empty() {
                    *values = more;
                } else {
                    values.extend_from_slice(&more);
                }
                *missing += m;
                *invalid += i;
                *non_numeric |= n;
            }
            (
                Built::Categorical {
                    codes,
                    dictionary,
                    missing,
                },
                Built::Categorical {
                    codes: more,
                    dictionary: entries,
                    missing: m,
                },
            ) => {
                let index = &mut self.index;
                let remap: Vec<u32> = entries
                    .into_iter()
                    .map(|entry| {
                        *index.entry(entry.clone()).or_insert_with(|| {
                            dictionary.push(entry);
                            (dictionary.len() - 1) as u32
                        })
                    })
                    .collect();
                codes.extend(more.into_iter().map(|code| {
                    if code == MISSING_CODE {
                        code
                    } else {
                        remap.get(code as usize).copied().unwrap_or(MISSING_CODE)
                    }
                }));
                *missing += m;
            }
            (
                Built::Text { bytes, ends },
                Built::Text {
                    bytes: more,
                    ends: more_ends,
                },
            ) => {
                let base = bytes.len() as u32;
                bytes.extend_from_slice(&more);
                ends.extend(more_ends.into_iter().map(|e| e + base));
            }
            // The same plan builds the same kind of column in every block.
            (Built::Numeric { .. } | Built::Categorical { .. } | Built::Text { .. }, _) => {}
        }
    }

    /// The column, without room reserved beyond an eighth more than it holds.
    pub(super) fn finish(self) -> Built {
        fn fit<T>(v: &mut Vec<T>) {
            if v.capacity() - v.len() > v.len() / 8 {
                v.shrink_to_fit();
            }
        }
        let mut built = self.built;
        match &mut built {
            Built::Numeric { values, .. } => fit(values),
            Built::Categorical { codes, .. } => fit(codes),
            Built::Text { ends, .. } => fit(ends),
        }
        built
    }
}

/// Moves each chunk's `rows[c]` entries (the chunks' slots start at `base`) down to follow the
/// previous chunk's, calls `each` on them in their final place, and truncates to the total.
fn close_gaps<T: Copy>(
    data: &mut Vec<T>,
    base: usize,
    slots: &[usize],
    rows: &[usize],
    mut each: impl FnMut(usize, &mut [T]),
) {
    let mut from = base;
    let mut to = base;
    for (chunk, (&reserved, &written)) in slots.iter().zip(rows).enumerate() {
        let written = written.min(reserved);
        if from != to {
            data.copy_within(from..from + written, to);
        }
        each(chunk, &mut data[to..to + written]);
        from += reserved;
        to += written;
    }
    data.truncate(to);
}

/// What a chunk's builder reports of its column once the cells are written.
pub(super) struct Part {
    /// Cells pushed (more than the slice held means the reservation was wrong).
    pub(super) len: usize,
    missing: usize,
    invalid: usize,
    non_numeric: bool,
    dictionary: Vec<Vec<u8>>,
    /// A text column's bytes and cell ends (relative to this part).
    text: (Vec<u8>, Vec<u32>),
}

/// Per-chunk builder of one column, writing into the chunk's slice of it.
pub(super) enum Builder<'a> {
    Skip,
    Numeric {
        out: &'a mut [f64],
        len: usize,
        missing: usize,
        invalid: usize,
        non_numeric: bool,
        infer: bool,
    },
    Categorical {
        out: &'a mut [u32],
        len: usize,
        index: HashMap<Vec<u8>, u32>,
        dictionary: Vec<Vec<u8>>,
        missing: usize,
    },
    Text {
        bytes: Vec<u8>,
        ends: Vec<u32>,
    },
}

/// Writes `v` at `*len` and counts it; past the end of `out` it only counts (the reader turns
/// that into an error instead of a panic).
#[inline]
fn put<T>(out: &mut [T], len: &mut usize, v: T) {
    if let Some(slot) = out.get_mut(*len) {
        *slot = v;
    }
    *len += 1;
}

impl Builder<'_> {
    #[inline]
    pub(super) fn push(&mut self, cell: &[u8]) {
        match self {
            Builder::Skip => {}
            Builder::Numeric {
                out,
                len,
                missing,
                invalid,
                non_numeric,
                infer,
            } => {
                let cell = cell.trim_ascii();
                let value = match number::parse_f64(cell) {
                    Some(v) if v.is_finite() => v,
                    _ if is_missing_token(cell) => {
                        *missing += 1;
                        f64::NAN
                    }
                    Some(_) => {
                        *invalid += 1;
                        f64::NAN
                    }
                    None => {
                        if *infer {
                            *non_numeric = true;
                        }
                        *invalid += 1;
                        f64::NAN
                    }
                };
                put(out, len, value);
            }
            Builder::Categorical {
                out,
                len,
                index,
                dictionary,
                missing,
            } => {
                let code = intern(index, dictionary, cell);
                if code == MISSING_CODE {
                    *missing += 1;
                }
                put(out, len, code);
            }
            Builder::Text { bytes, ends } => {
                let cell = cell.trim_ascii();
                if !is_missing_token(cell) {
                    bytes.extend_from_slice(cell);
                }
                ends.push(bytes.len() as u32);
            }
        }
    }

    /// Whether this builder makes a categorical column.
    pub(super) fn is_categorical(&self) -> bool {
        matches!(self, Builder::Categorical { .. })
    }

    /// Pushes a number read from a typed (Parquet) column, classified as the same number
    /// written as CSV text would be: NaN is missing, an infinity invalid, both stored as NaN.
    /// A categorical builder only counts it (the reader never plans that).
    #[inline]
    pub(super) fn push_number(&mut self, v: f64) {
        match self {
            Builder::Numeric {
                out,
                len,
                missing,
                invalid,
                ..
            } => {
                if v.is_finite() {
                    put(out, len, v);
                } else {
                    if v.is_nan() {
                        *missing += 1;
                    } else {
                        *invalid += 1;
                    }
                    put(out, len, f64::NAN);
                }
            }
            Builder::Categorical { out, len, .. } => put(out, len, MISSING_CODE),
            Builder::Text { bytes, ends } => {
                if v.is_finite() {
                    bytes.extend_from_slice(v.to_string().as_bytes());
                }
                ends.push(bytes.len() as u32);
            }
            Builder::Skip => {}
        }
    }

    /// Pushes a null (a missing value) from a typed column.
    #[inline]
    pub(super) fn push_null(&mut self) {
        match self {
            Builder::Numeric {
                out, len, missing, ..
            } => {
                *missing += 1;
                put(out, len, f64::NAN);
            }
            Builder::Categorical {
                out, len, missing, ..
            } => {
                *missing += 1;
                put(out, len, MISSING_CODE);
            }
            Builder::Text { bytes, ends } => ends.push(bytes.len() as u32),
            Builder::Skip => {}
        }
    }

    /// The code `cell` gets in this builder's dictionary (added when new), as [`Builder::push`]
    /// would give it, or [`MISSING_CODE`] for a missing-value spelling. Nothing is pushed:
    /// a dictionary-encoded column codes each distinct value once, then pushes codes.
    #[inline]
    pub(super) fn code_of(&mut self, cell: &[u8]) -> u32 {
        let Builder::Categorical {
            index, dictionary, ..
        } = self
        else {
            return MISSING_CODE;
        };
        intern(index, dictionary, cell)
    }

    /// Pushes a code from [`Builder::code_of`].
    #[inline]
    pub(super) fn push_code(&mut self, code: u32) {
        if let Builder::Categorical {
            out, len, missing, ..
        } = self
        {
            if code == MISSING_CODE {
                *missing += 1;
            }
            put(out, len, code);
        }
    }

    /// Pushes the cell starting at `chunk[start]` and returns where it ends: the index of the
    /// `,` or `\n` after it, or `chunk.len()`. Same result as [`Builder::push`] of the cell.
    #[inline]
    pub(super) fn push_at(&mut self, chunk: &[u8], start: usize) -> usize {
        if let Builder::Numeric { out, len, .. } = self {
            // A plain decimal that fills the cell is a finite number: no delimiter search needed.
            if let Some((v, n)) = number::parse_decimal_prefix(&chunk[start..]) {
                let stop = start + n;
                match chunk.get(stop) {
                    None | Some(b',' | b'\n') => {
                        put(out, len, v);
                        return stop;
                    }
                    // The `\r` of a `\r\n` line end (or of a last line without `\n`).
                    Some(b'\r') if matches!(chunk.get(stop + 1), None | Some(b'\n')) => {
                        put(out, len, v);
                        return stop + 1;
                    }
                    _ => {}
                }
            }
        }
        let end = memchr::memchr2(b',', b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
        // A trailing `\r` is left on the line's last cell: `push` trims it like other spaces.
        self.push(&chunk[start..end]);
        end
    }

    /// The counts and dictionary; the cells are already in the column.
    pub(super) fn finish(self) -> Part {
        match self {
            Builder::Skip => Part {
                len: 0,
                missing: 0,
                invalid: 0,
                non_numeric: false,
                dictionary: Vec::new(),
                text: Default::default(),
            },
            Builder::Text { bytes, ends } => Part {
                len: ends.len(),
                missing: 0,
                invalid: 0,
                non_numeric: false,
                dictionary: Vec::new(),
                text: (bytes, ends),
            },
            Builder::Numeric {
                len,
                missing,
                invalid,
                non_numeric,
                ..
            } => Part {
                len,
                missing,
                invalid,
                non_numeric,
                dictionary: Vec::new(),
                text: Default::default(),
            },
            Builder::Categorical {
                len,
                dictionary,
                missing,
                ..
            } => Part {
                len,
                missing,
                invalid: 0,
                non_numeric: false,
                dictionary,
                text: Default::default(),
            },
        }
    }
}

/// The code of a categorical cell (trimmed) in a dictionary, added when new; [`MISSING_CODE`]
/// for a missing-value spelling.
fn intern(index: &mut HashMap<Vec<u8>, u32>, dictionary: &mut Vec<Vec<u8>>, cell: &[u8]) -> u32 {
    let cell = cell.trim_ascii();
    if is_missing_token(cell) {
        MISSING_CODE
    } else if let Some(&code) = index.get(cell) {
        code
    } else {
        let code = dictionary.len() as u32;
        dictionary.push(cell.to_vec());
        index.insert(cell.to_vec(), code);
        code
    }
}
