//! Turning a window's typed columns into the dense, finite design matrix a linear learner needs.
//!
//! The classifier drift detector and the trained models share this encoding, fitted once on the
//! reference (or training) window and then applied unchanged to every later window: numeric
//! features are standardised with the reference's mean and standard deviation, categorical ones
//! one-hot encoded over the reference's categories plus a "missing" and an "other" column.
//! Missing numeric values become the reference mean (0 after standardising).
//!
//! Two decisions a reader might question:
//!
//! - **At most [`MAX_CATEGORIES`] one-hot columns per feature.** A high-cardinality column (an id
//!   that slipped past `exclude`) would otherwise make the matrix rows x thousands; the rarest
//!   reference categories share the "other" column with categories the reference never saw.
//! - **Every value written is finite.** linfa rejects NaN and infinity, so a value that
//!   standardises to a non-finite number (a huge outlier over a tiny spread) is imputed like a
//!   missing one rather than failing the window.

use std::collections::HashMap;

use ndarray::{Array2, ArrayViewMut2};
use serde::{Deserialize, Serialize};

use crate::data::{Column, ColumnData, DataWindow, FeatureKind, MISSING_CODE};

/// One-hot columns per categorical feature, at most (the "missing" and "other" columns extra).
pub(crate) const MAX_CATEGORIES: usize = 50;

/// Why a window could not be encoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    #[error("feature \"{0}\" is missing from the window")]
    MissingFeature(String),
    #[error("feature \"{feature}\" is {found} in the window but {expected} in the reference")]
    KindMismatch {
        feature: String,
        expected: &'static str,
        found: &'static str,
    },
}

impl From<EncodeError> for super::ModelError {
    fn from(e: EncodeError) -> Self {
        match e {
            EncodeError::MissingFeature(name) => super::ModelError::MissingFeature(name),
            EncodeError::KindMismatch {
                feature,
                expected,
                found,
            } => super::ModelError::BadFeature {
                feature,
                message: format!(
                    "the model expects a {expected} column, the window has a {found} one"
                ),
            },
        }
    }
}

/// How one feature becomes columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Encoding {
    /// One column: `(value - mean) / scale`; missing → 0.
    Numeric {
        mean: f64,
        /// The reference's standard deviation, or 1 when it is 0 (a constant feature).
        scale: f64,
    },
    /// One column per category, then "missing", then "other" (unseen or beyond the cap).
    Categorical { categories: Vec<String> },
}

impl Encoding {
    fn width(&self) -> usize {
        match self {
            Encoding::Numeric { .. } => 1,
            Encoding::Categorical { categories } => categories.len() + 2,
        }
    }

    fn kind(&self) -> FeatureKind {
        match self {
            Encoding::Numeric { .. } => FeatureKind::Numeric,
            Encoding::Categorical { .. } => FeatureKind::Categorical,
        }
    }
}

/// One feature of the encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodedFeature {
    pub name: String,
    #[serde(flatten)]
    pub encoding: Encoding,
}

/// The fitted encoding of a window's features into a design matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureEncoder {
    features: Vec<EncodedFeature>,
}

pub(crate) fn kind_name(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

impl FeatureEncoder {
    /// Fits the encoding on every feature of `reference`.
    pub fn fit(reference: &DataWindow) -> Self {
        let features = reference
            .features()
            .iter()
            .map(|c| EncodedFeature {
                name: c.name.clone(),
                encoding: fit_column(c),
            })
            .collect();
        FeatureEncoder { features }
    }

    /// The encoded features, in column order.
    pub fn features(&self) -> &[EncodedFeature] {
        &self.features
    }

    /// Feature names, in order.
    pub fn feature_names(&self) -> Vec<String> {
        self.features.iter().map(|f| f.name.clone()).collect()
    }

    /// Number of design-matrix columns.
    pub(crate) fn n_columns(&self) -> usize {
        self.features.iter().map(|f| f.encoding.width()).sum()
    }

    /// For each design-matrix column, the index of the feature it encodes.
    pub(crate) fn column_features(&self) -> Vec<usize> {
        self.features
            .iter()
            .enumerate()
            .flat_map(|(i, f)| std::iter::repeat_n(i, f.encoding.width()))
            .collect()
    }

    /// Readable names of the design-matrix columns (`region=north`, `region=<missing>`, ...).
    pub(crate) fn column_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.n_columns());
        for f in &self.features {
            match &f.encoding {
                Encoding::Numeric { .. } => names.push(f.name.clone()),
                Encoding::Categorical { categories } => {
                    names.extend(categories.iter().map(|c| format!("{}={c}", f.name)));
                    names.push(format!("{}=<missing>", f.name));
                    names.push(format!("{}=<other>", f.name));
                }
            }
        }
        names
    }

    /// The window's columns for each encoded feature, checked for presence and kind.
    fn columns<'w>(&self, window: &'w DataWindow) -> Result<Vec<&'w Column>, EncodeError> {
        self.features
            .iter()
            .map(|f| {
                let column = window
                    .feature(&f.name)
                    .ok_or_else(|| EncodeError::MissingFeature(f.name.clone()))?;
                if column.kind() != f.encoding.kind() {
                    return Err(EncodeError::KindMismatch {
                        feature: f.name.clone(),
                        expected: kind_name(f.encoding.kind()),
                        found: kind_name(column.kind()),
                    });
                }
                Ok(column)
            })
            .collect()
    }

    /// Checks that the window has every feature with the right kind.
    pub fn check(&self, window: &DataWindow) -> Result<(), EncodeError> {
        self.columns(window).map(|_| ())
    }

    /// Encodes the window's rows (`rows` = these row indices, or all rows).
    pub fn encode(
        &self,
        window: &DataWindow,
        rows: Option<&[usize]>,
    ) -> Result<Array2<f64>, EncodeError> {
        let n = rows.map_or(window.rows(), <[usize]>::len);
        let mut out = Array2::zeros((n, self.n_columns()));
        self.encode_into(window, rows, out.view_mut())?;
        Ok(out)
    }

    /// Encodes into `out`, whose shape must be (rows, [`n_columns`](Self::n_columns)); cells are
    /// overwritten, one-hot zeros included.
    pub(crate) fn encode_into(
        &self,
        window: &DataWindow,
        rows: Option<&[usize]>,
        mut out: ArrayViewMut2<'_, f64>,
    ) -> Result<(), EncodeError> {
        let columns = self.columns(window)?;
        let n = rows.map_or(window.rows(), <[usize]>::len);
        debug_assert_eq!(out.dim(), (n, self.n_columns()));
        out.fill(0.0);
        let row_at = |i: usize| rows.map_or(i, |r| r[i]);
        let mut offset = 0;
        for (feature, column) in self.features.iter().zip(columns) {
            match (&feature.encoding, &column.data) {
                (Encoding::Numeric { mean, scale }, ColumnData::Numeric(values)) => {
                    for i in 0..n {
                        let z = (values[row_at(i)] - mean) / scale;
                        out[[i, offset]] = if z.is_finite() { z } else { 0.0 };
                    }
                }
                (
                    Encoding::Categorical { categories },
                    ColumnData::Categorical { codes, dictionary },
                ) => {
                    let missing_col = categories.len();
                    let other_col = categories.len() + 1;
                    let index: HashMap<&str, usize> = categories
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.as_str(), i))
                        .collect();
                    let local: Vec<usize> = dictionary
                        .iter()
                        .map(|d| index.get(d.as_str()).copied().unwrap_or(other_col))
                        .collect();
                    for i in 0..n {
                        let code = codes[row_at(i)];
                        let col = if code == MISSING_CODE {
                            missing_col
                        } else {
                            local.get(code as usize).copied().unwrap_or(other_col)
                        };
                        out[[i, offset + col]] = 1.0;
                    }
                }
                // `columns` checked the kinds.
                _ => {}
            }
            offset += feature.encoding.width();
        }
        Ok(())
    }
}

fn fit_column(column: &Column) -> Encoding {
    match &column.data {
        ColumnData::Numeric(values) => {
            let (mut n, mut mean, mut m2) = (0usize, 0.0f64, 0.0f64);
            for &v in values.iter().filter(|v| v.is_finite()) {
                n += 1;
                let delta = v - mean;
                mean += delta / n as f64;
                m2 += delta * (v - mean);
            }
            let std = if n > 0 { (m2 / n as f64).sqrt() } else { 0.0 };
            let scale = if std.is_finite() && std > 0.0 {
                std
            } else {
                1.0
            };
            Encoding::Numeric {
                mean: if mean.is_finite() { mean } else { 0.0 },
                scale,
            }
        }
        ColumnData::Categorical { dictionary, .. } => {
            let counts = column.category_counts().unwrap_or_default();
            let mut seen: Vec<(&String, u64)> = dictionary
                .iter()
                .zip(counts)
                .filter(|(_, c)| *c > 0)
                .collect();
            seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            seen.truncate(MAX_CATEGORIES);
            Encoding::Categorical {
                categories: seen.into_iter().map(|(d, _)| d.clone()).collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(x: Vec<f64>, c: &[Option<&str>]) -> DataWindow {
        DataWindow::new(
            "w",
            vec![Column::numeric("x", x), Column::categorical("c", c)],
            None,
            None,
        )
        .expect("equal lengths")
    }

    #[test]
    fn standardises_one_hot_encodes_and_imputes() {
        let reference = window(
            vec![1.0, 3.0, f64::NAN, 2.0],
            &[Some("a"), Some("b"), Some("a"), None],
        );
        let encoder = FeatureEncoder::fit(&reference);
        assert_eq!(
            encoder.column_names(),
            ["x", "c=a", "c=b", "c=<missing>", "c=<other>"]
        );
        assert_eq!(encoder.column_features(), [0, 1, 1, 1, 1]);
        let current = window(vec![2.0, f64::NAN, 4.0], &[Some("b"), Some("new"), None]);
        let m = encoder.encode(&current, None).expect("encodes");
        let scale = (2.0f64 / 3.0).sqrt();
        assert_eq!(m.row(0).to_vec(), [0.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(m.row(1).to_vec(), [0.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(m.row(2).to_vec(), [2.0 / scale, 0.0, 0.0, 1.0, 0.0]);
        let picked = encoder.encode(&current, Some(&[2, 0])).expect("encodes");
        assert_eq!(picked.row(0), m.row(2));
        assert_eq!(picked.row(1), m.row(0));
    }

    #[test]
    fn constant_feature_gets_unit_scale_and_caps_categories() {
        let many: Vec<String> = (0..MAX_CATEGORIES + 10)
            .map(|i| format!("k{i:03}"))
            .collect();
        let cats: Vec<Option<&str>> = many.iter().map(|s| Some(s.as_str())).collect();
        let reference = window(vec![5.0; cats.len()], &cats);
        let encoder = FeatureEncoder::fit(&reference);
        assert_eq!(encoder.n_columns(), 1 + MAX_CATEGORIES + 2);
        let m = encoder.encode(&reference, None).expect("encodes");
        assert!(m.column(0).iter().all(|&v| v == 0.0));
        // The 10 categories beyond the cap land in "other".
        assert_eq!(m.column(MAX_CATEGORIES + 2).sum(), 10.0);
        assert!(m.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn missing_and_mistyped_features_are_errors() {
        let encoder = FeatureEncoder::fit(&window(vec![1.0], &[Some("a")]));
        let only_x = DataWindow::new("w", vec![Column::numeric("x", vec![1.0])], None, None)
            .expect("window");
        assert_eq!(
            encoder.check(&only_x),
            Err(EncodeError::MissingFeature("c".into()))
        );
        let swapped = DataWindow::new(
            "w",
            vec![
                Column::categorical("x", &[Some("1")]),
                Column::categorical("c", &[Some("a")]),
            ],
            None,
            None,
        )
        .expect("window");
        assert!(matches!(
            encoder.encode(&swapped, None),
            Err(EncodeError::KindMismatch {
                expected: "numeric",
                found: "categorical",
                ..
            })
        ));
    }
}
