//! The incident state machine: open, update, escalate, resolve, reopen; `resolve_after`.

use std::collections::BTreeMap;

use super::*;
use crate::drift::{DriftResult, FeatureDrift, FeatureStatus};
use crate::monitoring::alerts::{AlertManager, AlertThresholds};
use crate::monitoring::result::WindowError;

fn drift(features: &[(&str, bool)], detected: bool) -> DriftResult {
    let features: BTreeMap<String, FeatureDrift> = features
        .iter()
        .map(|(n, d)| {
            (
                n.to_string(),
                FeatureDrift {
                    statistic: Some(if *d { 0.4 } else { 0.01 }),
                    p_value: None,
                    p_value_adjusted: None,
                    drifted: *d,
                    status: FeatureStatus::Ok,
                    test: None,
                    statistic_error_bound: None,
                    p_value_approximate: None,
                },
            )
        })
        .collect();
    let n_drifted = features.values().filter(|f| f.drifted).count();
    DriftResult {
        drift_detected: detected,
        drift_score: n_drifted as f64 / features.len().max(1) as f64,
        window_drift: detected,
        n_features: features.len(),
        n_drifted,
        features,
        auc: None,
        feature_importances: None,
        status: None,
        pca: None,
    }
}

/// A window: which features KS and PSI flag, and its prediction shift.
fn window(
    i: usize,
    ks: &[&str],
    psi: &[&str],
    shift: f64,
    thresholds: &AlertThresholds,
) -> MonitoringResult {
    let mut r = MonitoringResult::new(format!("w{i:02}.csv"));
    let all = ["a", "b", "c"];
    let flags =
        |on: &[&str]| -> Vec<(&str, bool)> { all.iter().map(|f| (*f, on.contains(f))).collect() };
    r.drift
        .insert("ks".into(), drift(&flags(ks), !ks.is_empty()));
    r.drift
        .insert("psi".into(), drift(&flags(psi), !psi.is_empty()));
    r.prediction_shift = Some(shift);
    r.alerts = AlertManager::new(thresholds.clone()).check_alerts(&r);
    r
}

fn error_window(i: usize) -> MonitoringResult {
    let mut r = MonitoringResult::new(format!("w{i:02}.csv"));
    r.error = Some(WindowError {
        kind: crate::monitoring::WindowErrorKind::Data(crate::data::DataErrorKind::RaggedRow),
        message: "bad".into(),
        file: format!("/d/w{i:02}.csv"),
        line: Some(2),
        column: None,
    });
    r.alerts = AlertManager::new(AlertThresholds::default()).check_alerts(&r);
    r
}

fn summary(changes: &[IncidentChange]) -> Vec<(ChangeKind, u64, String)> {
    changes
        .iter()
        .map(|c| (c.change, c.incident.id, c.incident.subject().to_string()))
        .collect()
}

#[test]
fn one_incident_per_drifted_feature_listing_its_detectors() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(1);
    let changes = tracker.observe(&window(0, &["a", "b"], &["a"], 0.0, &t));
    assert_eq!(
        summary(&changes),
        vec![
            (ChangeKind::Opened, 1, "a".into()),
            (ChangeKind::Opened, 2, "b".into())
        ]
    );
    let a = &changes[0].incident;
    assert_eq!(a.kind, AlertKind::DataDrift);
    assert_eq!(a.detectors, vec!["ks".to_string(), "psi".to_string()]);
    assert_eq!(a.level, AlertLevel::Warning);
    assert_eq!(a.value, Some(0.4));
    assert!(a.message.contains("\"a\""), "{}", a.message);
    assert_eq!(changes[1].incident.detectors, vec!["ks".to_string()]);
}

#[test]
fn pca_drift_is_one_incident_of_its_own() {
    let t = AlertThresholds::default();
    let mut r = window(0, &[], &[], 0.0, &t);
    let mut pca = drift(&[], true);
    pca.drift_score = 2.12;
    pca.pca = Some(crate::drift::pca::PcaFigures {
        reconstruction_error: 2.12,
        sampling_error: Some(0.02),
        lower_threshold: Some(1.5),
        upper_threshold: Some(1.72),
        components: 4,
        p_value: Some(1e-30),
        p_value_adjusted: Some(1e-29),
    });
    r.drift.insert("pca".into(), pca);
    r.alerts = AlertManager::new(t.clone()).check_alerts(&r);
    let mut tracker = IncidentTracker::new(1);
    let changes = tracker.observe(&r);
    assert_eq!(
        summary(&changes),
        vec![(ChangeKind::Opened, 1, "pca".into())]
    );
    assert_eq!(changes[0].incident.kind, AlertKind::DataDrift);
}

#[test]
fn open_update_escalate_resolve_reopen() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(1);
    // Window 0: shift 0.2 opens a prediction_shift incident.
    let c = tracker.observe(&window(0, &[], &[], 0.2, &t));
    assert_eq!(
        summary(&c),
        vec![(ChangeKind::Opened, 1, "prediction_shift".into())]
    );
    // Windows 1-3: still there; no changes, but the incident counts them.
    for i in 1..4 {
        assert!(tracker.observe(&window(i, &[], &[], 0.3, &t)).is_empty());
    }
    let open: Vec<&Incident> = tracker.open().collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].windows, 4);
    assert_eq!(open[0].first_window, "w00.csv");
    assert_eq!(open[0].last_window, "w03.csv");
    assert_eq!(open[0].value, Some(0.3));
    // Window 4: the drift level is raised to CRITICAL for a drifting feature: a new incident;
    // the shift incident is unchanged.
    let critical = AlertThresholds {
        drift_level: AlertLevel::Critical,
        ..t.clone()
    };
    let c = tracker.observe(&window(4, &["a"], &[], 0.3, &t));
    assert_eq!(summary(&c), vec![(ChangeKind::Opened, 2, "a".into())]);
    let c = tracker.observe(&window(5, &["a"], &[], 0.3, &critical));
    assert_eq!(summary(&c), vec![(ChangeKind::Escalated, 2, "a".into())]);
    assert_eq!(c[0].previous_level, Some(AlertLevel::Warning));
    assert_eq!(c[0].incident.level, AlertLevel::Critical);
    // Back to WARNING: the worst level stays, nothing changes.
    assert!(tracker.observe(&window(6, &["a"], &[], 0.3, &t)).is_empty());
    // Window 7: both clear, both resolve.
    let c = tracker.observe(&window(7, &[], &[], 0.0, &t));
    let mut resolved = summary(&c);
    resolved.sort_by_key(|(_, id, _)| *id);
    assert_eq!(
        resolved,
        vec![
            (ChangeKind::Resolved, 1, "prediction_shift".into()),
            (ChangeKind::Resolved, 2, "a".into()),
        ]
    );
    assert_eq!(c.len(), 2);
    for change in &c {
        assert_eq!(change.incident.status, IncidentStatus::Resolved);
        assert!(change.incident.resolved_at.is_some());
    }
    assert_eq!(tracker.open().count(), 0);
    // Window 8: the shift returns: a new incident, a new id.
    let c = tracker.observe(&window(8, &[], &[], 0.5, &t));
    assert_eq!(
        summary(&c),
        vec![(ChangeKind::Opened, 3, "prediction_shift".into())]
    );
    assert_eq!(c[0].incident.windows, 1);
}

#[test]
fn resolve_after_waits_for_that_many_quiet_windows() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(3);
    tracker.observe(&window(0, &["a"], &[], 0.0, &t));
    assert!(tracker.observe(&window(1, &[], &[], 0.0, &t)).is_empty());
    assert!(tracker.observe(&window(2, &[], &[], 0.0, &t)).is_empty());
    // The condition is back before the third quiet window: the same incident goes on.
    assert!(tracker.observe(&window(3, &["a"], &[], 0.0, &t)).is_empty());
    for i in 4..6 {
        assert!(tracker.observe(&window(i, &[], &[], 0.0, &t)).is_empty());
    }
    let c = tracker.observe(&window(6, &[], &[], 0.0, &t));
    assert_eq!(summary(&c), vec![(ChangeKind::Resolved, 1, "a".into())]);
    assert_eq!(c[0].incident.windows, 2);
}

#[test]
fn unreadable_windows_neither_update_nor_resolve_and_the_next_readable_one_clears_them() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(1);
    tracker.observe(&window(0, &["a"], &[], 0.0, &t));
    let c = tracker.observe(&error_window(1));
    assert_eq!(
        summary(&c),
        vec![(ChangeKind::Opened, 2, "/d/w01.csv".into())]
    );
    assert_eq!(c[0].incident.level, AlertLevel::Critical);
    // A second bad file is its own incident; the drift incident is untouched.
    let c = tracker.observe(&error_window(2));
    assert_eq!(
        summary(&c),
        vec![(ChangeKind::Opened, 3, "/d/w02.csv".into())]
    );
    assert_eq!(tracker.open().count(), 3);
    let c = tracker.observe(&window(3, &["a"], &[], 0.0, &t));
    let mut resolved: Vec<u64> = c.iter().map(|c| c.incident.id).collect();
    resolved.sort();
    assert_eq!(resolved, vec![2, 3]);
    assert!(c.iter().all(|c| c.change == ChangeKind::Resolved));
    let a: Vec<&Incident> = tracker.open().collect();
    assert_eq!((a.len(), a[0].windows), (1, 2));
}

#[test]
fn restore_continues_open_incidents_and_ids() {
    let t = AlertThresholds::default();
    let mut first = IncidentTracker::new(1);
    first.observe(&window(0, &["a", "b"], &[], 0.0, &t));
    first.observe(&window(1, &["a"], &[], 0.0, &t));
    let open: Vec<Incident> = first.open().cloned().collect();
    let mut second = IncidentTracker::new(1);
    second.restore(open, 2);
    assert!(second.observe(&window(2, &["a"], &[], 0.0, &t)).is_empty());
    let c = second.observe(&window(3, &["c"], &[], 0.0, &t));
    assert_eq!(
        summary(&c),
        vec![
            (ChangeKind::Opened, 3, "c".into()),
            (ChangeKind::Resolved, 1, "a".into())
        ]
    );
    let counts = second.firing_counts();
    assert_eq!(
        counts.get(&(AlertLevel::Warning, AlertKind::DataDrift)),
        Some(&1)
    );
}

#[test]
fn a_change_serialises_flat_with_its_kind() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(1);
    let c = tracker.observe(&window(0, &["a"], &[], 0.0, &t));
    let json = serde_json::to_value(&c[0]).expect("json");
    assert_eq!(json["change"], "opened");
    assert_eq!(json["status"], "firing");
    assert_eq!(json["kind"], "data_drift");
    assert_eq!(json["feature"], "a");
    assert_eq!(json["level"], "WARNING");
    let back: IncidentChange = serde_json::from_value(json).expect("reads back");
    assert_eq!(back, c[0]);
}
