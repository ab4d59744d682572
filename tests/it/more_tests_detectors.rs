//! The `ad`, `cvm` and `wasserstein` detectors end to end on small windows: the result shape
//! and guards they share with KS (insufficient data, NaN-only columns, constant references,
//! correction), through the public library API.

use ml_monitor::config::DetectorKind;
use ml_monitor::config::StatisticalConfig;
use ml_monitor::data::{Column, DataWindow};
use ml_monitor::drift::{DriftDetector, FeatureStatus, StatisticalDriftDetector};

fn window(x: Vec<f64>, y: Vec<f64>) -> DataWindow {
    DataWindow::new(
        "w",
        vec![Column::numeric("x", x), Column::numeric("y", y)],
        None,
        None,
    )
    .expect("equal lengths")
}

fn normalish(n: usize, shift: f64, scale: f64) -> Vec<f64> {
    // Deterministic quantiles of a logistic distribution, interleaved.
    (0..n)
        .map(|i| {
            let u = ((i * 7919) % n) as f64 / n as f64 + 0.5 / n as f64;
            shift + scale * (u / (1.0 - u)).ln()
        })
        .collect()
}

const TESTS: [DetectorKind; 3] = [
    DetectorKind::Ad,
    DetectorKind::Cvm,
    DetectorKind::Wasserstein,
];

#[test]
fn shift_is_seen_and_identity_is_not() {
    let reference = window(normalish(500, 0.0, 1.0), normalish(500, 0.0, 1.0));
    let shifted = window(normalish(400, 1.0, 1.0), normalish(400, 0.0, 1.0));
    for test in TESTS {
        let mut d = StatisticalDriftDetector::new(test, StatisticalConfig::default())
            .expect("a per-feature test");
        d.fit(&reference).expect("fit");
        let same = d.detect(&reference).expect("detect");
        assert!(!same.window_drift, "{test:?}: {same:?}");
        assert_eq!(same.n_features, 2);
        let r = d.detect(&shifted).expect("detect");
        assert!(r.features["x"].drifted, "{test:?}: {r:?}");
        assert!(!r.features["y"].drifted, "{test:?}: {r:?}");
        assert_eq!(r.n_drifted, 1);
        let x = &r.features["x"];
        match test {
            DetectorKind::Wasserstein => {
                assert!(x.p_value.is_none() && x.p_value_adjusted.is_none());
                assert!(x.statistic.expect("distance") > 0.5);
            }
            _ => {
                // Bonferroni over the two features.
                let p = x.p_value.expect("p");
                assert_eq!(x.p_value_adjusted, Some((2.0 * p).min(1.0)));
            }
        }
    }
}

#[test]
fn nan_only_and_tiny_columns_are_insufficient_never_a_panic() {
    let reference = window(vec![f64::NAN; 100], normalish(100, 0.0, 1.0));
    let current = window(normalish(100, 5.0, 1.0), {
        let mut v = vec![f64::NAN; 100];
        v[0] = 1.0;
        v
    });
    for test in TESTS {
        let mut d = StatisticalDriftDetector::new(test, StatisticalConfig::default())
            .expect("a per-feature test");
        let r = d.detect_pair(&reference, &current).expect("runs");
        for name in ["x", "y"] {
            let f = &r.features[name];
            assert_eq!(f.status, FeatureStatus::InsufficientData, "{test:?} {name}");
            assert!(!f.drifted && f.statistic.is_none() && f.p_value.is_none());
        }
        assert!(!r.drift_detected);
    }
}

#[test]
fn constant_reference_is_flagged_and_identical_constants_do_not_drift() {
    let reference = window(vec![3.0; 100], normalish(100, 0.0, 1.0));
    let same = window(vec![3.0; 80], normalish(80, 0.0, 1.0));
    let moved = window(vec![4.0; 80], normalish(80, 0.0, 1.0));
    // Continuous tests even on one value: the discrete rule is off here.
    let config = StatisticalConfig {
        discrete_max_values: 0,
        ..StatisticalConfig::default()
    };
    for test in TESTS {
        let mut d =
            StatisticalDriftDetector::new(test, config.clone()).expect("a per-feature test");
        d.fit(&reference).expect("fit");
        let r = d.detect(&same).expect("detect");
        let x = &r.features["x"];
        assert_eq!(x.status, FeatureStatus::Constant, "{test:?}");
        assert!(!x.drifted, "{test:?}: {x:?}");
        let r = d.detect(&moved).expect("detect");
        assert!(r.features["x"].drifted, "{test:?}: {r:?}");
    }
}

#[test]
fn result_keys_and_configuration_names() {
    let names: Vec<&str> = TESTS.iter().map(|t| t.key()).collect();
    assert_eq!(names, ["ad", "cvm", "wasserstein"]);
    let c = ml_monitor::MonitorConfig::from_toml(
        "[drift]\ndetectors = [\"ad\", \"cvm\", \"wasserstein\"]\n[drift.statistical]\nwasserstein_threshold = 0.2\n",
        "m.toml",
    )
    .expect("parses");
    assert_eq!(c.drift.detectors.len(), 3);
    assert_eq!(c.drift.statistical.wasserstein_threshold, 0.2);
    assert!(ml_monitor::MonitorConfig::from_toml(
        "[drift.statistical]\nwasserstein_threshold = -1.0\n",
        "m.toml"
    )
    .is_err());
}

#[test]
fn few_distinct_values_are_tested_by_chi_square_and_say_so() {
    let ints = |n: usize, shares: [usize; 4]| -> Vec<f64> {
        // Values 0..4 in the given shares of every 10 rows.
        let pattern: Vec<f64> = shares
            .iter()
            .enumerate()
            .flat_map(|(v, &k)| std::iter::repeat_n(v as f64, k))
            .collect();
        (0..n).map(|i| pattern[i % pattern.len()]).collect()
    };
    let reference = window(ints(400, [4, 3, 2, 1]), normalish(400, 0.0, 1.0));
    let current = window(ints(300, [1, 2, 3, 4]), normalish(300, 0.0, 1.0));
    let mut tests = TESTS.to_vec();
    tests.push(DetectorKind::Ks);
    // On by default (10, chosen by measurement: docs/detectors.md).
    assert_eq!(StatisticalConfig::default().discrete_max_values, 10);
    let on = StatisticalConfig {
        discrete_max_values: 10,
        ..StatisticalConfig::default()
    };
    for test in tests {
        let mut d = StatisticalDriftDetector::new(test, on.clone()).expect("a per-feature test");
        let r = d.detect_pair(&reference, &current).expect("runs");
        let x = &r.features["x"];
        assert_eq!(x.test, Some(DetectorKind::Chi2), "{test:?}");
        assert!(x.drifted && x.p_value.is_some(), "{test:?}: {x:?}");
        let json = serde_json::to_string(x).expect("json");
        assert!(json.contains(r#""test":"chi2""#), "{json}");
        // The continuous feature keeps the detector's own test, and says nothing.
        assert!(r.features["y"].test.is_none());
        assert!(!serde_json::to_string(&r.features["y"])
            .expect("json")
            .contains("test"));
        // Off: the continuous test runs.
        let off = StatisticalConfig {
            discrete_max_values: 0,
            ..StatisticalConfig::default()
        };
        let mut d = StatisticalDriftDetector::new(test, off).expect("a per-feature test");
        let r = d.detect_pair(&reference, &current).expect("runs");
        assert!(r.features["x"].test.is_none());
    }
}
