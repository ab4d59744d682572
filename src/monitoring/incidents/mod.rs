//! Incidents: one ongoing condition, however many windows it lasts.
//!
//! Alerts are per window: a feature that drifts for twenty windows raises twenty alerts. An
//! on-call engineer wants one page per problem and a "resolved" when it clears, so the
//! [`IncidentTracker`] folds each window's conditions into incidents keyed by
//! (kind, detector, feature/metric/file) and reports only what changed: `opened`, `escalated`,
//! `resolved`. A condition that comes back after its incident resolved opens a new incident
//! with a new id. Windows that could not be read say nothing about the other conditions, so they
//! neither update nor resolve them; the next readable window resolves every `window_error`.
//!
//! The tracker is plain state: the binary stores its changes with each window's result and
//! restores the open incidents at start ([`IncidentTracker::restore`]).

pub(crate) mod conditions;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alerts::{AlertKind, AlertLevel};
use super::result::MonitoringResult;
use conditions::Condition;

/// Whether an incident's condition still holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Firing,
    Resolved,
}

impl IncidentStatus {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Firing => "firing",
            IncidentStatus::Resolved => "resolved",
        }
    }
}

/// What a window did to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Opened,
    Escalated,
    Resolved,
}

impl ChangeKind {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Opened => "opened",
            ChangeKind::Escalated => "escalated",
            ChangeKind::Resolved => "resolved",
        }
    }
}

/// What makes two windows' conditions the same incident.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentKey {
    pub kind: AlertKind,
    pub detector: Option<String>,
    /// The feature, else the metric, else the file (`window_error`).
    pub subject: Option<String>,
}

impl IncidentKey {
    /// The key of a condition or incident: its kind, detector, and the first of its feature,
    /// metric and file that is set.
    pub fn of(kind: AlertKind, detector: &Option<String>, subjects: [&Option<String>; 3]) -> Self {
        IncidentKey {
            kind,
            detector: detector.clone(),
            subject: subjects.into_iter().find_map(Clone::clone),
        }
    }
}

/// One ongoing (or finished) condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Unique within a history; a reopened condition gets a new id.
    pub id: u64,
    pub kind: AlertKind,
    pub status: IncidentStatus,
    /// The worst level seen so far.
    pub level: AlertLevel,
    /// The detector (the classifier's multivariate drift).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    /// The detectors that flag a drifted feature, in name order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// The file a `window_error` is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The latest window's message.
    pub message: String,
    /// The latest window's value of the metric (or the first flagging detector's statistic).
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub threshold: Option<f64>,
    pub first_window: String,
    pub last_window: String,
    /// Windows that showed the condition.
    pub windows: u64,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Consecutive readable windows without the condition so far.
    #[serde(default)]
    pub quiet_windows: usize,
    /// A performance incident: the top features of the latest ranking (which feature to blame,
    /// see [`crate::monitoring::ranking`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suspects: Vec<crate::monitoring::ranking::FeatureRank>,
}

impl Incident {
    /// The key later windows' conditions are matched on.
    pub fn key(&self) -> IncidentKey {
        IncidentKey::of(
            self.kind,
            &self.detector,
            [&self.feature, &self.metric, &self.file],
        )
    }

    /// `detector`, `feature`, `metric` and `file`, those that are set: the labels that say what
    /// a notification is about.
    pub fn subject_labels(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("detector", &self.detector),
            ("feature", &self.feature),
            ("metric", &self.metric),
            ("file", &self.file),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|v| (key, v)))
    }

    /// Whether the condition still holds.
    pub fn is_firing(&self) -> bool {
        self.status == IncidentStatus::Firing
    }

    /// The feature, detector, metric or file: what a one-line view names.
    pub fn subject(&self) -> &str {
        self.feature
            .as_deref()
            .or(self.detector.as_deref())
            .or(self.metric.as_deref())
            .or(self.file.as_deref())
            .unwrap_or("")
    }
}

/// One change a window caused, with the incident as it stands after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentChange {
    pub change: ChangeKind,
    /// The level before an escalation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_level: Option<AlertLevel>,
    #[serde(flatten)]
    pub incident: Incident,
}

/// Folds windows into incidents.
#[derive(Debug, Clone)]
pub struct IncidentTracker {
    resolve_after: usize,
    open: BTreeMap<IncidentKey, Incident>,
    next_id: u64,
}

impl Default for IncidentTracker {
    fn default() -> Self {
        Self::new(1)
    }
}

impl IncidentTracker {
    /// A tracker that resolves an incident after `resolve_after` (at least 1) consecutive
    /// readable windows without its condition.
    pub fn new(resolve_after: usize) -> Self {
        IncidentTracker {
            resolve_after: resolve_after.max(1),
            open: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// Continues from stored state: the incidents still firing, and the largest id ever given.
    pub fn restore(&mut self, open: impl IntoIterator<Item = Incident>, last_id: u64) {
        self.open = open
            .into_iter()
            .filter(Incident::is_firing)
            .map(|i| (i.key(), i))
            .collect();
        let max_open = self.open.values().map(|i| i.id).max().unwrap_or(0);
        self.next_id = last_id.max(max_open).saturating_add(1);
    }

    /// The firing incidents, in key order.
    pub fn open(&self) -> impl Iterator<Item = &Incident> {
        self.open.values()
    }

    /// The firing incidents, to annotate in place (their keys do not change).
    pub(crate) fn open_mut(&mut self) -> impl Iterator<Item = &mut Incident> {
        self.open.values_mut()
    }

    /// Firing incidents counted by (level, kind): what a gauge exports.
    pub fn firing_counts(&self) -> BTreeMap<(AlertLevel, AlertKind), usize> {
        let mut counts = BTreeMap::new();
        for incident in self.open.values() {
            *counts.entry((incident.level, incident.kind)).or_insert(0) += 1;
        }
        counts
    }

    /// Folds one window's result (its alerts already raised) into the incidents and returns the
    /// changes it caused: openings and escalations in key order, then resolutions.
    /// As [`observe_paging`](Self::observe_paging) with every condition paging.
    pub fn observe(&mut self, result: &MonitoringResult) -> Vec<IncidentChange> {
        let all = conditions::of(result).iter().map(|c| c.key()).collect();
        self.observe_paging(result, &all)
    }

    /// `paging` holds the keys of the conditions the [`PagePolicy`](super::paging::PagePolicy)
    /// says page at this window.
    pub fn observe_paging(
        &mut self,
        result: &MonitoringResult,
        _paging: &BTreeSet<IncidentKey>,
    ) -> Vec<IncidentChange> {
        let now = result.timestamp;
        let readable = result.error.is_none();
        let mut changes = Vec::new();
        let mut seen = Vec::new();
        for condition in conditions::of(result) {
            let key = condition.key();
            seen.push(key.clone());
            match self.open.get_mut(&key) {
                Some(incident) => {
                    let previous = incident.level;
                    update(incident, condition, &result.window, now);
                    if incident.level > previous {
                        changes.push(IncidentChange {
                            change: ChangeKind::Escalated,
                            previous_level: Some(previous),
                            incident: incident.clone(),
                        });
                    }
                }
                None => {
                    let incident = open(self.next_id, condition, &result.window, now);
                    self.next_id += 1;
                    changes.push(IncidentChange {
                        change: ChangeKind::Opened,
                        previous_level: None,
                        incident: incident.clone(),
                    });
                    self.open.insert(key, incident);
                }
            }
        }
        if !readable {
            return changes;
        }
        let mut resolved = Vec::new();
        for (key, incident) in &mut self.open {
            if seen.contains(key) {
                continue;
            }
            incident.quiet_windows += 1;
            if incident.kind == AlertKind::WindowError
                || incident.quiet_windows >= self.resolve_after
            {
                resolved.push(key.clone());
            }
        }
        for key in resolved {
            if let Some(mut incident) = self.open.remove(&key) {
                incident.status = IncidentStatus::Resolved;
                incident.resolved_at = Some(now);
                incident.updated_at = now;
                changes.push(IncidentChange {
                    change: ChangeKind::Resolved,
                    previous_level: None,
                    incident,
                });
            }
        }
        changes
    }
}

fn open(id: u64, c: Condition, window: &str, now: DateTime<Utc>) -> Incident {
    Incident {
        id,
        kind: c.kind,
        status: IncidentStatus::Firing,
        level: c.level,
        detector: c.detector,
        detectors: c.detectors,
        feature: c.feature,
        metric: c.metric,
        file: c.file,
        message: c.message,
        value: c.value,
        threshold: c.threshold,
        first_window: window.to_string(),
        last_window: window.to_string(),
        windows: 1,
        opened_at: now,
        updated_at: now,
        resolved_at: None,
        quiet_windows: 0,
        suspects: Vec::new(),
    }
}

fn update(incident: &mut Incident, c: Condition, window: &str, now: DateTime<Utc>) {
    incident.level = incident.level.max(c.level);
    incident.detectors = c.detectors;
    incident.message = c.message;
    incident.value = c.value;
    incident.threshold = c.threshold;
    incident.last_window = window.to_string();
    incident.windows += 1;
    incident.updated_at = now;
    incident.quiet_windows = 0;
}
