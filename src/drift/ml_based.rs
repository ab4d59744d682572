//! The classifier two-sample test: can a model tell current rows from reference rows?
//!
//! Reference rows are labelled 0 and current rows 1 (each side subsampled to `max_rows`, seeded),
//! encoded with the reference's standardisation and one-hot categories
//! ([`FeatureEncoder`]), and a linfa-logistic classifier is scored by stratified k-fold
//! out-of-fold ROC AUC. AUC near 0.5 means the two samples look alike; drift is AUC above
//! `auc_threshold`. A model fitted on all rows gives the feature importances: absolute
//! standardised coefficients (coefficient x the column's standard deviation over the fitted rows,
//! so one-hot columns compare with numeric ones), summed back to their feature, normalised to 1.
//!
//! Decisions a reader might question:
//!
//! - **Out-of-fold scores are the linear predictor, oriented towards "current".**
//!   linfa-logistic's positive class is the more frequent label, which flips with the balance of
//!   the two sides; the sign is fixed from `labels().pos`. Ranking by the linear predictor
//!   rather than the probability also avoids ties where the sigmoid saturates.
//! - **Folds are dealt in an order keyed by row content** (a seeded hash), still exactly
//!   stratified. With position-keyed folds, a row whose identical twin sits on the other side is
//!   scored by a model trained on that twin with the opposite label, which drags the AUC of two
//!   identical samples to about 0.4; keyed by content, twins share a fold and identical sides
//!   score exactly 0.5.
//! - **The folds and the final fit run in parallel** (rayon): they are independent, and they are
//!   nearly all of the cost.
//! - **`fit` encodes the subsampled reference once**, so each window pays only for its own rows
//!   and the fits.
//! - **A side needs at least `max(min_sample_size, folds)` rows**, so every fold can hold both
//!   classes; below that the result is `insufficient_data` with AUC 0.5, never drift.

use std::collections::BTreeMap;

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;

use super::{ClassifierError, Confirmation, DriftDetector, DriftError, DriftResult, FeatureStatus};
use crate::config::{ClassifierConfig, DetectorKind};
use crate::data::DataWindow;
use crate::model::FeatureEncoder;
use crate::stats::roc_auc::roc_auc;

/// Random streams derived from the configured seed. Both sides are subsampled from the same
/// stream, so two identical sides keep the same rows.
const SAMPLE_STREAM: u64 = 1;
const FOLD_STREAM: u64 = 2;

/// L-BFGS stops when the gradient norm of the summed log-loss falls below this times the rows:
/// the coefficients are then within about 4e-4 of the optimum (the Hessian is about rows / 4 on
/// standardised columns), far finer than the AUC can resolve. linfa's default absolute 1e-4 is
/// out of reach at 40,000 rows, so the solver would spin in line searches until
/// `max_iterations`.
const GRADIENT_TOLERANCE_PER_ROW: f64 = 1e-4;

/// What `fit` keeps of the reference.
#[derive(Debug, Clone)]
struct FittedReference {
    encoder: FeatureEncoder,
    /// The encoded, subsampled reference rows.
    matrix: Array2<f64>,
    /// Reference rows before subsampling.
    rows: usize,
}

/// Multivariate drift detector: out-of-fold AUC of a reference-vs-current classifier.
#[derive(Debug, Clone)]
pub struct MLBasedDriftDetector {
    config: ClassifierConfig,
    fitted: Option<FittedReference>,
    confirmation: Confirmation,
}

/// Out-of-fold AUC and the all-rows model's importances.
struct Separation {
    auc: f64,
    importances: BTreeMap<String, f64>,
}

impl MLBasedDriftDetector {
    /// A detector with these settings; `Err` for settings out of range (as the monitor checks
    /// `[drift.classifier]`).
    pub fn new(config: ClassifierConfig) -> Result<Self, DriftError> {
        config
            .validate()
            .map_err(|e| DriftError::InvalidConfig(e.to_string()))?;
        let confirmation = Confirmation::new(config.confirmation_windows);
        Ok(MLBasedDriftDetector {
            config,
            fitted: None,
            confirmation,
        })
    }

    fn min_rows(&self) -> usize {
        self.config.min_sample_size.max(self.config.folds).max(2)
    }

    /// Sorted row indices: all rows, or `max_rows` of them drawn without replacement.
    fn sample_rows(&self, rows: usize) -> Vec<usize> {
        let keep = self.config.max_rows.max(1);
        if rows <= keep {
            return (0..rows).collect();
        }
        let mut picked = rand::seq::index::sample(
            &mut StdRng::seed_from_u64(self.config.seed ^ SAMPLE_STREAM),
            rows,
            keep,
        )
        .into_vec();
        picked.sort_unstable();
        picked
    }

    /// Fold of each row, stratified: each class's rows are put in a seeded pseudo-random order
    /// (a hash of the row's encoded values) and dealt round-robin into the folds. Ordering by
    /// content rather than by position means two sides holding the same rows deal them into the
    /// same folds, so a row is never trained on with its twin's opposite label (which would
    /// push the AUC of identical samples well below 0.5).
    fn folds(&self, x: &Array2<f64>, n_reference: usize) -> Vec<usize> {
        let k = self.config.folds.max(2);
        let seed = splitmix(self.config.seed ^ FOLD_STREAM);
        let keys: Vec<u64> = x
            .axis_iter(Axis(0))
            .map(|row| row.iter().fold(seed, |h, v| splitmix(h ^ v.to_bits())))
            .collect();
        let mut fold = vec![0; x.nrows()];
        for range in [0..n_reference, n_reference..x.nrows()] {
            let mut idx: Vec<usize> = range.collect();
            idx.sort_by_key(|&i| keys[i]);
            for (rank, i) in idx.into_iter().enumerate() {
                fold[i] = rank % k;
            }
        }
        fold
    }

    fn insufficient(&mut self, n_features: usize) -> DriftResult {
        let drift_detected = self.confirmation.observe(false);
        DriftResult {
            drift_detected,
            drift_score: 0.5,
            window_drift: false,
            n_features,
            n_drifted: 0,
            features: BTreeMap::new(),
            auc: Some(0.5),
            feature_importances: None,
            status: Some(FeatureStatus::InsufficientData),
            pca: None,
        }
    }

    fn separate(
        &self,
        fitted: &FittedReference,
        x: &Array2<f64>,
        labels: &Array1<bool>,
    ) -> Result<Separation, DriftError> {
        let k = self.config.folds.max(2);
        let n_reference = fitted.matrix.nrows();
        let fold = self.folds(x, n_reference);
        let max_iterations = self.config.max_iterations;
        // Tasks 0..k are the folds, task k the all-rows fit.
        let outcomes: Vec<Result<Fold, DriftError>> = (0..=k)
            .into_par_iter()
            .map(|f| {
                if f == k {
                    let (_, weights) = fit_logistic(x.view(), labels.view(), max_iterations)?;
                    return Ok(Fold::All { weights });
                }
                let train: Vec<usize> = (0..labels.len()).filter(|&i| fold[i] != f).collect();
                let test: Vec<usize> = (0..labels.len()).filter(|&i| fold[i] == f).collect();
                let (x_train, y_train) =
                    (x.select(Axis(0), &train), labels.select(Axis(0), &train));
                let (b, w) = fit_logistic(x_train.view(), y_train.view(), max_iterations)?;
                let scores = x.select(Axis(0), &test).dot(&w) + b;
                Ok(Fold::Held { test, scores })
            })
            .collect();
        let mut scores = vec![0.0; labels.len()];
        let mut all = None;
        for outcome in outcomes {
            match outcome? {
                Fold::Held { test, scores: s } => {
                    for (i, v) in test.into_iter().zip(s) {
                        scores[i] = v;
                    }
                }
                Fold::All { weights } => all = Some(weights),
            }
        }
        let labels: Vec<bool> = labels.to_vec();
        let auc = roc_auc(&labels, &scores).unwrap_or(0.5);
        let weights = all.ok_or(DriftError::Classifier(ClassifierError::NotRun))?;
        Ok(Separation {
            auc,
            importances: importances(&fitted.encoder, x, &weights),
        })
    }
}

enum Fold {
    Held {
        test: Vec<usize>,
        scores: Array1<f64>,
    },
    All {
        weights: Array1<f64>,
    },
}

/// Fits a logistic regression and returns (intercept, weights) oriented so that a larger linear
/// predictor means "label true".
fn fit_logistic(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, bool>,
    max_iterations: u64,
) -> Result<(f64, Array1<f64>), DriftError> {
    let tolerance = GRADIENT_TOLERANCE_PER_ROW * x.nrows().max(1) as f64;
    let dataset = DatasetBase::new(x, y);
    let fitted = LogisticRegression::default()
        .max_iterations(max_iterations)
        .gradient_tolerance(tolerance)
        .fit(&dataset)
        .map_err(|e| DriftError::Classifier(ClassifierError::Fit(e.to_string())))?;
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok((sign * fitted.intercept(), fitted.params() * sign))
}

/// |coefficient| x column std over the fitted rows, summed per feature, normalised to sum 1.
fn importances(
    encoder: &FeatureEncoder,
    x: &Array2<f64>,
    weights: &Array1<f64>,
) -> BTreeMap<String, f64> {
    let features = encoder.features();
    let mut per_feature = vec![0.0; features.len()];
    let stds = x.std_axis(Axis(0), 0.0);
    for ((f, w), sd) in encoder.column_features().into_iter().zip(weights).zip(stds) {
        let v = (w * sd).abs();
        if v.is_finite() {
            per_feature[f] += v;
        }
    }
    let total: f64 = per_feature.iter().sum();
    features
        .iter()
        .zip(per_feature)
        .map(|(f, v)| {
            let share = if total > 0.0 {
                v / total
            } else {
                1.0 / features.len() as f64
            };
            (f.name.clone(), share)
        })
        .collect()
}

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash step.
fn splitmix(z: u64) -> u64 {
    let z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl super::PreparedDetector for MLBasedDriftDetector {}

impl DriftDetector for MLBasedDriftDetector {
    fn name(&self) -> &str {
        DetectorKind::Classifier.key()
    }

    fn fit(&mut self, reference: &DataWindow) -> Result<(), DriftError> {
        let encoder = FeatureEncoder::fit(reference);
        let rows = self.sample_rows(reference.rows());
        let matrix = encoder.encode(reference, Some(&rows))?;
        self.fitted = Some(FittedReference {
            encoder,
            matrix,
            rows: reference.rows(),
        });
        self.confirmation.reset();
        Ok(())
    }

    fn detect(&mut self, current: &DataWindow) -> Result<DriftResult, DriftError> {
        let fitted = self.fitted.as_ref().ok_or(DriftError::NotFitted)?;
        fitted.encoder.check(current)?;
        let n_features = fitted.encoder.features().len();
        let min = self.min_rows();
        if n_features == 0 || fitted.rows < min || current.rows() < min {
            return Ok(self.insufficient(n_features));
        }
        let rows = self.sample_rows(current.rows());
        let n_reference = fitted.matrix.nrows();
        let mut x = Array2::zeros((n_reference + rows.len(), fitted.encoder.n_columns()));
        x.slice_mut(s![..n_reference, ..]).assign(&fitted.matrix);
        fitted
            .encoder
            .encode_into(current, Some(&rows), x.slice_mut(s![n_reference.., ..]))?;
        let labels: Array1<bool> = (0..x.nrows()).map(|i| i >= n_reference).collect();
        let separation = self.separate(fitted, &x, &labels)?;
        let window_drift = separation.auc > self.config.auc_threshold;
        let drift_detected = self.confirmation.observe(window_drift);
        Ok(DriftResult {
            drift_detected,
            drift_score: separation.auc,
            window_drift,
            n_features,
            n_drifted: 0,
            features: BTreeMap::new(),
            auc: Some(separation.auc),
            feature_importances: Some(separation.importances),
            status: Some(FeatureStatus::Ok),
            pca: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;
    use rand_distr::{Distribution, StandardNormal};

    #[test]
    fn new_rejects_settings_out_of_range_naming_the_key() {
        for (config, key) in [
            (
                ClassifierConfig {
                    auc_threshold: 2.0,
                    ..ClassifierConfig::default()
                },
                "drift.classifier.auc_threshold",
            ),
            (
                ClassifierConfig {
                    folds: 1,
                    ..ClassifierConfig::default()
                },
                "drift.classifier.folds",
            ),
        ] {
            match MLBasedDriftDetector::new(config) {
                Err(DriftError::InvalidConfig(message)) => {
                    assert!(message.contains(key), "{message}")
                }
                Err(other) => panic!("{other}"),
                Ok(_) => panic!("{key} out of range was taken"),
            }
        }
        assert!(MLBasedDriftDetector::new(ClassifierConfig::default()).is_ok());
    }

    fn normal_window(name: &str, n: usize, shift: f64, seed: u64) -> DataWindow {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut draw = |s: f64| -> Vec<f64> {
            (0..n)
                .map(|_| StandardNormal.sample(&mut rng))
                .map(|v: f64| v + s)
                .collect()
        };
        let a = draw(shift);
        let b = draw(0.0);
        let c: Vec<Option<&str>> = (0..n).map(|i| Some(["x", "y"][i % 2])).collect();
        DataWindow::new(
            name,
            vec![
                Column::numeric("a", a),
                Column::numeric("b", b),
                Column::categorical("c", &c),
            ],
            None,
            None,
        )
        .expect("window")
    }

    fn small_config() -> ClassifierConfig {
        ClassifierConfig {
            max_rows: 300,
            ..ClassifierConfig::default()
        }
    }

    #[test]
    fn stratified_folds_balance_both_classes_and_align_twins() {
        let d = MLBasedDriftDetector::new(ClassifierConfig::default()).expect("valid settings");
        let x = Array2::from_shape_fn((154, 2), |(i, j)| ((i * 7 + j * 3) % 50) as f64);
        let fold = d.folds(&x, 103);
        for f in 0..5 {
            let r = fold[..103].iter().filter(|&&x| x == f).count();
            let c = fold[103..].iter().filter(|&&x| x == f).count();
            assert!(
                (20..=21).contains(&r) && (10..=11).contains(&c),
                "fold {f}: {r} {c}"
            );
        }
    }

    #[test]
    fn shift_in_one_feature_is_found_and_ranked_first() {
        let reference = normal_window("r", 300, 0.0, 1);
        let shifted = normal_window("w", 300, 1.0, 2);
        let mut d = MLBasedDriftDetector::new(small_config()).expect("valid settings");
        let r = d.detect_pair(&reference, &shifted).expect("runs");
        let auc = r.auc.expect("auc");
        assert!(auc > 0.7 && r.drift_detected, "{r:?}");
        assert_eq!(r.drift_score, auc);
        let imp = r.feature_importances.expect("importances");
        assert!(imp["a"] > imp["b"] && imp["a"] > imp["c"], "{imp:?}");
        assert!((imp.values().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn same_distribution_is_not_drift_whichever_side_is_larger() {
        let reference = normal_window("r", 300, 0.0, 3);
        for (n, seed) in [(300, 4), (120, 5)] {
            let current = normal_window("w", n, 0.0, seed);
            let mut d = MLBasedDriftDetector::new(small_config()).expect("valid settings");
            let r = d.detect_pair(&reference, &current).expect("runs");
            assert!(!r.drift_detected, "{r:?}");
            assert!((r.auc.expect("auc") - 0.5).abs() < 0.08, "{r:?}");
        }
        // A strong shift is still found when the current side is the smaller one, i.e. when
        // linfa's "positive" class is the reference.
        let current = normal_window("w", 120, 1.5, 6);
        let r = MLBasedDriftDetector::new(small_config())
            .expect("valid settings")
            .detect_pair(&reference, &current)
            .expect("runs");
        assert!(r.auc.expect("auc") > 0.75, "{r:?}");
    }

    #[test]
    fn few_rows_are_insufficient_and_errors_are_clear() {
        let reference = normal_window("r", 300, 0.0, 7);
        let tiny = normal_window("w", 10, 5.0, 8);
        let mut d = MLBasedDriftDetector::new(small_config()).expect("valid settings");
        assert_eq!(d.detect(&tiny), Err(DriftError::NotFitted));
        let r = d.detect_pair(&reference, &tiny).expect("runs");
        assert_eq!(r.status, Some(FeatureStatus::InsufficientData));
        assert_eq!(
            (r.auc, r.drift_score, r.drift_detected),
            (Some(0.5), 0.5, false)
        );
        let no_c = DataWindow::new("w", vec![Column::numeric("a", vec![0.0; 50])], None, None)
            .expect("window");
        assert!(matches!(d.detect(&no_c), Err(DriftError::MissingFeature(f)) if f == "b"));
    }

    #[test]
    fn subsampling_is_seeded() {
        let reference = normal_window("r", 500, 0.0, 9);
        let current = normal_window("w", 500, 0.3, 10);
        let config = ClassifierConfig {
            max_rows: 200,
            ..ClassifierConfig::default()
        };
        let a = MLBasedDriftDetector::new(config.clone())
            .expect("valid settings")
            .detect_pair(&reference, &current);
        let b = MLBasedDriftDetector::new(config)
            .expect("valid settings")
            .detect_pair(&reference, &current);
        assert_eq!(a, b);
    }
}
