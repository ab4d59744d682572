//! A window's ids with its predictions, kept until its labels arrive.
//!
//! Why one compact blob per window and not a row per id: the history grows by the blob's size,
//! where a table of rows with an index on the id costs several times that. The monitor writes
//! the compact format (`MLK2`, see [`super::compact`]: front-coded ids and decimal figures,
//! about 6 bytes a row for sequential ten-character ids and a five-decimal score); blobs of the
//! first format (`MLK1`: each id with a length byte, eight bytes a figure, about 21 bytes a
//! row) written by earlier versions are still read. The join reads a window's blob whole and
//! indexes it in memory.

use std::borrow::Cow;

use crate::data::{id_text, DataWindow, RowIds};
use crate::monitoring::estimation::MulticlassEstimator;

use super::compact::{put_figures, put_ids, put_varint, Reader};

const MAGIC: &[u8; 4] = b"MLK1";
const MAGIC2: &[u8; 4] = b"MLK2";
const HAS_SCORES: u8 = 1;
const HAS_PREDICTED: u8 = 2;

/// A kept blob that does not decode (a history written by something else, or damaged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kept ids and predictions cannot be read: {0}")]
pub struct KeptError(pub(super) &'static str);

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
        Some(KeptRows {
            ids,
            scores: scores_of(window, computed).map(Cow::into_owned),
            predicted: predicted_of(window, classes).map(Cow::into_owned),
            probabilities: window
                .class_probabilities()
                .iter()
                .filter_map(|(class, c)| c.as_numeric().map(|v| (class.clone(), v.to_vec())))
                .collect(),
        })
    }

    /// What [`with_scores`](Self::with_scores) keeps, as its compact blob (see
    /// [`encode_compact`](Self::encode_compact)) with its number of rows, read from the
    /// window's columns without copying them.
    pub fn compact_of(
        window: &DataWindow,
        classes: &[String],
        computed: Option<Vec<f64>>,
    ) -> Option<(Vec<u8>, usize)> {
        let ids = window.ids()?;
        let scores = scores_of(window, computed);
        let predicted = predicted_of(window, classes);
        let probabilities: Vec<(&str, &[f64])> = window
            .class_probabilities()
            .iter()
            .filter_map(|(class, c)| c.as_numeric().map(|v| (class.as_str(), v)))
            .collect();
        let blob = compact_blob(ids, scores.as_deref(), predicted.as_deref(), &probabilities);
        Some((blob, ids.len()))
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

    /// The class probabilities, by class.
    pub fn probabilities(&self) -> &[(String, Vec<f64>)] {
        &self.probabilities
    }

    /// The blob kept in the history, in the compact format (`MLK2`) the monitor writes.
    pub fn encode_compact(&self) -> Vec<u8> {
        let probabilities: Vec<(&str, &[f64])> = self
            .probabilities
            .iter()
            .map(|(class, v)| (class.as_str(), v.as_slice()))
            .collect();
        compact_blob(
            &self.ids,
            self.scores.as_deref(),
            self.predicted.as_deref(),
            &probabilities,
        )
    }

    /// The blob in the first format (`MLK1`: each id with its length, eight bytes a figure),
    /// which histories written by earlier versions hold; [`decode`](Self::decode) reads both.
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

    /// Reads a blob written by [`KeptRows::encode_compact`] or [`KeptRows::encode`].
    pub fn decode(bytes: &[u8]) -> Result<KeptRows, KeptError> {
        let mut r = Reader { bytes, at: 0 };
        let compact = match r.take(4)? {
            m if m == MAGIC2 => true,
            m if m == MAGIC => false,
            _ => return Err(KeptError("not a kept-rows blob")),
        };
        let rows = u32::from_le_bytes(r.array()?) as usize;
        let flags = r.take(1)?[0];
        let classes = u16::from_le_bytes(r.array()?) as usize;
        let mut names = Vec::with_capacity(classes);
        for _ in 0..classes {
            let len = r.varint()?;
            let name = std::str::from_utf8(r.take(len)?).map_err(|_| KeptError("class name"))?;
            names.push(name.to_string());
        }
        let (ids, offsets) = if compact {
            r.ids(rows)?
        } else {
            let mut ids = Vec::new();
            let mut offsets = Vec::with_capacity(rows.min(bytes.len()) + 1);
            offsets.push(0u32);
            for _ in 0..rows {
                let len = r.varint()?;
                ids.extend_from_slice(r.take(len)?);
                offsets.push(u32::try_from(ids.len()).map_err(|_| KeptError("ids too long"))?);
            }
            (ids, offsets)
        };
        let ids = String::from_utf8(ids).map_err(|_| KeptError("ids are not UTF-8"))?;
        let ids = RowIds::from_parts(ids, offsets).ok_or(KeptError("ids are not UTF-8"))?;
        let mut column = |present: bool| -> Result<Option<Vec<f64>>, KeptError> {
            if !present {
                return Ok(None);
            }
            let values = if compact {
                r.figures(rows)?
            } else {
                r.raw(rows)?
            };
            Ok(Some(values))
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

/// The prediction column's values, or the scores a model computed when there is none.
fn scores_of(window: &DataWindow, computed: Option<Vec<f64>>) -> Option<Cow<'_, [f64]>> {
    window.prediction_values().map(Cow::Borrowed).or(computed
        .filter(|s| s.len() == window.rows())
        .map(Cow::Owned))
}

/// The predicted labels: their values, or for a multiclass model (`classes`) class indices.
fn predicted_of<'a>(window: &'a DataWindow, classes: &[String]) -> Option<Cow<'a, [f64]>> {
    let rows = window.rows();
    window.predicted_label().and_then(|c| {
        if classes.is_empty() {
            window.predicted_label_values().map(Cow::Borrowed)
        } else {
            (c.len() == rows).then(|| {
                Cow::Owned(
                    (0..rows)
                        .map(|row| {
                            id_text(c, row)
                                .and_then(|label| MulticlassEstimator::index_in(classes, &label))
                                .map_or(f64::NAN, |i| i as f64)
                        })
                        .collect(),
                )
            })
        }
    })
}

/// The compact blob (`MLK2`): the header and class names as in `MLK1`, then the ids
/// front-coded, then each figure column as [`put_figures`] writes it.
fn compact_blob(
    ids: &RowIds,
    scores: Option<&[f64]>,
    predicted: Option<&[f64]>,
    probabilities: &[(&str, &[f64])],
) -> Vec<u8> {
    let rows = ids.len();
    let mut out = Vec::with_capacity(16 + ids.text().len() / 2 + rows * 6);
    out.extend_from_slice(MAGIC2);
    out.extend_from_slice(&(rows as u32).to_le_bytes());
    let flags = if scores.is_some() { HAS_SCORES } else { 0 }
        | if predicted.is_some() {
            HAS_PREDICTED
        } else {
            0
        };
    out.push(flags);
    out.extend_from_slice(&(probabilities.len() as u16).to_le_bytes());
    for (class, _) in probabilities {
        put_varint(&mut out, class.len() as u64);
        out.extend_from_slice(class.as_bytes());
    }
    put_ids(&mut out, ids.text().as_bytes(), ids.offsets());
    let columns = scores
        .into_iter()
        .chain(predicted)
        .chain(probabilities.iter().map(|(_, v)| *v));
    for column in columns {
        put_figures(&mut out, column);
    }
    out
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
    fn the_compact_blob_reads_back_as_the_first_format_does() {
        let ids: Vec<String> = (0..1000).map(|i| format!("w000-{i:07}")).collect();
        let scores: Vec<f64> = (0..1000).map(|i| f64::from(i % 997) / 1e5).collect();
        let mut predicted: Vec<f64> = (0..1000).map(|i| f64::from(i % 3)).collect();
        predicted[5] = f64::NAN;
        let window = DataWindow::new(
            "w.csv",
            vec![Column::numeric("x", vec![0.0; 1000])],
            Some(Column::numeric("prediction", scores)),
            None,
        )
        .expect("window")
        .with_ids(Some(RowIds::from_strs(&ids)));
        let mut kept = KeptRows::of(&window, &[]).expect("has ids");
        kept.predicted = Some(predicted);
        kept.probabilities = vec![("a".into(), vec![0.25; 1000])];
        let first = KeptRows::decode(&kept.encode()).expect("MLK1 decodes");
        let compact = kept.encode_compact();
        let back = KeptRows::decode(&compact).expect("MLK2 decodes");
        let bits = |k: &KeptRows| {
            let column = |v: Option<&[f64]>| v.map(|v| v.iter().map(|x| x.to_bits()).collect());
            let columns: Vec<Option<Vec<u64>>> = vec![
                column(k.scores()),
                column(k.predicted()),
                column(k.probabilities().first().map(|(_, v)| v.as_slice())),
            ];
            (k.ids.clone(), columns)
        };
        assert_eq!(bits(&back), bits(&first));
        assert_eq!(bits(&back), bits(&kept));
        // Front-coded ids and decimal figures: far below the first format's size.
        assert!(compact.len() * 3 < kept.encode().len(), "{}", compact.len());
        let (blob, rows) = KeptRows::compact_of(&window, &[], None).expect("has ids");
        assert_eq!(rows, 1000);
        let of_window = KeptRows::decode(&blob).expect("decodes");
        assert_eq!(of_window, KeptRows::of(&window, &[]).expect("has ids"));
        for cut in 0..compact.len() {
            assert!(KeptRows::decode(&compact[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_window_without_ids_keeps_nothing() {
        let window = DataWindow::new("w", vec![Column::numeric("x", vec![1.0])], None, None)
            .expect("window");
        assert!(KeptRows::of(&window, &[]).is_none());
    }
}
