//! A profile window's figures, from counts and sums, through the same functions as the raw
//! path wherever the figure is exact: PSI (`psi_from_counts` on the PSI bins, which are sums of
//! grid cells), chi-square (`chi2_homogeneity`; unseen categories enter as their count and their
//! number, which fixes both the statistic and the degrees of freedom), data quality, prediction
//! statistics and shift, and the performance metrics. KS and Wasserstein come from the grid
//! with their error bound (`crate::stats::binned`); ROC AUC from the prediction grid, with its
//! bound in the metadata. Detectors that need rows are listed as skipped.

use std::collections::BTreeMap;

use serde_json::json;

use super::reference::{ProfileReference, ReferenceFeature};
use super::sql::DECISION_THRESHOLD;
use super::window::{CategoryCounts, ClassGroup, FeatureCells, NumericCells, WindowProfile};
use crate::config::{
    Correction, CorrectionScope, DetectorKind, MonitorConfig, StatisticalConfig, Task,
};
use crate::data::FeatureKind;
use crate::drift::decision::{self, feature_drifted};
use crate::drift::{ks, psi, Confirmation, DriftResult, FeatureDrift, FeatureStatus};
use crate::monitoring::metrics::{label_scores, ClassificationMetrics, RegressionMetrics};
use crate::monitoring::quality::ProfileRange;
use crate::monitoring::result::{
    FeatureQuality, MonitoringResult, Performance, PredictionSource, PredictionStats,
};
use crate::stats::anderson_darling::anderson_ksamp_counts;
use crate::stats::binned::{ks_binned, wasserstein_binned};
use crate::stats::chi2;
use crate::stats::correction::{adjust, adjust_together};
use crate::stats::wasserstein;

/// One feature's outcome under one detector: statistic, p-value, status, error bound.
type Tested = (Option<f64>, Option<f64>, FeatureStatus, Option<f64>);

/// Fills `result` (drift, quality, predictions, performance, metadata) from `window`.
/// `confirmations` keeps each detector's streak of drifting profile windows.
pub fn evaluate(
    reference: &ProfileReference,
    config: &MonitorConfig,
    window: &WindowProfile,
    confirmations: &mut BTreeMap<String, Confirmation>,
    result: &mut MonitoringResult,
) {
    result.rows = usize::try_from(window.rows).unwrap_or(usize::MAX);
    result.source = Some("profile".into());
    result.data_quality = quality(reference, window);
    let mut skipped = BTreeMap::new();
    let mut approximate = BTreeMap::new();
    let mut tested_by = Vec::new();
    for &kind in &config.drift.detectors {
        match test(reference, config, window, kind) {
            Some(tested) => tested_by.push((kind, tested)),
            None => {
                skipped.insert(
                    kind.key().to_string(),
                    "needs the window's rows; a profile holds counts and sums".to_string(),
                );
            }
        }
    }
    let adjusted = adjust_family(&tested_by, &config.drift.statistical);
    for ((kind, tested), adjusted) in tested_by.into_iter().zip(adjusted) {
        let name = kind.key().to_string();
        let drift = decide(kind, tested, adjusted, &config.drift.statistical);
        let confirmation = confirmations
            .entry(name.clone())
            .or_insert_with(|| Confirmation::new(config.drift.statistical.confirmation_windows));
        let mut drift = drift;
        drift.drift_detected = confirmation.observe(drift.window_drift);
        result.drift.insert(name, drift);
    }
    if let Some(cells) = &window.prediction {
        result.prediction_source = Some(PredictionSource::Column);
        let stats = prediction_stats(cells, reference.prediction_center);
        result.prediction_shift = match (&stats, reference.quality.prediction_mean) {
            (Some(s), Some(m)) => Some((s.mean - m).abs()),
            _ => None,
        };
        result.predictions = stats;
    }
    match reference.task {
        Task::Classification if !window.classes.is_empty() => {
            let threshold = reference
                .prediction
                .as_ref()
                .and_then(|(_, grid)| grid.iter().position(|&e| e == DECISION_THRESHOLD))
                .map_or(usize::MAX, |i| i + 1);
            match classification(&window.classes, threshold) {
                Ok((metrics, auc_bound)) => {
                    if let Some(bound) = auc_bound {
                        approximate.insert("performance.roc_auc".to_string(), bound);
                    }
                    result.performance = Some(Performance::Classification(metrics));
                }
                Err(reason) => {
                    skipped.insert("performance".into(), reason);
                }
            }
        }
        Task::Regression => {
            if let Some(sums) = window.regression.filter(|r| r.n > 0) {
                result.performance = Some(Performance::Regression(regression(&sums)));
            }
        }
        _ => {}
    }
    if reference.task == Task::Classification {
        skipped.insert(
            "estimated_performance".into(),
            "CBPE needs the window's scores row by row".into(),
        );
    }
    result.metadata.insert(
        "profile".into(),
        json!({
            "fingerprint": reference.fingerprint,
            "grid_bins": reference.grid_bins,
            "skipped": skipped,
            "statistic_error_bound": approximate,
        }),
    );
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn quality(
    reference: &ProfileReference,
    window: &WindowProfile,
) -> BTreeMap<String, FeatureQuality> {
    let mut out = BTreeMap::new();
    for (profile, (feature, cells)) in reference
        .quality
        .features
        .iter()
        .zip(reference.features.iter().zip(&window.features))
    {
        let (missing, invalid) = match cells {
            FeatureCells::Numeric(c) => (c.missing, c.invalid),
            FeatureCells::Categorical(c) => (c.missing, 0),
        };
        let valid = window.rows.saturating_sub(missing + invalid);
        let share = |n: u64| ratio(n, valid);
        let (unseen_category, out_of_range) = match (&profile.range, feature, cells) {
            (
                ProfileRange::Numeric { min, max },
                ReferenceFeature::Numeric { grid, .. },
                FeatureCells::Numeric(c),
            ) => {
                let outside = match (min, max) {
                    (Some(lo), Some(hi)) => c
                        .cells
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| {
                            let below = grid.get(*i).is_some_and(|end| end <= lo);
                            let above = i
                                .checked_sub(1)
                                .and_then(|j| grid.get(j))
                                .is_some_and(|s| s > hi);
                            below || above
                        })
                        .map(|(_, cell)| cell.count)
                        .sum(),
                    _ => valid,
                };
                (None, Some(share(outside)))
            }
            (ProfileRange::Categorical { .. }, _, FeatureCells::Categorical(c)) => {
                (Some(share(c.other)), None)
            }
            _ => (None, None),
        };
        out.insert(
            profile.name.clone(),
            FeatureQuality {
                missing_ref: profile.missing_rate,
                missing_cur: ratio(missing, window.rows),
                invalid_ref: profile.invalid_rate,
                invalid_cur: ratio(invalid, window.rows),
                unseen_category,
                out_of_range,
            },
        );
    }
    out
}

/// Whether the detector's figures come from a profile's counts and sums (CvM, the classifier
/// and pca need the window's rows).
fn from_counts(kind: DetectorKind) -> bool {
    match kind {
        DetectorKind::Psi
        | DetectorKind::Chi2
        | DetectorKind::Ks
        | DetectorKind::Ad
        | DetectorKind::Wasserstein => true,
        DetectorKind::Cvm | DetectorKind::Classifier | DetectorKind::Pca => false,
    }
}

/// The detector's outcome per feature on the profile, `None` for a detector that needs rows.
fn test(
    reference: &ProfileReference,
    config: &MonitorConfig,
    window: &WindowProfile,
    kind: DetectorKind,
) -> Option<Vec<(String, Tested)>> {
    let settings = &config.drift.statistical;
    let min = settings.min_sample_size;
    if !from_counts(kind) {
        return None;
    }
    let covers_categorical = kind.covers(FeatureKind::Categorical);
    let covers_numeric = kind.covers(FeatureKind::Numeric);
    // From saved statistics the reference's grid cells are unknown: KS, AD and Wasserstein
    // skip.
    let cells_known = reference.features.iter().all(|f| match f {
        ReferenceFeature::Numeric { grid, cells, .. } => cells.len() == grid.len() + 1,
        ReferenceFeature::Categorical { .. } => true,
    });
    if kind.needs_sorted() && !cells_known {
        return None;
    }
    let mut tested: Vec<(String, Tested)> = Vec::new();
    for (feature, cells) in reference.features.iter().zip(&window.features) {
        match (feature, cells) {
            (
                ReferenceFeature::Numeric {
                    name,
                    grid,
                    cells: ref_cells,
                    psi_edges,
                    psi_counts,
                    n,
                    constant,
                    std,
                },
                FeatureCells::Numeric(cur),
            ) if covers_numeric => {
                let status = if *constant {
                    FeatureStatus::Constant
                } else {
                    FeatureStatus::Ok
                };
                let outcome = if *n < min || (cur.count() as usize) < min {
                    (None, None, FeatureStatus::InsufficientData, None)
                } else {
                    numeric_test(
                        kind, grid, ref_cells, psi_edges, psi_counts, *std, cur, status,
                    )
                };
                tested.push((name.clone(), outcome));
            }
            (
                ReferenceFeature::Categorical {
                    name,
                    counts,
                    n,
                    constant,
                    ..
                },
                FeatureCells::Categorical(cur),
            ) if covers_categorical => {
                let status = if *constant {
                    FeatureStatus::Constant
                } else {
                    FeatureStatus::Ok
                };
                tested.push((
                    name.clone(),
                    categorical_test(kind, counts, *n, cur, min, status),
                ));
            }
            _ => {}
        }
    }
    Some(tested)
}

/// The corrected p-values of every detector's features: one correction over the whole window
/// under `correction_scope = "window"`, one per detector under `"detector"`, as for raw windows.
fn adjust_family(
    tested_by: &[(DetectorKind, Vec<(String, Tested)>)],
    settings: &StatisticalConfig,
) -> Vec<Vec<Option<f64>>> {
    let groups: Vec<Vec<Option<f64>>> = tested_by
        .iter()
        .map(|(_, tested)| tested.iter().map(|t| t.1 .1).collect())
        .collect();
    match settings.correction_scope {
        CorrectionScope::Detector => groups
            .iter()
            .map(|g| adjust(g, settings.correction))
            .collect(),
        CorrectionScope::Window => adjust_together(&groups, settings.correction),
    }
}

/// The detector's result from its features' outcomes and corrected p-values.
fn decide(
    kind: DetectorKind,
    tested: Vec<(String, Tested)>,
    adjusted: Vec<Option<f64>>,
    settings: &StatisticalConfig,
) -> DriftResult {
    let mut features = BTreeMap::new();
    let mut n_drifted = 0;
    for ((name, (statistic, p_value, status, bound)), p_adj) in tested.into_iter().zip(adjusted) {
        let drifted = feature_drifted(
            kind,
            &decision::Tested {
                statistic,
                p_adjusted: p_adj,
                status,
                discrete: false,
            },
            settings,
        );
        n_drifted += usize::from(drifted);
        features.insert(
            name,
            FeatureDrift {
                statistic,
                p_value,
                p_value_adjusted: match settings.correction {
                    Correction::None => None,
                    _ => p_adj,
                },
                drifted,
                status,
                test: None,
                statistic_error_bound: bound,
                p_value_approximate: (matches!(kind, DetectorKind::Ks | DetectorKind::Ad)
                    && p_value.is_some())
                .then_some(true),
                effect: None,
                paging_p_value: None,
            },
        );
    }
    DriftResult::per_feature(
        features,
        n_drifted,
        settings.min_drifted_features,
        |window_drift| window_drift,
    )
}

#[allow(clippy::too_many_arguments)]
fn numeric_test(
    kind: DetectorKind,
    grid: &[f64],
    ref_cells: &[crate::stats::binned::CellSummary],
    psi_edges: &[f64],
    psi_counts: &[u64],
    std: f64,
    cur: &NumericCells,
    status: FeatureStatus,
) -> Tested {
    let insufficient = (None, None, FeatureStatus::InsufficientData, None);
    match kind {
        DetectorKind::Psi => {
            let merged = super::grid::merge_into(grid, &cur.counts(), psi_edges);
            (
                psi::psi_from_counts(psi_counts, &merged),
                None,
                status,
                None,
            )
        }
        DetectorKind::Ks => {
            let reference: Vec<u64> = ref_cells.iter().map(|c| c.count).collect();
            let current = cur.counts();
            let n1 = reference.iter().sum::<u64>() as usize;
            let n2 = current.iter().sum::<u64>() as usize;
            match ks_binned(&reference, &current) {
                Some(b) => (
                    Some(b.statistic),
                    Some(ks::ks_p_value(n1, n2, b.statistic)),
                    status,
                    Some(b.error_bound),
                ),
                None => insufficient,
            }
        }
        DetectorKind::Ad => {
            // The values rounded to their grid cells: each cell is one tied value.
            let tied: Vec<(u64, u64)> = ref_cells
                .iter()
                .zip(cur.counts())
                .map(|(r, c)| (r.count, c))
                .collect();
            match anderson_ksamp_counts(&tied) {
                Some(o) => (Some(o.statistic), Some(o.p_value), status, None),
                None => insufficient,
            }
        }
        DetectorKind::Wasserstein => match wasserstein_binned(grid, ref_cells, &cur.cells) {
            Some(b) => (
                Some(wasserstein::normed(b.statistic, std)),
                None,
                status,
                Some(wasserstein::normed(b.error_bound, std)),
            ),
            None => insufficient,
        },
        DetectorKind::Chi2 | DetectorKind::Cvm | DetectorKind::Classifier | DetectorKind::Pca => {
            insufficient
        }
    }
}

fn categorical_test(
    kind: DetectorKind,
    counts: &[u64],
    n: usize,
    cur: &CategoryCounts,
    min: usize,
    status: FeatureStatus,
) -> Tested {
    let cur_n = (cur.counts.iter().sum::<u64>() + cur.other) as usize;
    if n < min || cur_n < min {
        return (None, None, FeatureStatus::InsufficientData, None);
    }
    match kind {
        DetectorKind::Chi2 => {
            // Each unseen category is a column of its own, with no reference count. The
            // statistic is linear in their counts, so any split with the same total and number
            // of columns gives it (and the degrees of freedom) exactly.
            let distinct = if cur.other > 0 {
                cur.other_distinct.clamp(1, cur.other)
            } else {
                0
            };
            let mut r = counts.to_vec();
            let mut c = cur.counts.clone();
            r.extend(std::iter::repeat_n(0, distinct as usize));
            if distinct > 0 {
                c.push(cur.other - (distinct - 1));
                c.extend(std::iter::repeat_n(1, (distinct - 1) as usize));
            }
            match chi2::chi2_homogeneity(&r, &c) {
                Some(o) => (Some(o.statistic), Some(o.p_value), status, None),
                None => (None, None, FeatureStatus::InsufficientData, None),
            }
        }
        DetectorKind::Psi => {
            let mut r = counts.to_vec();
            r.push(0);
            let mut c = cur.counts.clone();
            c.push(cur.other);
            (psi::psi_from_counts(&r, &c), None, status, None)
        }
        DetectorKind::Ks
        | DetectorKind::Ad
        | DetectorKind::Cvm
        | DetectorKind::Wasserstein
        | DetectorKind::Classifier
        | DetectorKind::Pca => (None, None, FeatureStatus::InsufficientData, None),
    }
}

fn prediction_stats(cells: &NumericCells, center: f64) -> Option<PredictionStats> {
    let count = cells.count();
    if count == 0 {
        return None;
    }
    let n = count as f64;
    let shifted_mean = cells.sum / n;
    let variance = (cells.sum_squares / n - shifted_mean * shifted_mean).max(0.0);
    Some(PredictionStats {
        count: count as usize,
        mean: center + shifted_mean,
        std: variance.sqrt(),
        min: cells.min(),
        max: cells.max(),
    })
}

/// The metrics from the confusion groups, as `classification_metrics` computes them from rows;
/// with the bound on ROC AUC when it is reported. `threshold`: the first prediction cell at or
/// above the decision threshold.
fn classification(
    groups: &[ClassGroup],
    threshold: usize,
) -> Result<(ClassificationMetrics, Option<f64>), String> {
    let rows: u64 = groups.iter().map(|g| g.n).sum();
    let probabilistic = groups.iter().all(|g| g.min >= 0.0 && g.max <= 1.0)
        && groups.iter().any(|g| g.non_integer > 0);
    let mut labelled: Vec<(f64, f64, u64)> = Vec::with_capacity(groups.len());
    for g in groups {
        let label = if probabilistic {
            if g.cell >= threshold {
                1.0
            } else {
                0.0
            }
        } else {
            g.label.ok_or_else(|| {
                "predictions are neither probabilities nor class labels".to_string()
            })?
        };
        labelled.push((g.target, label, g.n));
    }
    let scores = label_scores(labelled.iter().copied());
    let is_binary_label = |c: &f64| *c == 0.0 || *c == 1.0;
    let zero_one = groups.iter().all(|g| is_binary_label(&g.target));
    let (roc_auc, bound, log_loss) = if probabilistic && zero_one {
        let cells = groups.iter().map(|g| g.cell + 1).max().unwrap_or(0);
        let (mut pos, mut neg) = (vec![0u64; cells], vec![0u64; cells]);
        for g in groups {
            if g.target == 1.0 {
                pos[g.cell] += g.n;
            } else {
                neg[g.cell] += g.n;
            }
        }
        let (positives, negatives): (u64, u64) = (pos.iter().sum(), neg.iter().sum());
        let auc = (positives > 0 && negatives > 0).then(|| {
            let (mut below, mut wins, mut ties) = (0u64, 0.0f64, 0.0f64);
            for (&p, &n) in pos.iter().zip(&neg) {
                wins += p as f64 * below as f64;
                ties += p as f64 * n as f64;
                below += n;
            }
            let pairs = positives as f64 * negatives as f64;
            ((wins + 0.5 * ties) / pairs, 0.5 * ties / pairs)
        });
        let loss = groups.iter().map(|g| g.loss).sum::<f64>() / rows as f64;
        (auc.map(|a| a.0), auc.map(|a| a.1), Some(loss))
    } else {
        (None, None, None)
    };
    Ok((
        ClassificationMetrics {
            accuracy: scores.accuracy,
            precision: scores.precision,
            recall: scores.recall,
            f1: scores.f1,
            roc_auc,
            log_loss,
            n_classes: scores.n_classes,
            average: if scores.binary { "binary" } else { "macro" }.to_string(),
        },
        bound,
    ))
}

fn regression(sums: &super::window::RegressionSums) -> RegressionMetrics {
    let n = sums.n as f64;
    let mse = sums.squared_error / n;
    let total_variation =
        (sums.target_sum_squares - sums.target_sum * sums.target_sum / n).max(0.0);
    let constant = sums.target_min == sums.target_max;
    let r2 = if constant || total_variation == 0.0 {
        if sums.squared_error == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - sums.squared_error / total_variation
    };
    RegressionMetrics {
        mse,
        rmse: mse.sqrt(),
        mae: sums.absolute_error / n,
        r2,
    }
}
