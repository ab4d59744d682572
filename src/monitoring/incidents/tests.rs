//! The incident state machine: open, update, escalate, resolve, reopen; `resolve_after`.

use std::collections::BTreeMap;

use super::*;
use crate::config::PagingConfig;
use crate::drift::{DriftResult, FeatureDrift, FeatureStatus};
use crate::monitoring::alerts::{Alert, AlertManager, AlertThresholds};

use crate::monitoring::result::{MonitoringResult, WindowError};

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
                    effect: None,
                    paging_p_value: None,
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
    r.alerts = AlertManager::new(thresholds.clone())
        .expect("valid")
        .check_alerts(&r);
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
    r.alerts = AlertManager::new(AlertThresholds::default())
        .expect("valid")
        .check_alerts(&r);
    r
}

fn summary(changes: &[IncidentChange]) -> Vec<(ChangeKind, u64, String)> {
    changes
        .iter()
        .map(|c| (c.change, c.incident.id, c.incident.subject().to_string()))
        .collect()
}

#[test]
fn drifted_features_of_one_window_are_one_problem_each_member_listing_its_detectors() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(1);
    let changes = tracker.observe(&window(0, &["a", "b"], &["a"], 0.0, &t));
    assert_eq!(summary(&changes), vec![(ChangeKind::Opened, 1, "a".into())]);
    let problem = &changes[0].incident;
    assert_eq!(problem.kind, AlertKind::DataDrift);
    assert_eq!(problem.detectors, vec!["ks".to_string(), "psi".to_string()]);
    assert_eq!(problem.level, AlertLevel::Warning);
    assert_eq!(problem.value, Some(0.4));
    assert!(problem.message.contains("\"a\""), "{}", problem.message);
    let members: Vec<(Option<&str>, &Vec<String>)> = problem
        .members
        .iter()
        .map(|m| (m.feature.as_deref(), &m.detectors))
        .collect();
    assert_eq!(
        members,
        vec![
            (Some("a"), &vec!["ks".to_string(), "psi".to_string()]),
            (Some("b"), &vec!["ks".to_string()]),
        ]
    );
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
        effect: None,
        paging_p_value: None,
    });
    r.drift.insert("pca".into(), pca);
    r.alerts = AlertManager::new(t.clone())
        .expect("valid")
        .check_alerts(&r);
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
    // Window 8: the shift returns: the problem re-opens with its id, and counts it.
    let c = tracker.observe(&window(8, &[], &[], 0.5, &t));
    assert_eq!(
        summary(&c),
        vec![(ChangeKind::Opened, 1, "prediction_shift".into())]
    );
    assert_eq!(c[0].incident.times_opened, 2);
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
fn close_all_resolves_every_problem_with_its_reason_and_starts_clean() {
    let t = AlertThresholds::default();
    let mut first = IncidentTracker::new(3);
    first.observe(&window(0, &["a"], &[], 0.0, &t));
    let open: Vec<Incident> = first.open().cloned().collect();
    assert_eq!(open.len(), 1);
    let mut second = IncidentTracker::new(3);
    second.restore(open.clone(), 1);
    let now = open[0].updated_at + chrono::TimeDelta::hours(1);
    let closed = second.close_all(SETTINGS_CHANGED, now);
    assert_eq!(closed.len(), 1);
    let c = &closed[0];
    assert_eq!(
        (c.change, c.incident.id),
        (ChangeKind::Resolved, open[0].id)
    );
    assert_eq!(c.incident.status, IncidentStatus::Resolved);
    assert_eq!(c.incident.resolved_at, Some(now));
    assert_eq!(
        c.incident.resolved_reason.as_deref(),
        Some(SETTINGS_CHANGED)
    );
    assert_eq!(
        c.incident.resolved_note(),
        Some("closed: the reference or thresholds changed")
    );
    assert_eq!(second.open().count(), 0);
    // The condition still holding re-opens the problem, without the old reason.
    let c = second.observe(&window(1, &["a"], &[], 0.0, &t));
    assert_eq!(summary(&c), vec![(ChangeKind::Opened, 1, "a".into())]);
    assert_eq!(c[0].incident.resolved_reason, None);
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

// ---------------------------------------------------------------- problems

fn keys_of(r: &MonitoringResult, subjects: &[&str]) -> std::collections::BTreeSet<IncidentKey> {
    conditions::of(r)
        .iter()
        .map(|c| c.key())
        .filter(|k| k.subject.as_deref().is_some_and(|s| subjects.contains(&s)))
        .collect()
}

#[test]
fn conditions_paging_in_one_window_are_one_problem_and_a_later_member_is_an_update() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(1);
    let w0 = window(0, &["a", "b"], &[], 0.0, &t);
    let changes = tracker.observe_paging(&w0, &keys_of(&w0, &["a", "b"]));
    assert_eq!(summary(&changes), vec![(ChangeKind::Opened, 1, "a".into())]);
    assert_eq!(changes[0].incident.members.len(), 2);
    assert_eq!(changes[0].incident.labels()["problem_id"], "1");
    // c pages a window later: it joins nothing (group_windows = 0) and is a problem of its own.
    let w1 = window(1, &["a", "b", "c"], &[], 0.0, &t);
    let changes = tracker.observe_paging(&w1, &keys_of(&w1, &["c"]));
    assert_eq!(summary(&changes), vec![(ChangeKind::Opened, 2, "c".into())]);
    // With group_windows = 1 it is an update of the first problem instead.
    let paging = PagingConfig {
        group_windows: 1,
        ..PagingConfig::default()
    };
    let mut tracker = IncidentTracker::with_paging(1, &paging);
    tracker.observe_paging(&w0, &keys_of(&w0, &["a"]));
    let changes = tracker.observe_paging(&w1, &keys_of(&w1, &["c"]));
    assert_eq!(
        summary(&changes),
        vec![(ChangeKind::Updated, 1, "a".into())]
    );
    let members: Vec<&str> = changes[0]
        .incident
        .members
        .iter()
        .filter_map(|m| m.feature.as_deref())
        .collect();
    assert_eq!(members, vec!["a", "c"]);
}

#[test]
fn a_shown_condition_that_does_not_page_opens_nothing_but_keeps_a_member_alive() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(1);
    let w0 = window(0, &["a"], &[], 0.0, &t);
    assert!(tracker.observe_paging(&w0, &Default::default()).is_empty());
    let changes = tracker.observe_paging(&w0, &keys_of(&w0, &["a"]));
    assert_eq!(changes.len(), 1);
    // Shown but below paging's bar: the member stays (no flapping), nothing is sent.
    let w1 = window(1, &["a"], &[], 0.0, &t);
    assert!(tracker.observe_paging(&w1, &Default::default()).is_empty());
    assert_eq!(tracker.open().count(), 1);
    // The last member gone: the problem resolves.
    let w2 = window(2, &[], &[], 0.0, &t);
    let changes = tracker.observe_paging(&w2, &Default::default());
    assert_eq!(
        summary(&changes),
        vec![(ChangeKind::Resolved, 1, "a".into())]
    );
}

#[test]
fn pending_windows_hold_a_page_and_a_blip_never_pages() {
    let t = AlertThresholds::default();
    let paging = PagingConfig {
        pending_windows: 2,
        ..PagingConfig::default()
    };
    let mut tracker = IncidentTracker::with_paging(1, &paging);
    let w = |i| window(i, &["a"], &[], 0.0, &t);
    let (w0, w1, w2) = (w(0), w(1), w(2));
    assert!(tracker
        .observe_paging(&w0, &keys_of(&w0, &["a"]))
        .is_empty());
    assert!(tracker.observe_paging(&w1, &Default::default()).is_empty());
    let changes = tracker.observe_paging(&w2, &Default::default());
    assert_eq!(summary(&changes), vec![(ChangeKind::Opened, 1, "a".into())]);
    // A blip: paging once, gone the next window: no page, no resolve.
    let mut tracker = IncidentTracker::with_paging(1, &paging);
    assert!(tracker
        .observe_paging(&w0, &keys_of(&w0, &["a"]))
        .is_empty());
    let clean = window(1, &[], &[], 0.0, &t);
    assert!(tracker
        .observe_paging(&clean, &Default::default())
        .is_empty());
    assert_eq!(tracker.open().count(), 0);
}

#[test]
fn keep_firing_waits_and_a_reopened_problem_keeps_its_id_and_counts() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(2);
    let on = |i| window(i, &["a"], &[], 0.0, &t);
    let off = |i| window(i, &[], &[], 0.0, &t);
    let w0 = on(0);
    tracker.observe_paging(&w0, &keys_of(&w0, &["a"]));
    assert!(tracker
        .observe_paging(&off(1), &Default::default())
        .is_empty());
    let changes = tracker.observe_paging(&off(2), &Default::default());
    assert_eq!(
        summary(&changes),
        vec![(ChangeKind::Resolved, 1, "a".into())]
    );
    for i in 0..2 {
        let w = on(3 + 2 * i);
        let changes = tracker.observe_paging(&w, &keys_of(&w, &["a"]));
        assert_eq!(summary(&changes), vec![(ChangeKind::Opened, 1, "a".into())]);
        assert_eq!(changes[0].incident.times_opened, 2 + i as u32);
        tracker.observe_paging(&off(4 + 2 * i), &Default::default());
        tracker.observe_paging(&off(4 + 2 * i), &Default::default());
    }
    let w = on(9);
    let changes = tracker.observe_paging(&w, &keys_of(&w, &["a"]));
    let note = changes[0].incident.reopened_note().unwrap_or_default();
    assert!(note.starts_with("4th time since "), "{note}");
    // After a restart from the stored problems the id and count go on.
    let stored: Vec<Incident> = tracker.open().cloned().collect();
    let mut restarted = IncidentTracker::new(2);
    restarted.restore(stored, 1);
    assert_eq!(restarted.open().count(), 1);
    let changes = restarted.observe_paging(&on(10), &Default::default());
    assert!(changes.is_empty(), "{changes:?}");
    restarted.observe_paging(&off(11), &Default::default());
    let changes = restarted.observe_paging(&off(12), &Default::default());
    assert_eq!(
        summary(&changes),
        vec![(ChangeKind::Resolved, 1, "a".into())]
    );
    let resolved = changes[0].incident.clone();
    let mut again = IncidentTracker::new(2);
    again.restore(vec![resolved], 1);
    let w = on(13);
    let changes = again.observe_paging(&w, &keys_of(&w, &["a"]));
    assert_eq!(summary(&changes), vec![(ChangeKind::Opened, 1, "a".into())]);
    assert_eq!(changes[0].incident.times_opened, 5);
}

/// An accuracy drop seen in labels that arrived late (issue 26).
fn realised(window: &str, accuracy: Option<f64>) -> Vec<Alert> {
    accuracy
        .map(|value| Alert {
            metric: Some("accuracy".into()),
            value: Some(value),
            threshold: Some(0.7),
            ..Alert::new(
                AlertLevel::Critical,
                AlertKind::PerformanceDegradation,
                window,
                format!("accuracy {value} < 0.7"),
                chrono::Utc::now(),
            )
        })
        .into_iter()
        .collect()
}

/// Late labels raise a problem for the window they label (not the latest), which arriving
/// windows neither join nor resolve; it resolves after `resolve_after` labelled windows
/// without the drop and keeps its id when it opens again.
#[test]
fn late_label_problems_belong_to_their_window_and_age_with_labelled_windows() {
    let thresholds = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(2);
    let now = chrono::Utc::now();
    let opened = tracker.observe_labelled("w01.csv", &realised("w01.csv", Some(0.5)), now);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].change, ChangeKind::Opened);
    let problem = opened[0].incident.clone();
    assert_eq!(problem.first_window, "w01.csv");
    assert_eq!(problem.detector.as_deref(), Some(LABELS));
    // Arriving windows, clean or drifting, leave it alone: no join, no resolution.
    for i in 5..9 {
        let changes = tracker.observe(&window(i, &["a"], &[], 0.0, &thresholds));
        assert!(
            changes.iter().all(|c| c.incident.id != problem.id),
            "{changes:?}"
        );
        assert!(changes.iter().all(|c| c
            .incident
            .members
            .iter()
            .all(|m| m.detector.as_deref() != Some(LABELS))));
    }
    assert!(tracker.open().any(|i| i.id == problem.id));
    // Two labelled windows without the drop resolve it.
    assert!(tracker.observe_labelled("w02.csv", &[], now).is_empty());
    let resolved = tracker.observe_labelled("w03.csv", &realised("w03.csv", None), now);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].change, ChangeKind::Resolved);
    assert_eq!(resolved[0].incident.id, problem.id);
    // Again: the same problem, opened a second time.
    let again = tracker.observe_labelled("w04.csv", &realised("w04.csv", Some(0.4)), now);
    assert_eq!(again[0].change, ChangeKind::Opened);
    assert_eq!(again[0].incident.id, problem.id);
    assert_eq!(again[0].incident.times_opened, 2);
    assert_eq!(again[0].incident.first_window, "w04.csv");
}

fn ids(incidents: &[Incident]) -> Vec<u64> {
    incidents.iter().map(|i| i.id).collect()
}

/// What a history writes per window: the firing problems whose state changed, each as it
/// stands now. An unusable window changes only its own problem; a readable one the problems
/// it shows or ages; late labels only the late-label problems; given back after a failed
/// write, they come again with the next window's.
#[test]
fn take_changed_gives_the_firing_problems_a_window_changed() {
    let t = AlertThresholds::default();
    let mut tracker = IncidentTracker::new(3);
    tracker.observe(&window(0, &["a"], &[], 0.0, &t));
    assert_eq!(ids(&tracker.take_changed()), vec![1]);
    assert!(tracker.take_changed().is_empty());
    for i in 1..4 {
        tracker.observe(&error_window(i));
        assert_eq!(ids(&tracker.take_changed()), vec![i as u64 + 1]);
    }
    // Readable: `a` shown, the window errors resolved (their changes carry them).
    let c = tracker.observe(&window(4, &["a"], &[], 0.0, &t));
    assert_eq!(c.len(), 3);
    let changed = tracker.take_changed();
    assert_eq!(changed, tracker.open().cloned().collect::<Vec<_>>());
    assert_eq!((ids(&changed), changed[0].windows), (vec![1], 2));
    // Quiet: aged (and stored aged), not resolved yet.
    assert!(tracker.observe(&window(5, &[], &[], 0.0, &t)).is_empty());
    let changed = tracker.take_changed();
    assert_eq!((ids(&changed), changed[0].quiet_windows), (vec![1], 1));
    // Late labels open their own problem and leave `a` alone.
    let now = chrono::Utc::now();
    tracker.observe_labelled("w02.csv", &realised("w02.csv", Some(0.5)), now);
    let changed = tracker.take_changed();
    assert_eq!(ids(&changed), vec![5]);
    // Not stored: given again, with what the next window changed.
    tracker.unstored(&changed);
    tracker.observe(&error_window(6));
    assert_eq!(ids(&tracker.take_changed()), vec![5, 6]);
}
