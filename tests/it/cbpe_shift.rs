//! What CBPE promises and what it cannot: under pure covariate shift (features move, P(y | x)
//! unchanged) the estimated accuracy follows the realised one; under concept drift (P(y | x)
//! changes) it does not — the limitation docs/estimation.md states. End to end through
//! `ModelMonitor`.

use ml_monitor::data::{Column, DataWindow};
use ml_monitor::AlertKind;
use ml_monitor::{config::MonitorConfig, ModelMonitor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// True probability of class 1 given the features.
fn truth(x1: f64, x2: f64) -> f64 {
    1.0 / (1.0 + (-(1.5 * x1 - x2 + 0.2)).exp())
}

/// The model's score: the truth, overconfident (so calibration has work to do).
fn score(p: f64) -> f64 {
    let logit = (p / (1.0 - p)).ln();
    1.0 / (1.0 + (-1.6 * logit).exp())
}

/// `rows` rows with x1 ~ N(mean1, sd), x2 ~ N(mean2, sd); labels from the truth, or from its
/// mirror image (concept drift: the same x now means the other class) when `concept_drift`.
fn window(
    rng: &mut StdRng,
    rows: usize,
    (mean1, mean2, sd): (f64, f64, f64),
    concept_drift: bool,
    with_target: bool,
) -> DataWindow {
    let n1 = Normal::new(mean1, sd).expect("normal");
    let n2 = Normal::new(mean2, sd).expect("normal");
    let (mut x1, mut x2, mut s, mut y) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rows {
        let (a, b) = (n1.sample(rng), n2.sample(rng));
        let p = truth(a, b);
        let p_label = if concept_drift { 1.0 - p } else { p };
        x1.push(a);
        x2.push(b);
        s.push(score(p));
        y.push(f64::from(u8::from(rng.gen::<f64>() < p_label)));
    }
    DataWindow::new(
        "w.csv",
        vec![Column::numeric("x1", x1), Column::numeric("x2", x2)],
        Some(Column::numeric("prediction", s)),
        with_target.then(|| Column::numeric("target", y)),
    )
    .expect("equal lengths")
}

fn monitor(rng: &mut StdRng) -> ModelMonitor {
    // PSI alone: drift is not what these tests look at.
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![ml_monitor::config::DetectorKind::Psi];
    let monitor = ModelMonitor::builder(config)
        .build(&window(rng, 10_000, (0.0, 0.0, 1.0), false, true))
        .expect("reference");
    assert!(
        monitor.estimator().is_some(),
        "{:?}",
        monitor.estimation_unavailable()
    );
    monitor
}

fn accuracies(monitor: &mut ModelMonitor, w: &DataWindow) -> (f64, f64) {
    let r = monitor.monitor(w);
    let realised = r.performance.as_ref().expect("labels").headline().1;
    let estimated = r
        .estimated_performance
        .as_ref()
        .and_then(|e| e.metrics.accuracy.as_ref())
        .expect("estimate")
        .value;
    (estimated, realised)
}

#[test]
fn covariate_shift_estimate_follows_realised_accuracy() {
    let mut rng = StdRng::seed_from_u64(2024);
    let mut monitor = monitor(&mut rng);
    assert!(
        monitor.estimator().is_some_and(|e| e.calibrated()),
        "overconfident scores get calibrated"
    );
    let mut total = 0.0;
    let (mut lowest, mut highest) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..30 {
        // Features drift steadily: means up to ±1.2, spread from 1.0 down to 0.6.
        let t = i as f64 / 29.0;
        let w = window(
            &mut rng,
            2_000,
            (1.2 * t, -0.6 * t, 1.0 - 0.4 * t),
            false,
            true,
        );
        let (estimated, realised) = accuracies(&mut monitor, &w);
        total += (estimated - realised).abs();
        lowest = lowest.min(realised);
        highest = highest.max(realised);
    }
    let mean_abs = total / 30.0;
    eprintln!("covariate shift: mean |estimated - realised accuracy| over 30 windows of 2,000 rows = {mean_abs:.4} (realised {lowest:.3}..{highest:.3})");
    assert!(mean_abs <= 0.02, "{mean_abs}");
    // The shift is real: realised accuracy moved.
    assert!(highest - lowest > 0.05, "{lowest}..{highest}");
}

#[test]
fn concept_drift_is_not_seen_by_the_estimate() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut monitor = monitor(&mut rng);
    let (before_est, before_real) = accuracies(
        &mut monitor,
        &window(&mut rng, 2_000, (0.0, 0.0, 1.0), false, true),
    );
    let (after_est, after_real) = accuracies(
        &mut monitor,
        &window(&mut rng, 2_000, (0.0, 0.0, 1.0), true, true),
    );
    eprintln!("concept drift: realised {before_real:.3} -> {after_real:.3}, estimated {before_est:.3} -> {after_est:.3}");
    // Labels now contradict the scores: realised accuracy collapses ...
    assert!(before_real - after_real > 0.4);
    // ... while the estimate, which sees only the scores, stays where it was.
    assert!((after_est - before_est).abs() < 0.03);
    assert!((after_est - after_real).abs() > 0.4);
}

#[test]
fn unlabelled_window_gets_an_estimate_and_alerts_when_it_falls() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut monitor = monitor(&mut rng);
    // Typical window, no labels: estimate but no realised performance, no estimation alert.
    let r = monitor.monitor(&window(&mut rng, 2_000, (0.0, 0.0, 1.0), false, false));
    assert!(r.performance.is_none());
    let e = r.estimated_performance.as_ref().expect("estimate");
    assert_eq!(e.method, "cbpe");
    assert!(e.calibrated);
    let json = serde_json::to_value(&r).expect("json");
    let acc = &json["estimated_performance"]["metrics"]["accuracy"];
    for key in [
        "value",
        "sampling_error",
        "lower",
        "upper",
        "lower_threshold",
        "upper_threshold",
        "alert",
    ] {
        assert!(!acc[key].is_null(), "{key}");
    }
    assert!(!r
        .alerts
        .iter()
        .any(|a| a.kind == AlertKind::EstimatedPerformanceDegradation));
    // Every row near the decision boundary: the estimate falls below the thresholds and below
    // [alerts] accuracy = 0.7.
    let r = monitor.monitor(&window(&mut rng, 2_000, (0.0, 0.2, 0.05), false, false));
    let acc = r
        .estimated_performance
        .as_ref()
        .and_then(|e| e.metrics.accuracy.clone())
        .expect("accuracy");
    assert!(acc.alert && acc.value < 0.7, "{acc:?}");
    let alerts: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::EstimatedPerformanceDegradation)
        .collect();
    assert!(!alerts.is_empty());
    assert!(alerts
        .iter()
        .all(|a| a.level == ml_monitor::AlertLevel::Warning));
    assert!(
        alerts
            .iter()
            .any(|a| a.message.contains("below threshold 0.7")),
        "{alerts:?}"
    );
    // No scores: null.
    let no_scores = window(&mut rng, 100, (0.0, 0.0, 1.0), false, false)
        .with_prediction(None)
        .expect("no prediction");
    let r = monitor.monitor(&no_scores);
    assert!(r.estimated_performance.is_none());
    assert!(serde_json::to_value(&r).expect("json")["estimated_performance"].is_null());
}

#[test]
fn regression_and_multiclass_say_not_supported() {
    let mut rng = StdRng::seed_from_u64(3);
    let config = MonitorConfig {
        task: ml_monitor::config::Task::Regression,
        ..MonitorConfig::default()
    };
    let m = ModelMonitor::builder(config)
        .build(&window(&mut rng, 500, (0.0, 0.0, 1.0), false, true))
        .expect("reference");
    assert!(m.estimator().is_none());
    let reason = m.estimation_unavailable().expect("reason");
    assert!(reason.contains("not supported for regression"), "{reason}");
    // Three classes in the target: binary classification only.
    let w = window(&mut rng, 500, (0.0, 0.0, 1.0), false, true);
    let mut target = w.target_values().expect("target").to_vec();
    target[0] = 2.0;
    let w = w
        .with_target(Some(ml_monitor::data::Column::numeric("target", target)))
        .expect("same length");
    let mut m = ModelMonitor::builder(MonitorConfig::default())
        .build(&w)
        .expect("reference");
    let reason = m.estimation_unavailable().expect("reason");
    assert!(reason.contains("binary classification only"), "{reason}");
    let r = m.monitor(&window(&mut rng, 100, (0.0, 0.0, 1.0), false, false));
    assert!(r.estimated_performance.is_none());
}

#[test]
fn reference_statistics_carry_the_estimator() {
    use ml_monitor::config::DetectorKind;
    use ml_monitor::ReferenceStats;
    let mut rng = StdRng::seed_from_u64(5);
    let reference = window(&mut rng, 4_000, (0.0, 0.0, 1.0), false, true);
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![DetectorKind::Psi];
    let mut raw = ModelMonitor::builder(config.clone())
        .build(&reference)
        .expect("reference");
    let mut stats = ReferenceStats::from_window(
        &reference,
        &config.drift.statistical,
        reference.prediction_values(),
    );
    stats.estimator = raw.estimator().cloned();
    let text = serde_json::to_string(&stats).expect("serialises");
    let loaded = ReferenceStats::from_json(&text).expect("loads");
    let mut from_stats = ModelMonitor::builder(config)
        .build_from_stats(&loaded)
        .expect("stats");
    assert_eq!(from_stats.estimator(), raw.estimator());
    let w = window(&mut rng, 2_000, (0.5, 0.0, 1.0), false, false);
    let a = raw.monitor(&w).estimated_performance;
    let b = from_stats.monitor(&w).estimated_performance;
    assert!(a.is_some());
    assert_eq!(a, b);
}

#[test]
fn predicted_label_column_is_read_and_used() {
    use ml_monitor::config::EstimationConfig;
    use ml_monitor::data::{parse_reference, parse_window, ColumnRoles};
    use ml_monitor::monitoring::estimation::CbpeEstimator;
    let roles = ColumnRoles {
        predicted_label: Some("label".into()),
        ..ColumnRoles::default()
    };
    let mut text = String::from("x,prediction,label,target\n");
    let mut rng = StdRng::seed_from_u64(9);
    for _ in 0..400 {
        let p: f64 = rng.gen();
        // The label says class 1 from 0.3 up, not from the default 0.5.
        let label = u8::from(p >= 0.3);
        let y = u8::from(rng.gen::<f64>() < p);
        text.push_str(&format!("{},{p},{label},{y}\n", rng.gen::<f64>()));
    }
    let (reference, schema) =
        parse_reference("r.csv".as_ref(), text.as_bytes(), &roles).expect("reference");
    assert_eq!(schema.predicted_label.as_deref(), Some("label"));
    assert!(
        reference.feature("label").is_none(),
        "the label is not a feature"
    );
    let labels = reference.predicted_label_values().expect("labels read");
    let window = parse_window("w.csv".as_ref(), text.as_bytes(), &schema).expect("window");
    assert_eq!(window.predicted_label_values(), Some(labels));
    let config = EstimationConfig::default();
    let target = reference.target_values().expect("target");
    let scores = reference.prediction_values().expect("scores");
    let with_labels = CbpeEstimator::fit(target, scores, Some(labels), &config).expect("fits");
    let from_threshold = CbpeEstimator::fit(target, scores, None, &config).expect("fits");
    // The column's labels, not score >= 0.5: the two differ; with the 0.3 threshold they agree.
    let a = with_labels
        .estimate(scores, Some(labels))
        .expect("estimate");
    let b = from_threshold.estimate(scores, None).expect("estimate");
    assert_ne!(a.metrics.accuracy, b.metrics.accuracy);
    let at_03 = CbpeEstimator::fit(
        target,
        scores,
        None,
        &EstimationConfig {
            decision_threshold: 0.3,
            ..config
        },
    )
    .expect("fits");
    assert_eq!(at_03.estimate(scores, None), Some(a));
}
