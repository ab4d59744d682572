//! Trained models and reference statistics on disk: save → load → predict is bit-identical, a
//! window without a model feature is a clear error (in the monitor: an error result, not a
//! panic), and a monitor fitted from saved statistics matches one fitted on the rows.

use std::path::Path;
use std::sync::Arc;

use ml_monitor::config::{DetectorKind, StatisticalConfig};
use ml_monitor::data::{self, Column, DataWindow};
use ml_monitor::drift::DriftError;
use ml_monitor::generator::{Generator, GeneratorConfig, Scenario};
use ml_monitor::model::{self, Model, ModelError, TrainedModel};
use ml_monitor::ReferenceStats;
use ml_monitor::{
    config::{MonitorConfig, Task},
    ModelMonitor,
};
use ml_monitor::{monitoring::PredictionSource, AlertKind, MonitorError};

/// Generator reference and window 5 (sudden drift from window 4) under `dir`.
fn generated(dir: &Path) -> (DataWindow, DataWindow) {
    let generator = Generator::new(GeneratorConfig {
        rows: 1500,
        windows: 5,
        seed: 7,
        scenario: Scenario::Sudden,
        drift_start: 4,
    });
    let paths = generator.write_all(dir).expect("writes");
    let (reference, schema) =
        data::read_reference(&paths[0], &MonitorConfig::default().columns).expect("reference");
    let window = data::read_window(&paths[5], &schema).expect("window");
    (reference, window)
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn classifier_save_load_predict_is_bit_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (reference, window) = generated(dir.path());
    let target = reference.target_values().expect("target").to_vec();
    let trained = model::train(&reference, &target, Task::Classification).expect("trains");
    let path = dir.path().join("model.json");
    trained.save(&path).expect("saves");
    let text = std::fs::read_to_string(&path).expect("readable");
    assert!(text.contains("\"format_version\": 1"), "{text}");
    let loaded = TrainedModel::load(&path).expect("loads");
    assert_eq!(loaded, trained);
    for w in [&reference, &window] {
        let before = trained.predict(w).expect("predicts");
        let after = loaded.predict(w).expect("predicts");
        assert_eq!(bits(&before), bits(&after));
        assert!(after.iter().all(|p| (0.0..=1.0).contains(p)));
    }
    // The generator's target follows its own logistic model: a fair fit gets near its ~0.8.
    let p = loaded.predict(&reference).expect("predicts");
    let correct = p
        .iter()
        .zip(&target)
        .filter(|(p, y)| (**p >= 0.5) == (**y == 1.0))
        .count();
    let accuracy = correct as f64 / target.len() as f64;
    assert!(accuracy > 0.72, "training accuracy {accuracy}");
    assert_eq!(loaded.task(), Task::Classification);
    assert_eq!(loaded.feature_names().len(), 9);
}

#[test]
fn regression_save_load_predict_is_bit_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (reference, window) = generated(dir.path());
    // Regress the logged prediction on the features.
    let target = reference.prediction_values().expect("prediction").to_vec();
    let trained = model::train(&reference, &target, Task::Regression).expect("trains");
    let path = dir.path().join("regression.json");
    trained.save(&path).expect("saves");
    let loaded = TrainedModel::load(&path).expect("loads");
    assert_eq!(loaded.task(), Task::Regression);
    let before = trained.predict(&window).expect("predicts");
    let after = loaded.predict(&window).expect("predicts");
    assert_eq!(bits(&before), bits(&after));
    let fitted = loaded.predict(&reference).expect("predicts");
    let mse = fitted
        .iter()
        .zip(&target)
        .map(|(p, y)| (p - y).powi(2))
        .sum::<f64>()
        / target.len() as f64;
    let mean = target.iter().sum::<f64>() / target.len() as f64;
    let var = target.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / target.len() as f64;
    assert!(1.0 - mse / var > 0.8, "R² {}", 1.0 - mse / var);
}

#[test]
fn a_window_without_a_model_feature_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (reference, window) = generated(dir.path());
    let target = reference.target_values().expect("target").to_vec();
    let trained = model::train(&reference, &target, Task::Classification).expect("trains");
    let mut features = window.features().to_vec();
    features.retain(|c| c.name != "tenure_months");
    let short = DataWindow::new("short.csv", features, None, None).expect("window");
    assert_eq!(
        trained.predict(&short),
        Err(ModelError::MissingFeature("tenure_months".into()))
    );
    // In the monitor it is an error result for the window, not a panic.
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![DetectorKind::Psi];
    let mut monitor = ModelMonitor::builder(config)
        .model(Arc::new(trained))
        .build(&reference)
        .expect("reference");
    let ok = monitor.monitor(&window);
    assert_eq!(ok.prediction_source, Some(PredictionSource::Model));
    let result = monitor.monitor(&short);
    let error = result.error.expect("error result");
    assert!(error.message.contains("tenure_months"), "{}", error.message);
    assert!(result
        .alerts
        .iter()
        .any(|a| a.kind == AlertKind::WindowError));
}

#[test]
fn a_model_file_that_is_not_one_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("model.json");
    std::fs::write(
        &path,
        "{\"format_version\": 1, \"task\": \"classification\"}",
    )
    .expect("write");
    let e = TrainedModel::load(&path).expect_err("incomplete");
    assert!(
        matches!(&e, ModelError::File { path: p, .. } if p.ends_with("model.json")),
        "{e}"
    );
    let e = TrainedModel::load(&dir.path().join("absent.json")).expect_err("absent");
    assert!(e.to_string().contains("cannot read"), "{e}");
}

#[test]
fn monitor_from_saved_statistics_matches_monitor_from_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (reference, window) = generated(dir.path());
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![DetectorKind::Psi, DetectorKind::Chi2];
    let (_, schema) =
        data::read_reference(&dir.path().join("reference.csv"), &config.columns).expect("schema");
    let predictions = reference.prediction_values().map(<[f64]>::to_vec);
    let stats = ReferenceStats::from_window(
        &reference,
        &config.drift.statistical,
        predictions.as_deref(),
    );
    let path = dir.path().join("reference_stats.json");
    stats.save(&path).expect("saves");
    let loaded = ReferenceStats::load(&path).expect("loads");
    assert_eq!(loaded, stats);
    // Without the reference file, windows are read against the statistics' schema.
    let from_stats = loaded.schema(&config.columns);
    assert_eq!(from_stats.features, schema.features);
    let reread =
        data::read_window(&dir.path().join("window_0005.csv"), &from_stats).expect("reads");
    // (Compared through Debug: missing cells are NaN, which is never == itself.)
    assert_eq!(format!("{reread:?}"), format!("{window:?}"));

    let mut from_rows = ModelMonitor::builder(config.clone())
        .build(&reference)
        .expect("rows");
    let mut from_stats = ModelMonitor::builder(config.clone())
        .build_from_stats(&loaded)
        .expect("stats");
    let a = from_rows.monitor(&window);
    let b = from_stats.monitor(&window);
    assert_eq!(a.drift, b.drift);
    assert!(a.drift["psi"].drift_detected);
    assert_eq!(a.data_quality, b.data_quality);
    assert_eq!(a.prediction_shift, b.prediction_shift);
    assert!(b.prediction_shift.is_some());

    // KS and the classifier need the rows, and say so.
    for kind in [DetectorKind::Ks, DetectorKind::Classifier] {
        let mut c = config.clone();
        c.drift.detectors = vec![DetectorKind::Psi, kind];
        let e = ModelMonitor::builder(c)
            .build_from_stats(&loaded)
            .expect_err("needs rows");
        assert_eq!(
            e,
            MonitorError::Drift(DriftError::NeedsRawReference(kind.key().into()))
        );
        assert!(e.to_string().contains("raw reference rows"), "{e}");
    }
    // PSI edges made with other bins are refused rather than silently reused.
    let mut c = config;
    c.drift.statistical = StatisticalConfig {
        psi_bins: 20,
        ..StatisticalConfig::default()
    };
    let e = ModelMonitor::builder(c)
        .build_from_stats(&loaded)
        .expect_err("bins differ");
    assert!(e.to_string().contains("psi_bins = 10"), "{e}");
}

#[test]
fn statistics_keep_numeric_and_categorical_summaries() {
    let reference = DataWindow::new(
        "r",
        vec![
            Column::numeric("x", vec![1.0, 2.0, 3.0, f64::NAN]),
            Column::categorical("c", &[Some("a"), Some("b"), Some("a"), None]),
        ],
        None,
        None,
    )
    .expect("window");
    let stats = ReferenceStats::from_window(&reference, &StatisticalConfig::default(), None);
    let json = serde_json::to_value(&stats).expect("serialises");
    assert_eq!(json["features"][0]["count"], 3);
    assert_eq!(json["features"][0]["summary"]["kind"], "numeric");
    assert_eq!(json["features"][1]["summary"]["categories"][0]["count"], 2);
    assert_eq!(json["profile"]["features"][0]["missing_rate"], 0.25);
}
