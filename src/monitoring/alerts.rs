//! Alerts: levels, thresholds and the checks that turn a result into alerts.
//!
//! The checks are exactly DESIGN.md's list, in one function, so what raises an alert can be read
//! in one place. Alerts go to an in-memory history and, optionally, to the `log` facade; the
//! library never prints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::result::{MonitoringResult, Performance};
// Alert settings are configuration, one layer down; they are re-exported here where alerts are.
pub use crate::config::{AlertLevel, AlertThresholds};

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
