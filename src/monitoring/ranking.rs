//! Which feature to blame for a drop in performance: NannyML 0.13's `CorrelationRanker`.
//!
//! Over the recent windows, the absolute change of the performance metric from its reference
//! level, |perf − reference|, is correlated (Pearson, with scipy's two-sided p-value) with each
//! feature's drift statistic; windows where either is missing are dropped. Features are sorted
//! by the correlation, highest first (NaN last, then by name), and each carries the number of
//! those windows in which it drifted (NannyML keeps only "has drifted"; the count says more).
//!
//! Why correlation and not the drift alone: when many features drift at once, the one whose
//! drift rises and falls with the performance is the likelier cause. With no known reference
//! level the best value of the series is used, which makes |perf − reference| the drop itself.

use serde::{Deserialize, Serialize};

use super::alerts::AlertKind;
use super::incidents::{Incident, IncidentTracker};
use super::result::{MonitoringResult, Performance};

/// How many recent windows the ranking looks at, the current one included.
pub(crate) const RANKING_WINDOWS: usize = 20;

/// One feature's place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureRank {
    pub feature: String,
    /// Pearson correlation of the feature's drift statistic with the performance change; null
    /// when fewer than 2 windows have both, or either series is constant.
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub score: f64,
    /// Two-sided p-value of the correlation (scipy's `pearsonr`).
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub p_value: f64,
    /// Windows among those ranked in which the feature drifted.
    pub drifted_windows: usize,
}

/// One feature's series over the ranked windows: its drift statistic (None when not tested)
/// and whether it drifted.
pub struct FeatureSeries<'a> {
    pub feature: &'a str,
    pub statistic: Vec<Option<f64>>,
    pub drifted: Vec<bool>,
}

/// Pearson's r and its two-sided p-value as scipy's `pearsonr`: NaN below 2 points or for a
/// constant series; for 2 points ±1 and p = 1.
pub(crate) fn pearson(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len().min(y.len());
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let mean = |v: &[f64]| v[..n].iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    if n == 2 {
        // scipy: the signs' product exactly, p = 1.
        return ((x[1] - x[0]).signum() * (y[1] - y[0]).signum(), 1.0);
    }
    let r = (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0);
    // p = 2 · P(T > |t|), T ~ t(n − 2): the regularised incomplete beta I_{1 − r²}((n−2)/2, ½).
    let df = (n - 2) as f64;
    let p = statrs::function::beta::beta_reg(df / 2.0, 0.5, (1.0 - r * r).max(0.0));
    (r, p)
}

/// Ranks the features by the correlation of their drift statistic with |performance −
/// `reference`| over the same windows (`performance[i]` NaN when unknown).
pub fn rank(performance: &[f64], reference: f64, features: &[FeatureSeries]) -> Vec<FeatureRank> {
    let change: Vec<f64> = performance.iter().map(|p| (p - reference).abs()).collect();
    let mut ranked: Vec<FeatureRank> = features
        .iter()
        .map(|f| {
            let (xs, ys): (Vec<f64>, Vec<f64>) = f
                .statistic
                .iter()
                .zip(&change)
                .filter_map(|(s, c)| match s {
                    Some(s) if !s.is_nan() && !c.is_nan() => Some((*s, *c)),
                    _ => None,
                })
                .unzip();
            let (score, p_value) = pearson(&xs, &ys);
            FeatureRank {
                feature: f.feature.to_string(),
                score,
                p_value,
                drifted_windows: f.drifted.iter().filter(|&&d| d).count(),
            }
        })
        .collect();
    ranked.sort_by(|a, b| match (a.score.is_nan(), b.score.is_nan()) {
        (false, false) => b.score.total_cmp(&a.score).then(a.feature.cmp(&b.feature)),
        (x, y) => x.cmp(&y).then(a.feature.cmp(&b.feature)),
    });
    ranked
}

/// Which performance figure a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PerformanceSource {
    /// The realised headline metric (accuracy, or R² for regression).
    Realised,
    /// The estimated accuracy (CBPE).
    Estimated,
}

impl PerformanceSource {
    fn value(self, result: &MonitoringResult) -> f64 {
        match self {
            PerformanceSource::Realised => result
                .performance
                .as_ref()
                .map_or(f64::NAN, |p: &Performance| p.headline().1),
            PerformanceSource::Estimated => result
                .estimated_performance
                .as_ref()
                .and_then(|e| e.metrics.accuracy.as_ref())
                .map_or(f64::NAN, |m| m.value),
        }
    }

    /// The reference level when known: the middle of the estimated accuracy's reference
    /// thresholds (mean ± 3 std of the reference chunks) when neither was clipped.
    fn reference(self, result: &MonitoringResult) -> Option<f64> {
        match self {
            PerformanceSource::Realised => None,
            PerformanceSource::Estimated => {
                let m = result
                    .estimated_performance
                    .as_ref()?
                    .metrics
                    .accuracy
                    .as_ref()?;
                match (m.lower_threshold, m.upper_threshold) {
                    (Some(lo), Some(hi)) if lo > 0.0 && hi < 1.0 => Some((lo + hi) / 2.0),
                    _ => None,
                }
            }
        }
    }
}

/// The ranking over `windows` (oldest first, the current one last): each feature's drift
/// statistic from the first detector (by name) that tests it, against the performance series.
pub(crate) fn rank_windows(
    windows: &[&MonitoringResult],
    source: PerformanceSource,
) -> Vec<FeatureRank> {
    let Some(current) = windows.last() else {
        return Vec::new();
    };
    let performance: Vec<f64> = windows.iter().map(|w| source.value(w)).collect();
    let reference = source.reference(current).unwrap_or_else(|| {
        performance
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f64::NAN, f64::max)
    });
    // Feature → the detector whose statistic stands for it (the first by name that has it).
    let mut chosen: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for (detector, drift) in &current.drift {
        for feature in drift.features.keys() {
            chosen.entry(feature.as_str()).or_insert(detector.as_str());
        }
    }
    let series: Vec<FeatureSeries> = chosen
        .iter()
        .map(|(&feature, &detector)| {
            let of = |w: &MonitoringResult| -> Option<(Option<f64>, bool)> {
                let f = w.drift.get(detector)?.features.get(feature)?;
                Some((f.statistic, f.drifted))
            };
            FeatureSeries {
                feature,
                statistic: windows.iter().map(|w| of(w).and_then(|f| f.0)).collect(),
                drifted: windows.iter().map(|w| of(w).is_some_and(|f| f.1)).collect(),
            }
        })
        .collect();
    rank(&performance, reference, &series)
}

/// The ranking for `current` while a performance problem is open (an open incident, or an
/// alert of this window, of kind `performance_degradation` or
/// `estimated_performance_degradation`); empty otherwise. Realised performance is ranked when
/// its problem is open, else the estimated accuracy. `history` is oldest first, without
/// `current`; the last [`RANKING_WINDOWS`] windows are used.
pub(crate) fn rank_open_problem<'a>(
    history: &[MonitoringResult],
    current: &MonitoringResult,
    open: impl Iterator<Item = &'a Incident>,
) -> Vec<FeatureRank> {
    let kinds: Vec<AlertKind> = open
        .map(|i| i.kind)
        .chain(current.alerts.iter().map(|a| a.kind))
        .collect();
    if !kinds.iter().any(|&k| is_performance(k)) {
        return Vec::new();
    }
    let source = if kinds.contains(&AlertKind::PerformanceDegradation) {
        PerformanceSource::Realised
    } else if kinds.contains(&AlertKind::EstimatedPerformanceDegradation) {
        PerformanceSource::Estimated
    } else {
        return Vec::new();
    };
    let older = history
        .iter()
        .filter(|w| w.error.is_none())
        .rev()
        .take(RANKING_WINDOWS - 1)
        .collect::<Vec<_>>();
    let windows: Vec<&MonitoringResult> = older
        .into_iter()
        .rev()
        .chain(std::iter::once(current))
        .collect();
    rank_windows(&windows, source)
}

/// Features a performance incident names as suspects (in sinks' payloads, the TUI's detail).
pub(crate) const SUSPECTS: usize = 3;

/// Whether an incident of this kind is a performance problem.
fn is_performance(kind: AlertKind) -> bool {
    matches!(
        kind,
        AlertKind::PerformanceDegradation | AlertKind::EstimatedPerformanceDegradation
    )
}

/// Copies the top of `result.ranking` into its performance incidents: the firing ones the
/// tracker keeps and the changes this window made (what sinks receive).
pub(crate) fn attach_suspects(result: &mut MonitoringResult, tracker: &mut IncidentTracker) {
    if result.ranking.is_empty() {
        return;
    }
    let top: Vec<FeatureRank> = result.ranking.iter().take(SUSPECTS).cloned().collect();
    tracker.annotate_open(|incident| {
        if !is_performance(incident.kind) || incident.suspects == top {
            return false;
        }
        incident.suspects = top.clone();
        true
    });
    for change in result.incidents.iter_mut() {
        if is_performance(change.incident.kind) {
            change.incident.suspects = top.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_as_scipy() {
        // scipy.stats.pearsonr([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) = (0.8, 0.10408803866182788)
        let (r, p) = pearson(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0]);
        assert!((r - 0.8).abs() < 1e-12, "{r}");
        assert!((p - 0.104_088_038_661_827_82).abs() < 1e-12, "{p}");
        assert_eq!(pearson(&[1.0, 2.0], &[3.0, 1.0]), (-1.0, 1.0));
        assert!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).0.is_nan());
        assert!(pearson(&[1.0], &[1.0]).0.is_nan());
    }

    #[test]
    fn ranks_by_correlation_then_name() {
        let perf = [0.9, 0.8, 0.7, 0.6];
        let a = FeatureSeries {
            feature: "a",
            statistic: vec![Some(0.1), Some(0.2), Some(0.3), Some(0.4)],
            drifted: vec![false, true, true, true],
        };
        let b = FeatureSeries {
            feature: "b",
            statistic: vec![Some(0.4), Some(0.3), None, Some(0.1)],
            drifted: vec![false; 4],
        };
        let c = FeatureSeries {
            feature: "c",
            statistic: vec![None, None, None, Some(0.1)],
            drifted: vec![true, false, false, false],
        };
        let ranked = rank(&perf, 0.9, &[c, b, a]);
        let names: Vec<&str> = ranked.iter().map(|r| r.feature.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!((ranked[0].score - 1.0).abs() < 1e-12);
        assert_eq!(ranked[0].drifted_windows, 3);
        assert!(ranked[1].score < 0.0);
        assert!(ranked[2].score.is_nan());
    }
}
