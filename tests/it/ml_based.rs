//! The classifier drift detector through the public API: no drift on same-distribution data, a
//! one-feature shift found and blamed on that feature, one-hot importances grouped back, the
//! guards, and its place in the monitor.

use ml_monitor::config::{ClassifierConfig, DetectorKind};
use ml_monitor::data::{self, Column, DataWindow, Schema};
use ml_monitor::drift::FeatureStatus;
use ml_monitor::generator::{Generator, GeneratorConfig, Scenario};
use ml_monitor::AlertKind;
use ml_monitor::{config::MonitorConfig, drift::DriftDetector, MLBasedDriftDetector, ModelMonitor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// `rows` x `features` standard normals, feature `shifted` moved by `shift` standard deviations.
fn normal(
    name: &str,
    rows: usize,
    features: usize,
    seed: u64,
    shifted: usize,
    shift: f64,
) -> DataWindow {
    let mut rng = StdRng::seed_from_u64(seed);
    let columns = (0..features)
        .map(|f| {
            let s = if f == shifted { shift } else { 0.0 };
            let values = (0..rows)
                .map(|_| StandardNormal.sample(&mut rng))
                .map(|v: f64| v + s)
                .collect();
            Column::numeric(format!("f{f}"), values)
        })
        .collect();
    DataWindow::new(name, columns, None, None).expect("equal lengths")
}

/// The generator's reference and window `k` as parsed windows.
fn generated(
    rows: usize,
    seed: u64,
    scenario: Scenario,
    k: usize,
) -> (DataWindow, DataWindow, Schema) {
    let dir = tempfile::tempdir().expect("temp dir");
    let generator = Generator::new(GeneratorConfig {
        rows,
        windows: k,
        seed,
        scenario,
        drift_start: 1,
    });
    let reference = generator
        .write_reference(dir.path())
        .expect("write reference");
    let window = generator.write_window(dir.path(), k).expect("write window");
    let (reference, schema) = data::read_reference(&reference, &MonitorConfig::default().columns)
        .expect("reference parses");
    let window = data::read_window(&window, &schema).expect("window parses");
    (reference, window, schema)
}

fn config(seed: u64) -> ClassifierConfig {
    ClassifierConfig {
        seed,
        ..ClassifierConfig::default()
    }
}

#[test]
fn identical_sides_give_auc_near_half_and_no_drift() {
    let (reference, _, _) = generated(1000, 11, Scenario::None, 1);
    for seed in 0..5 {
        let mut d = MLBasedDriftDetector::new(config(seed)).expect("valid settings");
        let r = d.detect_pair(&reference, &reference).expect("runs");
        // Twins share a fold, so every score has its twin on the other side: exactly 0.5.
        let auc = r.auc.expect("auc");
        assert!((auc - 0.5).abs() < 1e-12, "seed {seed}: AUC {auc}");
        assert!(!r.drift_detected && !r.window_drift, "seed {seed}: {r:?}");
        assert_eq!(r.status, Some(FeatureStatus::Ok));
    }
}

#[test]
fn same_distribution_windows_rarely_drift() {
    // Generator windows without drift against the reference, several data and fold seeds.
    let mut false_drift = 0;
    let runs = 8;
    for seed in 0..runs {
        let (reference, window, _) = generated(600, 100 + seed, Scenario::None, 3);
        let mut d = MLBasedDriftDetector::new(config(seed)).expect("valid settings");
        let r = d.detect_pair(&reference, &window).expect("runs");
        let auc = r.auc.expect("auc");
        assert!((auc - 0.5).abs() < 0.06, "seed {seed}: AUC {auc}");
        false_drift += usize::from(r.drift_detected);
    }
    assert!(
        false_drift <= 1,
        "{false_drift} false drift calls in {runs} runs"
    );
}

#[test]
fn mean_shift_in_one_feature_is_found_and_gets_the_largest_importance() {
    let reference = normal("reference", 2000, 8, 1, usize::MAX, 0.0);
    let current = normal("current", 2000, 8, 2, 5, 0.5);
    let mut d = MLBasedDriftDetector::new(ClassifierConfig::default()).expect("valid settings");
    let r = d.detect_pair(&reference, &current).expect("runs");
    let auc = r.auc.expect("auc");
    // Half a standard deviation: the ideal AUC is Φ(0.5 / √2) ≈ 0.64.
    assert!(auc > 0.6, "AUC {auc}");
    assert!(r.drift_detected && r.window_drift);
    assert_eq!(r.drift_score, auc);
    assert_eq!(r.n_features, 8);
    let imp = r.feature_importances.expect("importances");
    let (top, share) = imp
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("eight features");
    assert_eq!(top, "f5", "{imp:?}");
    assert!(*share > 0.5, "{imp:?}");
    assert!((imp.values().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn drift_is_found_whichever_side_is_larger() {
    // linfa-logistic's positive class is the more frequent label: the score must still be
    // P(current), so the AUC is high both ways.
    let reference = normal("reference", 1500, 4, 3, usize::MAX, 0.0);
    for (rows, seed) in [(400, 4), (3000, 5)] {
        let current = normal("current", rows, 4, seed, 0, 0.8);
        let r = MLBasedDriftDetector::new(ClassifierConfig::default())
            .expect("valid settings")
            .detect_pair(&reference, &current)
            .expect("runs");
        assert!(r.auc.expect("auc") > 0.65, "{rows} current rows: {r:?}");
    }
}

#[test]
fn one_hot_importances_are_grouped_back_to_their_feature() {
    let mut rng = StdRng::seed_from_u64(9);
    let categories = ["a", "b", "c", "d", "e"];
    let mut window = |name: &str, rows: usize, e_share: f64| {
        let cat: Vec<Option<&str>> = (0..rows)
            .map(|_| {
                if rng.gen::<f64>() < e_share {
                    Some("e")
                } else {
                    Some(categories[rng.gen_range(0..4)])
                }
            })
            .collect();
        let x: Vec<f64> = (0..rows).map(|_| StandardNormal.sample(&mut rng)).collect();
        let y: Vec<f64> = (0..rows).map(|_| StandardNormal.sample(&mut rng)).collect();
        DataWindow::new(
            name,
            vec![
                Column::numeric("x", x),
                Column::categorical("plan", &cat),
                Column::numeric("y", y),
            ],
            None,
            None,
        )
        .expect("window")
    };
    let reference = window("reference", 2000, 0.05);
    let current = window("current", 2000, 0.35);
    let r = MLBasedDriftDetector::new(ClassifierConfig::default())
        .expect("valid settings")
        .detect_pair(&reference, &current)
        .expect("runs");
    assert!(r.drift_detected, "{r:?}");
    let imp = r.feature_importances.expect("importances");
    let keys: Vec<&str> = imp.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["plan", "x", "y"],
        "one entry per feature, no one-hot columns"
    );
    assert!((imp.values().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(imp["plan"] > 0.8, "{imp:?}");
}

#[test]
fn unseen_categories_and_missing_values_are_encoded_not_errors() {
    // The sudden scenario adds a device category, raises credit_score's missing rate and shifts
    // age, income and sessions.
    let (reference, drifted, _) = generated(800, 21, Scenario::Sudden, 1);
    let r = MLBasedDriftDetector::new(ClassifierConfig::default())
        .expect("valid settings")
        .detect_pair(&reference, &drifted)
        .expect("runs");
    assert!(r.drift_detected, "{r:?}");
    assert_eq!(r.n_features, 9);
}

#[test]
fn too_few_rows_is_insufficient_data_not_an_error() {
    let reference = normal("reference", 500, 3, 1, usize::MAX, 0.0);
    let tiny = normal("tiny", 29, 3, 2, 0, 10.0);
    let mut d = MLBasedDriftDetector::new(ClassifierConfig::default()).expect("valid settings");
    d.fit(&reference).expect("fit");
    let r = d.detect(&tiny).expect("runs");
    assert_eq!(r.status, Some(FeatureStatus::InsufficientData));
    assert_eq!(r.auc, Some(0.5));
    assert!(!r.drift_detected);
    // An empty reference, too.
    let empty = normal("empty", 0, 3, 3, 0, 0.0);
    let r = d.detect_pair(&empty, &tiny).expect("runs");
    assert_eq!(r.status, Some(FeatureStatus::InsufficientData));
}

#[test]
fn schema_problems_are_clear_errors() {
    let reference = normal("reference", 100, 3, 1, usize::MAX, 0.0);
    let mut d = MLBasedDriftDetector::new(ClassifierConfig::default()).expect("valid settings");
    d.fit(&reference).expect("fit");
    let short = normal("short", 100, 2, 2, 0, 0.0);
    let e = d.detect(&short).expect_err("f2 is missing");
    assert!(e.to_string().contains("\"f2\""), "{e}");
    let mut columns = normal("typed", 100, 3, 4, 0, 0.0).features().to_vec();
    columns[1] = Column::categorical("f1", &vec![Some("x"); 100]);
    let typed = DataWindow::new("typed", columns, None, None).expect("window");
    let e = d.detect(&typed).expect_err("f1 is categorical");
    assert!(
        e.to_string().contains("f1") && e.to_string().contains("categorical"),
        "{e}"
    );
}

#[test]
fn confirmation_needs_consecutive_drifting_windows() {
    let reference = normal("reference", 600, 3, 1, usize::MAX, 0.0);
    let shifted = normal("shifted", 600, 3, 2, 0, 1.0);
    let same = normal("same", 600, 3, 3, usize::MAX, 0.0);
    let mut d = MLBasedDriftDetector::new(ClassifierConfig {
        confirmation_windows: 2,
        ..ClassifierConfig::default()
    })
    .expect("valid settings");
    d.fit(&reference).expect("fit");
    let first = d.detect(&shifted).expect("1");
    assert!(first.window_drift && !first.drift_detected);
    assert!(d.detect(&shifted).expect("2").drift_detected);
    assert!(!d.detect(&same).expect("3").drift_detected);
    assert!(!d.detect(&shifted).expect("4").drift_detected);
}

#[test]
fn the_monitor_runs_the_classifier_and_alerts_on_its_drift() {
    let (reference, drifted, _) = generated(1000, 5, Scenario::Sudden, 2);
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![DetectorKind::Ks, DetectorKind::Classifier];
    let mut monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("reference");
    let result = monitor.monitor(&drifted);
    assert!(result.error.is_none(), "{:?}", result.error);
    let classifier = &result.drift["classifier"];
    assert!(classifier.drift_detected && classifier.auc.is_some_and(|a| a > 0.55));
    assert!(result
        .alerts
        .iter()
        .any(|a| a.kind == AlertKind::DataDrift && a.message.contains("classifier")));
    let json = serde_json::to_value(&result).expect("serialises");
    assert!(
        json["drift"]["classifier"]["feature_importances"]["age"].is_number(),
        "{json}"
    );
}

/// Share of false drift calls on same-distribution samples, by size. Slow in debug builds:
/// `cargo test --release --test ml_based -- --ignored --nocapture false_drift_rate`.
#[test]
#[ignore]
fn false_drift_rate() {
    for rows in [100, 500, 2000] {
        let runs = 100;
        let mut calls = 0;
        let mut aucs = Vec::new();
        for seed in 0..runs {
            let reference = normal("reference", rows, 10, 2 * seed, usize::MAX, 0.0);
            let current = normal("current", rows, 10, 2 * seed + 1, usize::MAX, 0.0);
            let r = MLBasedDriftDetector::new(config(seed))
                .expect("valid settings")
                .detect_pair(&reference, &current)
                .expect("runs");
            calls += usize::from(r.drift_detected);
            aucs.push(r.auc.expect("auc"));
        }
        let mean = aucs.iter().sum::<f64>() / runs as f64;
        let max = aucs.iter().copied().fold(0.0, f64::max);
        println!(
            "{rows} + {rows} rows x 10 features: false drift {calls}/{runs}, mean AUC {mean:.4}, max AUC {max:.4}"
        );
    }
    // The generator's mixed numeric and categorical data, drift-free windows.
    for rows in [500, 2000] {
        let runs = 30;
        let mut calls = 0;
        let mut max = 0.0f64;
        for seed in 0..runs {
            let (reference, window, _) = generated(rows, 1000 + seed, Scenario::None, 2);
            let r = MLBasedDriftDetector::new(config(seed))
                .expect("valid settings")
                .detect_pair(&reference, &window)
                .expect("runs");
            calls += usize::from(r.drift_detected);
            max = max.max(r.auc.expect("auc"));
        }
        println!("generator, {rows} + {rows} rows: false drift {calls}/{runs}, max AUC {max:.4}");
    }
}
