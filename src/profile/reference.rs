//! What the profile path keeps of the reference: each feature's grid and its reference cells,
//! the PSI edges and counts, the categories, the prediction's grid, the centres the SQL
//! subtracts before summing squares, the quality profile, and the fingerprint of it all.
//!
//! The PSI edges and counts and the category counts come from the same functions the
//! detectors' own fit uses, so the profile's PSI and chi-square equal the raw path's.

use rayon::prelude::*;

use super::grid::{cell_summaries, numeric_grid, Fingerprint};
use crate::config::{MonitorConfig, Task};
use crate::data::{ColumnData, DataWindow};
use crate::drift::psi;
use crate::drift::summary::FeatureSummary;
use crate::monitoring::quality::{self, ReferenceProfile};
use crate::monitoring::reference_stats::ReferenceStats;
use crate::stats::binned::CellSummary;
use crate::stats::sort::sorted_non_missing;

/// Version of the profile's row format, written in its `meta` row.
pub(crate) const FORMAT_VERSION: i64 = 1;

/// One reference feature.
#[derive(Debug, Clone)]
pub enum ReferenceFeature {
    Numeric {
        name: String,
        grid: Vec<f64>,
        cells: Vec<CellSummary>,
        psi_edges: Vec<f64>,
        psi_counts: Vec<u64>,
        /// Non-missing values.
        n: usize,
        constant: bool,
        /// Population std (the Wasserstein distance is reported over it).
        std: f64,
    },
    Categorical {
        name: String,
        /// In the order the reference first shows them (the detectors' order).
        categories: Vec<String>,
        counts: Vec<u64>,
        n: usize,
        constant: bool,
    },
}

impl ReferenceFeature {
    pub fn name(&self) -> &str {
        match self {
            ReferenceFeature::Numeric { name, .. } | ReferenceFeature::Categorical { name, .. } => {
                name
            }
        }
    }
}

/// The reference side of profile windows.
#[derive(Debug, Clone)]
pub struct ProfileReference {
    pub task: Task,
    pub features: Vec<ReferenceFeature>,
    /// The prediction column's name and grid, when the reference has predictions.
    pub prediction: Option<(String, Vec<f64>)>,
    /// Subtracted from predictions before their sums (the reference's prediction mean).
    pub prediction_center: f64,
    /// The target column's name, when the reference has one.
    pub target: Option<String>,
    /// Subtracted from targets before their sums (the reference's target mean).
    pub target_center: f64,
    pub quality: ReferenceProfile,
    pub grid_bins: usize,
    pub fingerprint: String,
}

impl ProfileReference {
    /// From the reference rows, with the configuration's PSI bins and `[profile] grid_bins`.
    pub fn from_window(reference: &DataWindow, config: &MonitorConfig) -> Self {
        let grid_bins = config.profile.grid_bins;
        let psi_bins = config.drift.statistical.psi_bins;
        // One sort per feature, features on every core: this runs before the monitor's fit.
        let features = reference
            .features()
            .par_iter()
            .map(|c| match &c.data {
                ColumnData::Numeric(values) => {
                    let sorted = sorted_non_missing(values);
                    let psi_edges = psi::quantile_edges(&sorted, psi_bins);
                    let psi_counts = psi::bin_counts_sorted(&sorted, &psi_edges);
                    let grid = numeric_grid(&sorted, grid_bins, &psi_edges);
                    ReferenceFeature::Numeric {
                        name: c.name.clone(),
                        cells: cell_summaries(&sorted, &grid),
                        grid,
                        psi_edges,
                        psi_counts,
                        n: sorted.len(),
                        constant: !sorted.is_empty() && sorted.first() == sorted.last(),
                        std: crate::stats::wasserstein::population_std(&sorted),
                    }
                }
                ColumnData::Categorical { dictionary, .. } => {
                    let counts = c.category_counts().unwrap_or_default();
                    ReferenceFeature::Categorical {
                        name: c.name.clone(),
                        categories: dictionary.clone(),
                        n: counts.iter().sum::<u64>() as usize,
                        constant: counts.iter().filter(|&&n| n > 0).count() == 1,
                        counts,
                    }
                }
            })
            .collect();
        let predictions = reference.prediction_values();
        let prediction = predictions.map(|p| {
            let sorted = sorted_non_missing(p);
            (
                config.columns.prediction.clone(),
                numeric_grid(&sorted, grid_bins, &[super::sql::DECISION_THRESHOLD]),
            )
        });
        let prediction_center = predictions
            .and_then(quality::mean)
            .filter(|m| m.is_finite())
            .unwrap_or(0.0);
        let target_center = reference
            .target_values()
            .and_then(quality::mean)
            .filter(|m| m.is_finite())
            .unwrap_or(0.0);
        let mut made = ProfileReference {
            task: config.task,
            features,
            prediction,
            prediction_center,
            target: reference.target().map(|_| config.columns.target.clone()),
            target_center,
            quality: ReferenceProfile::from_window(reference, predictions),
            grid_bins,
            fingerprint: String::new(),
        };
        made.fingerprint = made.compute_fingerprint();
        made
    }

    /// From saved reference statistics: the grid is the PSI edges and the saved quantiles, and
    /// the reference's counts per grid cell are unknown, so KS and Wasserstein are skipped
    /// (as they are for a monitor built from statistics). The target is expected when the
    /// statistics carry a performance estimator (a reference with targets).
    pub fn from_stats(stats: &ReferenceStats, config: &MonitorConfig) -> Self {
        let features = stats
            .features
            .iter()
            .map(|f| match &f.summary {
                FeatureSummary::Numeric {
                    std,
                    quantiles,
                    psi_edges,
                    psi_counts,
                    ..
                } => {
                    let mut grid: Vec<f64> = psi_edges
                        .iter()
                        .copied()
                        .chain(quantiles.iter().map(|q| q.value))
                        .chain(quantiles.last().map(|q| q.value.next_up()))
                        .filter(|e| e.is_finite())
                        .collect();
                    grid.sort_unstable_by(f64::total_cmp);
                    grid.dedup();
                    let first = quantiles.first().map(|q| q.value);
                    ReferenceFeature::Numeric {
                        name: f.name.clone(),
                        grid,
                        cells: Vec::new(),
                        psi_edges: psi_edges.clone(),
                        psi_counts: psi_counts.clone(),
                        n: f.count,
                        constant: f.count > 0 && first == quantiles.last().map(|q| q.value),
                        std: std.unwrap_or(f64::NAN),
                    }
                }
                FeatureSummary::Categorical { categories } => {
                    let counts: Vec<u64> = categories.iter().map(|c| c.count).collect();
                    ReferenceFeature::Categorical {
                        name: f.name.clone(),
                        categories: categories.iter().map(|c| c.category.clone()).collect(),
                        n: counts.iter().sum::<u64>() as usize,
                        constant: counts.iter().filter(|&&n| n > 0).count() == 1,
                        counts,
                    }
                }
            })
            .collect();
        let mut made = ProfileReference {
            task: config.task,
            features,
            prediction: stats.profile.prediction_mean.map(|_| {
                (
                    config.columns.prediction.clone(),
                    vec![super::sql::DECISION_THRESHOLD],
                )
            }),
            prediction_center: stats
                .profile
                .prediction_mean
                .filter(|m| m.is_finite())
                .unwrap_or(0.0),
            target: stats
                .estimator
                .as_ref()
                .map(|_| config.columns.target.clone()),
            target_center: 0.0,
            quality: stats.profile.clone(),
            grid_bins: config.profile.grid_bins,
            fingerprint: String::new(),
        };
        made.fingerprint = made.compute_fingerprint();
        made
    }

    fn compute_fingerprint(&self) -> String {
        let mut f = Fingerprint::default();
        f.bytes(&FORMAT_VERSION.to_le_bytes());
        f.text(match self.task {
            Task::Classification => "classification",
            Task::Regression => "regression",
        });
        for feature in &self.features {
            match feature {
                ReferenceFeature::Numeric { name, grid, .. } => {
                    f.text("numeric");
                    f.text(name);
                    f.numbers(grid);
                }
                ReferenceFeature::Categorical {
                    name, categories, ..
                } => {
                    f.text("categorical");
                    f.text(name);
                    for c in categories {
                        f.text(c);
                    }
                }
            }
        }
        if let Some((name, grid)) = &self.prediction {
            f.text("prediction");
            f.text(name);
            f.numbers(grid);
        }
        if let Some(name) = &self.target {
            f.text("target");
            f.text(name);
        }
        f.numbers(&[self.prediction_center, self.target_center]);
        f.hex()
    }
}
