//! What the per-feature detectors need of a reference feature when the rows are gone: counts,
//! quantiles, the PSI bin edges and counts, or the category counts. The saved reference file
//! (`monitoring::reference_stats`) is a list of these plus the monitor's own profile; PSI and
//! chi-square refit from them bit-identically, because the edges and counts come from the
//! functions their own `fit` uses.

use serde::{Deserialize, Serialize};

use super::psi;
use crate::data::FeatureKind;
use crate::stats::sort::sorted_non_missing;

/// Probabilities of the quantiles kept for numeric features.
pub(crate) const QUANTILE_PROBABILITIES: [f64; 11] =
    [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0];

/// One quantile of a numeric feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantile {
    pub p: f64,
    pub value: f64,
}

/// A categorical feature's category and how often the reference has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub category: String,
    pub count: u64,
}

/// The distribution part of a feature's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FeatureSummary {
    Numeric {
        mean: Option<f64>,
        /// Population standard deviation.
        std: Option<f64>,
        /// At [`QUANTILE_PROBABILITIES`], linear interpolation (numpy's default); empty when the
        /// feature has no values.
        quantiles: Vec<Quantile>,
        /// Inner PSI bin edges (the outer ones are ±infinity).
        psi_edges: Vec<f64>,
        /// Reference values per PSI bin (`psi_edges.len() + 1` bins).
        psi_counts: Vec<u64>,
    },
    Categorical {
        /// Every category of the reference, in the order the reference first shows them.
        categories: Vec<CategoryCount>,
    },
}

/// Statistics of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    pub name: String,
    /// Non-missing, valid values.
    pub count: usize,
    pub missing: usize,
    pub invalid: usize,
    pub summary: FeatureSummary,
}

impl FeatureStats {
    /// The feature's kind.
    pub fn kind(&self) -> FeatureKind {
        match self.summary {
            FeatureSummary::Numeric { .. } => FeatureKind::Numeric,
            FeatureSummary::Categorical { .. } => FeatureKind::Categorical,
        }
    }
}

/// The summary of a numeric feature's values (missing ones are skipped).
pub(crate) fn numeric_summary(values: &[f64], psi_bins: usize) -> FeatureSummary {
    // The same filter and sort as the statistical detector's fit.
    let sorted = sorted_non_missing(values);
    if sorted.is_empty() {
        return FeatureSummary::Numeric {
            mean: None,
            std: None,
            quantiles: Vec::new(),
            psi_edges: Vec::new(),
            psi_counts: vec![0],
        };
    }
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let std = (sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    let psi_edges = psi::quantile_edges(&sorted, psi_bins);
    let psi_counts = psi::bin_counts_sorted(&sorted, &psi_edges);
    FeatureSummary::Numeric {
        mean: Some(mean),
        std: Some(std),
        quantiles: QUANTILE_PROBABILITIES
            .iter()
            .map(|&p| Quantile {
                p,
                value: quantile_sorted(&sorted, p),
            })
            .collect(),
        psi_edges,
        psi_counts,
    }
}

/// Linear-interpolation quantile of sorted, non-empty values.
fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let pos = (sorted.len() - 1) as f64 * p;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}
