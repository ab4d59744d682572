//! Alerts: levels, kinds, thresholds, and the manager that raises and keeps them.
//!
//! The rules that turn a result into alerts live in [`rules`], in one function, so what raises
//! an alert can be read in one place. Alerts go to an in-memory history and, optionally, to the
//! `log` facade; the library never prints. Each alert carries what it is about (detector,
//! feature, metric, value, threshold) so incidents and receivers need not parse its message.

mod rules;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::result::MonitoringResult;

/// Severity of an alert. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertLevel {
    Info,
    Warning,
    Critical,
}

impl AlertLevel {
    /// The upper-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertLevel::Info => "INFO",
            AlertLevel::Warning => "WARNING",
            AlertLevel::Critical => "CRITICAL",
        }
    }

    /// The `log` level alerts of this severity are logged at.
    pub fn log_level(self) -> log::Level {
        match self {
            AlertLevel::Info => log::Level::Info,
            AlertLevel::Warning => log::Level::Warn,
            AlertLevel::Critical => log::Level::Error,
        }
    }

    /// All levels, lowest first.
    pub const ALL: [AlertLevel; 3] = [AlertLevel::Info, AlertLevel::Warning, AlertLevel::Critical];
}

impl fmt::Display for AlertLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a level name, ASCII case-insensitively. Besides the three names, the log-level names
/// are accepted: `debug` and `info` are INFO, `warn` is WARNING, `error` is CRITICAL.
impl FromStr for AlertLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" | "debug" => Ok(AlertLevel::Info),
            "warning" | "warn" => Ok(AlertLevel::Warning),
            "critical" | "error" => Ok(AlertLevel::Critical),
            other => Err(format!(
                "unknown alert level \"{other}\" (expected INFO, WARNING or CRITICAL; debug, warn and error are also accepted)"
            )),
        }
    }
}

impl Serialize for AlertLevel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AlertLevel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

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

/// The largest `resolve_after`: a condition quiet for this many windows is over.
pub const MAX_RESOLVE_AFTER: usize = 10_000;

/// Alert thresholds; an absent threshold disables its check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertThresholds {
    /// Accuracy below this: CRITICAL `performance_degradation`.
    pub accuracy: Option<f64>,
    /// R² below this: WARNING `performance_degradation`.
    pub r2_score: Option<f64>,
    /// |prediction shift| above this: WARNING `prediction_shift`.
    pub prediction_shift: Option<f64>,
    /// |prediction mean| above this: CRITICAL `prediction_mean_anomaly`.
    pub prediction_mean_threshold: Option<f64>,
    /// Level of `data_drift` alerts.
    pub drift_level: AlertLevel,
    /// A feature's missing rate up by more than this: WARNING `data_quality`.
    pub missing_rate_increase: Option<f64>,
    /// A feature's invalid rate (cells of the wrong type, or numbers that are not finite) up by
    /// more than this: WARNING `data_quality`.
    pub invalid_rate_increase: Option<f64>,
    /// Alerts the [`AlertManager`] keeps in memory (oldest dropped first): a long run must not
    /// grow without end.
    pub max_history: usize,
    /// An incident resolves after this many consecutive readable windows without its condition.
    pub resolve_after: usize,
}

/// Default of `[alerts] max_history`.
pub const DEFAULT_MAX_HISTORY: usize = 10_000;

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            accuracy: Some(0.7),
            r2_score: Some(0.5),
            prediction_shift: Some(0.1),
            prediction_mean_threshold: None,
            drift_level: AlertLevel::Warning,
            missing_rate_increase: Some(0.1),
            invalid_rate_increase: Some(0.1),
            max_history: DEFAULT_MAX_HISTORY,
            resolve_after: 1,
        }
    }
}

impl AlertThresholds {
    /// Checks that every threshold is a finite number; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|(_, message)| message)
    }

    /// [`AlertThresholds::validate`], also giving the key (without `alerts.`).
    pub fn check(&self) -> Result<(), (String, String)> {
        for (key, v) in [
            ("accuracy", self.accuracy),
            ("r2_score", self.r2_score),
            ("prediction_shift", self.prediction_shift),
            ("prediction_mean_threshold", self.prediction_mean_threshold),
            ("missing_rate_increase", self.missing_rate_increase),
            ("invalid_rate_increase", self.invalid_rate_increase),
        ] {
            if let Some(v) = v {
                if !v.is_finite() {
                    return Err((
                        key.to_string(),
                        format!("alerts.{key} = {v}: must be a finite number"),
                    ));
                }
            }
        }
        if self.max_history == 0 {
            return Err((
                "max_history".into(),
                "alerts.max_history = 0: must be at least 1".into(),
            ));
        }
        if !(1..=MAX_RESOLVE_AFTER).contains(&self.resolve_after) {
            return Err((
                "resolve_after".into(),
                format!(
                    "alerts.resolve_after = {}: must be between 1 and {MAX_RESOLVE_AFTER}",
                    self.resolve_after
                ),
            ));
        }
        Ok(())
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
    /// A manager with these thresholds; logging through `log` is off.
    pub fn new(thresholds: AlertThresholds) -> Self {
        AlertManager {
            thresholds,
            history: Vec::new(),
            log: false,
        }
    }

    /// Also send each alert to the `log` facade at its level's log level.
    pub fn with_logging(mut self, on: bool) -> Self {
        self.log = on;
        self
    }

    /// The thresholds in force.
    pub fn thresholds(&self) -> &AlertThresholds {
        &self.thresholds
    }

    /// Replaces the thresholds.
    pub fn set_thresholds(&mut self, thresholds: AlertThresholds) {
        self.thresholds = thresholds;
    }

    /// The last `max_history` alerts raised, oldest first.
    pub fn history(&self) -> &[Alert] {
        let keep = self.thresholds.max_history.max(1);
        &self.history[self.history.len().saturating_sub(keep)..]
    }

    /// Raises and records an alert with no detector, feature, metric or figures.
    pub fn raise(
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

    /// Runs DESIGN.md's checks on a result and returns the alerts raised (also recorded).
    pub fn check_alerts(&mut self, result: &MonitoringResult) -> Vec<Alert> {
        let raised = rules::check(&self.thresholds, result, Utc::now());
        for alert in &raised {
            self.record(alert.clone());
        }
        raised
    }

    /// The alert for a window without predictions when the reference had them: the prediction
    /// column is missing, or none of its values is a number.
    pub fn check_predictions(&mut self, result: &MonitoringResult, column: &str) -> Option<Alert> {
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
