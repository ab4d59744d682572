//! Monitor configuration: one struct, every key optional, DESIGN.md's defaults.
//!
//! Unknown keys are rejected (`deny_unknown_fields`) so a typo in a threshold fails loudly with
//! the file, line and key instead of silently running on the default.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::ColumnRoles;
use crate::monitoring::alerts::AlertThresholds;

/// What the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    #[default]
    Classification,
    Regression,
}

impl std::str::FromStr for Task {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "classification" => Ok(Task::Classification),
            "regression" => Ok(Task::Regression),
            other => Err(format!(
                "unknown task \"{other}\" (expected classification or regression)"
            )),
        }
    }
}

/// Multiple-testing correction across a detector's features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    None,
    #[default]
    Bonferroni,
    /// Benjamini–Hochberg false discovery rate.
    Fdr,
}

/// Which drift detectors run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum DetectorKind {
    Ks,
    Psi,
    Chi2,
    Classifier,
}

impl DetectorKind {
    /// The key used in JSON output and configuration.
    pub fn key(self) -> &'static str {
        match self {
            DetectorKind::Ks => "ks",
            DetectorKind::Psi => "psi",
            DetectorKind::Chi2 => "chi2",
            DetectorKind::Classifier => "classifier",
        }
    }
}

impl std::str::FromStr for DetectorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ks" => Ok(DetectorKind::Ks),
            "psi" => Ok(DetectorKind::Psi),
            "chi2" => Ok(DetectorKind::Chi2),
            "classifier" => Ok(DetectorKind::Classifier),
            other => Err(format!(
                "unknown detector \"{other}\" (expected ks, psi, chi2 or classifier)"
            )),
        }
    }
}

/// Settings of the per-feature statistical detectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatisticalConfig {
    /// Significance level of KS and chi-square, before correction.
    pub alpha: f64,
    pub correction: Correction,
    /// KS: a feature also needs D at least this large to drift.
    pub min_statistic: f64,
    /// PSI: number of reference-quantile bins.
    pub psi_bins: usize,
    /// PSI: a feature drifts when PSI exceeds this.
    pub psi_threshold: f64,
    /// Fewer non-missing values than this on either side: `insufficient_data`, never drifts.
    pub min_sample_size: usize,
    /// A window shows dataset drift when at least this many features drift.
    pub min_drifted_features: usize,
    /// A detector reports drift only after this many consecutive drifting windows.
    pub confirmation_windows: usize,
}

impl Default for StatisticalConfig {
    fn default() -> Self {
        StatisticalConfig {
            alpha: 0.05,
            correction: Correction::Bonferroni,
            min_statistic: 0.0,
            psi_bins: 10,
            psi_threshold: 0.2,
            min_sample_size: 30,
            min_drifted_features: 1,
            confirmation_windows: 1,
        }
    }
}

/// Settings of the classifier (ML-based) detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassifierConfig {
    /// Rows sampled from each side at most.
    pub max_rows: usize,
    /// Drift when the out-of-fold AUC exceeds this.
    pub auc_threshold: f64,
    /// Stratified folds for the out-of-fold AUC.
    pub folds: usize,
    /// Seed of the subsampling and fold assignment.
    pub seed: u64,
    /// Fewer rows than this on either side: `insufficient_data`.
    pub min_sample_size: usize,
    /// Logistic regression iterations.
    pub max_iterations: u64,
    /// A detector reports drift only after this many consecutive drifting windows.
    pub confirmation_windows: usize,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            max_rows: 20_000,
            auc_threshold: 0.55,
            folds: 5,
            seed: 42,
            min_sample_size: 30,
            max_iterations: 100,
            confirmation_windows: 1,
        }
    }
}

/// Drift section: which detectors, and their settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftConfig {
    pub detectors: Vec<DetectorKind>,
    pub statistical: StatisticalConfig,
    pub classifier: ClassifierConfig,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            detectors: vec![DetectorKind::Ks, DetectorKind::Psi, DetectorKind::Chi2],
            statistical: StatisticalConfig::default(),
            classifier: ClassifierConfig::default(),
        }
    }
}

/// Most per-feature series `[metrics] max_features` may allow.
pub const MAX_METRICS_FEATURES: usize = 100_000;

/// Prometheus metrics of the binary's live modes. Only settings live here: the library serves
/// nothing; the binary reads these and runs the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// `HOST:PORT` (or `:PORT`, bound to 127.0.0.1) to serve `/metrics` on; off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// Per-feature series are exported for at most this many features (first by name).
    pub max_features: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            addr: None,
            max_features: 1000,
        }
    }
}

/// `[monitor]`: what this monitor is called where its incidents are delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorSection {
    /// The `monitor` label of delivered incidents (default: the watched directory's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorConfig {
    pub task: Task,
    pub columns: ColumnRoles,
    pub drift: DriftConfig,
    pub alerts: AlertThresholds,
    pub metrics: MetricsConfig,
    pub monitor: MonitorSection,
    /// `[[sinks]]`: where incident changes are delivered. Kept as written: the library knows
    /// nothing of networks; the binary checks and uses them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sinks: Vec<toml::Table>,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl MonitorConfig {
    /// Reads and validates a TOML file.
    /// Only a regular file of at most 1 MiB is read: a FIFO or a device would hang or never end.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let unreadable = |message: String| ConfigError::Read {
            path: path.display().to_string(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(unreadable("not a regular file".into()));
        }
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(unreadable(format!(
                "{} bytes, more than a configuration file can be ({MAX_CONFIG_BYTES})",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: MonitorConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config
            .check()
            .map_err(|(key, message)| ConfigError::Invalid {
                path: match line_of(text, &key) {
                    Some(line) => format!("{origin}, line {line}"),
                    None => origin.to_string(),
                },
                message,
            })?;
        Ok(config)
    }

    /// Checks value ranges; the message starts with the key (`drift.statistical.alpha = 2: ...`).
    /// Every size-like setting is bounded: a huge `psi_bins` or `max_rows` would allocate
    /// gigabytes, a tiny `max_rows` gives the classifier too few rows to tell anything apart.
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|(_, message)| message)
    }

    /// [`MonitorConfig::validate`], also giving the dotted key that is wrong.
    fn check(&self) -> Result<(), (String, String)> {
        let s = &self.drift.statistical;
        let c = &self.drift.classifier;
        let fail = |key: &str, value: &dyn std::fmt::Display, rule: &str| {
            Err((key.to_string(), format!("{key} = {value}: {rule}")))
        };
        let in_unit = |v: f64| v.is_finite() && v > 0.0 && v < 1.0;
        let within = |v: usize, range: (usize, usize)| (range.0..=range.1).contains(&v);
        if !in_unit(s.alpha) {
            return fail("drift.statistical.alpha", &s.alpha, "must be in (0, 1)");
        }
        if !(s.min_statistic.is_finite() && (0.0..=1.0).contains(&s.min_statistic)) {
            return fail(
                "drift.statistical.min_statistic",
                &s.min_statistic,
                "must be in [0, 1]",
            );
        }
        if !within(s.psi_bins, PSI_BINS) {
            return fail(
                "drift.statistical.psi_bins",
                &s.psi_bins,
                &format!("must be from {} to {}", PSI_BINS.0, PSI_BINS.1),
            );
        }
        if !(s.psi_threshold.is_finite() && s.psi_threshold >= 0.0) {
            return fail(
                "drift.statistical.psi_threshold",
                &s.psi_threshold,
                "must be a number >= 0",
            );
        }
        for (key, value, range) in [
            (
                "drift.statistical.min_sample_size",
                s.min_sample_size,
                SAMPLE_SIZE,
            ),
            (
                "drift.statistical.min_drifted_features",
                s.min_drifted_features,
                (1, 1_000_000),
            ),
            (
                "drift.statistical.confirmation_windows",
                s.confirmation_windows,
                CONFIRMATION_WINDOWS,
            ),
            (
                "drift.classifier.confirmation_windows",
                c.confirmation_windows,
                CONFIRMATION_WINDOWS,
            ),
            ("drift.classifier.folds", c.folds, FOLDS),
            (
                "drift.classifier.min_sample_size",
                c.min_sample_size,
                SAMPLE_SIZE,
            ),
            ("alerts.max_history", self.alerts.max_history, MAX_HISTORY),
        ] {
            if !within(value, range) {
                return fail(
                    key,
                    &value,
                    &format!("must be from {} to {}", range.0, range.1),
                );
            }
        }
        if !(MAX_ITERATIONS.0..=MAX_ITERATIONS.1).contains(&c.max_iterations) {
            return fail(
                "drift.classifier.max_iterations",
                &c.max_iterations,
                &format!("must be from {} to {}", MAX_ITERATIONS.0, MAX_ITERATIONS.1),
            );
        }
        if !(c.auc_threshold.is_finite() && (0.0..=1.0).contains(&c.auc_threshold)) {
            return fail(
                "drift.classifier.auc_threshold",
                &c.auc_threshold,
                "must be in [0, 1]",
            );
        }
        // Each fold must hold enough rows of both sides for its AUC to mean something.
        let min_rows = (MIN_ROWS_PER_FOLD * c.folds).max(c.min_sample_size);
        if c.max_rows < min_rows || c.max_rows > MAX_ROWS {
            return fail(
                "drift.classifier.max_rows",
                &c.max_rows,
                &format!(
                    "must be from {min_rows} ({MIN_ROWS_PER_FOLD} x folds, and at least \
                     min_sample_size) to {MAX_ROWS}"
                ),
            );
        }
        let m = &self.metrics;
        if !(1..=MAX_METRICS_FEATURES).contains(&m.max_features) {
            return fail(
                "metrics.max_features",
                &m.max_features,
                &format!("must be from 1 to {MAX_METRICS_FEATURES}"),
            );
        }
        if m.addr.as_deref().is_some_and(|a| a.trim().is_empty()) {
            return fail(
                "metrics.addr",
                &"\"\"",
                "is empty: give HOST:PORT or :PORT, or leave it out",
            );
        }
        self.alerts
            .check()
            .map_err(|(key, message)| (format!("alerts.{key}"), message))
    }

    /// The full default file, with comments, as `ml-monitor config --print-default` prints it.
    pub fn default_toml() -> &'static str {
        DEFAULT_TOML
    }
}

const DEFAULT_TOML: &str = include_str!("default_config.toml");

/// Bounds of the size-like settings (inclusive).
const PSI_BINS: (usize, usize) = (2, 1000);
const SAMPLE_SIZE: (usize, usize) = (1, 100_000_000);
const CONFIRMATION_WINDOWS: (usize, usize) = (1, 10_000);
const FOLDS: (usize, usize) = (2, 20);
const MAX_ITERATIONS: (u64, u64) = (1, 100_000);
const MAX_HISTORY: (usize, usize) = (1, 10_000_000);
/// The classifier's `max_rows` is at least this many rows per fold...
const MIN_ROWS_PER_FOLD: usize = 20;
/// ... and at most this many (two sides of this many rows, every feature, in memory).
const MAX_ROWS: usize = 10_000_000;
/// A configuration file larger than this is not a configuration file.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The 1-based line where the dotted `key` is set in TOML `text`, if it can be found.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let mut table = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[') {
            table = header
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split('.')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(".");
            continue;
        }
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let name: Vec<&str> = name
            .split('.')
            .map(|p| p.trim().trim_matches('"'))
            .collect();
        let full = if table.is_empty() {
            name.join(".")
        } else {
            format!("{table}.{}", name.join("."))
        };
        if full == key {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_parses_to_the_defaults() {
        let parsed = MonitorConfig::from_toml(DEFAULT_TOML, "default").expect("parses");
        assert_eq!(parsed, MonitorConfig::default());
    }

    #[test]
    fn empty_file_is_the_default() {
        let parsed = MonitorConfig::from_toml("", "empty").expect("parses");
        assert_eq!(parsed, MonitorConfig::default());
    }

    #[test]
    fn unknown_key_fails_with_file_and_key() {
        let e = MonitorConfig::from_toml("[drift.statistical]\nalpah = 0.1\n", "m.toml")
            .expect_err("unknown key");
        let text = e.to_string();
        assert!(text.contains("m.toml") && text.contains("alpah"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn bad_values_fail_with_the_key() {
        let e = MonitorConfig::from_toml("[drift.statistical]\nalpha = 2.0\n", "m.toml")
            .expect_err("range");
        assert!(e.to_string().contains("alpha"), "{e}");
        let e = MonitorConfig::from_toml("task = \"ranking\"\n", "m.toml").expect_err("task");
        assert!(e.to_string().contains("ranking"), "{e}");
        let e = MonitorConfig::from_toml("[alerts]\ndrift_level = \"loud\"\n", "m.toml")
            .expect_err("level");
        assert!(e.to_string().contains("loud"), "{e}");
    }

    #[test]
    fn overrides_apply() {
        let c = MonitorConfig::from_toml(
            "task = \"regression\"\n[drift]\ndetectors = [\"ks\", \"classifier\"]\n[alerts]\nr2_score = 0.3\n",
            "m.toml",
        )
        .expect("parses");
        assert_eq!(c.task, Task::Regression);
        assert_eq!(
            c.drift.detectors,
            vec![DetectorKind::Ks, DetectorKind::Classifier]
        );
        assert_eq!(c.alerts.r2_score, Some(0.3));
    }

    #[test]
    fn metrics_section_is_bounded() {
        let c =
            MonitorConfig::from_toml("[metrics]\naddr = \":9464\"\n", "m.toml").expect("parses");
        assert_eq!(c.metrics.addr.as_deref(), Some(":9464"));
        assert_eq!(c.metrics.max_features, 1000);
        for bad in ["max_features = 0", "max_features = 100001", "addr = \" \""] {
            let e =
                MonitorConfig::from_toml(&format!("[metrics]\n{bad}\n"), "m.toml").expect_err(bad);
            assert!(e.to_string().contains("metrics."), "{e}");
        }
    }
}
