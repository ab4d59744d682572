//! Paging: which of a window's conditions carry evidence strong enough to wake someone.
//!
//! The per-window alerts keep the detectors' sensitivity for the screen (about one clean window
//! in twenty shows something); a pager must be about a thousand times rarer. So a shown
//! condition pages only on evidence measured against a budget: `1 / false_page_every` false
//! pages per clean window, split evenly (Bonferroni) over the window's statistical streams (each
//! tested feature, pca, each estimated metric). Why no CUSUM or k-of-m: at 2,000-row windows a
//! single window's KS p-value at that level already catches a 0.25 sd shift at once
//! (docs/paging.md measures it), and accumulating would only add delay.
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
    pub fn new(config: &PagingConfig) -> Self {
        PagePolicy {
            config: config.clone(),
            paged_metrics: BTreeSet::new(),
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &PagingConfig {
        &self.config
    }

    /// The per-stream level of a window with `streams` statistical streams.
    pub(crate) fn stream_alpha(&self, streams: usize) -> f64 {
        1.0 / (self.config.false_page_every.max(1) as f64 * streams.max(1) as f64)
    }

    /// Folds one window's result (alerts raised) into the policy and returns the keys of the
    /// conditions whose evidence is strong enough to page at this window.
    pub fn observe(&mut self, result: &MonitoringResult) -> BTreeSet<IncidentKey> {
        let evidence = feature_evidence(result);
        let estimated = result
            .estimated_performance
            .as_ref()
            .map_or(0, |e| e.metrics.named().count());
        let pca = pca_evidence(result);
        let streams = evidence.len() + usize::from(pca.is_some()) + estimated;
        let alpha = self.stream_alpha(streams);
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
                        Some(&e) => held_back(e, alpha, self.config.min_effect).is_none(),
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
    pub fn held_back(&self, result: &MonitoringResult) -> BTreeMap<String, HeldBack> {
        let evidence = feature_evidence(result);
        let estimated = result
            .estimated_performance
            .as_ref()
            .map_or(0, |e| e.metrics.named().count());
        let streams = evidence.len() + usize::from(pca_evidence(result).is_some()) + estimated;
        let alpha = self.stream_alpha(streams);
        let drifted: BTreeSet<&str> = result
            .drift
            .values()
            .flat_map(|d| d.features.iter().filter(|(_, f)| f.drifted))
            .map(|(name, _)| name.as_str())
            .collect();
        drifted
            .into_iter()
            .filter_map(|name| {
                let e = evidence.get(name)?;
                held_back(*e, alpha, self.config.min_effect).map(|h| (name.to_string(), h))
            })
            .collect()
    }
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
fn feature_evidence(result: &MonitoringResult) -> BTreeMap<&str, Evidence> {
    let mut out: BTreeMap<&str, Evidence> = BTreeMap::new();
    for drift in result.drift.values() {
        for (name, f) in &drift.features {
            let (Some(p), Some(effect)) = (f.paging_p_value, f.effect) else {
                continue;
            };
            let entry = out.entry(name.as_str()).or_insert((p, effect));
            if p < entry.0 || (p == entry.0 && effect > entry.1) {
                *entry = (p, effect);
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
