//! Alerts: levels, thresholds and the checks that turn a result into alerts.
//!
//! The checks are exactly DESIGN.md's list, in one function, so what raises an alert can be read
//! in one place. Alerts go to an in-memory history and, optionally, to the `log` facade; the
//! library never prints.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::result::{MonitoringResult, Performance};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

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
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            accuracy: Some(0.7),
            r2_score: Some(0.5),
            prediction_shift: Some(0.1),
            prediction_mean_threshold: None,
            drift_level: AlertLevel::Warning,
            missing_rate_increase: Some(0.1),
        }
    }
}

impl AlertThresholds {
    /// Checks that every threshold is a finite number; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        for (key, v) in [
            ("accuracy", self.accuracy),
            ("r2_score", self.r2_score),
            ("prediction_shift", self.prediction_shift),
            ("prediction_mean_threshold", self.prediction_mean_threshold),
            ("missing_rate_increase", self.missing_rate_increase),
        ] {
            if let Some(v) = v {
                if !v.is_finite() {
                    return Err(format!("alerts.{key} = {v}: must be a finite number"));
                }
            }
        }
        Ok(())
    }
}

/// Raises alerts from results and keeps every alert it raised.
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

    /// Every alert raised so far, oldest first.
    pub fn history(&self) -> &[Alert] {
        &self.history
    }

    /// Raises and records an alert.
    pub fn raise(
        &mut self,
        level: AlertLevel,
        kind: AlertKind,
        window: &str,
        message: String,
    ) -> Alert {
        let alert = Alert {
            level,
            kind,
            window: window.to_string(),
            message,
            timestamp: Utc::now(),
        };
        if self.log {
            log::log!(target: "ml_monitor::alerts", alert.level.log_level(), "[{}] {}: {}", alert.kind.as_str(), alert.window, alert.message);
        }
        self.history.push(alert.clone());
        alert
    }

    /// Runs DESIGN.md's checks on a result and returns the alerts raised (also recorded).
    pub fn check_alerts(&mut self, result: &MonitoringResult) -> Vec<Alert> {
        let t = self.thresholds.clone();
        let w = result.window.as_str();
        let mut raised = Vec::new();
        if let Some(error) = &result.error {
            raised.push(self.raise(
                AlertLevel::Critical,
                AlertKind::WindowError,
                w,
                format!("window could not be used: {}", error.message),
            ));
            return raised;
        }
        for (name, drift) in &result.drift {
            if drift.drift_detected {
                raised.push(self.raise(
                    t.drift_level,
                    AlertKind::DataDrift,
                    w,
                    drift.summary(name),
                ));
            }
        }
        match &result.performance {
            Some(Performance::Classification(m)) => {
                if let Some(th) = t.accuracy {
                    if m.accuracy < th {
                        raised.push(self.raise(
                            AlertLevel::Critical,
                            AlertKind::PerformanceDegradation,
                            w,
                            format!("accuracy {:.4} below threshold {th}", m.accuracy),
                        ));
                    }
                }
            }
            Some(Performance::Regression(m)) => {
                if let Some(th) = t.r2_score {
                    if m.r2 < th {
                        raised.push(self.raise(
                            AlertLevel::Warning,
                            AlertKind::PerformanceDegradation,
                            w,
                            format!("R² {:.4} below threshold {th}", m.r2),
                        ));
                    }
                }
            }
            None => {}
        }
        if let Some(estimated) = &result.estimated_performance {
            for message in super::estimation::alert_messages(estimated, t.accuracy) {
                raised.push(self.raise(
                    AlertLevel::Warning,
                    AlertKind::EstimatedPerformanceDegradation,
                    w,
                    message,
                ));
            }
        }
        if let (Some(shift), Some(th)) = (result.prediction_shift, t.prediction_shift) {
            if shift.abs() > th {
                raised.push(self.raise(
                    AlertLevel::Warning,
                    AlertKind::PredictionShift,
                    w,
                    format!(
                        "prediction mean shifted by {:.4} (threshold {th})",
                        shift.abs()
                    ),
                ));
            }
        }
        if let (Some(stats), Some(th)) = (&result.predictions, t.prediction_mean_threshold) {
            if stats.mean.abs() > th {
                raised.push(self.raise(
                    AlertLevel::Critical,
                    AlertKind::PredictionMeanAnomaly,
                    w,
                    format!("prediction mean {:.4} beyond ±{th}", stats.mean),
                ));
            }
        }
        if let Some(th) = t.missing_rate_increase {
            for (feature, q) in &result.data_quality {
                let increase = q.missing_cur - q.missing_ref;
                if increase > th {
                    raised.push(self.raise(
                        AlertLevel::Warning,
                        AlertKind::DataQuality,
                        w,
                        format!(
                            "feature \"{feature}\" missing rate {:.1}% (reference {:.1}%)",
                            q.missing_cur * 100.0,
                            q.missing_ref * 100.0
                        ),
                    ));
                }
            }
        }
        raised
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_case_insensitively_with_log_aliases() {
        assert_eq!("WARNING".parse::<AlertLevel>(), Ok(AlertLevel::Warning));
        assert_eq!("warning".parse::<AlertLevel>(), Ok(AlertLevel::Warning));
        assert_eq!("Critical".parse::<AlertLevel>(), Ok(AlertLevel::Critical));
        assert_eq!("error".parse::<AlertLevel>(), Ok(AlertLevel::Critical));
        assert_eq!("DEBUG".parse::<AlertLevel>(), Ok(AlertLevel::Info));
        assert!("loud".parse::<AlertLevel>().is_err());
        assert_eq!(AlertLevel::Critical.log_level(), log::Level::Error);
        assert_eq!(AlertLevel::Warning.log_level(), log::Level::Warn);
        assert_eq!(AlertLevel::Info.log_level(), log::Level::Info);
        assert!(
            AlertLevel::Info < AlertLevel::Warning && AlertLevel::Warning < AlertLevel::Critical
        );
    }
}
