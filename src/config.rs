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
    /// Anderson–Darling, numeric features.
    Ad,
    /// Cramér–von Mises, numeric features.
    Cvm,
    /// Normed Wasserstein distance, numeric features.
    Wasserstein,
    /// PCA reconstruction error, all features together.
    Pca,
}

impl DetectorKind {
    /// The key used in JSON output and configuration.
    pub fn key(self) -> &'static str {
        match self {
            DetectorKind::Ks => "ks",
            DetectorKind::Psi => "psi",
            DetectorKind::Chi2 => "chi2",
            DetectorKind::Classifier => "classifier",
            DetectorKind::Ad => "ad",
            DetectorKind::Cvm => "cvm",
            DetectorKind::Wasserstein => "wasserstein",
            DetectorKind::Pca => "pca",
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
            "ad" => Ok(DetectorKind::Ad),
            "cvm" => Ok(DetectorKind::Cvm),
            "wasserstein" => Ok(DetectorKind::Wasserstein),
            "pca" => Ok(DetectorKind::Pca),
            other => Err(format!(
                "unknown detector \"{other}\" (expected ks, psi, chi2, ad, cvm, wasserstein, pca or classifier)"
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
    /// Wasserstein: a feature drifts when the distance over the reference's std exceeds this.
    pub wasserstein_threshold: f64,
    /// A numeric feature with at most this many distinct reference values is tested by
    /// chi-square on its values instead of KS / AD / CvM / Wasserstein (0: never).
    pub discrete_max_values: usize,
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
            wasserstein_threshold: 0.1,
            discrete_max_values: 10,
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

/// Settings of the PCA reconstruction-error detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaConfig {
    /// Keep the fewest components whose explained variance exceeds this share.
    pub explained_variance: f64,
    /// Chunks the reference is cut into for the thresholds.
    pub reference_chunks: usize,
    /// Fewer rows than this in a window: `insufficient_data`.
    pub min_sample_size: usize,
    /// A detector reports drift only after this many consecutive drifting windows.
    pub confirmation_windows: usize,
}

impl Default for PcaConfig {
    fn default() -> Self {
        PcaConfig {
            explained_variance: 0.65,
            reference_chunks: 10,
            min_sample_size: 30,
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
    pub pca: PcaConfig,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            // Chosen by benches/measure_detectors.py (README, "Measured false alarms and
            // detection"): AD for numeric features (chi-square when few-valued), PSI and
            // chi-square for categorical ones. PCA is opt-in (false alarms on the demo data).
            detectors: vec![DetectorKind::Ad, DetectorKind::Psi, DetectorKind::Chi2],
            statistical: StatisticalConfig::default(),
            classifier: ClassifierConfig::default(),
            pca: PcaConfig::default(),
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorConfig {
    pub task: Task,
    pub columns: ColumnRoles,
    pub drift: DriftConfig,
    pub alerts: AlertThresholds,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

impl MonitorConfig {
    /// Reads and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: MonitorConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: origin.to_string(),
            message,
        })?;
        Ok(config)
    }

    /// Checks value ranges; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let s = &self.drift.statistical;
        let c = &self.drift.classifier;
        let in_unit = |v: f64| v.is_finite() && v > 0.0 && v < 1.0;
        if !in_unit(s.alpha) {
            return Err(format!(
                "drift.statistical.alpha = {}: must be in (0, 1)",
                s.alpha
            ));
        }
        if !(s.min_statistic.is_finite() && (0.0..=1.0).contains(&s.min_statistic)) {
            return Err(format!(
                "drift.statistical.min_statistic = {}: must be in [0, 1]",
                s.min_statistic
            ));
        }
        if s.psi_bins < 2 {
            return Err(format!(
                "drift.statistical.psi_bins = {}: must be at least 2",
                s.psi_bins
            ));
        }
        if !(s.psi_threshold.is_finite() && s.psi_threshold >= 0.0) {
            return Err(format!(
                "drift.statistical.psi_threshold = {}: must be a number >= 0",
                s.psi_threshold
            ));
        }
        if !(s.wasserstein_threshold.is_finite() && s.wasserstein_threshold >= 0.0) {
            return Err(format!(
                "drift.statistical.wasserstein_threshold = {}: must be a number >= 0",
                s.wasserstein_threshold
            ));
        }
        if s.discrete_max_values > 10_000 {
            return Err(format!(
                "drift.statistical.discrete_max_values = {}: must be at most 10000",
                s.discrete_max_values
            ));
        }
        if s.confirmation_windows == 0 || c.confirmation_windows == 0 {
            return Err("confirmation_windows must be at least 1".into());
        }
        if s.min_drifted_features == 0 {
            return Err("drift.statistical.min_drifted_features must be at least 1".into());
        }
        if c.folds < 2 {
            return Err(format!(
                "drift.classifier.folds = {}: must be at least 2",
                c.folds
            ));
        }
        if !(c.auc_threshold.is_finite() && (0.0..=1.0).contains(&c.auc_threshold)) {
            return Err(format!(
                "drift.classifier.auc_threshold = {}: must be in [0, 1]",
                c.auc_threshold
            ));
        }
        let p = &self.drift.pca;
        if !(p.explained_variance > 0.0 && p.explained_variance < 1.0) {
            return Err(format!(
                "drift.pca.explained_variance = {}: must be in (0, 1)",
                p.explained_variance
            ));
        }
        if !(2..=1000).contains(&p.reference_chunks) || p.confirmation_windows == 0 {
            return Err("drift.pca: reference_chunks must be in 2..=1000 and confirmation_windows at least 1".into());
        }
        if c.max_rows < 2 {
            return Err("drift.classifier.max_rows must be at least 2".into());
        }
        self.alerts.validate()
    }

    /// The full default file, with comments, as `ml-monitor config --print-default` prints it.
    pub fn default_toml() -> &'static str {
        DEFAULT_TOML
    }
}

const DEFAULT_TOML: &str = include_str!("default_config.toml");

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
}
