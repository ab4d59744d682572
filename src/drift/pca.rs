//! Multivariate drift by PCA reconstruction error (`pca`), as NannyML 0.13's
//! `DataReconstructionDriftCalculator` computes it.
//!
//! Fit on the reference: impute missing numbers with the column mean and missing categories
//! with the most frequent one (the smallest on a tie), encode each category by its relative
//! frequency in the (imputed) reference (a category the reference never saw encodes as 0),
//! standardise (population std; a constant column is only centred), and fit a PCA keeping the
//! fewest components whose explained variance exceeds `explained_variance`. A window's figure is
//! the mean Euclidean distance between its standardised rows and their reconstructions; drift
//! is that mean outside mean ± 3 std (ddof 0) of the same figure over the reference cut into
//! `reference_chunks` chunks (NannyML's count-based chunker: chunks of ⌊n / k⌋ rows and a last
//! one of the remainder). A lower threshold ≤ 0 is dropped, as NannyML does.
//!
//! Joint changes — a correlation that breaks while every marginal stays put — move this figure
//! and no per-feature test.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Confirmation, DriftDetector, DriftError, DriftResult, PreparedDetector};
use crate::config::PcaConfig;
use crate::data::{ColumnData, DataWindow, MISSING_CODE};
use crate::stats::pca::Pca;

/// The figures of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaFigures {
    /// Mean reconstruction error of the window's rows.
    pub reconstruction_error: f64,
    /// Its standard error: std (ddof 1) over √rows; null for a single row.
    pub sampling_error: Option<f64>,
    /// Thresholds from the reference chunks; null when there is none on that side.
    pub lower_threshold: Option<f64>,
    pub upper_threshold: Option<f64>,
    /// Principal components kept.
    pub components: usize,
}

/// How one feature becomes a number.
#[derive(Debug, Clone)]
enum Encoding {
    Numeric {
        fill: f64,
    },
    Categorical {
        frequency: HashMap<String, f64>,
        fill: String,
    },
}

#[derive(Debug, Clone)]
struct Fitted {
    features: Vec<(String, Encoding)>,
    centre: Vec<f64>,
    scale: Vec<f64>,
    pca: Pca,
    lower: Option<f64>,
    upper: Option<f64>,
    reference_chunk_values: Vec<f64>,
}

/// The `pca` detector.
#[derive(Debug, Clone)]
pub struct PcaDriftDetector {
    config: PcaConfig,
    fitted: Option<Fitted>,
    confirmation: Confirmation,
}

impl PcaDriftDetector {
    /// A detector with these settings.
    pub fn new(config: PcaConfig) -> Self {
        let confirmation = Confirmation::new(config.confirmation_windows);
        PcaDriftDetector {
            config,
            fitted: None,
            confirmation,
        }
    }

    /// The reference chunks' mean reconstruction errors (the thresholds' basis), once fitted.
    pub fn reference_chunk_values(&self) -> Option<&[f64]> {
        self.fitted
            .as_ref()
            .map(|f| f.reference_chunk_values.as_slice())
    }
}

/// Encodes a window's rows (imputed, frequency-encoded, standardised).
fn standardised_rows(
    window: &DataWindow,
    features: &[(String, Encoding)],
    centre: &[f64],
    scale: &[f64],
) -> Result<Vec<Vec<f64>>, DriftError> {
    let n = window.rows();
    let mut rows = vec![vec![0.0; features.len()]; n];
    for (j, (name, encoding)) in features.iter().enumerate() {
        let column = window
            .features()
            .iter()
            .find(|c| &c.name == name)
            .ok_or_else(|| DriftError::MissingFeature(name.clone()))?;
        let (c, s) = (
            centre.get(j).copied().unwrap_or(0.0),
            scale.get(j).copied().unwrap_or(1.0),
        );
        match (encoding, &column.data) {
            (Encoding::Numeric { fill }, ColumnData::Numeric(values)) => {
                for (row, &v) in rows.iter_mut().zip(values) {
                    row[j] = (if v.is_nan() { *fill } else { v } - c) / s;
                }
            }
            (
                Encoding::Categorical { frequency, fill },
                ColumnData::Categorical { codes, dictionary },
            ) => {
                let fill_value = frequency.get(fill).copied().unwrap_or(0.0);
                let by_code: Vec<f64> = dictionary
                    .iter()
                    .map(|d| frequency.get(d).copied().unwrap_or(0.0))
                    .collect();
                for (row, &code) in rows.iter_mut().zip(codes) {
                    let v = if code == MISSING_CODE {
                        fill_value
                    } else {
                        by_code.get(code as usize).copied().unwrap_or(0.0)
                    };
                    row[j] = (v - c) / s;
                }
            }
            (Encoding::Numeric { .. }, _) => {
                return Err(DriftError::KindMismatch {
                    feature: name.clone(),
                    expected: "numeric",
                    found: "categorical",
                })
            }
            (Encoding::Categorical { .. }, _) => {
                return Err(DriftError::KindMismatch {
                    feature: name.clone(),
                    expected: "categorical",
                    found: "numeric",
                })
            }
        }
    }
    Ok(rows)
}

/// Mean and sampling error of the rows' reconstruction errors.
fn chunk_figures(pca: &Pca, rows: &[Vec<f64>]) -> (f64, Option<f64>) {
    let mut scratch = Vec::new();
    let errors: Vec<f64> = rows
        .iter()
        .map(|r| pca.reconstruction_error(r, &mut scratch))
        .collect();
    let n = errors.len() as f64;
    let mean = errors.iter().sum::<f64>() / n;
    let sampling = (errors.len() > 1).then(|| {
        let var = errors.iter().map(|e| (e - mean) * (e - mean)).sum::<f64>() / (n - 1.0);
        var.sqrt() / n.sqrt()
    });
    (mean, sampling)
}

/// NannyML's count-based chunks: ⌊n / k⌋ rows each, and a last chunk of the remainder.
fn chunk_ranges(n: usize, k: usize) -> Vec<std::ops::Range<usize>> {
    let size = (n / k.max(1)).max(1);
    let mut ranges: Vec<_> = (0..n / size).map(|i| i * size..(i + 1) * size).collect();
    if !n.is_multiple_of(size) {
        ranges.push(size * (n / size)..n);
    }
    ranges
}

/// Reads rows in order (values of one row across features), so the default: whole windows.
impl PreparedDetector for PcaDriftDetector {}

impl DriftDetector for PcaDriftDetector {
    fn name(&self) -> &str {
        "pca"
    }

    fn fit(&mut self, reference: &DataWindow) -> Result<(), DriftError> {
        let n = reference.rows();
        if n == 0 {
            return Err(DriftError::EmptyReference);
        }
        let mut features = Vec::new();
        for column in reference.features() {
            let encoding = match &column.data {
                ColumnData::Numeric(values) => {
                    let present: Vec<f64> =
                        values.iter().copied().filter(|v| !v.is_nan()).collect();
                    if present.is_empty() {
                        // scikit-learn's imputer drops a column with no value; so do we.
                        continue;
                    }
                    Encoding::Numeric {
                        fill: present.iter().sum::<f64>() / present.len() as f64,
                    }
                }
                ColumnData::Categorical { codes, dictionary } => {
                    let mut counts = vec![0u64; dictionary.len()];
                    let mut missing = 0u64;
                    for &c in codes {
                        match counts.get_mut(c as usize) {
                            Some(slot) if c != MISSING_CODE => *slot += 1,
                            _ => missing += 1,
                        }
                    }
                    // Most frequent, the smallest on a tie.
                    let Some(fill) = dictionary
                        .iter()
                        .zip(&counts)
                        .filter(|(_, &c)| c > 0)
                        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                        .map(|(d, _)| d.clone())
                    else {
                        continue;
                    };
                    let mut frequency: HashMap<String, f64> = HashMap::new();
                    for (d, &c) in dictionary.iter().zip(&counts) {
                        let c = c + if *d == fill { missing } else { 0 };
                        if c > 0 {
                            *frequency.entry(d.clone()).or_insert(0.0) += c as f64 / n as f64;
                        }
                    }
                    Encoding::Categorical { frequency, fill }
                }
            };
            features.push((column.name.clone(), encoding));
        }
        let d = features.len();
        let raw = standardised_rows(reference, &features, &vec![0.0; d], &vec![1.0; d])?;
        let nf = n as f64;
        let centre: Vec<f64> = (0..d)
            .map(|j| raw.iter().map(|r| r[j]).sum::<f64>() / nf)
            .collect();
        let scale: Vec<f64> = (0..d)
            .map(|j| {
                let var = raw.iter().map(|r| (r[j] - centre[j]).powi(2)).sum::<f64>() / nf;
                let s = var.sqrt();
                if s < 10.0 * f64::EPSILON {
                    1.0
                } else {
                    s
                }
            })
            .collect();
        let rows: Vec<Vec<f64>> = raw
            .into_iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(j, v)| (v - centre[j]) / scale[j])
                    .collect()
            })
            .collect();
        let pca = Pca::fit(&rows, self.config.explained_variance)
            .ok_or_else(|| DriftError::Pca("the reference has no variance to fit".into()))?;
        let values: Vec<f64> = chunk_ranges(n, self.config.reference_chunks)
            .into_iter()
            .map(|r| chunk_figures(&pca, &rows[r]).0)
            .collect();
        let k = values.len() as f64;
        let mean = values.iter().sum::<f64>() / k;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / k).sqrt();
        let lower = mean - 3.0 * std;
        self.fitted = Some(Fitted {
            features,
            centre,
            scale,
            pca,
            lower: (lower > 0.0).then_some(lower),
            upper: Some(mean + 3.0 * std),
            reference_chunk_values: values,
        });
        self.confirmation.reset();
        Ok(())
    }

    fn detect(&mut self, current: &DataWindow) -> Result<DriftResult, DriftError> {
        let fitted = self.fitted.as_ref().ok_or(DriftError::NotFitted)?;
        let n_features = fitted.features.len();
        let rows = standardised_rows(current, &fitted.features, &fitted.centre, &fitted.scale)?;
        if rows.len() < self.config.min_sample_size.max(1) {
            self.confirmation.observe(false);
            return Ok(DriftResult {
                drift_detected: false,
                drift_score: 0.0,
                window_drift: false,
                n_features,
                n_drifted: 0,
                features: Default::default(),
                auc: None,
                feature_importances: None,
                status: Some(super::FeatureStatus::InsufficientData),
                pca: None,
            });
        }
        let (value, sampling_error) = chunk_figures(&fitted.pca, &rows);
        let below = fitted.lower.is_some_and(|l| value <= l);
        let above = fitted.upper.is_some_and(|u| value >= u);
        let window_drift = below || above;
        let drift_detected = self.confirmation.observe(window_drift);
        Ok(DriftResult {
            drift_detected,
            drift_score: value,
            window_drift,
            n_features,
            n_drifted: 0,
            features: Default::default(),
            auc: None,
            feature_importances: None,
            status: None,
            pca: Some(PcaFigures {
                reconstruction_error: value,
                sampling_error,
                lower_threshold: fitted.lower,
                upper_threshold: fitted.upper,
                components: fitted.pca.components.len(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::chunk_ranges;

    #[test]
    fn chunks_keep_the_remainder_apart() {
        assert_eq!(chunk_ranges(1003, 10).len(), 11);
        assert_eq!(chunk_ranges(1003, 10).last(), Some(&(1000..1003)));
        assert_eq!(chunk_ranges(1000, 10).len(), 10);
        assert_eq!(chunk_ranges(5, 10).len(), 5);
    }
}
