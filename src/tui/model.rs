//! What the screen is drawn from: a bounded summary of the windows seen so far.
//!
//! Only the newest usable window is kept whole (for the drift table, gauges and histograms);
//! older windows shrink to the few numbers the sparklines need, and at most [`MAX_WINDOWS`] of
//! them and [`MAX_ALERTS`] alerts are kept, so a monitor left running for weeks stays small.
//! The whole snapshot is cheap to clone, which is how pausing freezes the display.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ml_monitor::monitoring::estimation::EstimatedMetric;
use ml_monitor::monitoring::{ChangeKind, Incident};
use ml_monitor::{Alert, AlertLevel, MonitoringResult};

use super::rows;
use crate::app_event::{RealisedWindow, WindowReport};

/// Windows of history kept for the sparklines.
pub(crate) const MAX_WINDOWS: usize = 500;
/// Alerts kept for the alert list.
pub(crate) const MAX_ALERTS: usize = 1000;
/// Resolved incidents kept below the firing ones.
pub(crate) const MAX_RESOLVED: usize = 200;

/// An alert's identity in the history: its window and its index in that window's alerts.
pub(crate) type AlertKey = (String, usize);

/// The figures of one window that the sparklines draw.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WindowSummary {
    /// Its file name (what the trends' cursor names, and what late labels are matched by).
    pub(crate) window: String,
    pub(crate) drift_share: Option<f64>,
    pub(crate) auc: Option<f64>,
    /// The pca detector's mean reconstruction error and upper threshold, when it ran.
    pub(crate) pca: Option<(f64, Option<f64>)>,
    /// Accuracy or R², with its name.
    pub(crate) headline: Option<(&'static str, f64)>,
    pub(crate) prediction_mean: Option<f64>,
    /// Accuracy estimated from the scores (CBPE), with its band and thresholds.
    pub(crate) estimated_accuracy: Option<EstimatedMetric>,
    /// Rows with a late label, and the window's rows, once late labels came for it.
    pub(crate) labelled: Option<(usize, usize)>,
    /// The first window under a new reference or thresholds (`metadata.settings_changed`).
    pub(crate) settings_changed: bool,
}

impl WindowSummary {
    fn of(result: &MonitoringResult) -> Self {
        // Late labels recorded in the history (a window read back at start or travelling).
        let late = result.metadata.get("late_labels");
        let labelled = late.and_then(|l| l["labelled_rows"].as_u64()).map(|n| {
            let rows = late.and_then(|l| l["rows"].as_u64());
            (n as usize, rows.map_or(result.rows, |r| r as usize))
        });
        WindowSummary {
            window: result.window.clone(),
            labelled,
            settings_changed: result.metadata.contains_key("settings_changed"),
            drift_share: rows::drift_share(result),
            auc: rows::classifier_auc(result),
            pca: rows::pca_error(result),
            headline: result.performance.as_ref().map(|p| p.headline()),
            prediction_mean: result.predictions.as_ref().map(|p| p.mean),
            estimated_accuracy: result
                .estimated_performance
                .as_ref()
                .and_then(|e| e.metrics.accuracy.clone()),
        }
    }
}

/// The newest window, usable or not, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LastWindow {
    pub(crate) name: String,
    pub(crate) timestamp: DateTime<Utc>,
    pub(crate) failed: bool,
}

/// An alert with its key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AlertEntry {
    pub(crate) key: AlertKey,
    pub(crate) alert: Alert,
    /// Arrival order, from 1: what the `↑ N new` marker compares.
    pub(crate) seq: usize,
}

/// Everything drawn from the results.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub(crate) windows_seen: usize,
    /// Oldest first, at most [`MAX_WINDOWS`] (error windows are not in it).
    pub(crate) history: VecDeque<WindowSummary>,
    /// The newest window that could be read, with its histograms.
    pub(crate) latest: Option<Arc<WindowReport>>,
    pub(crate) last: Option<LastWindow>,
    /// Newest first, at most [`MAX_ALERTS`].
    pub(crate) alerts: VecDeque<AlertEntry>,
    /// Alerts ever seen, by level (INFO, WARNING, CRITICAL).
    pub(crate) counts: [usize; 3],
    /// Incidents still firing: worst level first, then oldest first.
    pub(crate) firing: Vec<Incident>,
    /// Resolved incidents, newest first, at most [`MAX_RESOLVED`].
    pub(crate) resolved: VecDeque<Incident>,
    /// Sinks failing as of the newest window.
    pub(crate) failing_sinks: Vec<String>,
}

impl Snapshot {
    /// Adds a processed window.
    pub(crate) fn push(&mut self, report: WindowReport) {
        let result = &report.result;
        self.windows_seen += 1;
        self.last = Some(LastWindow {
            name: result.window.clone(),
            timestamp: result.timestamp,
            failed: result.error.is_some(),
        });
        for (index, alert) in result.alerts.iter().enumerate().rev() {
            self.counts[level_index(alert.level)] += 1;
            self.alerts.push_front(AlertEntry {
                key: (result.window.clone(), index),
                alert: alert.clone(),
                seq: self.counts.iter().sum(),
            });
        }
        self.alerts.truncate(MAX_ALERTS);
        for change in &result.incidents {
            self.firing.retain(|i| i.id != change.incident.id);
            match change.change {
                ChangeKind::Resolved => self.resolved.push_front(change.incident.clone()),
                _ => self.firing.push(change.incident.clone()),
            }
        }
        // The window's firing incidents carry the counts a window without changes updated.
        for incident in &report.firing {
            match self.firing.iter_mut().find(|i| i.id == incident.id) {
                Some(shown) => *shown = incident.clone(),
                None => self.firing.push(incident.clone()),
            }
        }
        self.sort_incidents();
        self.failing_sinks = report.failing_sinks.clone();
        if result.error.is_none() {
            self.history.push_back(WindowSummary::of(result));
            if self.history.len() > MAX_WINDOWS {
                self.history.pop_front();
            }
            self.latest = Some(Arc::new(report));
        }
    }

    /// Takes in a window's realised figures from late labels; `false` when the window is not
    /// in the trends (older than they reach, or an error window).
    pub(crate) fn realise(&mut self, realised: &RealisedWindow) -> bool {
        let Some(summary) = self
            .history
            .iter_mut()
            .rev()
            .find(|w| w.window == realised.window)
        else {
            return false;
        };
        summary.headline = realised.performance.as_ref().map(|p| p.headline());
        summary.labelled = Some((realised.labelled_rows, realised.rows));
        true
    }

    /// Takes in incidents read from the history at start.
    pub(crate) fn set_incidents(&mut self, incidents: Vec<Incident>) {
        for incident in incidents {
            self.firing.retain(|i| i.id != incident.id);
            self.resolved.retain(|i| i.id != incident.id);
            if incident.is_firing() {
                self.firing.push(incident);
            } else {
                self.resolved.push_back(incident);
            }
        }
        self.resolved
            .make_contiguous()
            .sort_by_key(|i| std::cmp::Reverse((i.resolved_at, i.id)));
        self.sort_incidents();
    }

    fn sort_incidents(&mut self) {
        self.firing
            .sort_by_key(|i| (std::cmp::Reverse(i.level), i.id));
        self.resolved.truncate(MAX_RESOLVED);
    }

    /// Firing incidents at a level.
    pub(crate) fn firing_at(&self, level: AlertLevel) -> usize {
        self.firing.iter().filter(|i| i.level == level).count()
    }

    /// The newest window's result, if one could be read.
    pub(crate) fn latest_result(&self) -> Option<&MonitoringResult> {
        self.latest.as_deref().map(|r| &r.result)
    }

    /// Alerts seen at a level.
    #[cfg(test)]
    pub(crate) fn count(&self, level: AlertLevel) -> usize {
        self.counts[level_index(level)]
    }
}

fn level_index(level: AlertLevel) -> usize {
    match level {
        AlertLevel::Info => 0,
        AlertLevel::Warning => 1,
        AlertLevel::Critical => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;

    #[test]
    fn history_and_alerts_stay_bounded() {
        let mut s = Snapshot::default();
        for i in 0..(MAX_WINDOWS + 20) {
            s.push(fixtures::report(i, i % 2 == 0));
        }
        assert_eq!(s.windows_seen, MAX_WINDOWS + 20);
        assert_eq!(s.history.len(), MAX_WINDOWS);
        assert!(s.alerts.len() <= MAX_ALERTS);
        let total: usize = s.counts.iter().sum();
        assert!(total > MAX_ALERTS, "counts keep every alert seen: {total}");
    }

    #[test]
    fn late_labels_reach_the_trends_from_the_history_and_as_they_come() {
        // Read back from the history (start, travel): the share its metadata records.
        let mut s = Snapshot::default();
        let mut recorded = fixtures::result(1, false);
        recorded.metadata.insert(
            "late_labels".into(),
            serde_json::json!({"labelled_rows": 80, "rows": 100}),
        );
        s.push(WindowReport {
            result: recorded,
            histograms: Default::default(),
            firing: Vec::new(),
            failing_sinks: Vec::new(),
        });
        let mut live = fixtures::result(2, false);
        live.performance = None;
        s.push(WindowReport {
            result: live,
            histograms: Default::default(),
            firing: Vec::new(),
            failing_sinks: Vec::new(),
        });
        assert_eq!(s.history[0].labelled, Some((80, 100)));
        assert_eq!(s.history[1].labelled, None);
        // Joined while the screen runs: the window named gets them, no other.
        let performance = fixtures::result(1, false).performance;
        let realised = RealisedWindow {
            window: fixtures::window_name(2),
            performance: performance.clone(),
            labelled_rows: 7,
            rows: 10,
        };
        assert!(s.realise(&realised));
        assert_eq!(s.history[1].labelled, Some((7, 10)));
        assert_eq!(
            s.history[1].headline,
            performance.as_ref().map(|p| p.headline())
        );
        assert_eq!(s.history[0].labelled, Some((80, 100)));
        let unknown = RealisedWindow {
            window: "gone.csv".into(),
            ..realised
        };
        assert!(!s.realise(&unknown));
    }

    #[test]
    fn an_error_window_updates_status_and_alerts_but_not_the_table() {
        let mut s = Snapshot::default();
        s.push(fixtures::report(1, true));
        s.push(WindowReport {
            firing: Vec::new(),
            failing_sinks: Vec::new(),
            result: fixtures::error_result(2),
            histograms: Default::default(),
        });
        assert_eq!(
            s.latest_result().map(|r| r.window.as_str()),
            Some("window_0001.csv")
        );
        let last = s.last.as_ref().expect("last window");
        assert!(last.failed && last.name == "window_0002.csv");
        assert_eq!(s.alerts[0].key, ("window_0002.csv".to_string(), 0));
        assert_eq!(s.count(AlertLevel::Critical), 2);
        assert_eq!(s.history.len(), 1);
    }
}
