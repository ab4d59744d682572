//! Confidence-based performance estimation against NannyML 0.13.1
//! (`tests/fixtures/make_cbpe_fixtures.py`): per-window estimated accuracy and F1 within 1e-6,
//! ROC AUC within 1e-4, sampling errors, bands and thresholds within 1e-6. NannyML's
//! calibration decision is recorded in the fixture and forced here.

use ml_monitor::config::{CalibrationMode, EstimationConfig};
use ml_monitor::monitoring::estimation::CbpeEstimator;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Metric {
    value: f64,
    sampling_error: f64,
    lower: f64,
    upper: f64,
    alert: bool,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    decision_threshold: f64,
    needs_calibration: bool,
    reference_scores: Vec<f64>,
    reference_targets: Vec<f64>,
    window_rows: usize,
    analysis_scores: Vec<f64>,
    thresholds: BTreeMap<String, (Option<f64>, Option<f64>)>,
    windows: Vec<BTreeMap<String, Metric>>,
}

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

fn fixture() -> Fixture {
    let text = include_str!("../fixtures/cbpe_nannyml.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol, "{what}: ours {a}, NannyML {b}");
}

#[test]
fn estimates_equal_nannyml() {
    let cases = fixture().cases;
    assert_eq!(cases.len(), 2);
    // One case where NannyML calibrates and one where it does not.
    assert!(cases.iter().any(|c| c.needs_calibration));
    assert!(cases.iter().any(|c| !c.needs_calibration));
    for case in cases {
        let config = EstimationConfig {
            calibration: if case.needs_calibration {
                CalibrationMode::Always
            } else {
                CalibrationMode::Never
            },
            decision_threshold: case.decision_threshold,
            reference_chunks: 10,
        };
        let estimator = CbpeEstimator::fit(
            &case.reference_targets,
            &case.reference_scores,
            None,
            &config,
        )
        .expect("fits");
        assert_eq!(estimator.calibrated(), case.needs_calibration);
        let name = &case.name;
        for (metric, fit) in [
            ("accuracy", &estimator.accuracy),
            ("roc_auc", &estimator.roc_auc),
            ("f1", &estimator.f1),
        ] {
            let (lo, hi) = case.thresholds[metric];
            let (lo, hi) = (lo.expect("lower"), hi.expect("upper"));
            close(
                fit.lower_threshold.expect("ours"),
                lo,
                1e-6,
                &format!("{name} {metric} lower threshold"),
            );
            close(
                fit.upper_threshold.expect("ours"),
                hi,
                1e-6,
                &format!("{name} {metric} upper threshold"),
            );
        }
        for (i, (scores, want)) in case
            .analysis_scores
            .chunks(case.window_rows)
            .zip(&case.windows)
            .enumerate()
        {
            let got = estimator.estimate(scores, None).expect("estimate");
            assert_eq!(got.calibrated, case.needs_calibration);
            for (metric, tol) in [("accuracy", 1e-6), ("roc_auc", 1e-4), ("f1", 1e-6)] {
                let m = got
                    .metrics
                    .named()
                    .find(|(n, _)| *n == metric)
                    .map(|(_, m)| m.clone())
                    .expect("metric");
                let w = &want[metric];
                let what = format!("{name} window {i} {metric}");
                close(m.value, w.value, tol, &what);
                close(
                    m.sampling_error,
                    w.sampling_error,
                    1e-6,
                    &format!("{what} sampling error"),
                );
                close(m.lower, w.lower, tol, &format!("{what} lower band"));
                close(m.upper, w.upper, tol, &format!("{what} upper band"));
                assert_eq!(m.alert, w.alert, "{what} alert");
            }
        }
    }
}

/// With "auto" our own seeded splits make the decision: on these two data sets, where NannyML
/// calibrates one and not the other, they agree.
#[test]
fn auto_calibration_decides_as_nannyml_here() {
    for case in fixture().cases {
        let estimator = CbpeEstimator::fit(
            &case.reference_targets,
            &case.reference_scores,
            None,
            &EstimationConfig {
                decision_threshold: case.decision_threshold,
                ..EstimationConfig::default()
            },
        )
        .expect("fits");
        assert_eq!(
            estimator.calibrated(),
            case.needs_calibration,
            "{}",
            case.name
        );
    }
}
