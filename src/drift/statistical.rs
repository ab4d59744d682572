//! Per-feature statistical drift: KS and PSI for numeric features, chi-square and PSI for
//! categorical ones.
//!
//! One detector runs one test, so the configuration's detector list maps one-to-one onto
//! result entries. Features are tested in parallel (rayon); `fit` keeps only what each test needs
//! of the reference (sorted values for KS, edges and counts for PSI, counts for chi-square).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use super::continuous::{self, ContinuousTest};
use super::correction::adjust;
use super::discrete::{self, DiscreteValues};
use super::summary::{FeatureStats, FeatureSummary};
use super::{chi2, ks, psi};
use super::{
    ColumnUse, Confirmation, DriftDetector, DriftError, DriftResult, FeatureDrift, FeatureStatus,
    Prepared, PreparedDetector,
};
use crate::config::{DetectorKind, StatisticalConfig};
use crate::data::{Column, ColumnData, DataWindow, FeatureKind, MISSING_CODE};

/// Which test a [`StatisticalDriftDetector`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatTest {
    /// Two-sample Kolmogorov–Smirnov, numeric features.
    Ks,
    /// Population stability index, numeric and categorical features.
    Psi,
    /// Chi-square homogeneity, categorical features.
    Chi2,
    /// k-sample Anderson–Darling (midrank), numeric features.
    Ad,
    /// Two-sample Cramér–von Mises, numeric features.
    Cvm,
    /// Wasserstein distance over the reference's std (an effect size), numeric features.
    Wasserstein,
}

impl StatTest {
    /// The detector it is.
    pub fn kind(self) -> DetectorKind {
        match self {
            StatTest::Ks => DetectorKind::Ks,
            StatTest::Psi => DetectorKind::Psi,
            StatTest::Chi2 => DetectorKind::Chi2,
            StatTest::Ad => DetectorKind::Ad,
            StatTest::Cvm => DetectorKind::Cvm,
            StatTest::Wasserstein => DetectorKind::Wasserstein,
        }
    }

    /// Result key.
    pub fn name(self) -> &'static str {
        self.kind().key()
    }

    /// The continuous test beyond KS it runs on a numeric feature's sorted values, if any.
    fn continuous(self) -> Option<ContinuousTest> {
        match self {
            StatTest::Ad => Some(ContinuousTest::Ad),
            StatTest::Cvm => Some(ContinuousTest::Cvm),
            StatTest::Wasserstein => Some(ContinuousTest::Wasserstein),
            _ => None,
        }
    }

    /// Keeps the reference's sorted values at fit (it merges against them).
    fn needs_sorted(self) -> bool {
        self == StatTest::Ks || self.continuous().is_some()
    }

    fn covers(self, kind: FeatureKind) -> bool {
        match self {
            StatTest::Ks | StatTest::Ad | StatTest::Cvm | StatTest::Wasserstein => {
                kind == FeatureKind::Numeric
            }
            StatTest::Chi2 => kind == FeatureKind::Categorical,
            StatTest::Psi => true,
        }
    }
}

/// What `fit` keeps of one reference feature: each test keeps only what it reads.
#[derive(Debug, Clone)]
enum Fitted {
    /// KS, AD, CvM or Wasserstein on a numeric feature.
    Sorted {
        /// Sorted non-missing values, shared with the [`Prepared`] reference that made them.
        sorted: Arc<Vec<f64>>,
        constant: bool,
        /// Population std of the reference (`wasserstein` only; 0 otherwise).
        std: f64,
        /// Set when the test gives way to chi-square on few distinct values.
        discrete: Option<DiscreteValues>,
    },
    /// PSI on a numeric feature.
    Binned {
        /// Inner edges (the outer ones are ±infinity) and the reference's count per bin.
        edges: Vec<f64>,
        counts: Vec<u64>,
        n: usize,
        constant: bool,
    },
    /// PSI or chi-square on a categorical feature.
    Categorical {
        index: HashMap<String, usize>,
        counts: Vec<u64>,
        n: usize,
        constant: bool,
    },
}

/// Statistical drift detector for one test.
#[derive(Debug, Clone)]
pub struct StatisticalDriftDetector {
    test: StatTest,
    config: StatisticalConfig,
    fitted: Option<Vec<(String, Fitted)>>,
    confirmation: Confirmation,
}

impl StatisticalDriftDetector {
    /// A detector for `test` with these settings.
    pub fn new(test: StatTest, config: StatisticalConfig) -> Self {
        let confirmation = Confirmation::new(config.confirmation_windows);
        StatisticalDriftDetector {
            test,
            config,
            fitted: None,
            confirmation,
        }
    }

    /// The test it runs.
    pub fn test(&self) -> StatTest {
        self.test
    }

    /// Fits from saved per-feature summaries instead of the rows (PSI and chi-square; KS needs
    /// the rows): `rows` and `psi_bins` are the reference's row count and the bins the PSI
    /// edges were computed with. Results are identical to fitting on the window the summaries
    /// came from.
    pub fn fit_summary(
        &mut self,
        rows: usize,
        psi_bins: usize,
        features: &[FeatureStats],
    ) -> Result<(), DriftError> {
        if self.test.needs_sorted() {
            return Err(DriftError::NeedsRawReference(self.test.name().to_string()));
        }
        if rows == 0 {
            return Err(DriftError::EmptyReference);
        }
        if self.test == StatTest::Psi && psi_bins != self.config.psi_bins {
            return Err(DriftError::ReferenceStats(format!(
                "computed with psi_bins = {}, but the configuration asks for {}; write them again with this configuration",
                psi_bins, self.config.psi_bins
            )));
        }
        let fitted = features
            .iter()
            .filter(|f| self.test.covers(f.kind()))
            .map(|f| (f.name.clone(), fitted_from_stats(&f.summary)))
            .collect();
        self.fitted = Some(fitted);
        self.confirmation.reset();
        Ok(())
    }

    /// What the fit keeps of feature `index` of the prepared reference.
    fn fit_column(&self, reference: &Prepared<'_>, column: &Column, index: usize) -> Fitted {
        match &column.data {
            ColumnData::Numeric(_) => {
                let sorted = reference.sorted_to_keep(index).unwrap_or_default();
                let n = sorted.len();
                let constant = n > 0 && sorted.first() == sorted.last();
                if self.test.needs_sorted() {
                    let std = if self.test == StatTest::Wasserstein {
                        crate::stats::wasserstein::population_std(&sorted)
                    } else {
                        0.0
                    };
                    let discrete =
                        DiscreteValues::from_sorted(&sorted, self.config.discrete_max_values);
                    return Fitted::Sorted {
                        sorted,
                        constant,
                        std,
                        discrete,
                    };
                }
                let edges = psi::quantile_edges(&sorted, self.config.psi_bins);
                let counts = psi::bin_counts_sorted(&sorted, &edges);
                Fitted::Binned {
                    edges,
                    counts,
                    n,
                    constant,
                }
            }
            ColumnData::Categorical { dictionary, .. } => fitted_categorical(
                dictionary.iter().cloned(),
                column.category_counts().unwrap_or_default(),
            ),
        }
    }

    /// Statistic, raw p-value and status of one feature.
    fn test_feature(
        &self,
        fitted: &Fitted,
        current: &Prepared<'_>,
        column: &Column,
        index: usize,
    ) -> (Option<f64>, Option<f64>, FeatureStatus) {
        let min = self.config.min_sample_size;
        let status_of = |constant: bool| {
            if constant {
                FeatureStatus::Constant
            } else {
                FeatureStatus::Ok
            }
        };
        let non_missing =
            |values: &[f64]| values.len() - values.iter().filter(|v| v.is_nan()).count();
        match (fitted, &column.data) {
            (
                Fitted::Sorted {
                    sorted,
                    constant,
                    std,
                    discrete,
                },
                ColumnData::Numeric(values),
            ) => {
                if sorted.len() < min || non_missing(values) < min {
                    return (None, None, FeatureStatus::InsufficientData);
                }
                let cur = current.sorted(index).unwrap_or_default();
                let status = status_of(*constant);
                if let Some(values) = discrete {
                    return match values.test(cur) {
                        Some(o) => (Some(o.statistic), Some(o.p_value), status),
                        None => (None, None, FeatureStatus::InsufficientData),
                    };
                }
                let outcome = match self.test.continuous() {
                    Some(test) => continuous::run(test, sorted, *std, cur),
                    None => {
                        ks::ks_2samp_sorted(sorted, cur).map(|o| (o.statistic, Some(o.p_value)))
                    }
                };
                match outcome {
                    Some((s, p)) => (Some(s), p, status),
                    None => (None, None, FeatureStatus::InsufficientData),
                }
            }
            (
                Fitted::Binned {
                    edges,
                    counts,
                    n,
                    constant,
                },
                ColumnData::Numeric(values),
            ) => {
                if *n < min || non_missing(values) < min {
                    return (None, None, FeatureStatus::InsufficientData);
                }
                // KS, when it ran first, has sorted the window: counting is then a search per
                // edge instead of one per value.
                let cur_counts = match current.sorted_if_ready(index) {
                    Some(sorted) => psi::bin_counts_sorted(sorted, edges),
                    None => psi::bin_counts(values, edges),
                };
                (
                    psi::psi_from_counts(counts, &cur_counts),
                    None,
                    status_of(*constant),
                )
            }
            (
                Fitted::Categorical {
                    index,
                    counts,
                    n,
                    constant,
                },
                ColumnData::Categorical { codes, dictionary },
            ) => {
                let status = status_of(*constant);
                // Map the window's dictionary onto the reference's categories.
                let mut cur_local = vec![0u64; dictionary.len()];
                for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                    if let Some(slot) = cur_local.get_mut(c as usize) {
                        *slot += 1;
                    }
                }
                let mut cur_counts = vec![0u64; counts.len()];
                let mut unseen: Vec<u64> = Vec::new();
                for (entry, &count) in dictionary.iter().zip(&cur_local) {
                    match index.get(entry) {
                        Some(&i) => cur_counts[i] += count,
                        None if count > 0 => unseen.push(count),
                        None => {}
                    }
                }
                let cur_n = cur_local.iter().sum::<u64>() as usize;
                if *n < min || cur_n < min {
                    return (None, None, FeatureStatus::InsufficientData);
                }
                match self.test {
                    StatTest::Chi2 => {
                        let mut r = counts.clone();
                        let mut c = cur_counts;
                        r.extend(std::iter::repeat_n(0, unseen.len()));
                        c.extend(unseen);
                        match chi2::chi2_homogeneity(&r, &c) {
                            Some(o) => (Some(o.statistic), Some(o.p_value), status),
                            None => (None, None, FeatureStatus::InsufficientData),
                        }
                    }
                    _ => {
                        let mut r = counts.clone();
                        r.push(0);
                        let mut c = cur_counts;
                        c.push(unseen.iter().sum());
                        (psi::psi_from_counts(&r, &c), None, status)
                    }
                }
            }
            _ => (None, None, FeatureStatus::InsufficientData),
        }
    }
}

fn fitted_from_stats(summary: &FeatureSummary) -> Fitted {
    match summary {
        FeatureSummary::Numeric {
            quantiles,
            psi_edges,
            psi_counts,
            ..
        } => {
            let n = psi_counts.iter().sum::<u64>() as usize;
            let constant =
                n > 0 && quantiles.first().map(|q| q.value) == quantiles.last().map(|q| q.value);
            Fitted::Binned {
                edges: psi_edges.clone(),
                counts: psi_counts.clone(),
                n,
                constant,
            }
        }
        FeatureSummary::Categorical { categories } => fitted_categorical(
            categories.iter().map(|c| c.category.clone()),
            categories.iter().map(|c| c.count).collect(),
        ),
    }
}

/// A categorical feature's fit from its categories and their counts (same order).
fn fitted_categorical(categories: impl Iterator<Item = String>, counts: Vec<u64>) -> Fitted {
    let index = categories.enumerate().map(|(i, d)| (d, i)).collect();
    let n = counts.iter().sum::<u64>() as usize;
    let constant = counts.iter().filter(|&&c| c > 0).count() == 1;
    Fitted::Categorical {
        index,
        counts,
        n,
        constant,
    }
}

fn kind_name(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

impl DriftDetector for StatisticalDriftDetector {
    fn name(&self) -> &str {
        self.test.name()
    }

    fn fit(&mut self, reference: &DataWindow) -> Result<(), DriftError> {
        self.fit_prepared(&Prepared::new(reference))
    }

    fn detect(&mut self, current: &DataWindow) -> Result<DriftResult, DriftError> {
        self.detect_prepared(&Prepared::new(current))
    }
}

impl PreparedDetector for StatisticalDriftDetector {
    fn column_use(&self) -> ColumnUse {
        match self.test {
            // KS merges sorted columns; PSI fits its edges on the sorted reference but counts
            // a window either way; chi-square reads only categorical codes.
            StatTest::Ks | StatTest::Ad | StatTest::Cvm | StatTest::Wasserstein => {
                ColumnUse::Sorted
            }
            StatTest::Psi | StatTest::Chi2 => ColumnUse::Unordered,
        }
    }

    fn fit_prepared(&mut self, reference: &Prepared<'_>) -> Result<(), DriftError> {
        let window = reference.window();
        if window.rows() == 0 {
            return Err(DriftError::EmptyReference);
        }
        let covered: Vec<(usize, &Column)> = window
            .features()
            .iter()
            .enumerate()
            .filter(|(_, c)| self.test.covers(c.kind()))
            .collect();
        let fitted = covered
            .par_iter()
            .map(|&(i, c)| (c.name.clone(), self.fit_column(reference, c, i)))
            .collect();
        self.fitted = Some(fitted);
        self.confirmation.reset();
        Ok(())
    }

    fn detect_prepared(&mut self, current: &Prepared<'_>) -> Result<DriftResult, DriftError> {
        let fitted = self.fitted.as_ref().ok_or(DriftError::NotFitted)?;
        let mut columns = Vec::with_capacity(fitted.len());
        for (name, f) in fitted {
            let index = current
                .feature_index(name)
                .ok_or_else(|| DriftError::MissingFeature(name.clone()))?;
            let column = &current.window().features()[index];
            let expected = match f {
                Fitted::Sorted { .. } | Fitted::Binned { .. } => FeatureKind::Numeric,
                Fitted::Categorical { .. } => FeatureKind::Categorical,
            };
            if column.kind() != expected {
                return Err(DriftError::KindMismatch {
                    feature: name.clone(),
                    expected: kind_name(expected),
                    found: kind_name(column.kind()),
                });
            }
            columns.push((index, column));
        }
        let tested: Vec<(Option<f64>, Option<f64>, FeatureStatus)> = fitted
            .par_iter()
            .zip(columns.par_iter())
            .map(|((_, f), &(index, c))| self.test_feature(f, current, c, index))
            .collect();
        let p_values: Vec<Option<f64>> = tested.iter().map(|t| t.1).collect();
        let adjusted = adjust(&p_values, self.config.correction);
        let mut features = BTreeMap::new();
        let mut n_drifted = 0;
        for (((name, fit), (statistic, p_value, status)), p_adj) in
            fitted.iter().zip(tested).zip(adjusted)
        {
            let discrete = matches!(
                fit,
                Fitted::Sorted {
                    discrete: Some(_),
                    ..
                }
            ) && status != FeatureStatus::InsufficientData;
            let drifted = match (self.test, statistic, p_adj) {
                (_, _, _) if status == FeatureStatus::InsufficientData => false,
                (_, Some(_), Some(p)) if discrete => p < self.config.alpha,
                (StatTest::Psi, Some(s), _) => s > self.config.psi_threshold,
                (StatTest::Ks, Some(d), Some(p)) => {
                    p < self.config.alpha && d >= self.config.min_statistic
                }
                (StatTest::Chi2 | StatTest::Ad | StatTest::Cvm, Some(_), Some(p)) => {
                    p < self.config.alpha
                }
                (StatTest::Wasserstein, Some(s), _) => s > self.config.wasserstein_threshold,
                _ => false,
            };
            n_drifted += usize::from(drifted);
            let adjusted_shown = match self.config.correction {
                crate::config::Correction::None => None,
                _ => p_adj,
            };
            features.insert(
                name.clone(),
                FeatureDrift {
                    statistic,
                    p_value,
                    p_value_adjusted: adjusted_shown,
                    drifted,
                    status,
                    test: discrete.then(|| discrete::TEST_NAME.to_string()),
                },
            );
        }
        let n_features = features.len();
        let window_drift = n_features > 0 && n_drifted >= self.config.min_drifted_features;
        let drift_detected = self.confirmation.observe(window_drift);
        Ok(DriftResult {
            drift_detected,
            drift_score: if n_features == 0 {
                0.0
            } else {
                n_drifted as f64 / n_features as f64
            },
            window_drift,
            n_features,
            n_drifted,
            features,
            auc: None,
            feature_importances: None,
            status: None,
            pca: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Correction;

    fn window(name: &str, num: Vec<f64>, cat: &[Option<&str>]) -> DataWindow {
        DataWindow::new(
            name,
            vec![Column::numeric("x", num), Column::categorical("c", cat)],
            None,
            None,
        )
        .expect("equal lengths")
    }

    fn cats(n: usize, pool: &[&'static str]) -> Vec<Option<&'static str>> {
        (0..n).map(|i| Some(pool[i % pool.len()])).collect()
    }

    #[test]
    fn ks_detects_a_shift_and_not_identity() {
        let reference = window(
            "r",
            (0..200).map(f64::from).collect(),
            &cats(200, &["a", "b"]),
        );
        let same = reference.clone();
        let shifted = window(
            "s",
            (0..200).map(|i| f64::from(i) + 80.0).collect(),
            &cats(200, &["a", "b"]),
        );
        let mut d = StatisticalDriftDetector::new(StatTest::Ks, StatisticalConfig::default());
        d.fit(&reference).expect("fit");
        let r = d.detect(&same).expect("detect");
        assert!(!r.drift_detected);
        assert_eq!(r.features["x"].statistic, Some(0.0));
        assert_eq!(r.n_features, 1, "KS covers numeric features only");
        let r = d.detect(&shifted).expect("detect");
        assert!(r.drift_detected);
        assert_eq!(r.features["x"].statistic, Some(0.4));
        assert_eq!(r.drift_score, 1.0);
    }

    #[test]
    fn chi2_and_psi_see_a_new_category() {
        let reference = window("r", vec![1.0; 300], &cats(300, &["a", "b", "c"]));
        let current = window("w", vec![1.0; 300], &cats(300, &["a", "b", "c", "NEW"]));
        let mut chi = StatisticalDriftDetector::new(StatTest::Chi2, StatisticalConfig::default());
        let r = chi.detect_pair(&reference, &current).expect("chi2");
        assert!(r.features["c"].drifted, "{r:?}");
        let mut p = StatisticalDriftDetector::new(StatTest::Psi, StatisticalConfig::default());
        let r = p.detect_pair(&reference, &current).expect("psi");
        let psi_c = r.features["c"].statistic.expect("psi");
        // 3 categories 1/3 each vs 1/4 each + unseen bin 1/4 (reference floored at 1e-4).
        let want = 3.0 * (0.25 - 1.0 / 3.0) * (0.25f64 / (1.0 / 3.0)).ln()
            + (0.25 - 1e-4) * (0.25f64 / 1e-4).ln();
        assert!((psi_c - want).abs() < 1e-12, "{psi_c} vs {want}");
        assert_eq!(r.features["x"].status, FeatureStatus::Constant);
        assert_eq!(r.features["x"].statistic, Some(0.0));
    }

    #[test]
    fn small_samples_are_insufficient_and_never_drift() {
        let reference = window("r", (0..10).map(f64::from).collect(), &cats(10, &["a"]));
        let current = window("w", (100..110).map(f64::from).collect(), &cats(10, &["b"]));
        for test in [StatTest::Ks, StatTest::Psi, StatTest::Chi2] {
            let mut d = StatisticalDriftDetector::new(test, StatisticalConfig::default());
            let r = d.detect_pair(&reference, &current).expect("runs");
            assert!(!r.drift_detected);
            assert!(r
                .features
                .values()
                .all(|f| f.status == FeatureStatus::InsufficientData));
        }
    }

    #[test]
    fn guards_min_drifted_features_and_confirmation() {
        let reference = window("r", (0..100).map(f64::from).collect(), &cats(100, &["a"]));
        let shifted = window(
            "s",
            (0..100).map(|i| f64::from(i) + 60.0).collect(),
            &cats(100, &["a"]),
        );
        let config = StatisticalConfig {
            confirmation_windows: 2,
            correction: Correction::None,
            ..StatisticalConfig::default()
        };
        let mut d = StatisticalDriftDetector::new(StatTest::Ks, config.clone());
        d.fit(&reference).expect("fit");
        let first = d.detect(&shifted).expect("1");
        assert!(first.window_drift && !first.drift_detected);
        assert!(d.detect(&shifted).expect("2").drift_detected);
        let strict = StatisticalConfig {
            min_drifted_features: 2,
            ..config
        };
        let mut d = StatisticalDriftDetector::new(StatTest::Ks, strict);
        let r = d.detect_pair(&reference, &shifted).expect("runs");
        assert_eq!(r.n_drifted, 1);
        assert!(!r.window_drift);
    }

    #[test]
    fn detect_before_fit_is_an_error() {
        let mut d = StatisticalDriftDetector::new(StatTest::Ks, StatisticalConfig::default());
        let w = window("w", vec![1.0], &[Some("a")]);
        assert_eq!(d.detect(&w), Err(DriftError::NotFitted));
    }
}
