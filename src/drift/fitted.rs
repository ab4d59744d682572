//! What the per-feature statistical detectors keep of a reference feature, and one feature's
//! test against it.
//!
//! Apart from `statistical.rs` so the detector there reads as fit, test every feature, correct,
//! decide; the per-test dispatch (which figures each test keeps, how a categorical window maps
//! onto the reference's categories) lives here.

use std::collections::HashMap;
use std::sync::Arc;

use super::continuous::{self, ContinuousTest};
use super::discrete::DiscreteValues;
use super::summary::FeatureSummary;
use super::{ks, psi, FeatureStatus, Prepared};
use crate::config::{DetectorKind, StatisticalConfig};
use crate::data::{Column, ColumnData, MISSING_CODE};
use crate::stats::chi2;

/// Statistic, raw p-value, status and paging's evidence of one feature, and for a discrete one
/// under `ks` or `ad` the rank-sum test of its values beside chi-square.
pub(super) type Tested = (
    Option<f64>,
    Option<f64>,
    FeatureStatus,
    Evidence,
    Option<Ordinal>,
);

/// A discrete feature's second test: Mann–Whitney's rank sum on its values, which are ordered.
/// Its p-value joins the correction's family beside chi-square's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Ordinal {
    pub statistic: f64,
    pub p_value: f64,
}

/// A feature that could not be tested.
fn insufficient() -> Tested {
    (
        None,
        None,
        FeatureStatus::InsufficientData,
        Evidence::default(),
        None,
    )
}

/// What paging reads of a feature (see [`FeatureDrift`](super::FeatureDrift)'s `effect` and
/// `paging_p_value`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Evidence {
    pub effect: Option<f64>,
    pub p_value: Option<f64>,
}

/// What `fit` keeps of one reference feature: each test keeps only what it reads.
#[derive(Debug, Clone)]
pub(super) enum Fitted {
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

/// What the fit keeps of feature `index` of the prepared reference.
pub(super) fn fit_column(
    test: DetectorKind,
    config: &StatisticalConfig,
    reference: &Prepared<'_>,
    column: &Column,
    index: usize,
) -> Fitted {
    match &column.data {
        ColumnData::Numeric(_) => {
            let sorted = reference.sorted_to_keep(index).unwrap_or_default();
            let n = sorted.len();
            let constant = n > 0 && sorted.first() == sorted.last();
            if test.needs_sorted() {
                let std = if test == DetectorKind::Wasserstein {
                    crate::stats::wasserstein::population_std(&sorted)
                } else {
                    0.0
                };
                let discrete = DiscreteValues::from_sorted(&sorted, config.discrete_max_values);
                return Fitted::Sorted {
                    sorted,
                    constant,
                    std,
                    discrete,
                };
            }
            let edges = psi::quantile_edges(&sorted, config.psi_bins);
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

/// Statistic, raw p-value and status of one feature; with `evidence`, paging's KS evidence of
/// a numeric one too.
pub(super) fn test_feature(
    test: DetectorKind,
    config: &StatisticalConfig,
    fitted: &Fitted,
    current: &Prepared<'_>,
    (column, index): (&Column, usize),
    evidence: bool,
) -> Tested {
    let min = config.min_sample_size;
    let status_of = |constant: bool| {
        if constant {
            FeatureStatus::Constant
        } else {
            FeatureStatus::Ok
        }
    };
    let non_missing = |values: &[f64]| values.len() - values.iter().filter(|v| v.is_nan()).count();
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
                return insufficient();
            }
            let cur = current.sorted(index).unwrap_or_default();
            let status = status_of(*constant);
            if let Some(values) = discrete {
                return match values.test_with_effect(cur) {
                    Some((o, effect)) => (
                        Some(o.statistic),
                        Some(o.p_value),
                        status,
                        Evidence {
                            effect: Some(effect),
                            p_value: Some(o.p_value),
                        },
                        ordinal(test, values, cur),
                    ),
                    None => insufficient(),
                };
            }
            // The KS statistic, when the test's own merge gave it: paging's evidence needs
            // no merge of its own then.
            let (outcome, ks_statistic) = match ContinuousTest::of(test) {
                Some(test) => continuous::run_with_ks(test, sorted, *std, cur),
                None => match ks::ks_2samp_sorted_with_statistic(sorted, cur) {
                    Some((o, d)) => (Some((o.statistic, Some(o.p_value))), Some(d)),
                    None => (None, None),
                },
            };
            let evidence = if evidence {
                let ks = match ks_statistic {
                    Some(d) => Some(ks::ks_asymptotic(sorted.len(), cur.len(), d)),
                    None => ks::ks_asymptotic_sorted(sorted, cur),
                };
                ks.map_or_else(Evidence::default, |(d, p)| Evidence {
                    effect: Some(d),
                    p_value: Some(p),
                })
            } else {
                Evidence::default()
            };
            match outcome {
                Some((s, p)) => (Some(s), p, status, evidence, None),
                None => insufficient(),
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
                return insufficient();
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
                Evidence::default(),
                None,
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
                return insufficient();
            }
            // Chi-square, or else PSI: the only per-feature tests of a categorical feature.
            if test == DetectorKind::Chi2 {
                {
                    let mut r = counts.clone();
                    let mut c = cur_counts;
                    r.extend(std::iter::repeat_n(0, unseen.len()));
                    c.extend(unseen);
                    let effect = chi2::total_variation(&r, &c);
                    match chi2::chi2_homogeneity(&r, &c) {
                        Some(o) => (
                            Some(o.statistic),
                            Some(o.p_value),
                            status,
                            Evidence {
                                effect,
                                p_value: Some(o.p_value),
                            },
                            None,
                        ),
                        None => insufficient(),
                    }
                }
            } else {
                {
                    let mut r = counts.clone();
                    r.push(0);
                    let mut c = cur_counts;
                    c.push(unseen.iter().sum());
                    let evidence = Evidence {
                        effect: chi2::total_variation(&r, &c),
                        p_value: None,
                    };
                    (psi::psi_from_counts(&r, &c), None, status, evidence, None)
                }
            }
        }
        _ => insufficient(),
    }
}

/// The rank-sum test of a discrete feature's values, run beside chi-square under `ks` and `ad`
/// (the detectors that read the values' order): valid with ties, and it sees a shift toward one
/// end of the values that chi-square spreads over every value's cell. KS on the values is too
/// conservative with ties to help, AD's p-value runs well above nominal there
/// (`docs/detectors.md`). `cvm` and `wasserstein` keep chi-square alone.
fn ordinal(test: DetectorKind, values: &DiscreteValues, current: &[f64]) -> Option<Ordinal> {
    if test != DetectorKind::Ks && test != DetectorKind::Ad {
        return None;
    }
    values
        .rank_sum(current)
        .map(|(statistic, p_value)| Ordinal { statistic, p_value })
}

pub(super) fn fitted_from_stats(summary: &FeatureSummary) -> Fitted {
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
