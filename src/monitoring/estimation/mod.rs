//! Model quality without labels: confidence-based performance estimation (CBPE) for binary
//! classifiers, with the numbers NannyML 0.13 gives.
//!
//! Labels often arrive days or weeks after the predictions, so realised accuracy is empty exactly
//! when it matters. If the scores are (or can be made) calibrated probabilities of class 1 and
//! P(y | x) has not changed, the expected confusion matrix of a window follows from its scores
//! alone. The estimator is fitted once on the reference (target and score): the calibration
//! decision and map (`calibration.rs`), the sampling-error components (`sampling_error.rs`) and
//! the alert thresholds (`thresholds.rs`); it then estimates accuracy, ROC AUC and F1 for every
//! window with scores (`metrics.rs`). It serialises, so a reference statistics file carries it.

pub(crate) mod calibration;
pub(crate) mod metrics;
pub(crate) mod multiclass;
mod multiclass_metrics;
pub(crate) mod result;
pub(crate) mod sampling_error;
pub(crate) mod sweep;
pub(crate) mod thresholds;

use serde::{Deserialize, Serialize};

pub use multiclass::MulticlassEstimator;
pub use result::{EstimatedMetric, EstimatedMetrics, EstimatedPerformance};
use sampling_error::SamplingError;

use crate::config::{CalibrationMode, EstimationConfig};
use crate::stats::isotonic::IsotonicRegression;

/// Seed of the calibration decision's splits.
const CALIBRATION_SEED: u64 = 42;

/// Why no estimator could be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EstimationError {
    #[error("performance estimation is not supported for {0} (binary classification only)")]
    NotSupported(String),
    #[error("the reference has no {0} column")]
    Missing(&'static str),
    #[error("the target has values other than 0 and 1 (binary classification only)")]
    NotBinary,
    #[error("the prediction column must hold probabilities of class 1 in [0, 1]")]
    NotProbabilities,
    #[error("the predicted-label column has values other than 0 and 1")]
    LabelsNotBinary,
    #[error("the reference has {rows} usable rows: at least {needed} needed")]
    TooFew { rows: usize, needed: usize },
    #[error("the reference target has a single class")]
    OneClass,
    #[error("multiclass estimation needs at least 3 classes in [columns] class_probabilities (found {0}); use the binary estimator for 2")]
    TooFewClasses(usize),
    #[error("class \"{0}\" of [columns] class_probabilities never occurs in the reference target")]
    MissingClass(String),
}

/// A metric's sampling-error components and thresholds, fixed by the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricFit {
    pub sampling_error: SamplingError,
    pub lower_threshold: Option<f64>,
    pub upper_threshold: Option<f64>,
}

impl MetricFit {
    fn apply(&self, value: f64, rows: usize) -> Option<EstimatedMetric> {
        estimated_metric(
            value,
            self.sampling_error.for_rows(rows),
            self.lower_threshold,
            self.upper_threshold,
        )
    }
}

/// An estimate with its band (± 3σ, clipped to [0, 1]) and alert; `None` when the value or σ
/// is not finite.
fn estimated_metric(
    value: f64,
    sigma: f64,
    lower_threshold: Option<f64>,
    upper_threshold: Option<f64>,
) -> Option<EstimatedMetric> {
    if !value.is_finite() || !sigma.is_finite() {
        return None;
    }
    let (lower, upper) = sampling_error::band(value, sigma);
    let alert =
        lower_threshold.is_some_and(|t| value < t) || upper_threshold.is_some_and(|t| value > t);
    Some(EstimatedMetric {
        value,
        sampling_error: sigma,
        lower,
        upper,
        lower_threshold,
        upper_threshold,
        alert,
    })
}

/// The fitted estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CbpeEstimator {
    /// The isotonic calibration map, when calibration was decided or forced.
    pub calibrator: Option<IsotonicRegression>,
    /// Predicted label = score ≥ this, when the window has no predicted-label column.
    pub decision_threshold: f64,
    /// Usable reference rows.
    pub reference_rows: usize,
    pub accuracy: MetricFit,
    pub roc_auc: MetricFit,
    pub f1: MetricFit,
}

/// Rows whose score (and label, when given) is usable: (score, label).
fn usable<'a>(
    scores: &'a [f64],
    labels: Option<&'a [f64]>,
    threshold: f64,
) -> impl Iterator<Item = (usize, f64, bool)> + 'a {
    scores.iter().enumerate().filter_map(move |(i, &s)| {
        if s.is_nan() {
            return None;
        }
        let label = match labels {
            Some(l) => {
                let v = l.get(i).copied()?;
                if v == 1.0 {
                    true
                } else if v == 0.0 {
                    false
                } else {
                    return None;
                }
            }
            None => s >= threshold,
        };
        Some((i, s, label))
    })
}

impl CbpeEstimator {
    /// Fits on the reference: `target` 0/1, `scores` the probability of class 1,
    /// `predicted_labels` (0/1) when the data has them (else score ≥ the decision threshold).
    /// Rows with a missing target, score or label are left out.
    pub fn fit(
        target: &[f64],
        scores: &[f64],
        predicted_labels: Option<&[f64]>,
        config: &EstimationConfig,
    ) -> Result<Self, EstimationError> {
        if let Some(labels) = predicted_labels {
            if labels.iter().any(|&v| !v.is_nan() && v != 0.0 && v != 1.0) {
                return Err(EstimationError::LabelsNotBinary);
            }
        }
        if scores
            .iter()
            .any(|&s| !s.is_nan() && !(0.0..=1.0).contains(&s))
        {
            return Err(EstimationError::NotProbabilities);
        }
        let (mut y, mut p, mut y_hat) = (Vec::new(), Vec::new(), Vec::new());
        for (i, s, label) in usable(scores, predicted_labels, config.decision_threshold) {
            let t = target.get(i).copied().unwrap_or(f64::NAN);
            if t.is_nan() {
                continue;
            }
            if t != 0.0 && t != 1.0 {
                return Err(EstimationError::NotBinary);
            }
            y.push(t == 1.0);
            p.push(s);
            y_hat.push(label);
        }
        let needed = config.reference_chunks.max(2);
        if y.len() < needed {
            return Err(EstimationError::TooFew {
                rows: y.len(),
                needed,
            });
        }
        let positives = y.iter().filter(|&&t| t).count();
        if positives == 0 || positives == y.len() {
            return Err(EstimationError::OneClass);
        }
        // Realised metrics per reference chunk, on the uncalibrated scores.
        let chunks = thresholds::chunk_ranges(y.len(), config.reference_chunks);
        let per_chunk = |f: &dyn Fn(std::ops::Range<usize>) -> f64| -> (Option<f64>, Option<f64>) {
            let values: Vec<f64> = chunks.iter().map(|r| f(r.clone())).collect();
            thresholds::std_thresholds(&values)
        };
        let (acc_lo, acc_hi) = per_chunk(&|r| metrics::realised_accuracy(&y[r.clone()], &y_hat[r]));
        let (auc_lo, auc_hi) = per_chunk(&|r| metrics::realised_roc_auc(&y[r.clone()], &p[r]));
        let (f1_lo, f1_hi) = per_chunk(&|r| metrics::realised_f1(&y[r.clone()], &y_hat[r]));
        let calibrate = match config.calibration {
            CalibrationMode::Never => false,
            CalibrationMode::Always => true,
            CalibrationMode::Auto => calibration::needs_calibration(&y, &p, CALIBRATION_SEED),
        };
        let calibrator = if calibrate {
            let targets: Vec<f64> = y.iter().map(|&t| f64::from(u8::from(t))).collect();
            IsotonicRegression::fit(&p, &targets)
        } else {
            None
        };
        Ok(CbpeEstimator {
            calibrator,
            decision_threshold: config.decision_threshold,
            reference_rows: y.len(),
            accuracy: MetricFit {
                sampling_error: sampling_error::accuracy(&y, &y_hat),
                lower_threshold: acc_lo,
                upper_threshold: acc_hi,
            },
            roc_auc: MetricFit {
                sampling_error: sampling_error::roc_auc(&y, &p),
                lower_threshold: auc_lo,
                upper_threshold: auc_hi,
            },
            f1: MetricFit {
                sampling_error: sampling_error::f1(&y, &y_hat),
                lower_threshold: f1_lo,
                upper_threshold: f1_hi,
            },
        })
    }

    /// Whether scores are calibrated before estimating.
    pub fn calibrated(&self) -> bool {
        self.calibrator.is_some()
    }

    /// Estimates a window's metrics from its scores (and predicted labels, when it has them);
    /// `None` when no row has a usable score.
    pub fn estimate(
        &self,
        scores: &[f64],
        predicted_labels: Option<&[f64]>,
    ) -> Option<EstimatedPerformance> {
        let (n, [accuracy, f1, roc_auc]) = sweep::estimate(
            scores,
            predicted_labels,
            self.decision_threshold,
            self.calibrator.as_ref(),
        )?;
        Some(EstimatedPerformance {
            method: "cbpe".to_string(),
            calibrated: self.calibrated(),
            metrics: EstimatedMetrics {
                accuracy: self.accuracy.apply(accuracy, n),
                roc_auc: self.roc_auc.apply(roc_auc, n),
                f1: self.f1.apply(f1, n),
                precision: None,
                recall: None,
            },
        })
    }
}

/// One `estimated_performance_degradation` condition: the metric (`estimated_accuracy`, …), its
/// estimate, the threshold it crossed and the message.
pub(crate) struct EstimateAlert {
    pub metric: String,
    pub value: f64,
    pub threshold: f64,
    pub message: String,
}

/// Why each `estimated_performance_degradation` alert is raised: an estimate outside its
/// reference thresholds, or estimated accuracy below the configured `[alerts] accuracy`.
pub(crate) fn alert_figures(
    estimated: &EstimatedPerformance,
    accuracy_floor: Option<f64>,
) -> Vec<EstimateAlert> {
    let show = |t: Option<f64>| t.map_or_else(|| "-".to_string(), |t| format!("{t:.4}"));
    let mut out: Vec<EstimateAlert> = estimated
        .metrics
        .named()
        .filter(|(_, m)| m.alert)
        .map(|(name, m)| {
            let below = m.lower_threshold.filter(|&t| m.value < t);
            EstimateAlert {
                metric: format!("estimated_{name}"),
                value: m.value,
                threshold: below.or(m.upper_threshold).unwrap_or(f64::NAN),
                message: format!(
                    "estimated {name} {:.4} outside the reference thresholds [{}, {}]",
                    m.value,
                    show(m.lower_threshold),
                    show(m.upper_threshold)
                ),
            }
        })
        .collect();
    if let (Some(m), Some(floor)) = (&estimated.metrics.accuracy, accuracy_floor) {
        if m.value < floor {
            out.push(EstimateAlert {
                metric: "estimated_accuracy".into(),
                value: m.value,
                threshold: floor,
                message: format!("estimated accuracy {:.4} below threshold {floor}", m.value),
            });
        }
    }
    out
}
