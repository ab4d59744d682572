//! Row ids (`[columns] id`): one string per row, kept as one text and its offsets.
//!
//! Why not a categorical column: ids are all distinct, so a dictionary would hash and allocate
//! every one of them for nothing (it tripled a 100,000-row window's processing time); one
//! buffer and an offset per row is what the late-label join reads anyway.

use super::builder::Built;
use super::labels::id_text;
use super::window::Column;

/// The ids of a window's (or a label file's) rows; an empty id is a missing one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowIds {
    text: String,
    /// `offsets[i]..offsets[i + 1]` is row `i`'s id; `offsets[0]` is 0.
    offsets: Vec<u32>,
}

impl RowIds {
    /// Ids from the text and the offsets (`rows + 1` of them, from 0, not decreasing, within
    /// the text, on character boundaries); `None` otherwise.
    pub fn from_parts(text: String, offsets: Vec<u32>) -> Option<RowIds> {
        let ok = offsets.first() == Some(&0)
            && offsets.windows(2).all(|w| w[0] <= w[1])
            && offsets.iter().all(|&o| text.is_char_boundary(o as usize));
        ok.then_some(RowIds { text, offsets })
    }

    /// Ids from strings ("" for a missing one).
    pub(crate) fn from_strs<S: AsRef<str>>(ids: &[S]) -> RowIds {
        let mut text = String::new();
        let mut offsets = Vec::with_capacity(ids.len() + 1);
        offsets.push(0);
        for id in ids {
            text.push_str(id.as_ref());
            offsets.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        RowIds { text, offsets }
    }

    /// The ids of a column's cells (a number as an integer when it is one).
    pub(crate) fn from_column(column: &Column) -> RowIds {
        let ids: Vec<String> = (0..column.len())
            .map(|row| {
                id_text(column, row)
                    .map(|c| c.into_owned())
                    .unwrap_or_default()
            })
            .collect();
        RowIds::from_strs(&ids)
    }

    /// A parsed column as ids: a text column as it is, any other through its values.
    pub(super) fn from_built(built: Built, name: &str) -> RowIds {
        match built {
            Built::Text { bytes, ends } => {
                let mut offsets = Vec::with_capacity(ends.len() + 1);
                offsets.push(0);
                offsets.extend_from_slice(&ends);
                match String::from_utf8(bytes) {
                    Ok(text) => RowIds { text, offsets },
                    Err(e) => {
                        let bytes = e.into_bytes();
                        let ids: Vec<String> = offsets
                            .windows(2)
                            .map(|w| {
                                let cell = bytes.get(w[0] as usize..w[1] as usize);
                                String::from_utf8_lossy(cell.unwrap_or_default()).into_owned()
                            })
                            .collect();
                        RowIds::from_strs(&ids)
                    }
                }
            }
            other => RowIds::from_column(&other.into_column(name)),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Row `row`'s id; empty when missing (or past the end).
    pub fn get(&self, row: usize) -> &str {
        match (self.offsets.get(row), self.offsets.get(row + 1)) {
            (Some(&a), Some(&b)) => self.text.get(a as usize..b as usize).unwrap_or(""),
            _ => "",
        }
    }

    /// All ids' text, one after the other.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The offsets (`len() + 1` of them).
    pub(crate) fn offsets(&self) -> &[u32] {
        &self.offsets
    }
}
