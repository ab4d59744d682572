//! The conditions a window shows: its alerts, regrouped by what an incident is about.
//!
//! Most alerts are one condition each. Data drift is the exception: a detector's alert covers
//! every feature it flags, but the on-call question is "which feature", so each drifted feature
//! is one condition naming the detectors that flag it; the multivariate drift of the classifier
//! and of pca has no feature and stays one condition of its own.

use std::collections::BTreeMap;

use super::IncidentKey;
use crate::monitoring::alerts::{AlertKind, AlertLevel};
use crate::monitoring::result::MonitoringResult;

/// One condition of one window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub kind: AlertKind,
    pub level: AlertLevel,
    pub detector: Option<String>,
    pub detectors: Vec<String>,
    pub feature: Option<String>,
    pub metric: Option<String>,
    pub file: Option<String>,
    pub message: String,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
}

impl Condition {
    pub fn key(&self) -> IncidentKey {
        IncidentKey::of(
            self.kind,
            &self.detector,
            [&self.feature, &self.metric, &self.file],
        )
    }
}

/// A drifted feature: the worst level of the alerts that flag it, and (detector, statistic) of
/// each.
type Flagged<'a> = (AlertLevel, Vec<(&'a str, Option<f64>)>);

/// The conditions of a result whose alerts are raised.
pub(crate) fn of(result: &MonitoringResult) -> Vec<Condition> {
    let mut out = Vec::new();
    let mut drifted: BTreeMap<&str, Flagged> = BTreeMap::new();
    for alert in &result.alerts {
        let base = Condition {
            kind: alert.kind,
            level: alert.level,
            detector: None,
            detectors: Vec::new(),
            feature: alert.feature.clone(),
            metric: alert.metric.clone(),
            file: None,
            message: alert.message.clone(),
            value: alert.value,
            threshold: alert.threshold,
        };
        match alert.kind {
            AlertKind::WindowError => out.push(Condition {
                file: Some(
                    result
                        .error
                        .as_ref()
                        .map_or_else(|| alert.window.clone(), |e| e.file.clone()),
                ),
                ..base
            }),
            AlertKind::DataDrift => {
                // An alert raised by hand names no detector's figures: it is its own condition.
                let Some((name, drift)) = alert
                    .detector
                    .as_deref()
                    .and_then(|name| result.drift.get(name).map(|d| (name, d)))
                else {
                    out.push(base);
                    continue;
                };
                if drift.auc.is_some() || drift.pca.is_some() {
                    out.push(Condition {
                        detector: Some(name.to_string()),
                        ..base
                    });
                    continue;
                }
                for (feature, f) in drift.features.iter().filter(|(_, f)| f.drifted) {
                    let entry = drifted
                        .entry(feature.as_str())
                        .or_insert((alert.level, Vec::new()));
                    entry.0 = entry.0.max(alert.level);
                    entry.1.push((name, f.statistic));
                }
            }
            _ => out.push(base),
        }
    }
    for (feature, (level, by)) in drifted {
        let figures: Vec<String> = by
            .iter()
            .map(|(d, s)| match s {
                Some(s) => format!("{d} {s:.3}"),
                None => d.to_string(),
            })
            .collect();
        out.push(Condition {
            kind: AlertKind::DataDrift,
            level,
            detector: None,
            detectors: by.iter().map(|(d, _)| d.to_string()).collect(),
            feature: Some(feature.to_string()),
            metric: None,
            file: None,
            message: format!("feature \"{feature}\" drifted ({})", figures.join(", ")),
            value: by.first().and_then(|(_, s)| *s),
            threshold: None,
        });
    }
    out
}
