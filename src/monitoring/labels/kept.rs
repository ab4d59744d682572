//! A window's ids with its predictions, kept until its labels arrive.
//!
//! Why one compact blob per window and not a row per id: the history grows by the blob's size
//! (the id's bytes, a length byte and eight bytes per prediction figure: about 17 bytes a row
//! for ten-character ids and a score), where a table of rows with an index on the id costs
//! three to four times that. The join reads a window's blob whole and indexes it in memory.

use crate::data::{id_text, DataWindow, RowIds};
use crate::monitoring::estimation::MulticlassEstimator;

const MAGIC: &[u8; 4] = b"MLK1";
const HAS_SCORES: u8 = 1;
const HAS_PREDICTED: u8 = 2;

/// A kept blob that does not decode (a history written by something else, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kept ids and predictions cannot be read: {0}")]
pub struct KeptError(&'static str);

/// One window's row ids and what the model said of each row.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptRows {
    ids: RowIds,
    /// The prediction column (a score, a probability of class 1, or a number).
    scores: Option<Vec<f64>>,
    /// The predicted label: a number, or for a multiclass model the index of its class.
    predicted: Option<Vec<f64>>,
    /// A multiclass model's probability columns, by class.
    probabilities: Vec<(String, Vec<f64>)>,
}

impl KeptRows {
    /// What a window keeps: its ids (`None` when it has none) with its prediction column, its
    /// predicted label and its class probabilities, those present. `classes`: a multiclass
    /// model's classes, sorted, so its predicted labels are kept as class indices.
    #[cfg(test)]
    pub(crate) fn of(window: &DataWindow, classes: &[String]) -> Option<KeptRows> {
        Self::with_scores(window, classes, None)
    }

    /// As `of`, with the scores a model computed for a window that has no
    /// prediction column (the window's own column wins when it has one).
    pub fn with_scores(
        window: &DataWindow,
        classes: &[String],
        computed: Option<Vec<f64>>,
    ) -> Option<KeptRows> {
        let ids = window.ids()?.clone();
        let rows = window.rows();
        let predicted = window.predicted_label().and_then(|c| {
            if classes.is_empty() {
                window.predicted_label_values().map(<[f64]>::to_vec)
            } else {
                (c.len() == rows).then(|| {
                    (0..rows)
                        .map(|row| {
                            id_text(c, row)
                                .and_then(|label| MulticlassEstimator::index_in(classes, &label))
                                .map_or(f64::NAN, |i| i as f64)
                        })
                        .collect()
                })
            }
        });
        Some(KeptRows {
            ids,
            scores: window
                .prediction_values()
                .map(<[f64]>::to_vec)
                .or(computed.filter(|s| s.len() == rows)),
            predicted,
            probabilities: window
                .class_probabilities()
                .iter()
                .filter_map(|(class, c)| c.as_numeric().map(|v| (class.clone(), v.to_vec())))
                .collect(),
        })
    }

    /// Kept rows from parts (tests and benchmarks): `ids[i]` is row `i`'s id ("" for none).
    #[cfg(test)]
    pub(crate) fn from_parts(
        ids: &[&str],
        scores: Option<Vec<f64>>,
        predicted: Option<Vec<f64>>,
    ) -> Self {
        KeptRows {
            ids: RowIds::from_strs(ids),
            scores,
            predicted,
            probabilities: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.ids.len()
    }

    /// Row `row`'s id; empty when the row had none.
    pub fn id(&self, row: usize) -> &str {
        self.ids.get(row)
    }

    /// The prediction column.
    pub(crate) fn scores(&self) -> Option<&[f64]> {
        self.scores.as_deref()
    }

    /// The predicted labels (class indices for a multiclass model).
    pub(crate) fn predicted(&self) -> Option<&[f64]> {
        self.predicted.as_deref()
    }

    /// The blob kept in the history.
    pub fn encode(&self) -> Vec<u8> {
        let rows = self.rows();
        let figures = usize::from(self.scores.is_some())
            + usize::from(self.predicted.is_some())
            + self.probabilities.len();
        let mut out = Vec::with_capacity(16 + self.ids.text().len() + rows * (2 + 8 * figures));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(rows as u32).to_le_bytes());
        let flags = if self.scores.is_some() { HAS_SCORES } else { 0 }
            | if self.predicted.is_some() {
                HAS_PREDICTED
            } else {
                0
            };
        out.push(flags);
        out.extend_from_slice(&(self.probabilities.len() as u16).to_le_bytes());
        for (class, _) in &self.probabilities {
            put_varint(&mut out, class.len() as u64);
            out.extend_from_slice(class.as_bytes());
        }
        for row in 0..rows {
            let id = self.id(row);
            put_varint(&mut out, id.len() as u64);
            out.extend_from_slice(id.as_bytes());
        }
        let columns = self
            .scores
            .iter()
            .chain(self.predicted.iter())
            .chain(self.probabilities.iter().map(|(_, v)| v));
        for column in columns {
            for v in column {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    /// Reads a blob written by [`KeptRows::encode`].
    pub fn decode(bytes: &[u8]) -> Result<KeptRows, KeptError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(KeptError("not a kept-rows blob"));
        }
        let rows = u32::from_le_bytes(r.array()?) as usize;
        let flags = r.take(1)?[0];
        let classes = u16::from_le_bytes(r.array()?) as usize;
        let mut names = Vec::with_capacity(classes);
        for _ in 0..classes {
            let len = r.varint()?;
            let name = std::str::from_utf8(r.take(len)?).map_err(|_| KeptError("class name"))?;
            names.push(name.to_string());
        }
        let mut ids = Vec::new();
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0u32);
        for _ in 0..rows {
            let len = r.varint()?;
            ids.extend_from_slice(r.take(len)?);
            offsets.push(u32::try_from(ids.len()).map_err(|_| KeptError("ids too long"))?);
        }
        let ids = String::from_utf8(ids).map_err(|_| KeptError("ids are not UTF-8"))?;
        let ids = RowIds::from_parts(ids, offsets).ok_or(KeptError("ids are not UTF-8"))?;
        let mut column = |present: bool| -> Result<Option<Vec<f64>>, KeptError> {
            if !present {
                return Ok(None);
            }
            let raw = r.take(rows.checked_mul(8).ok_or(KeptError("too many rows"))?)?;
            Ok(Some(
                raw.chunks_exact(8)
                    .map(|c| {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        f64::from_le_bytes(b)
                    })
                    .collect(),
            ))
        };
        let scores = column(flags & HAS_SCORES != 0)?;
        let predicted = column(flags & HAS_PREDICTED != 0)?;
        let mut probabilities = Vec::with_capacity(classes);
        for name in names {
            if let Some(values) = column(true)? {
                probabilities.push((name, values));
            }
        }
        Ok(KeptRows {
            ids,
            scores,
            predicted,
            probabilities,
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], KeptError> {
        let end = self.at.checked_add(n).ok_or(KeptError("truncated"))?;
        let slice = self.bytes.get(self.at..end).ok_or(KeptError("truncated"))?;
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], KeptError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn varint(&mut self) -> Result<usize, KeptError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return usize::try_from(n).map_err(|_| KeptError("length"));
            }
        }
        Err(KeptError("length"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    #[test]
    fn a_window_round_trips_through_its_blob() {
        let ids = RowIds::from_strs(&["a", "", "ccc", "é"]);
        let window = DataWindow::new(
            "w.csv",
            vec![Column::numeric("x", vec![1.0, 2.0, 3.0, 4.0])],
            Some(Column::numeric("prediction", vec![0.1, 0.9, f64::NAN, 0.5])),
            None,
        )
        .expect("window")
        .with_ids(Some(ids));
        let kept = KeptRows::of(&window, &[]).expect("has ids");
        assert_eq!(kept.rows(), 4);
        assert_eq!(
            (kept.id(0), kept.id(1), kept.id(2), kept.id(3)),
            ("a", "", "ccc", "é")
        );
        let blob = kept.encode();
        let back = KeptRows::decode(&blob).expect("decodes");
        assert_eq!(back.id(3), "é");
        assert_eq!(back.scores().map(|s| s[1]), Some(0.9));
        assert!(back.scores().is_some_and(|s| s[2].is_nan()));
        assert!(back.predicted().is_none());
        // 4 + 4 + 1 + 2 header bytes, ids with their length bytes, 8 bytes a score.
        assert_eq!(blob.len(), 11 + (1 + 1) + 1 + (1 + 3) + (1 + 2) + 4 * 8);
        for cut in 0..blob.len() {
            assert!(KeptRows::decode(&blob[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_window_without_ids_keeps_nothing() {
        let window = DataWindow::new("w", vec![Column::numeric("x", vec![1.0])], None, None)
            .expect("window");
        assert!(KeptRows::of(&window, &[]).is_none());
    }
}
