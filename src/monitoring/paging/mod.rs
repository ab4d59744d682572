//! Paging: which of a window's conditions carry evidence strong enough to wake someone.
//!
//! The per-window alerts keep the detectors' sensitivity for the screen (about one clean window
//! in twenty shows something); a pager must be about a thousand times rarer. So a condition
//! pages only on evidence measured against a budget: `1 / false_page_every` false pages per
//! clean window, split evenly (Bonferroni) over the window's features with paging evidence.
//! Why no CUSUM or k-of-m: at 2,000-row windows a single window's KS p-value at that level
//! already catches a 0.25 sd shift at once (docs/paging.md measures it), and accumulating would
//! only add delay.
//!
//! The budget is a rate to meet, not only a bound to stay under: docs/paging.md measures the run
//! length between false pages against the configured one. Two choices make it so:
//!
//! - **Only the features share the budget.** pca and the estimated metrics are tested at the
//!   same per-stream level but page only past a floor (an error rise of `min_error_rise`, an
//!   estimate past its threshold) that clean windows do not reach, so a share given to them
//!   would be a share never spent. In the worst case, with each of them at its nominal rate,
//!   the run length is `false_page_every · features / (features + streams)`.
//! - **Evidence past the paging level is shown.** The screen's per-window test (AD with its
//!   correction) and paging's KS are different tests; near the paging level they often
//!   disagree, and requiring both lost half the budget at `false_page_every = 50`. A feature
//!   whose own paging evidence is past the level though no per-window test flags it is raised
//!   as a drift alert of its own ([`PagePolicy::unshown`]), so what pages is always on screen.
//!
//! - A feature's drift pages when its `paging_p_value` (KS's asymptotic one for numeric features,
//!   since AD's stops at 0.001; chi-square's for categorical and discrete ones) is below the
//!   stream's share *and* its `effect` is at least `min_effect`: significant and large enough,
//!   at every window size. A feature no detector gives evidence for (PSI or Wasserstein alone,
//!   profiles) pages as shown.
//! - pca pages on its z-test's p-value and a relative error rise of `min_error_rise`.
//! - Estimated metrics (CBPE) page when the estimate is past its threshold by z sampling
//!   errors, z the normal quantile of the stream's share.
//! - Deterministic conditions (window errors, realised metrics, data quality, prediction shift)
//!   page as shown; a realised metric that paged before needs its sampling error's margin to
//!   page again (hysteresis).
//!
//! The [`IncidentTracker`](super::IncidentTracker) keeps a paged condition as long as the
//! screen shows it, so once paging the policy's strictness does not make a problem flap.

use std::collections::{BTreeMap, BTreeSet};

use statrs::distribution::{ContinuousCDF, Normal};

use super::alerts::AlertKind;
use super::incidents::conditions::{self, Condition};
use super::incidents::IncidentKey;
use super::result::{MonitoringResult, Performance};
use crate::config::{DetectorKind, PagingConfig};

/// Why a shown feature does not page (the screen marks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeldBack {
    /// Its p-value is above the paging budget's share.
    Evidence,
    /// Significant, but its effect is below the floor.
    Effect,
}

/// Decides, window by window, which conditions page.
#[derive(Debug, Clone)]
pub struct PagePolicy {
    config: PagingConfig,
    /// Realised metrics that paged once: paging again needs the margin.
    paged_metrics: BTreeSet<IncidentKey>,
}

/// A feature's best evidence over the detectors: (p-value, effect).
type Evidence = (f64, f64);

impl PagePolicy {
    /// A policy for these settings.
    pub(crate) fn new(config: &PagingConfig) -> Self {
        PagePolicy {
            config: config.clone(),
            paged_metrics: BTreeSet::new(),
        }
    }

    /// The settings in force.
    pub(crate) fn config(&self) -> &PagingConfig {
        &self.config
    }

    /// The per-stream level of a window with `streams` statistical streams.
    pub(crate) fn stream_alpha(&self, streams: usize) -> f64 {
        1.0 / (self.config.false_page_every.max(1) as f64 * streams.max(1) as f64)
    }

    /// Folds one window's result (alerts raised) into the policy and returns the keys of the
    /// conditions whose evidence is strong enough to page at this window.
    pub(crate) fn observe(&mut self, result: &MonitoringResult) -> BTreeSet<IncidentKey> {
        let evidence = feature_evidence(result);
        let pca = pca_evidence(result);
        let alpha = self.stream_alpha(evidence.len());
        let mut paging = BTreeSet::new();
        for condition in conditions::of(result) {
            let key = condition.key();
            let pages = match condition.kind {
                AlertKind::WindowError
                | AlertKind::DataQuality
                | AlertKind::PredictionShift
                | AlertKind::PredictionMeanAnomaly => true,
                AlertKind::PerformanceDegradation => {
                    let margin = if self.paged_metrics.contains(&key) {
                        realised_sampling_error(result, condition.value)
                    } else {
                        0.0
                    };
                    let pages = match (condition.value, condition.threshold) {
                        (Some(v), Some(t)) => v < t - margin,
                        _ => true,
                    };
                    if pages {
                        self.paged_metrics.insert(key.clone());
                    }
                    pages
                }
                AlertKind::EstimatedPerformanceDegradation => {
                    estimated_pages(result, &condition, alpha)
                }
                AlertKind::DataDrift => match (&condition.feature, &condition.detector) {
                    (Some(feature), _) => match evidence.get(feature.as_str()) {
                        Some(e) => held_back(e.figures, alpha, self.config.min_effect).is_none(),
                        None => true,
                    },
                    (None, Some(d)) if d.parse() == Ok(DetectorKind::Pca) => match pca {
                        Some(e) => held_back(e, alpha, self.config.min_error_rise).is_none(),
                        None => true,
                    },
                    _ => true,
                },
            };
            if pages {
                paging.insert(key);
            }
        }
        paging
    }

    /// Why each shown (drifted) feature of `result` does not page, by feature: what the
    /// screen marks.
    pub(crate) fn held_back(&self, result: &MonitoringResult) -> BTreeMap<String, HeldBack> {
        let evidence = feature_evidence(result);
        let alpha = self.stream_alpha(evidence.len());
        drifted_features(result)
            .into_iter()
            .filter_map(|name| {
                let e = evidence.get(name)?;
                held_back(e.figures, alpha, self.config.min_effect).map(|h| (name.to_string(), h))
            })
            .collect()
    }

    /// The features of `result` whose own paging evidence is past the paging level (and whose
    /// effect clears the floor) though no per-window test flags them, by name: they page, so
    /// the monitor raises a drift alert for each (see the module's docs).
    pub(crate) fn unshown(&self, result: &MonitoringResult) -> Vec<UnshownEvidence> {
        let evidence = feature_evidence(result);
        let alpha = self.stream_alpha(evidence.len());
        let shown = drifted_features(result);
        evidence
            .into_iter()
            .filter(|(name, e)| {
                !shown.contains(name)
                    && held_back(e.figures, alpha, self.config.min_effect).is_none()
            })
            .map(|(name, e)| UnshownEvidence {
                feature: name.to_string(),
                test: e.test,
                p_value: e.figures.0,
                effect: e.figures.1,
            })
            .collect()
    }
}

/// A feature's paging evidence past the paging level, which no per-window test flags.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnshownEvidence {
    pub(crate) feature: String,
    /// The evidence's test: KS for a numeric feature, chi-square for a categorical or
    /// discrete one.
    pub(crate) test: EvidenceTest,
    pub(crate) p_value: f64,
    /// KS D, or the total variation distance of the shares.
    pub(crate) effect: f64,
}

/// Which test a feature's paging evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EvidenceTest {
    /// Kolmogorov–Smirnov's asymptotic p-value and D (numeric features).
    Ks,
    /// Chi-square's p-value and the total variation distance (categorical and discrete).
    Chi2,
}

impl UnshownEvidence {
    /// The alert's message: what crossed, by how much.
    pub(crate) fn message(&self) -> String {
        let (test, effect) = match self.test {
            EvidenceTest::Ks => ("KS", "D"),
            EvidenceTest::Chi2 => ("chi-square", "total variation"),
        };
        format!(
            "feature \"{}\" drifted ({test} p {:.2e}, {effect} {:.3}: past the paging level, \
             though the per-window tests do not flag it)",
            self.feature, self.p_value, self.effect
        )
    }
}

/// The features some detector flags in `result`.
fn drifted_features(result: &MonitoringResult) -> BTreeSet<&str> {
    result
        .drift
        .values()
        .flat_map(|d| d.features.iter().filter(|(_, f)| f.drifted))
        .map(|(name, _)| name.as_str())
        .collect()
}

/// A feature's paging evidence and the test it comes from.
#[derive(Debug, Clone, Copy)]
struct FeatureEvidence {
    figures: Evidence,
    test: EvidenceTest,
}

fn held_back((p, effect): Evidence, alpha: f64, floor: f64) -> Option<HeldBack> {
    if p >= alpha {
        Some(HeldBack::Evidence)
    } else if effect < floor {
        Some(HeldBack::Effect)
    } else {
        None
    }
}

/// Each feature's strongest evidence over the detectors that give one: the smallest paging
/// p-value whose effect clears... the largest effect among equal p-values.
fn feature_evidence(result: &MonitoringResult) -> BTreeMap<&str, FeatureEvidence> {
    let mut out: BTreeMap<&str, FeatureEvidence> = BTreeMap::new();
    for (detector, drift) in &result.drift {
        for (name, f) in &drift.features {
            let (Some(p), Some(effect)) = (f.paging_p_value, f.effect) else {
                continue;
            };
            // Categorical and discrete features' evidence is chi-square's, whichever
            // detector carries it; a numeric feature's is KS's.
            let test = if f.test.is_some() || detector == DetectorKind::Chi2.key() {
                EvidenceTest::Chi2
            } else {
                EvidenceTest::Ks
            };
            let entry = out.entry(name.as_str()).or_insert(FeatureEvidence {
                figures: (p, effect),
                test,
            });
            let (best_p, best_effect) = entry.figures;
            if p < best_p || (p == best_p && effect > best_effect) {
                *entry = FeatureEvidence {
                    figures: (p, effect),
                    test,
                };
            }
        }
    }
    out
}

fn pca_evidence(result: &MonitoringResult) -> Option<Evidence> {
    let figures = result.drift.get(DetectorKind::Pca.key())?.pca.as_ref()?;
    Some((figures.paging_p_value?, figures.effect?))
}

/// The binomial standard error of a realised rate metric (accuracy) on the window's rows.
fn realised_sampling_error(result: &MonitoringResult, value: Option<f64>) -> f64 {
    let (Some(v), Some(Performance::Classification(_))) = (value, &result.performance) else {
        return 0.0;
    };
    let n = result.rows.max(1) as f64;
    (v.clamp(0.0, 1.0) * (1.0 - v.clamp(0.0, 1.0)) / n).sqrt()
}

/// An estimated metric pages when past its threshold by z sampling errors, z the normal
/// quantile of the stream's share of the budget.
fn estimated_pages(result: &MonitoringResult, condition: &Condition, alpha: f64) -> bool {
    let name = condition
        .metric
        .as_deref()
        .map(|m| m.strip_prefix("estimated_").unwrap_or(m));
    let sampling_error = result.estimated_performance.as_ref().and_then(|e| {
        e.metrics
            .named()
            .find(|(n, _)| Some(*n) == name)
            .map(|(_, m)| m.sampling_error)
    });
    let (Some(v), Some(t), Some(se)) = (condition.value, condition.threshold, sampling_error)
    else {
        return true;
    };
    let z = Normal::new(0.0, 1.0).map_or(4.0, |n| {
        n.inverse_cdf((1.0 - alpha).clamp(0.5, 1.0 - 1e-16))
    });
    (v - t).abs() > z * se
}

#[cfg(test)]
mod tests;
