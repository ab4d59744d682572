//! The result of monitoring one window: what `--once` prints, the TUI draws and the history keeps.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alerts::{Alert, AlertLevel};
use super::estimation::EstimatedPerformance;
use super::incidents::IncidentChange;
use super::metrics::{ClassificationMetrics, RegressionMetrics};
use crate::data::{DataError, DataErrorKind};
use crate::drift::DriftResult;

/// Model quality on a window with targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Performance {
    Classification(ClassificationMetrics),
    Regression(RegressionMetrics),
}

impl Performance {
    /// Accuracy for classification, R² for regression: the one number a sparkline shows.
    pub fn headline(&self) -> (&'static str, f64) {
        match self {
            Performance::Classification(m) => ("accuracy", m.accuracy),
            Performance::Regression(m) => ("r2", m.r2),
        }
    }
}

/// Summary of a window's predictions (missing ones excluded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionStats {
    pub count: usize,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub mean: f64,
    /// Population standard deviation.
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub std: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub min: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub max: f64,
}

impl PredictionStats {
    /// Stats of the non-NaN values; `None` when there are none.
    pub fn from_values(values: &[f64]) -> Option<Self> {
        let mut count = 0usize;
        let mut mean = 0.0;
        let mut m2 = 0.0;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        for &v in values.iter().filter(|v| !v.is_nan()) {
            count += 1;
            let delta = v - mean;
            mean += delta / count as f64;
            m2 += delta * (v - mean);
            min = min.min(v);
            max = max.max(v);
        }
        (count > 0).then(|| PredictionStats {
            count,
            mean,
            std: (m2 / count as f64).sqrt(),
            min,
            max,
        })
    }
}

/// Data quality of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureQuality {
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub missing_ref: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub missing_cur: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub invalid_ref: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub invalid_cur: f64,
    /// Categorical: share of current rows whose category the reference never saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unseen_category: Option<f64>,
    /// Numeric: share of current values outside the reference's [min, max].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_range: Option<f64>,
}

/// The step of monitoring that failed on a window that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorStage {
    /// The model could not predict.
    Model,
    /// A drift detector failed.
    Drift,
    /// Only in histories written before monitors were built with their reference.
    NoReference,
    /// A profile window could not be used (unreadable, malformed, made for another reference).
    Profile,
}

/// What went wrong with a window: reading it, or a step of monitoring it. Serialised as the
/// bare snake_case name (`ragged_row`, `drift`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WindowErrorKind {
    Monitor(MonitorStage),
    Data(DataErrorKind),
}

impl WindowErrorKind {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowErrorKind::Monitor(MonitorStage::Model) => "model",
            WindowErrorKind::Monitor(MonitorStage::Drift) => "drift",
            WindowErrorKind::Monitor(MonitorStage::NoReference) => "no_reference",
            WindowErrorKind::Monitor(MonitorStage::Profile) => "profile",
            WindowErrorKind::Data(kind) => kind.as_str(),
        }
    }
}

impl std::fmt::Display for WindowErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a window has no figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowError {
    pub kind: WindowErrorKind,
    pub message: String,
    pub file: String,
    #[serde(default)]
    pub line: Option<u64>,
    #[serde(default)]
    pub column: Option<String>,
}

impl From<&DataError> for WindowError {
    fn from(e: &DataError) -> Self {
        WindowError {
            kind: WindowErrorKind::Data(e.kind()),
            message: e.to_string(),
            file: e.file().display().to_string(),
            line: e.line(),
            column: e.column().map(str::to_string),
        }
    }
}

/// Where the predictions came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PredictionSource {
    /// The window's prediction column.
    Column,
    /// A model applied to the window's features.
    Model,
}

/// Everything monitoring found in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringResult {
    pub window: String,
    pub timestamp: DateTime<Utc>,
    pub rows: usize,
    #[serde(default)]
    pub metadata: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub drift: BTreeMap<String, DriftResult>,
    #[serde(default)]
    pub data_quality: BTreeMap<String, FeatureQuality>,
    #[serde(default)]
    pub performance: Option<Performance>,
    #[serde(default)]
    pub predictions: Option<PredictionStats>,
    #[serde(default)]
    pub prediction_source: Option<PredictionSource>,
    #[serde(default)]
    pub prediction_shift: Option<f64>,
    #[serde(default)]
    pub alerts: Vec<Alert>,
    /// What this window did to the incidents: openings, escalations, resolutions.
    #[serde(default)]
    pub incidents: Vec<IncidentChange>,
    #[serde(default)]
    pub error: Option<WindowError>,
    /// Accuracy, ROC AUC and F1 estimated from the scores alone (CBPE); null without scores or
    /// without a fitted estimator.
    #[serde(default)]
    pub estimated_performance: Option<EstimatedPerformance>,
    /// `"profile"` for a window given as a profile computed elsewhere (Spark, DuckDB); absent
    /// for a window read from its rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// While a performance problem is open: the features ranked by how their drift follows
    /// the drop over the recent windows (see [`super::ranking`]); absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranking: Vec<super::ranking::FeatureRank>,
    /// Drifted features the page policy keeps from paging, and which of its two tests held
    /// each back: `"evidence"` (its p-value above the paging budget's share) or `"effect"`
    /// (significant, but smaller than `[paging] min_effect`). Shown, never paged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub held_back: BTreeMap<String, super::paging::HeldBack>,
}

impl MonitoringResult {
    /// An empty result for a window, timestamped now.
    pub fn new(window: impl Into<String>) -> Self {
        MonitoringResult {
            window: window.into(),
            timestamp: Utc::now(),
            rows: 0,
            metadata: BTreeMap::new(),
            drift: BTreeMap::new(),
            data_quality: BTreeMap::new(),
            performance: None,
            predictions: None,
            prediction_source: None,
            prediction_shift: None,
            alerts: Vec::new(),
            incidents: Vec::new(),
            held_back: BTreeMap::new(),
            error: None,
            estimated_performance: None,
            source: None,
            ranking: Vec::new(),
        }
    }

    /// The most severe alert level, if any alert was raised.
    pub fn worst_level(&self) -> Option<AlertLevel> {
        self.alerts.iter().map(|a| a.level).max()
    }

    /// Whether any detector reports drift.
    pub fn drift_detected(&self) -> bool {
        self.drift.values().any(|d| d.drift_detected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_error_kinds_serialise_as_their_bare_names() {
        for (kind, name) in [
            (
                WindowErrorKind::Data(DataErrorKind::RaggedRow),
                "ragged_row",
            ),
            (
                WindowErrorKind::Data(DataErrorKind::Unreadable),
                "unreadable",
            ),
            (WindowErrorKind::Monitor(MonitorStage::Drift), "drift"),
            (WindowErrorKind::Monitor(MonitorStage::Model), "model"),
        ] {
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(kind.as_str(), name);
            let back: WindowErrorKind = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, kind);
        }
        // A kind from a newer build still reads.
        let other: WindowErrorKind = serde_json::from_str("\"future_kind\"").expect("reads");
        assert_eq!(other, WindowErrorKind::Data(DataErrorKind::Other));
    }

    #[test]
    fn prediction_stats_match_two_pass_formulas() {
        let v = [0.1, 0.4, f64::NAN, 0.9, 0.6];
        let s = PredictionStats::from_values(&v).expect("values");
        assert_eq!(s.count, 4);
        let mean = (0.1 + 0.4 + 0.9 + 0.6) / 4.0;
        assert!((s.mean - mean).abs() < 1e-15);
        let var = [0.1, 0.4, 0.9, 0.6]
            .iter()
            .map(|x| (x - mean) * (x - mean))
            .sum::<f64>()
            / 4.0;
        assert!((s.std - var.sqrt()).abs() < 1e-15);
        assert_eq!((s.min, s.max), (0.1, 0.9));
        assert!(PredictionStats::from_values(&[f64::NAN]).is_none());
    }
}
