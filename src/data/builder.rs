//! Per-column builders the reader pushes cells into, one set per parallel chunk, and the merge
//! that concatenates chunks (remapping each chunk's category codes onto one dictionary).

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
        }
    }
}

/// Per-chunk builder of one column.
pub(super) enum Builder {
    Skip,
    Numeric {
        values: Vec<f64>,
        missing: usize,
        invalid: usize,
        non_numeric: bool,
        infer: bool,
    },
    Categorical {
        codes: Vec<u32>,
        index: HashMap<Vec<u8>, u32>,
        dictionary: Vec<Vec<u8>>,
        missing: usize,
    },
}

impl Builder {
    pub(super) fn new(plan: Plan, capacity: usize) -> Self {
        match plan {
            Plan::Skip => Builder::Skip,
            Plan::Numeric | Plan::Infer => Builder::Numeric {
                values: Vec::with_capacity(capacity),
                missing: 0,
                invalid: 0,
                non_numeric: false,
                infer: plan == Plan::Infer,
            },
            Plan::Categorical => Builder::Categorical {
                codes: Vec::with_capacity(capacity),
                index: HashMap::new(),
                dictionary: Vec::new(),
                missing: 0,
            },
        }
    }

    #[inline]
    pub(super) fn push(&mut self, cell: &[u8]) {
        match self {
            Builder::Skip => {}
            Builder::Numeric {
                values,
                missing,
                invalid,
                non_numeric,
                infer,
            } => {
                let cell = cell.trim_ascii();
                match number::parse_f64(cell) {
                    Some(v) if v.is_finite() => values.push(v),
                    _ if is_missing_token(cell) => {
                        *missing += 1;
                        values.push(f64::NAN);
                    }
                    Some(_) => {
                        *invalid += 1;
                        values.push(f64::NAN);
                    }
                    None => {
                        if *infer {
                            *non_numeric = true;
                        }
                        *invalid += 1;
                        values.push(f64::NAN);
                    }
                }
            }
            Builder::Categorical {
                codes,
                index,
                dictionary,
                missing,
            } => {
                let cell = cell.trim_ascii();
                if is_missing_token(cell) {
                    *missing += 1;
                    codes.push(MISSING_CODE);
                } else if let Some(&code) = index.get(cell) {
                    codes.push(code);
                } else {
                    let code = dictionary.len() as u32;
                    dictionary.push(cell.to_vec());
                    index.insert(cell.to_vec(), code);
                    codes.push(code);
                }
            }
        }
    }

    /// Pushes the cell starting at `chunk[start]` and returns where it ends: the index of the
    /// `,` or `\n` after it, or `chunk.len()`. Same result as [`Builder::push`] of the cell.
    #[inline]
    pub(super) fn push_at(&mut self, chunk: &[u8], start: usize) -> usize {
        if let Builder::Numeric { values, .. } = self {
            // A plain decimal that fills the cell is a finite number: no delimiter search needed.
            if let Some((v, len)) = number::parse_decimal_prefix(&chunk[start..]) {
                let stop = start + len;
                match chunk.get(stop) {
                    None | Some(b',' | b'\n') => {
                        values.push(v);
                        return stop;
                    }
                    // The `\r` of a `\r\n` line end (or of a last line without `\n`).
                    Some(b'\r') if matches!(chunk.get(stop + 1), None | Some(b'\n')) => {
                        values.push(v);
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

    pub(super) fn finish(self) -> Option<Built> {
        match self {
            Builder::Skip => None,
            Builder::Numeric {
                values,
                missing,
                invalid,
                non_numeric,
                ..
            } => Some(Built::Numeric {
                values,
                missing,
                invalid,
                non_numeric,
            }),
            Builder::Categorical {
                codes,
                dictionary,
                missing,
                ..
            } => Some(Built::Categorical {
                codes,
                dictionary,
                missing,
            }),
        }
    }
}

/// Concatenates per-chunk results of one column, remapping category codes.
pub(super) fn merge(parts: Vec<Built>) -> Option<Built> {
    let mut parts = parts.into_iter();
    let mut acc = parts.next()?;
    let mut global: HashMap<Vec<u8>, u32> = HashMap::new();
    if let Built::Categorical { dictionary, .. } = &acc {
        for (i, d) in dictionary.iter().enumerate() {
            global.insert(d.clone(), i as u32);
        }
    }
    for part in parts {
        match (&mut acc, part) {
            (
                Built::Numeric {
                    values,
                    missing,
                    invalid,
                    non_numeric,
                },
                Built::Numeric {
                    values: v,
                    missing: m,
                    invalid: i,
                    non_numeric: n,
                },
            ) => {
                values.extend_from_slice(&v);
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
                    codes: c,
                    dictionary: d,
                    missing: m,
                },
            ) => {
                let remap: Vec<u32> = d
                    .into_iter()
                    .map(|entry| {
                        *global.entry(entry.clone()).or_insert_with(|| {
                            dictionary.push(entry);
                            (dictionary.len() - 1) as u32
                        })
                    })
                    .collect();
                codes.extend(
                    c.into_iter()
                        .map(|code| remap.get(code as usize).copied().unwrap_or(MISSING_CODE)),
                );
                *missing += m;
            }
            _ => {}
        }
    }
    Some(acc)
}
