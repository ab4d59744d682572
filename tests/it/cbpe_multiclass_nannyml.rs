//! Multiclass confidence-based performance estimation against NannyML 0.13.1's
//! `CBPE(problem_type="classification_multiclass")` on its own synthetic multiclass data set
//! (`tests/fixtures/make_cbpe_multiclass_fixtures.py`): per window, estimated accuracy, macro
//! precision, recall, F1 and one-vs-rest ROC AUC, their sampling errors, bands, alerts and the
//! reference-chunk thresholds, within 1e-6. NannyML's calibration decision per class is recorded
//! in the fixture and forced here.
//!
//! On the data set as shipped (probabilities with two decimals, so most rows tie) NannyML's
//! estimated ROC AUC and its sampling error follow the order numpy's unstable argsort leaves
//! tied rows in: those two are bounded more loosely there (see `TIE_BOUND`), and checked within
//! 1e-6 on the "distinct" case, the same rows without ties.

use ml_monitor::config::EstimationConfig;
use ml_monitor::monitoring::estimation::{EstimatedPerformance, MulticlassEstimator};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Bound on NannyML's tie-order effects (estimated ROC AUC and its σ) on the shipped data.
const TIE_BOUND: f64 = 5e-5;
const TOL: f64 = 1e-6;

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
    jitter: bool,
    calibrated: Vec<bool>,
    thresholds: BTreeMap<String, (Option<f64>, Option<f64>)>,
    windows: Vec<BTreeMap<String, Metric>>,
}

#[derive(Deserialize)]
struct Fixture {
    classes: Vec<String>,
    reference_p100: Vec<Vec<u32>>,
    reference_predicted: Vec<usize>,
    reference_target: Vec<usize>,
    window_rows: usize,
    analysis_p100: Vec<Vec<u32>>,
    analysis_predicted: Vec<usize>,
    cases: Vec<Case>,
}

fn fixture() -> Fixture {
    let text = include_str!("../fixtures/cbpe_multiclass_nannyml.json");
    serde_json::from_str(text).expect("fixture parses")
}

/// The probabilities as the script built them: k / 100, moved 1e-10 · row towards 0.5 when
/// jittered.
fn probabilities(p100: &[Vec<u32>], jitter: bool) -> Vec<Vec<f64>> {
    p100.iter()
        .map(|col| {
            col.iter()
                .enumerate()
                .map(|(i, &k)| {
                    let p = f64::from(k) / 100.0;
                    let step = i as f64 * 1e-10;
                    if !jitter {
                        p
                    } else if p < 0.5 {
                        p + step
                    } else {
                        p - step
                    }
                })
                .collect()
        })
        .collect()
}

fn metric<'a>(
    got: &'a EstimatedPerformance,
    name: &str,
) -> &'a ml_monitor::monitoring::estimation::EstimatedMetric {
    got.metrics
        .named()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("{name} estimated"))
}

/// Largest |ours − NannyML| seen, per kind of figure, printed for the report.
#[derive(Default)]
struct Worst(BTreeMap<String, f64>);

impl Worst {
    fn check(&mut self, ours: f64, theirs: f64, tol: f64, what: &str, kind: &str) {
        let d = (ours - theirs).abs();
        assert!(
            d <= tol,
            "{what}: ours {ours}, NannyML {theirs} (|d| = {d:e})"
        );
        let e = self.0.entry(kind.to_string()).or_insert(0.0);
        *e = e.max(d);
    }
}

#[test]
fn multiclass_estimates_equal_nannyml() {
    let f = fixture();
    assert_eq!(f.cases.len(), 2);
    let classes = MulticlassEstimator::sorted_classes(&f.classes);
    assert_eq!(classes, f.classes, "the fixture's classes are sorted");
    let target: Vec<Option<usize>> = f.reference_target.iter().map(|&t| Some(t)).collect();
    let ref_pred: Vec<Option<usize>> = f.reference_predicted.iter().map(|&t| Some(t)).collect();
    let an_pred: Vec<Option<usize>> = f.analysis_predicted.iter().map(|&t| Some(t)).collect();
    // Somewhere NannyML calibrates a class and somewhere it does not; some window alerts.
    assert!(f.cases.iter().flat_map(|c| &c.calibrated).any(|&c| c));
    assert!(f.cases.iter().flat_map(|c| &c.calibrated).any(|&c| !c));
    let mut worst = Worst::default();
    let mut alerts = 0;
    for case in &f.cases {
        let name = &case.name;
        let ref_p = probabilities(&f.reference_p100, case.jitter);
        let ref_refs: Vec<&[f64]> = ref_p.iter().map(Vec::as_slice).collect();
        let estimator = MulticlassEstimator::fit_calibrated_as(
            classes.clone(),
            &target,
            &ref_pred,
            &ref_refs,
            &EstimationConfig::default(),
            &case.calibrated,
        )
        .expect("fits");
        assert_eq!(estimator.calibrated(), case.calibrated);
        for (metric, fit) in [
            ("accuracy", &estimator.accuracy),
            ("precision", &estimator.precision),
            ("recall", &estimator.recall),
            ("f1", &estimator.f1),
            ("roc_auc", &estimator.roc_auc),
        ] {
            let (lo, hi) = case.thresholds[metric];
            let what = format!("{name} {metric}");
            worst.check(
                fit.lower_threshold.expect("ours"),
                lo.expect("NannyML's"),
                TOL,
                &format!("{what} lower threshold"),
                "thresholds",
            );
            worst.check(
                fit.upper_threshold.expect("ours"),
                hi.expect("NannyML's"),
                TOL,
                &format!("{what} upper threshold"),
                "thresholds",
            );
        }
        let an_p = probabilities(&f.analysis_p100, case.jitter);
        for (i, want) in case.windows.iter().enumerate() {
            let rows = i * f.window_rows..(i + 1) * f.window_rows;
            let window: Vec<&[f64]> = an_p.iter().map(|c| &c[rows.clone()]).collect();
            let got = estimator
                .estimate(&window, &an_pred[rows])
                .expect("estimate");
            assert_eq!(got.calibrated, case.calibrated.iter().any(|&c| c));
            for m in ["accuracy", "precision", "recall", "f1", "roc_auc"] {
                let ours = metric(&got, m);
                let w = &want[m];
                let tied = m == "roc_auc" && !case.jitter;
                let tol = if tied { TIE_BOUND } else { TOL };
                let kind = if tied { "roc_auc with ties" } else { "values" };
                let what = format!("{name} window {i} {m}");
                worst.check(ours.value, w.value, tol, &what, kind);
                worst.check(ours.lower, w.lower, tol, &format!("{what} lower"), kind);
                worst.check(ours.upper, w.upper, tol, &format!("{what} upper"), kind);
                let kind = if tied {
                    "roc_auc sampling error with ties"
                } else {
                    "sampling errors"
                };
                worst.check(
                    ours.sampling_error,
                    w.sampling_error,
                    tol,
                    &format!("{what} sampling error"),
                    kind,
                );
                if !tied {
                    assert_eq!(ours.alert, w.alert, "{what} alert");
                }
                alerts += usize::from(w.alert);
            }
        }
    }
    assert!(alerts > 0, "the fixture has alerting windows");
    for (kind, d) in &worst.0 {
        println!("max |ours - NannyML| {kind}: {d:e}");
    }
}

/// With "auto" our own seeded splits decide each class's calibration (NannyML's come from
/// numpy's generator). On the distinct case the two agree on every class; on the shipped data
/// they differ for `prepaid_card` alone (a close call: there `[estimation] calibration` can
/// force the decision, as the fixture test does).
#[test]
fn auto_calibration_beside_nannyml() {
    let f = fixture();
    let classes = MulticlassEstimator::sorted_classes(&f.classes);
    let target: Vec<Option<usize>> = f.reference_target.iter().map(|&t| Some(t)).collect();
    let predicted: Vec<Option<usize>> = f.reference_predicted.iter().map(|&t| Some(t)).collect();
    for case in &f.cases {
        let p = probabilities(&f.reference_p100, case.jitter);
        let refs: Vec<&[f64]> = p.iter().map(Vec::as_slice).collect();
        let e = MulticlassEstimator::fit(
            classes.clone(),
            &target,
            &predicted,
            &refs,
            &EstimationConfig::default(),
        )
        .expect("fits");
        let ours = e.calibrated();
        println!(
            "{}: ours {ours:?}, NannyML {:?}",
            case.name, case.calibrated
        );
        for (c, (a, b)) in ours.iter().zip(&case.calibrated).enumerate() {
            let close_call = case.name == "as_is" && classes[c] == "prepaid_card";
            assert_eq!(a == b, !close_call, "{} {}", case.name, classes[c]);
        }
    }
}
