//! The page policy on hand-made results: budget, effect floor, fallbacks, hysteresis.

use super::*;
use crate::drift::{DriftResult, FeatureDrift, FeatureStatus};
use crate::monitoring::alerts::{AlertManager, AlertThresholds};

fn feature(p: f64, effect: f64) -> FeatureDrift {
    FeatureDrift {
        statistic: Some(0.1),
        p_value: Some(1e-4),
        p_value_adjusted: Some(1e-3),
        drifted: true,
        status: FeatureStatus::Ok,
        test: None,
        statistic_error_bound: None,
        p_value_approximate: None,
        effect: Some(effect),
        paging_p_value: Some(p),
    }
}

fn result(features: &[(&str, FeatureDrift)]) -> MonitoringResult {
    let mut r = MonitoringResult::new("w.csv".to_string());
    let features: BTreeMap<String, FeatureDrift> = features
        .iter()
        .map(|(n, f)| (n.to_string(), f.clone()))
        .collect();
    let n = features.len();
    r.drift.insert(
        "ad".into(),
        DriftResult {
            drift_detected: true,
            drift_score: 1.0,
            window_drift: true,
            n_features: n,
            n_drifted: n,
            features,
            auc: None,
            feature_importances: None,
            status: None,
            pca: None,
        },
    );
    r.alerts = AlertManager::new(AlertThresholds::default())
        .expect("valid")
        .check_alerts(&r);
    r
}

fn paged(policy: &mut PagePolicy, r: &MonitoringResult) -> Vec<String> {
    policy
        .observe(r)
        .into_iter()
        .filter_map(|k| k.subject)
        .collect()
}

#[test]
fn the_budget_is_split_over_the_streams_and_the_effect_must_clear_its_floor() {
    let mut policy = PagePolicy::new(&PagingConfig::default());
    // Two streams at 1/2000: each gets 2.5e-4.
    assert!((policy.stream_alpha(2) - 2.5e-4).abs() < 1e-12);
    let r = result(&[
        ("strong", feature(1e-5, 0.2)),
        ("weak", feature(1e-3, 0.2)),
        ("small", feature(1e-9, 0.01)),
    ]);
    assert_eq!(paged(&mut policy, &r), vec!["strong".to_string()]);
    let held = policy.held_back(&r);
    assert_eq!(held.get("weak"), Some(&HeldBack::Evidence));
    assert_eq!(held.get("small"), Some(&HeldBack::Effect));
    assert_eq!(held.get("strong"), None);
}

#[test]
fn a_feature_without_paging_evidence_pages_as_shown() {
    let mut policy = PagePolicy::new(&PagingConfig::default());
    let mut f = feature(1.0, 0.0);
    f.paging_p_value = None;
    f.effect = None;
    let r = result(&[("psi_only", f)]);
    assert_eq!(paged(&mut policy, &r), vec!["psi_only".to_string()]);
}

/// A window whose estimated F1 is `f1` against a lower threshold of 0.80, sampling error 0.01.
fn estimated(i: usize, f1: f64) -> MonitoringResult {
    use crate::monitoring::estimation::{EstimatedMetric, EstimatedMetrics, EstimatedPerformance};
    let mut r = MonitoringResult::new(format!("w{i:02}.csv"));
    let metric = EstimatedMetric {
        value: f1,
        sampling_error: 0.01,
        lower: f1 - 0.03,
        upper: f1 + 0.03,
        lower_threshold: Some(0.80),
        upper_threshold: Some(1.0),
        alert: f1 < 0.80,
    };
    r.estimated_performance = Some(EstimatedPerformance {
        method: "cbpe".into(),
        calibrated: false,
        metrics: EstimatedMetrics {
            accuracy: None,
            roc_auc: None,
            f1: Some(metric),
            precision: None,
            recall: None,
        },
    });
    r.alerts = AlertManager::new(AlertThresholds::default())
        .expect("valid")
        .check_alerts(&r);
    r
}

#[test]
fn estimated_f1_flapping_around_its_threshold_is_one_problem() {
    use crate::monitoring::incidents::{ChangeKind, IncidentTracker};
    let paging = PagingConfig::default();
    let mut policy = PagePolicy::new(&paging);
    let mut tracker = IncidentTracker::with_paging(2, &paging);
    // Just past the threshold, within its sampling error's margin: shown, never paged.
    let blip = estimated(0, 0.79);
    assert_eq!(blip.alerts.len(), 1, "{:?}", blip.alerts);
    assert!(policy.observe(&blip).is_empty());
    // A clear drop pages; then the estimate goes just above and below the threshold, window
    // after window, and once more after the problem resolved: still the one page.
    let values = [
        0.70, 0.79, 0.81, 0.79, 0.81, 0.81, 0.79, 0.81, 0.79, 0.81, 0.81, 0.81, 0.79, 0.81, 0.79,
    ];
    let mut opened = 0;
    let mut resolved = 0;
    for (i, v) in values.iter().enumerate() {
        let r = estimated(i + 1, *v);
        let paging = policy.observe(&r);
        for change in tracker.observe_paging(&r, &paging) {
            match change.change {
                ChangeKind::Opened => opened += 1,
                ChangeKind::Resolved => resolved += 1,
                _ => {}
            }
        }
    }
    assert_eq!((opened, resolved), (1, 1));
}

/// Only the features share the budget: the estimated metrics (and pca) are tested at the same
/// per-stream level without taking a share, since clean windows never bring them past their
/// floors; a share given to them was a share never spent.
#[test]
fn only_the_features_share_the_budget() {
    let mut policy = PagePolicy::new(&PagingConfig::default());
    let mut r = estimated(0, 0.95);
    r.drift = result(&[("x", feature(2e-4, 0.2)), ("y", feature(0.5, 0.01))]).drift;
    r.alerts = AlertManager::new(AlertThresholds::default())
        .expect("valid")
        .check_alerts(&r);
    // Two features at 1/2000: 2.5e-4 each, whatever the estimated metrics (with them as three
    // more streams, 1e-4: x would not page).
    assert_eq!(paged(&mut policy, &r), vec!["x".to_string()]);
}

/// A feature whose paging evidence is past the level though no detector flags it is named by
/// `unshown` (the monitor raises its alert), with the evidence's own test; a flagged one, a
/// weak one and one with too small an effect are not.
#[test]
fn unshown_names_the_evidence_no_test_flags() {
    let policy = PagePolicy::new(&PagingConfig::default());
    let quiet = |p, effect| FeatureDrift {
        drifted: false,
        ..feature(p, effect)
    };
    let mut discrete = quiet(1e-7, 0.08);
    discrete.test = Some(crate::drift::discrete::FeatureTest::Chi2);
    let r = result(&[
        ("flagged", feature(1e-9, 0.2)),
        ("numeric", quiet(1e-9, 0.12)),
        ("discrete", discrete),
        ("weak", quiet(1e-3, 0.2)),
        ("small", quiet(1e-9, 0.01)),
    ]);
    let unshown = policy.unshown(&r);
    let names: Vec<&str> = unshown.iter().map(|u| u.feature.as_str()).collect();
    assert_eq!(names, vec!["discrete", "numeric"]);
    assert_eq!(unshown[0].test, EvidenceTest::Chi2);
    assert!(unshown[0]
        .message()
        .contains("chi-square p 1.00e-7, total variation 0.080"));
    assert_eq!(unshown[1].test, EvidenceTest::Ks);
    assert!(
        unshown[1]
            .message()
            .starts_with("feature \"numeric\" drifted (KS p 1.00e-9, D 0.120"),
        "{}",
        unshown[1].message()
    );
}
