//! PSI, chi-square and performance metrics against numpy, scipy and scikit-learn.
//!
//! The reference values in `fixtures/stats_reference.json` are written by
//! `fixtures/make_stats_fixtures.py` (`python3 tests/fixtures/make_stats_fixtures.py`; the
//! library versions are recorded in the file). Tolerances: 1e-12 relative for edges, PSI,
//! statistics and metrics; 1e-9 relative for chi-square p-values. Run with `--nocapture` to see
//! the largest errors measured.

use std::cell::RefCell;

use ml_monitor::drift::psi::{
    bin_counts, bin_counts_sorted, psi_from_counts, quantile_edges, PROPORTION_FLOOR,
};
use ml_monitor::monitoring::metrics::{classification_metrics, regression_metrics, roc_auc};
use ml_monitor::stats::chi2_homogeneity;
use proptest::prelude::*;
use serde::Deserialize;

const FIXTURE: &str = include_str!("../fixtures/stats_reference.json");
const TIGHT: f64 = 1e-12;
const P_VALUE: f64 = 1e-9;

#[derive(Deserialize)]
struct Fixture {
    quantile_edges: Vec<EdgeCase>,
    psi: Vec<PsiCase>,
    psi_counts: Vec<PsiCountCase>,
    chi2: Vec<Chi2Case>,
    classification: Vec<ClassificationCase>,
    roc_auc: Vec<RocCase>,
    regression: Vec<RegressionCase>,
}

#[derive(Deserialize)]
struct EdgeCase {
    name: String,
    data: Vec<f64>,
    bins: usize,
    edges: Vec<f64>,
}

#[derive(Deserialize)]
struct PsiCase {
    name: String,
    reference: Vec<f64>,
    current: Vec<f64>,
    bins: usize,
    edges: Vec<f64>,
    reference_counts: Vec<u64>,
    current_counts: Vec<u64>,
    psi: f64,
}

#[derive(Deserialize)]
struct PsiCountCase {
    name: String,
    reference_counts: Vec<u64>,
    current_counts: Vec<u64>,
    psi: f64,
}

#[derive(Deserialize)]
struct Chi2Case {
    name: String,
    reference: Vec<u64>,
    current: Vec<u64>,
    statistic: f64,
    p_value: f64,
    dof: usize,
}

#[derive(Deserialize)]
struct ClassificationCase {
    name: String,
    y_true: Vec<Option<f64>>,
    y_pred: Vec<Option<f64>>,
    accuracy: f64,
    precision: f64,
    recall: f64,
    f1: f64,
    roc_auc: Option<f64>,
    log_loss: Option<f64>,
    n_classes: usize,
    average: String,
}

#[derive(Deserialize)]
struct RocCase {
    name: String,
    labels: Vec<bool>,
    scores: Vec<f64>,
    auc: f64,
}

#[derive(Deserialize)]
struct RegressionCase {
    name: String,
    y_true: Vec<f64>,
    y_pred: Vec<f64>,
    mse: f64,
    rmse: f64,
    mae: f64,
    r2: f64,
}

fn fixture() -> Fixture {
    serde_json::from_str(FIXTURE).expect("fixtures/stats_reference.json is valid")
}

/// Relative error of `actual` against `expected` (0 when both are equal, including both zero).
fn relative_error(actual: f64, expected: f64) -> f64 {
    if actual == expected {
        0.0
    } else {
        (actual - expected).abs() / expected.abs()
    }
}

/// Checks closeness and remembers the largest error seen under `label`.
struct Tracker {
    label: &'static str,
    max: RefCell<(f64, String)>,
}

impl Tracker {
    fn new(label: &'static str) -> Self {
        Tracker {
            label,
            max: RefCell::new((0.0, String::new())),
        }
    }

    fn check(&self, case: &str, what: &str, actual: f64, expected: f64, tolerance: f64) {
        let error = relative_error(actual, expected);
        assert!(
            error <= tolerance,
            "{}: {case} {what}: got {actual:e}, expected {expected:e} (relative error {error:e})",
            self.label
        );
        let mut max = self.max.borrow_mut();
        if error > max.0 {
            *max = (error, format!("{case} {what}"));
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        let (error, at) = &*self.max.borrow();
        eprintln!("max relative error, {}: {error:e} ({at})", self.label);
    }
}

fn nan_for_null(values: &[Option<f64>]) -> Vec<f64> {
    values.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
}

#[test]
fn quantile_edges_match_numpy() {
    let errors = Tracker::new("quantile edges");
    let cases = fixture().quantile_edges;
    assert!(cases.len() >= 50);
    for case in &cases {
        let edges = quantile_edges(&case.data, case.bins);
        assert_eq!(edges.len(), case.edges.len(), "{}: edge count", case.name);
        for (i, (&got, &want)) in edges.iter().zip(&case.edges).enumerate() {
            errors.check(&case.name, &format!("edge {i}"), got, want, TIGHT);
        }
    }
    // Ties must merge edges somewhere in the fixture, or the merging goes untested.
    assert!(cases.iter().any(|c| c.edges.len() + 1 < c.bins));
}

#[test]
fn psi_matches_reference_definition() {
    let errors = Tracker::new("PSI");
    for case in fixture().psi {
        let mut sorted_reference = case.reference.clone();
        sorted_reference.sort_by(f64::total_cmp);
        let edges = quantile_edges(&sorted_reference, case.bins);
        assert_eq!(
            edges, case.edges,
            "{}: edges must be bit-identical",
            case.name
        );

        let reference_counts = bin_counts(&case.reference, &edges);
        let current_counts = bin_counts(&case.current, &edges);
        assert_eq!(reference_counts, case.reference_counts, "{}", case.name);
        assert_eq!(current_counts, case.current_counts, "{}", case.name);
        assert_eq!(
            bin_counts_sorted(&sorted_reference, &edges),
            case.reference_counts,
            "{}: sorted counting",
            case.name
        );

        let psi = psi_from_counts(&reference_counts, &current_counts);
        errors.check(&case.name, "psi", psi.unwrap_or(f64::NAN), case.psi, TIGHT);
    }
    for case in fixture().psi_counts {
        let psi = psi_from_counts(&case.reference_counts, &case.current_counts);
        errors.check(&case.name, "psi", psi.unwrap_or(f64::NAN), case.psi, TIGHT);
    }
}

#[test]
fn chi2_matches_scipy() {
    let statistic_errors = Tracker::new("chi-square statistic");
    let p_errors = Tracker::new("chi-square p-value");
    for case in fixture().chi2 {
        let outcome = chi2_homogeneity(&case.reference, &case.current)
            .unwrap_or_else(|| panic!("{}: no outcome", case.name));
        assert_eq!(outcome.dof, case.dof, "{}: dof", case.name);
        statistic_errors.check(
            &case.name,
            "statistic",
            outcome.statistic,
            case.statistic,
            TIGHT,
        );
        if case.p_value < f64::MIN_POSITIVE {
            // statrs flushes tails below f64's normal range to 0 where scipy returns subnormals.
            assert!(outcome.p_value < f64::MIN_POSITIVE, "{}", case.name);
        } else {
            p_errors.check(&case.name, "p", outcome.p_value, case.p_value, P_VALUE);
        }
    }
}

#[test]
fn classification_metrics_match_sklearn() {
    let errors = Tracker::new("classification metrics");
    for case in fixture().classification {
        let y_true = nan_for_null(&case.y_true);
        let y_pred = nan_for_null(&case.y_pred);
        let m = classification_metrics(&y_true, &y_pred)
            .unwrap_or_else(|| panic!("{}: no metrics", case.name));
        let name = case.name.as_str();
        errors.check(name, "accuracy", m.accuracy, case.accuracy, TIGHT);
        errors.check(name, "precision", m.precision, case.precision, TIGHT);
        errors.check(name, "recall", m.recall, case.recall, TIGHT);
        errors.check(name, "f1", m.f1, case.f1, TIGHT);
        assert_eq!(
            m.roc_auc.is_some(),
            case.roc_auc.is_some(),
            "{name}: roc_auc presence"
        );
        if let (Some(got), Some(want)) = (m.roc_auc, case.roc_auc) {
            errors.check(name, "roc_auc", got, want, TIGHT);
        }
        assert_eq!(
            m.log_loss.is_some(),
            case.log_loss.is_some(),
            "{name}: log_loss presence"
        );
        if let (Some(got), Some(want)) = (m.log_loss, case.log_loss) {
            errors.check(name, "log_loss", got, want, TIGHT);
        }
        assert_eq!(m.n_classes, case.n_classes, "{name}: n_classes");
        assert_eq!(m.average, case.average, "{name}: average");
    }
}

#[test]
fn roc_auc_matches_sklearn() {
    let errors = Tracker::new("ROC AUC");
    for case in fixture().roc_auc {
        let auc = roc_auc(&case.labels, &case.scores).unwrap_or(f64::NAN);
        errors.check(&case.name, "auc", auc, case.auc, TIGHT);
    }
}

#[test]
fn regression_metrics_match_sklearn() {
    let errors = Tracker::new("regression metrics");
    for case in fixture().regression {
        let m = regression_metrics(&case.y_true, &case.y_pred)
            .unwrap_or_else(|| panic!("{}: no metrics", case.name));
        let name = case.name.as_str();
        errors.check(name, "mse", m.mse, case.mse, TIGHT);
        errors.check(name, "rmse", m.rmse, case.rmse, TIGHT);
        errors.check(name, "mae", m.mae, case.mae, TIGHT);
        errors.check(name, "r2", m.r2, case.r2, TIGHT);
    }
}

fn sample(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    // Few distinct values as well as continuous ones, so that ties and merged edges occur.
    prop_oneof![
        prop::collection::vec(-1e3f64..1e3, 1..max_len),
        prop::collection::vec((0i32..6).prop_map(f64::from), 1..max_len),
    ]
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

proptest! {
    #[test]
    fn psi_is_non_negative(reference in sample(300), current in sample(300), bins in 2usize..25) {
        let reference = sorted(reference);
        let edges = quantile_edges(&reference, bins);
        prop_assert!(edges.windows(2).all(|w| w[0] < w[1]));
        let psi = psi_from_counts(&bin_counts(&reference, &edges), &bin_counts(&current, &edges));
        prop_assert!(psi.is_some_and(|p| p >= 0.0 && p.is_finite()), "psi {:?}", psi);
    }

    #[test]
    fn psi_of_identical_samples_is_zero(reference in sample(300), bins in 2usize..25) {
        let reference = sorted(reference);
        let edges = quantile_edges(&reference, bins);
        let counts = bin_counts(&reference, &edges);
        prop_assert_eq!(psi_from_counts(&counts, &counts), Some(0.0));
    }

    #[test]
    fn sorted_and_unsorted_counting_agree(values in sample(300), reference in sample(100)) {
        let edges = quantile_edges(&sorted(reference), 10);
        let counts = bin_counts(&values, &edges);
        prop_assert_eq!(counts.iter().sum::<u64>(), values.len() as u64);
        prop_assert_eq!(&bin_counts_sorted(&sorted(values), &edges), &counts);
    }

    #[test]
    fn psi_is_bounded_by_the_floor(reference in prop::collection::vec(0u64..1000, 1..20),
                                   current in prop::collection::vec(0u64..1000, 1..20)) {
        if let Some(psi) = psi_from_counts(&reference, &current) {
            let bins = reference.len().max(current.len()) as f64;
            let bound = bins * (1.0 - PROPORTION_FLOOR) * (1.0 / PROPORTION_FLOOR).ln();
            prop_assert!((0.0..=bound).contains(&psi));
        }
    }

    #[test]
    fn chi2_p_value_is_a_probability(reference in prop::collection::vec(0u64..10_000, 1..40),
                                     current in prop::collection::vec(0u64..10_000, 1..40)) {
        if let Some(out) = chi2_homogeneity(&reference, &current) {
            prop_assert!((0.0..=1.0).contains(&out.p_value), "{:?}", out);
            prop_assert!(out.statistic >= 0.0 && out.statistic.is_finite(), "{:?}", out);
        }
    }

    #[test]
    fn auc_is_a_probability_and_antisymmetric(
        rows in prop::collection::vec((any::<bool>(), prop_oneof![-5.0f64..5.0, (0i32..4).prop_map(f64::from)]), 2..400)
    ) {
        let labels: Vec<bool> = rows.iter().map(|r| r.0).collect();
        let scores: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let negated: Vec<f64> = scores.iter().map(|s| -s).collect();
        match (roc_auc(&labels, &scores), roc_auc(&labels, &negated)) {
            (Some(a), Some(b)) => {
                prop_assert!((0.0..=1.0).contains(&a));
                prop_assert!((a + b - 1.0).abs() < 1e-12, "{} + {}", a, b);
            }
            (None, None) => prop_assert!(labels.iter().all(|&l| l) || labels.iter().all(|&l| !l)),
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn classification_metrics_are_probabilities(
        rows in prop::collection::vec((0i32..4, prop_oneof![0.0f64..=1.0, (0i32..4).prop_map(f64::from)]), 1..200)
    ) {
        let y_true: Vec<f64> = rows.iter().map(|r| f64::from(r.0)).collect();
        let y_pred: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let m = classification_metrics(&y_true, &y_pred);
        prop_assert!(m.is_some());
        if let Some(m) = m {
            for v in [m.accuracy, m.precision, m.recall, m.f1].into_iter().chain(m.roc_auc) {
                prop_assert!((0.0..=1.0).contains(&v), "{:?}", m);
            }
            prop_assert!(m.log_loss.is_none_or(|l| l >= 0.0 && l.is_finite()), "{:?}", m);
        }
    }

    #[test]
    fn regression_metrics_are_consistent(
        rows in prop::collection::vec((-1e3f64..1e3, -1e3f64..1e3), 1..200)
    ) {
        let y_true: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let y_pred: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let m = regression_metrics(&y_true, &y_pred);
        prop_assert!(m.is_some());
        if let Some(m) = m {
            prop_assert!(m.mse >= 0.0 && m.mae >= 0.0 && m.r2 <= 1.0, "{:?}", m);
            prop_assert!(m.mae <= m.rmse * (1.0 + 1e-12), "{:?}", m);
        }
        let perfect = regression_metrics(&y_true, &y_true);
        prop_assert!(perfect.is_some_and(|m| m.mse == 0.0 && m.r2 == 1.0));
    }
}
