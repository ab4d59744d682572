//! What confidence-based performance estimation reports for one window: each window's JSON
//! carries it as `"estimated_performance"`.

use serde::{Deserialize, Serialize};

/// One estimated metric with its sampling-error band and the reference's thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatedMetric {
    /// The estimate.
    pub value: f64,
    /// Standard error of the estimate for a window of this size (from the reference).
    pub sampling_error: f64,
    /// `value - 3 * sampling_error`, at least 0.
    pub lower: f64,
    /// `value + 3 * sampling_error`, at most 1.
    pub upper: f64,
    /// Mean - 3 std of the realised metric over the reference chunks, at least 0.
    pub lower_threshold: Option<f64>,
    /// Mean + 3 std of the realised metric over the reference chunks, at most 1.
    pub upper_threshold: Option<f64>,
    /// The estimate is outside the thresholds.
    pub alert: bool,
}

/// The estimated metrics; a metric is null when the window does not allow it (ROC AUC when
/// every calibrated score is 0 or every one is 1, F1 when nothing can be positive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatedMetrics {
    pub accuracy: Option<EstimatedMetric>,
    /// Macro one-vs-rest ROC AUC for a multiclass model.
    pub roc_auc: Option<EstimatedMetric>,
    /// Macro F1 for a multiclass model.
    pub f1: Option<EstimatedMetric>,
    /// Macro precision: multiclass models only (absent from the JSON otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<EstimatedMetric>,
    /// Macro recall: multiclass models only (absent from the JSON otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall: Option<EstimatedMetric>,
}

impl EstimatedMetrics {
    /// The metrics present, with their names, in output order.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, &EstimatedMetric)> {
        [
            ("accuracy", self.accuracy.as_ref()),
            ("roc_auc", self.roc_auc.as_ref()),
            ("f1", self.f1.as_ref()),
            ("precision", self.precision.as_ref()),
            ("recall", self.recall.as_ref()),
        ]
        .into_iter()
        .filter_map(|(name, m)| m.map(|m| (name, m)))
    }
}

/// A window's estimated performance (no labels needed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatedPerformance {
    /// Always `"cbpe"`: confidence-based performance estimation.
    pub method: String,
    /// Whether the scores were calibrated (isotonic regression fitted on the reference).
    pub calibrated: bool,
    pub metrics: EstimatedMetrics,
}
