//! Monitor configuration: one struct, every key optional, the defaults docs/configuration.md lists.
//!
//! Unknown keys are rejected (`deny_unknown_fields`) so a typo in a threshold fails loudly with
//! the file, line and key instead of silently running on the default.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::data::{ColumnRoles, FeatureKind};
pub use crate::stats::correction::{Correction, CorrectionScope};

pub(crate) mod alerts;
pub mod locate;
mod paging;
mod validate;

pub(crate) use alerts::{AlertLevel, AlertThresholds};
pub use paging::PagingConfig;
pub use validate::InvalidValue;

/// What the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    #[default]
    Classification,
    Regression,
}

impl FromStr for Task {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "classification" => Ok(Task::Classification),
            "regression" => Ok(Task::Regression),
            other => Err(UnknownName {
                what: "task",
                given: other.to_string(),
                expected: "classification or regression".into(),
            }),
        }
    }
}

/// A name that is not one of a setting's values (`task`, a detector, an alert level).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{given}\" (expected {expected})")]
pub struct UnknownName {
    /// What was being named ("task", "detector", "alert level").
    pub what: &'static str,
    /// The name given, trimmed and lower-cased.
    pub given: String,
    /// The names accepted, as a sentence.
    pub expected: String,
}

/// Declares [`DetectorKind`]: each line is a variant and the one spelling of its name (the key
/// in configuration, on the command line and in JSON output). Adding a detector is one line
/// here, then the arm the compiler asks for where the monitor builds detectors.
macro_rules! detector_kinds {
    ($($(#[$doc:meta])* $variant:ident => $key:literal,)+) => {
        /// Which drift detectors run.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DetectorKind {
            $($(#[$doc])* $variant,)+
        }

        impl DetectorKind {
            /// Every detector, in declaration order.
            pub const ALL: &'static [DetectorKind] = &[$(DetectorKind::$variant,)+];

            /// The key used in JSON output and configuration.
            pub fn key(self) -> &'static str {
                match self {
                    $(DetectorKind::$variant => $key,)+
                }
            }
        }
    };
}

detector_kinds! {
    /// Two-sample Kolmogorov–Smirnov on numeric features.
    Ks => "ks",
    /// Population stability index on every feature.
    Psi => "psi",
    /// Chi-square homogeneity on categorical features.
    Chi2 => "chi2",
    /// A classifier telling reference rows from current rows.
    Classifier => "classifier",
    /// k-sample Anderson–Darling (midrank) on numeric features.
    Ad => "ad",
    /// Two-sample Cramér–von Mises on numeric features.
    Cvm => "cvm",
    /// Wasserstein distance over the reference's std on numeric features.
    Wasserstein => "wasserstein",
    /// PCA reconstruction error over all features together.
    Pca => "pca",
}

/// What a detector's figure is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A p-value, corrected with the window's other p-values against `alpha`.
    PValue,
    /// An effect size against its own threshold (PSI, normed Wasserstein).
    Effect,
    /// The classifier's out-of-fold ROC AUC against `auc_threshold`.
    Auc,
}

/// Every property of a detector that the rest of the program asks of it, in one place: adding
/// a detector is a line in `detector_kinds!` above, then one arm in each match below and in
/// the matches the compiler names (each is written without a `_` arm, so it names them all).
impl DetectorKind {
    /// Whether it tests each feature on its own (the others look at all features together).
    pub fn per_feature(self) -> bool {
        match self {
            DetectorKind::Ks
            | DetectorKind::Psi
            | DetectorKind::Chi2
            | DetectorKind::Ad
            | DetectorKind::Cvm
            | DetectorKind::Wasserstein => true,
            DetectorKind::Classifier | DetectorKind::Pca => false,
        }
    }

    /// Whether a per-feature detector tests features of this kind.
    pub fn covers(self, kind: FeatureKind) -> bool {
        match self {
            DetectorKind::Ks | DetectorKind::Ad | DetectorKind::Cvm | DetectorKind::Wasserstein => {
                kind == FeatureKind::Numeric
            }
            DetectorKind::Chi2 => kind == FeatureKind::Categorical,
            DetectorKind::Psi => true,
            DetectorKind::Classifier | DetectorKind::Pca => false,
        }
    }

    /// Whether it reads the reference's sorted values of a numeric feature (so saved
    /// reference statistics, which hold counts, cannot feed it).
    pub(crate) fn needs_sorted(self) -> bool {
        match self {
            DetectorKind::Ks | DetectorKind::Ad | DetectorKind::Cvm | DetectorKind::Wasserstein => {
                true
            }
            DetectorKind::Psi
            | DetectorKind::Chi2
            | DetectorKind::Classifier
            | DetectorKind::Pca => false,
        }
    }

    /// What its figure is judged by.
    pub fn evidence(self) -> Evidence {
        match self {
            DetectorKind::Ks
            | DetectorKind::Chi2
            | DetectorKind::Ad
            | DetectorKind::Cvm
            | DetectorKind::Pca => Evidence::PValue,
            DetectorKind::Psi | DetectorKind::Wasserstein => Evidence::Effect,
            DetectorKind::Classifier => Evidence::Auc,
        }
    }

    /// The threshold an effect-size detector's statistic must pass (`None` for the others).
    pub fn effect_threshold(self, c: &StatisticalConfig) -> Option<f64> {
        match self {
            DetectorKind::Psi => Some(c.psi_threshold),
            DetectorKind::Wasserstein => Some(c.wasserstein_threshold),
            DetectorKind::Ks
            | DetectorKind::Chi2
            | DetectorKind::Classifier
            | DetectorKind::Ad
            | DetectorKind::Cvm
            | DetectorKind::Pca => None,
        }
    }

    /// Where its column stands in a drift table, leftmost first: the continuous tests, then
    /// chi-square and PSI; the detectors that judge all features together last.
    pub fn table_rank(self) -> u8 {
        match self {
            DetectorKind::Ks => 0,
            DetectorKind::Ad => 1,
            DetectorKind::Cvm => 2,
            DetectorKind::Wasserstein => 3,
            DetectorKind::Chi2 => 4,
            DetectorKind::Psi => 5,
            DetectorKind::Classifier => 6,
            DetectorKind::Pca => 7,
        }
    }

    /// The short name screens and tables show.
    pub fn label(self) -> &'static str {
        match self {
            DetectorKind::Ks => "KS",
            DetectorKind::Psi => "PSI",
            DetectorKind::Chi2 => "χ²",
            DetectorKind::Classifier => "classifier",
            DetectorKind::Ad => "AD",
            DetectorKind::Cvm => "CvM",
            DetectorKind::Wasserstein => "W",
            DetectorKind::Pca => "PCA",
        }
    }
}

impl fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for DetectorKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let given = s.trim().to_ascii_lowercase();
        DetectorKind::ALL
            .iter()
            .copied()
            .find(|k| k.key() == given)
            .ok_or_else(|| UnknownName {
                what: "detector",
                given,
                expected: one_of(DetectorKind::ALL.iter().map(|k| k.key())),
            })
    }
}

impl Serialize for DetectorKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for DetectorKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// "a, b, c or d".
fn one_of<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Settings of the per-feature statistical detectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatisticalConfig {
    /// Significance level of KS and chi-square, before correction.
    pub alpha: f64,
    pub correction: Correction,
    /// Which p-values one correction covers: every test of every detector in the window
    /// (`window`, so `alpha` bounds the window's false alarms) or each detector's own features.
    pub correction_scope: CorrectionScope,
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
            // With the default detectors, at most 5 % of clean windows alarm: docs/detectors.md.
            alpha: 0.04,
            correction: Correction::Bonferroni,
            correction_scope: CorrectionScope::Window,
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

/// How the `pca` detector sets its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PcaThresholds {
    /// NannyML's: mean ± 3 std of the reference chunks' figures, whatever the window's size.
    Chunks,
    /// A z-test of the window's mean error against the reference rows' out-of-fold errors (each
    /// from a PCA fitted without the row's fold; spread σ·√(1/n + 1/N): σ their std, N the
    /// reference's rows, n the window's), its p-value in the window's correction at the
    /// statistical `alpha`: the same false-alarm rate for any window size.
    #[default]
    Window,
}

/// Settings of the PCA reconstruction-error detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PcaConfig {
    /// Keep the fewest components whose explained variance exceeds this share.
    pub explained_variance: f64,
    /// Chunks the reference is cut into for the thresholds (`chunks`), or folds of its
    /// out-of-fold errors (`window`).
    pub reference_chunks: usize,
    /// How the thresholds are set: from the reference chunks' spread (`chunks`, NannyML's) or
    /// by a z-test scaled to each window's size (`window`).
    pub thresholds: PcaThresholds,
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
            thresholds: PcaThresholds::Window,
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
            // Chosen by measurement: docs/detectors.md.
            detectors: vec![
                DetectorKind::Ad,
                DetectorKind::Psi,
                DetectorKind::Chi2,
                DetectorKind::Pca,
            ],
            statistical: StatisticalConfig::default(),
            classifier: ClassifierConfig::default(),
            pca: PcaConfig::default(),
        }
    }
}

/// Whether performance estimation calibrates the scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CalibrationMode {
    /// Calibrate when it lowers the expected calibration error on held-out reference rows.
    #[default]
    Auto,
    Always,
    Never,
}

/// Confidence-based performance estimation (binary classification without labels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EstimationConfig {
    pub calibration: CalibrationMode,
    /// Predicted label = score >= this, when there is no `[columns] predicted_label`.
    pub decision_threshold: f64,
    /// The reference is cut into this many chunks to learn the alert thresholds.
    pub reference_chunks: usize,
}

impl Default for EstimationConfig {
    fn default() -> Self {
        EstimationConfig {
            calibration: CalibrationMode::Auto,
            decision_threshold: 0.5,
            reference_chunks: 10,
        }
    }
}

/// The library's settings: the sections of a configuration file that evaluation reads. The
/// `ml-monitor` binary reads the file itself (once, keeping every key's line) and keeps its own
/// sections (`[metrics]`, `[monitor]`, `[[sinks]]`, `[[models]]`, `[labels]`) apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorConfig {
    pub task: Task,
    pub columns: ColumnRoles,
    pub drift: DriftConfig,
    pub alerts: AlertThresholds,
    pub estimation: EstimationConfig,
    pub profile: ProfileConfig,
    pub paging: PagingConfig,
}

/// `[profile]`: profiles computed where the data lives (`ml-monitor profile-sql`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileConfig {
    /// Cells of the reference-quantile grid a numeric feature is counted on (the PSI edges are
    /// on it; KS and Wasserstein are computed on it, with their error bound).
    pub grid_bins: usize,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig { grid_bins: 1000 }
    }
}

/// A configuration file that could not be used; each is one line naming the file, and the line
/// and key where they are known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    /// TOML that does not parse, or a key or type the configuration does not have.
    #[error("{path}: {}{}{message}", at_line(.line), key_part(.key))]
    Parse {
        path: String,
        line: Option<usize>,
        /// The dotted key, where one is concerned (`drift.statistical.alpha`).
        key: Option<String>,
        message: String,
    },
    /// A value out of its range.
    #[error("{path}: {}{source}", at_line(.line))]
    Invalid {
        path: String,
        line: Option<usize>,
        source: InvalidValue,
    },
}

fn at_line(line: &Option<usize>) -> String {
    line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

fn key_part(key: &Option<String>) -> String {
    key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default()
}

/// A configuration file larger than this is not a configuration file.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The text of a configuration file. Only a regular file of at most 1 MiB is read: a FIFO or a
/// device would hang or never end.
pub fn read_file(path: &Path) -> Result<String, ConfigError> {
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
    std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))
}

impl MonitorConfig {
    /// Reads and validates a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = read_file(path)?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors (with the line of a bad
    /// value, where it can be found). The sections of the `ml-monitor` binary
    /// ([`BINARY_SECTIONS`]) are skipped: one file configures both.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let doc = locate::Document::parse(text, origin)?;
        let mut table = doc.root().clone();
        for section in BINARY_SECTIONS {
            table.get_mut().remove(*section);
        }
        let config = Self::from_table(table).map_err(|e| doc.error(origin, &e))?;
        config
            .validate()
            .map_err(|source| doc.invalid(origin, &[], source))?;
        Ok(config)
    }

    /// The settings of a parsed table of the library's sections, not yet validated; an error
    /// carries the span of the value at fault in the text the table was parsed from.
    pub fn from_table(
        table: toml::Spanned<toml::de::DeTable<'_>>,
    ) -> Result<Self, toml::de::Error> {
        Self::deserialize(toml::de::Deserializer::from(table))
    }

    /// The full default file, with comments, as `ml-monitor config --print-default` prints it.
    pub fn default_toml() -> &'static str {
        DEFAULT_TOML
    }
}

const DEFAULT_TOML: &str = include_str!("default_config.toml");

/// The top-level keys of a configuration file that the `ml-monitor` binary reads itself.
pub const BINARY_SECTIONS: &[&str] = &["metrics", "monitor", "sinks", "models", "labels", "tui"];

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
    fn a_detector_listed_twice_is_refused() {
        let e =
            MonitorConfig::from_toml("[drift]\ndetectors = [\"ks\", \"psi\", \"ks\"]\n", "m.toml")
                .expect_err("duplicate");
        let text = e.to_string();
        assert!(
            text.contains("drift.detectors") && text.contains("twice"),
            "{text}"
        );
    }

    #[test]
    fn detector_names_round_trip_through_the_one_spelling() {
        for &kind in DetectorKind::ALL {
            assert_eq!(kind.key().parse::<DetectorKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).expect("serialises");
            assert_eq!(json, format!("\"{}\"", kind.key()));
        }
        let e = "kss".parse::<DetectorKind>().expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "unknown detector \"kss\" (expected ks, psi, chi2, classifier, ad, cvm, wasserstein or pca)"
        );
    }

    #[test]
    fn estimation_settings_are_bounded() {
        for (text, key) in [
            (
                "[estimation]\ndecision_threshold = 1.0\n",
                "decision_threshold",
            ),
            (
                "[estimation]\ndecision_threshold = 0.0\n",
                "decision_threshold",
            ),
            ("[estimation]\nreference_chunks = 1\n", "reference_chunks"),
            (
                "[estimation]\nreference_chunks = 5000\n",
                "reference_chunks",
            ),
            ("[estimation]\ncalibration = \"sometimes\"\n", "sometimes"),
        ] {
            let e = MonitorConfig::from_toml(text, "m.toml").expect_err(text);
            assert!(e.to_string().contains(key), "{e}");
        }
        let c = MonitorConfig::from_toml(
            "[columns]\npredicted_label = \"label\"\n[estimation]\ncalibration = \"never\"\ndecision_threshold = 0.3\n",
            "m.toml",
        )
        .expect("parses");
        assert_eq!(c.estimation.calibration, CalibrationMode::Never);
        assert_eq!(c.estimation.decision_threshold, 0.3);
        assert_eq!(c.columns.predicted_label.as_deref(), Some("label"));
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
