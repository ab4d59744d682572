//! Alerts: levels, kinds, thresholds, and the manager that raises and keeps them.
//!
//! The rules that turn a result into alerts live in [`rules`], in one function, so what raises
//! an alert can be read in one place. Alerts go to an in-memory history and, optionally, to the
//! `log` facade; the library never prints. Each alert carries what it is about (detector,
//! feature, metric, value, threshold) so incidents and receivers need not parse its message.

mod rules;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::result::MonitoringResult;
use crate::config::InvalidValue;
// Alert settings are configuration, one layer down; they are re-exported here where alerts are.
pub(crate) use crate::config::{AlertLevel, AlertThresholds};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    DataDrift,
    PerformanceDegradation,
    PredictionShift,
    PredictionMeanAnomaly,
    DataQuality,
    WindowError,
    EstimatedPerformanceDegradation,
}

impl AlertKind {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::DataDrift => "data_drift",
            AlertKind::PerformanceDegradation => "performance_degradation",
            AlertKind::PredictionShift => "prediction_shift",
            AlertKind::PredictionMeanAnomaly => "prediction_mean_anomaly",
            AlertKind::DataQuality => "data_quality",
            AlertKind::WindowError => "window_error",
            AlertKind::EstimatedPerformanceDegradation => "estimated_performance_degradation",
        }
    }
}

/// One raised alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub level: AlertLevel,
    pub kind: AlertKind,
    pub window: String,
    pub message: String,
    pub timestamp: DateTime<Utc>,
    /// The drift detector that raised it (`data_drift`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// The feature it is about (`data_quality`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    /// The figure compared: `accuracy`, `r2`, `prediction_shift`, `prediction_mean`,
    /// `missing_rate_increase`, `drift_score` or `auc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// The metric's value in this window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The threshold it crossed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

impl Alert {
    /// An alert about nothing more specific than its kind.
    pub fn new(
        level: AlertLevel,
        kind: AlertKind,
        window: &str,
        message: String,
        timestamp: DateTime<Utc>,
    ) -> Self {
        Alert {
            level,
            kind,
            window: window.to_string(),
            message,
            timestamp,
            detector: None,
            feature: None,
            metric: None,
            value: None,
            threshold: None,
        }
    }
}

/// Raises alerts from results and keeps the last `max_history` alerts it raised.
#[derive(Debug, Clone, Default)]
pub struct AlertManager {
    thresholds: AlertThresholds,
    history: Vec<Alert>,
    log: bool,
}

impl AlertManager {
    /// A manager with these thresholds, checked as the config file's are (a threshold out of
    /// range is an error, not an alert that never or always fires); logging through `log` is
    /// off.
    pub fn new(thresholds: AlertThresholds) -> Result<Self, InvalidValue> {
        thresholds.validate()?;
        Ok(AlertManager {
            thresholds,
            history: Vec::new(),
            log: false,
        })
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> &AlertThresholds {
        &self.thresholds
    }

    /// Replaces the thresholds, checked as [`new`](Self::new) checks them.
    #[cfg(test)]
    pub(crate) fn set_thresholds(
        &mut self,
        thresholds: AlertThresholds,
    ) -> Result<(), InvalidValue> {
        thresholds.validate()?;
        self.thresholds = thresholds;
        Ok(())
    }

    /// The last `max_history` alerts raised, oldest first.
    pub fn history(&self) -> &[Alert] {
        let keep = self.thresholds.max_history.max(1);
        &self.history[self.history.len().saturating_sub(keep)..]
    }

    /// Raises and records an alert with no detector, feature, metric or figures.
    #[cfg(test)]
    pub(crate) fn raise(
        &mut self,
        level: AlertLevel,
        kind: AlertKind,
        window: &str,
        message: String,
    ) -> Alert {
        let alert = Alert::new(level, kind, window, message, Utc::now());
        self.record(alert.clone());
        alert
    }

    fn record(&mut self, alert: Alert) {
        if self.log {
            log::log!(target: "ml_monitor::alerts", alert.level.log_level(), "[{}] {}: {}", alert.kind.as_str(), alert.window, alert.message);
        }
        // Trimmed in batches, so the history stays under twice the limit at amortised O(1).
        let keep = self.thresholds.max_history.max(1);
        if self.history.len() >= 2 * keep {
            self.history.drain(..self.history.len() + 1 - keep);
        }
        self.history.push(alert);
    }

    /// Checks a result against the thresholds (the rules in `rules.rs`) and returns the alerts
    /// raised (also recorded).
    pub fn check_alerts(&mut self, result: &MonitoringResult) -> Vec<Alert> {
        let raised = rules::check(&self.thresholds, result, Utc::now());
        for alert in &raised {
            self.record(alert.clone());
        }
        raised
    }

    /// Raises and records a drift alert for one feature that no detector's alert covers (the
    /// page policy's evidence past its level), at the thresholds' drift level. It names no
    /// detector, so it is its own condition of that feature; its figure is the effect against
    /// the paging floor.
    pub(crate) fn raise_feature_drift(
        &mut self,
        window: &str,
        feature: &str,
        message: String,
        (effect, floor): (f64, f64),
    ) -> Alert {
        let mut alert = Alert::new(
            self.thresholds.drift_level,
            AlertKind::DataDrift,
            window,
            message,
            Utc::now(),
        );
        alert.feature = Some(feature.to_string());
        alert.metric = Some("effect".to_string());
        alert.value = Some(effect);
        alert.threshold = Some(floor);
        self.record(alert.clone());
        alert
    }

    /// The alert for a window without predictions when the reference had them: the prediction
    /// column is missing, or none of its values is a number.
    pub(crate) fn check_predictions(
        &mut self,
        result: &MonitoringResult,
        column: &str,
    ) -> Option<Alert> {
        if result.error.is_some() || result.predictions.is_some() {
            return None;
        }
        let mut alert = Alert::new(
            AlertLevel::Warning,
            AlertKind::DataQuality,
            &result.window,
            format!("prediction column \"{column}\" is missing or has no numeric values"),
            Utc::now(),
        );
        alert.feature = Some(column.to_string());
        self.record(alert.clone());
        Some(alert)
    }
}
