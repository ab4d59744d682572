//! Incidents are problems: the paging conditions of one model that started together, however
//! many windows they last.
//!
//! Alerts are per window: a feature that drifts for twenty windows raises twenty alerts, and one
//! cause (a broken upstream join) shows as drift of five features, missing values and an
//! accuracy drop. An on-call engineer wants one page per problem and a "resolved" when it
//! clears, so the [`IncidentTracker`] folds the conditions the
//! [`PagePolicy`](super::paging::PagePolicy) lets page into problems: conditions (keyed by kind,
//! detector, feature/metric/file) that start paging within `[paging] group_windows` of each
//! other are the *members* of one incident, whose level is its worst member's. It reports only
//! what changed: `opened`, `updated` (a member joined), `escalated`, `resolved` (when its last
//! member resolved). A member stays as long as the screen shows its condition, so the policy's
//! stricter bar does not make a problem flap; a condition that pages again after its problem
//! resolved re-opens that problem with the same id (`times_opened`). Windows that could not be
//! read say nothing about the other conditions, so they neither update nor resolve them; the
//! next readable window resolves every `window_error`.
//!
//! The tracker is plain state: the binary stores its changes with each window's result and
//! restores the incidents at start ([`IncidentTracker::restore`]).

pub(crate) mod conditions;
#[cfg(test)]
mod tests;
mod tracker;

pub use tracker::IncidentTracker;
#[cfg(test)]
use tracker::LABELS;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alerts::{AlertKind, AlertLevel};

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
    /// A member joined (not a new page).
    Updated,
    Escalated,
    Resolved,
}

impl ChangeKind {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Opened => "opened",
            ChangeKind::Updated => "updated",
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

/// One condition of a problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub kind: AlertKind,
    pub level: AlertLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub message: String,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Firing while the screen shows it; resolved after `resolve_after` windows without.
    pub status: IncidentStatus,
    /// Consecutive readable windows without the condition so far.
    #[serde(default)]
    pub quiet_windows: usize,
}

impl Member {
    /// The key later windows' conditions are matched on.
    pub(crate) fn key(&self) -> IncidentKey {
        IncidentKey::of(
            self.kind,
            &self.detector,
            [&self.feature, &self.metric, &self.file],
        )
    }

    /// What the member is about: its feature, detector, metric or file (empty when none).
    pub fn subject(&self) -> &str {
        self.feature
            .as_deref()
            .or(self.detector.as_deref())
            .or(self.metric.as_deref())
            .or(self.file.as_deref())
            .unwrap_or("")
    }

    /// Whether the member's condition still holds.
    pub fn is_firing(&self) -> bool {
        self.status == IncidentStatus::Firing
    }

    /// The member's labels for a notification: `kind`, `level`, and `detector`, `feature`,
    /// `metric`, `file` when set (what silences and routes match on).
    pub fn labels(&self) -> BTreeMap<&'static str, String> {
        let mut labels = BTreeMap::new();
        labels.insert("kind", self.kind.as_str().to_string());
        labels.insert("level", self.level.as_str().to_string());
        for (key, value) in [
            ("detector", &self.detector),
            ("feature", &self.feature),
            ("metric", &self.metric),
            ("file", &self.file),
        ] {
            if let Some(v) = value {
                labels.insert(key, v.clone());
            }
        }
        labels
    }
}

fn one() -> u32 {
    1
}

/// One ongoing (or finished) problem. Its own kind, feature, message… are its first member's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Unique within a history (the `problem_id`); a re-opened problem keeps it.
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
    /// The problem's conditions, the first one described by the fields above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// How many times the problem has opened (a re-opening keeps the id).
    #[serde(default = "one")]
    pub times_opened: u32,
    /// When it first opened, when it has re-opened since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_opened_at: Option<DateTime<Utc>>,
    /// Why it resolved, when not because its conditions cleared: [`SETTINGS_CHANGED`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_reason: Option<String>,
}

/// The `resolved_reason` of a problem closed because the reference or the settings that decide
/// alerts changed (see [`IncidentTracker::close_all`]).
pub const SETTINGS_CHANGED: &str = "settings_changed";

impl Incident {
    /// What a resolution with a `resolved_reason` says: `closed: the reference or thresholds
    /// changed`.
    pub fn resolved_note(&self) -> Option<&'static str> {
        match self.resolved_reason.as_deref()? {
            SETTINGS_CHANGED => Some("closed: the reference or thresholds changed"),
            _ => Some("closed"),
        }
    }

    /// The problem's labels for a notification: its first member's, its worst `level`, and
    /// `problem_id` (a sink adds `monitor`).
    pub fn labels(&self) -> BTreeMap<&'static str, String> {
        let mut labels = self.members.first().map(Member::labels).unwrap_or_default();
        labels.insert("kind", self.kind.as_str().to_string());
        labels.insert("level", self.level.as_str().to_string());
        labels.insert("problem_id", self.id.to_string());
        labels
    }

    /// `3rd time since 02:10` for a problem that opened more than once.
    pub fn reopened_note(&self) -> Option<String> {
        if self.times_opened < 2 {
            return None;
        }
        let n = self.times_opened;
        let suffix = match (n % 10, n % 100) {
            (1, x) if x != 11 => "st",
            (2, x) if x != 12 => "nd",
            (3, x) if x != 13 => "rd",
            _ => "th",
        };
        let since = self.first_opened_at.unwrap_or(self.opened_at);
        Some(format!("{n}{suffix} time since {}", since.format("%H:%M")))
    }

    /// The key later windows' conditions are matched on.
    pub(crate) fn key(&self) -> IncidentKey {
        IncidentKey::of(
            self.kind,
            &self.detector,
            [&self.feature, &self.metric, &self.file],
        )
    }

    /// The feature a look at the data starts from: the problem's own, else its first member's
    /// that has one (a problem named by its accuracy drop may have drifted features).
    pub fn first_feature(&self) -> Option<&str> {
        self.feature
            .as_deref()
            .or_else(|| self.members.iter().find_map(|m| m.feature.as_deref()))
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
