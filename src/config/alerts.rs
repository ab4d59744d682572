//! `[alerts]`: alert levels and the thresholds that raise alerts. They sit in the config layer
//! because the configuration file holds them; the rules that apply them are in
//! `monitoring::alerts`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::validate::{within, InvalidValue};
use super::UnknownName;

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
    pub(crate) fn log_level(self) -> log::Level {
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
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" | "debug" => Ok(AlertLevel::Info),
            "warning" | "warn" => Ok(AlertLevel::Warning),
            "critical" | "error" => Ok(AlertLevel::Critical),
            other => Err(UnknownName {
                what: "alert level",
                given: other.to_string(),
                expected: "INFO, WARNING or CRITICAL; debug, warn and error are also accepted"
                    .into(),
            }),
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
    /// Alerts the alert manager keeps in memory (oldest dropped first): a long run must not
    /// grow without end.
    pub max_history: usize,
    /// An incident resolves after this many consecutive readable windows without its condition.
    pub resolve_after: usize,
    /// `[alerts.runbooks]`: a URL template per kind (`data_drift`) or kind and feature
    /// (`"data_drift.age"`), with `{kind}`, `{feature}`, `{detector}`, `{metric}` and
    /// `{monitor}` placeholders. Kept as written: the binary checks and fills them in.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub runbooks: BTreeMap<String, String>,
}

/// Default of `[alerts] max_history`.
pub(crate) const DEFAULT_MAX_HISTORY: usize = 10_000;
/// Bounds of `[alerts] max_history` (inclusive).
pub(crate) const MAX_HISTORY: (usize, usize) = (1, 10_000_000);
/// The largest `resolve_after`: a condition quiet for this many windows is over.
pub(crate) const MAX_RESOLVE_AFTER: usize = 10_000;

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
            runbooks: BTreeMap::new(),
        }
    }
}

impl AlertThresholds {
    /// Checks that every threshold is a finite number and the counts are in their bounds; the
    /// error names the key.
    pub(crate) fn validate(&self) -> Result<(), InvalidValue> {
        for (key, v) in [
            ("alerts.accuracy", self.accuracy),
            ("alerts.r2_score", self.r2_score),
            ("alerts.prediction_shift", self.prediction_shift),
            (
                "alerts.prediction_mean_threshold",
                self.prediction_mean_threshold,
            ),
            ("alerts.missing_rate_increase", self.missing_rate_increase),
            ("alerts.invalid_rate_increase", self.invalid_rate_increase),
        ] {
            if let Some(v) = v {
                if !v.is_finite() {
                    return Err(InvalidValue::new(key, v, "must be a finite number"));
                }
            }
        }
        // A rate: a bound outside [0, 1] would fire on every window, or never.
        if let Some(v) = self.accuracy.filter(|v| !(0.0..=1.0).contains(v)) {
            return Err(InvalidValue::new(
                "alerts.accuracy",
                v,
                "must be between 0 and 1",
            ));
        }
        // A change in size: a negative bound would fire on every window.
        for (key, v) in [
            ("alerts.prediction_shift", self.prediction_shift),
            ("alerts.missing_rate_increase", self.missing_rate_increase),
            ("alerts.invalid_rate_increase", self.invalid_rate_increase),
        ] {
            if let Some(v) = v.filter(|v| *v < 0.0) {
                return Err(InvalidValue::new(key, v, "must be a number >= 0"));
            }
        }
        within("alerts.max_history", self.max_history, MAX_HISTORY)?;
        within(
            "alerts.resolve_after",
            self.resolve_after,
            (1, MAX_RESOLVE_AFTER),
        )
    }
}
