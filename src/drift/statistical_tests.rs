//! Unit tests of the per-feature statistical detector.

use super::*;
use crate::config::{Correction, DetectorKind};

fn window(name: &str, num: Vec<f64>, cat: &[Option<&str>]) -> DataWindow {
    DataWindow::new(
        name,
        vec![Column::numeric("x", num), Column::categorical("c", cat)],
        None,
        None,
    )
    .expect("equal lengths")
}

fn cats(n: usize, pool: &[&'static str]) -> Vec<Option<&'static str>> {
    (0..n).map(|i| Some(pool[i % pool.len()])).collect()
}

#[test]
fn ks_detects_a_shift_and_not_identity() {
    let reference = window(
        "r",
        (0..200).map(f64::from).collect(),
        &cats(200, &["a", "b"]),
    );
    let same = reference.clone();
    let shifted = window(
        "s",
        (0..200).map(|i| f64::from(i) + 80.0).collect(),
        &cats(200, &["a", "b"]),
    );
    let mut d = StatisticalDriftDetector::new(DetectorKind::Ks, StatisticalConfig::default())
        .expect("a per-feature test");
    d.fit(&reference).expect("fit");
    let r = d.detect(&same).expect("detect");
    assert!(!r.drift_detected);
    assert_eq!(r.features["x"].statistic, Some(0.0));
    assert_eq!(r.n_features, 1, "KS covers numeric features only");
    let r = d.detect(&shifted).expect("detect");
    assert!(r.drift_detected);
    assert_eq!(r.features["x"].statistic, Some(0.4));
    assert_eq!(r.drift_score, 1.0);
}

#[test]
fn chi2_and_psi_see_a_new_category() {
    let reference = window("r", vec![1.0; 300], &cats(300, &["a", "b", "c"]));
    let current = window("w", vec![1.0; 300], &cats(300, &["a", "b", "c", "NEW"]));
    let mut chi = StatisticalDriftDetector::new(DetectorKind::Chi2, StatisticalConfig::default())
        .expect("a per-feature test");
    let r = chi.detect_pair(&reference, &current).expect("chi2");
    assert!(r.features["c"].drifted, "{r:?}");
    let mut p = StatisticalDriftDetector::new(DetectorKind::Psi, StatisticalConfig::default())
        .expect("a per-feature test");
    let r = p.detect_pair(&reference, &current).expect("psi");
    let psi_c = r.features["c"].statistic.expect("psi");
    // 3 categories 1/3 each vs 1/4 each + unseen bin 1/4 (reference floored at 1e-4).
    let want = 3.0 * (0.25 - 1.0 / 3.0) * (0.25f64 / (1.0 / 3.0)).ln()
        + (0.25 - 1e-4) * (0.25f64 / 1e-4).ln();
    assert!((psi_c - want).abs() < 1e-12, "{psi_c} vs {want}");
    assert_eq!(r.features["x"].status, FeatureStatus::Constant);
    assert_eq!(r.features["x"].statistic, Some(0.0));
}

#[test]
fn small_samples_are_insufficient_and_never_drift() {
    let reference = window("r", (0..10).map(f64::from).collect(), &cats(10, &["a"]));
    let current = window("w", (100..110).map(f64::from).collect(), &cats(10, &["b"]));
    for test in [DetectorKind::Ks, DetectorKind::Psi, DetectorKind::Chi2] {
        let mut d = StatisticalDriftDetector::new(test, StatisticalConfig::default())
            .expect("a per-feature test");
        let r = d.detect_pair(&reference, &current).expect("runs");
        assert!(!r.drift_detected);
        assert!(r
            .features
            .values()
            .all(|f| f.status == FeatureStatus::InsufficientData));
    }
}

#[test]
fn guards_min_drifted_features_and_confirmation() {
    let reference = window("r", (0..100).map(f64::from).collect(), &cats(100, &["a"]));
    let shifted = window(
        "s",
        (0..100).map(|i| f64::from(i) + 60.0).collect(),
        &cats(100, &["a"]),
    );
    let config = StatisticalConfig {
        confirmation_windows: 2,
        correction: Correction::None,
        ..StatisticalConfig::default()
    };
    let mut d = StatisticalDriftDetector::new(DetectorKind::Ks, config.clone())
        .expect("a per-feature test");
    d.fit(&reference).expect("fit");
    let first = d.detect(&shifted).expect("1");
    assert!(first.window_drift && !first.drift_detected);
    assert!(d.detect(&shifted).expect("2").drift_detected);
    let strict = StatisticalConfig {
        min_drifted_features: 2,
        ..config
    };
    let mut d =
        StatisticalDriftDetector::new(DetectorKind::Ks, strict).expect("a per-feature test");
    let r = d.detect_pair(&reference, &shifted).expect("runs");
    assert_eq!(r.n_drifted, 1);
    assert!(!r.window_drift);
}

#[test]
fn detect_before_fit_is_an_error() {
    let mut d = StatisticalDriftDetector::new(DetectorKind::Ks, StatisticalConfig::default())
        .expect("a per-feature test");
    let w = window("w", vec![1.0], &[Some("a")]);
    assert_eq!(d.detect(&w), Err(DriftError::NotFitted));
}
