//! Per-feature statistical drift: KS and PSI for numeric features, chi-square and PSI for
//! categorical ones.
//!
//! One detector runs one test, so the configuration's detector list maps one-to-one onto
//! result entries. Features are tested in parallel (rayon); `fit` keeps only what each test needs
//! of the reference (sorted values for KS, edges and counts for PSI, counts for chi-square; see
//! `fitted.rs`). A numeric feature with few distinct values is tested by chi-square on its
//! values, and under `ks` and `ad` by the rank-sum test of its values too: two p-values in the
//! family, one verdict, the entry showing the test that decided (`discrete.rs` says why).
//!
//! The monitor corrects p-values across every detector of a window at once
//! (`correction_scope = "window"`): it asks each detector for its raw p-values
//! ([`PreparedDetector::stage`]), adjusts them together, and hands each its share back
//! ([`PreparedDetector::finish_staged`]). Run alone (`detect`), a detector corrects across its
//! own features.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::decision::{self, feature_drifted};
use super::discrete::FeatureTest;
use super::fitted::{fit_column, fitted_from_stats, test_feature, Fitted, Tested};
use super::summary::FeatureStats;
use super::{
    ColumnUse, Confirmation, DriftDetector, DriftError, DriftResult, FeatureDrift, FeatureStatus,
    Prepared, PreparedDetector,
};
use crate::config::{Correction, DetectorKind, StatisticalConfig};
use crate::data::{Column, DataWindow, FeatureKind};
use crate::stats::correction::adjust;

/// Statistical drift detector for one test.
#[derive(Debug, Clone)]
pub struct StatisticalDriftDetector {
    test: DetectorKind,
    config: StatisticalConfig,
    fitted: Option<Vec<(String, Fitted)>>,
    confirmation: Confirmation,
    /// A window's tested features between [`PreparedDetector::stage`] and
    /// [`PreparedDetector::finish_staged`].
    staged: Option<Vec<Tested>>,
    /// Whether it computes paging's KS evidence of numeric features (`effect`,
    /// `paging_p_value`): the same for every detector of a window, so one does it.
    paging_evidence: bool,
}

impl StatisticalDriftDetector {
    /// A detector for the per-feature test `test` with these settings; `Err` for a detector
    /// that is not per-feature (classifier, pca) or settings out of range.
    pub fn new(test: DetectorKind, config: StatisticalConfig) -> Result<Self, DriftError> {
        if !test.per_feature() {
            return Err(DriftError::InvalidConfig(format!(
                "{test} is not a per-feature test"
            )));
        }
        config
            .validate()
            .map_err(|e| DriftError::InvalidConfig(e.to_string()))?;
        let confirmation = Confirmation::new(config.confirmation_windows);
        Ok(StatisticalDriftDetector {
            test,
            config,
            fitted: None,
            confirmation,
            staged: None,
            paging_evidence: true,
        })
    }

    /// Leaves paging's KS evidence of numeric features to another detector of the monitor
    /// (categorical and discrete features' evidence is the chi-square every detector runs).
    pub(crate) fn without_paging_evidence(mut self) -> Self {
        self.paging_evidence = false;
        self
    }

    /// Fits from saved per-feature summaries instead of the rows (PSI and chi-square; KS needs
    /// the rows): `rows` and `psi_bins` are the reference's row count and the bins the PSI
    /// edges were computed with. Results are identical to fitting on the window the summaries
    /// came from.
    pub(crate) fn fit_summary(
        &mut self,
        rows: usize,
        psi_bins: usize,
        features: &[FeatureStats],
    ) -> Result<(), DriftError> {
        if self.test.needs_sorted() {
            return Err(DriftError::NeedsRawReference(self.test.key().to_string()));
        }
        if rows == 0 {
            return Err(DriftError::EmptyReference);
        }
        if self.test == DetectorKind::Psi && psi_bins != self.config.psi_bins {
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
}

fn kind_name(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

impl DriftDetector for StatisticalDriftDetector {
    fn name(&self) -> &str {
        self.test.key()
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
        // KS, AD, CvM and Wasserstein merge sorted columns; PSI fits its edges on the sorted
        // reference but counts a window either way; chi-square reads only categorical codes.
        if self.test.needs_sorted() {
            ColumnUse::Sorted
        } else {
            ColumnUse::Unordered
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
            .map(|&(i, c)| {
                let fitted = fit_column(self.test, &self.config, reference, c, i);
                (c.name.clone(), fitted)
            })
            .collect();
        self.fitted = Some(fitted);
        self.confirmation.reset();
        Ok(())
    }

    fn detect_prepared(&mut self, current: &Prepared<'_>) -> Result<DriftResult, DriftError> {
        let tested = self.test_all(current)?;
        let adjusted = adjust(&family(&tested), self.config.correction);
        self.decide(tested, adjusted)
    }

    fn stage(&mut self, current: &Prepared<'_>) -> Result<Option<Vec<Option<f64>>>, DriftError> {
        // PSI has no p-value: it decides by its threshold alone.
        if self.test == DetectorKind::Psi {
            return Ok(None);
        }
        let tested = self.test_all(current)?;
        let p_values = family(&tested);
        self.staged = Some(tested);
        Ok(Some(p_values))
    }

    fn finish_staged(
        &mut self,
        adjusted: &[Option<f64>],
        _tests: usize,
    ) -> Result<DriftResult, DriftError> {
        let tested = self.staged.take().ok_or(DriftError::NotFitted)?;
        self.decide(tested, adjusted.to_vec())
    }
}

impl StatisticalDriftDetector {
    /// Every fitted feature's statistic, raw p-value and status in the window, in fit order.
    fn test_all(&self, current: &Prepared<'_>) -> Result<Vec<Tested>, DriftError> {
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
        Ok(fitted
            .par_iter()
            .zip(columns.par_iter())
            .map(|((_, f), &(index, c))| {
                test_feature(
                    self.test,
                    &self.config,
                    f,
                    current,
                    (c, index),
                    self.paging_evidence,
                )
            })
            .collect())
    }

    /// The result from the tested features and their corrected p-values (in [`family`]'s
    /// order: each feature's, then its ordinal test's when it has one).
    fn decide(
        &mut self,
        tested: Vec<Tested>,
        adjusted: Vec<Option<f64>>,
    ) -> Result<DriftResult, DriftError> {
        let fitted = self.fitted.as_ref().ok_or(DriftError::NotFitted)?;
        let mut features = BTreeMap::new();
        let mut n_drifted = 0;
        let mut adjusted = adjusted.into_iter();
        for ((name, fit), (statistic, p_value, status, evidence, ordinal)) in
            fitted.iter().zip(tested)
        {
            let p_adj = adjusted.next().flatten();
            let ordinal = ordinal.map(|o| (o, adjusted.next().flatten()));
            let discrete = matches!(
                fit,
                Fitted::Sorted {
                    discrete: Some(_),
                    ..
                }
            ) && status != FeatureStatus::InsufficientData;
            let c = &self.config;
            let drifted = feature_drifted(
                self.test,
                &decision::Tested {
                    statistic,
                    p_adjusted: p_adj,
                    status,
                    discrete,
                },
                c,
            );
            // A discrete feature's ordinal test decides when it says drift and chi-square does
            // not, or, both saying the same, when its corrected p-value is smaller; the result
            // then shows its figures and names it.
            let mut test = discrete.then_some(FeatureTest::Chi2);
            let (mut statistic, mut p_value, mut p_adj, mut drifted) =
                (statistic, p_value, p_adj, drifted);
            if let Some((o, Some(o_adj))) = ordinal.filter(|_| discrete) {
                let o_drifted = o_adj < c.alpha;
                let chi2_p = p_adj.unwrap_or(f64::INFINITY);
                if (o_drifted, -o_adj) > (drifted, -chi2_p) {
                    test = Some(FeatureTest::RankSum);
                    (statistic, p_value, p_adj) = (Some(o.statistic), Some(o.p_value), Some(o_adj));
                }
                drifted |= o_drifted;
            }
            n_drifted += usize::from(drifted);
            let adjusted_shown = match c.correction {
                Correction::None => None,
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
                    test,
                    statistic_error_bound: None,
                    p_value_approximate: None,
                    effect: evidence.effect,
                    paging_p_value: evidence.p_value,
                },
            );
        }
        let confirmation = &mut self.confirmation;
        Ok(DriftResult::per_feature(
            features,
            n_drifted,
            self.config.min_drifted_features,
            |window_drift| confirmation.observe(window_drift),
        ))
    }
}

/// The raw p-values a window's correction counts, in order: each feature's, then its ordinal
/// test's when it has one (a discrete feature under `ks` or `ad`).
fn family(tested: &[Tested]) -> Vec<Option<f64>> {
    tested
        .iter()
        .flat_map(|t| std::iter::once(t.1).chain(t.4.map(|o| Some(o.p_value))))
        .collect()
}

#[cfg(test)]
#[path = "statistical_tests.rs"]
mod tests;
