//! The `pca` detector on references NannyML's calculator cannot take: values near the largest
//! float, a constant reference, one row, and features with no value. `pca` is in the default
//! detector set, so a reference it cannot fit would stop the whole monitor from starting; each
//! of these fits, and a window gets figures or `insufficient_data`.

use std::path::Path;

use ml_monitor::config::PcaConfig;
use ml_monitor::data::{self, Column, DataWindow};
use ml_monitor::drift::{DriftDetector, FeatureStatus};
use ml_monitor::{config::MonitorConfig, ModelMonitor};
use ml_monitor::{drift::PcaFigures, PcaDriftDetector};

/// Two correlated numeric features and a categorical one, `rows` rows from `seed`, the numbers
/// times `scale`; the first and second rows hold ±1.5e7 (times `scale`).
fn frame(rows: usize, seed: f64, scale: f64) -> DataWindow {
    let t = |i: usize| (i as f64 * 0.7 + seed).sin() * 100.0;
    let mut x: Vec<f64> = (0..rows).map(|i| t(i) * scale).collect();
    let y: Vec<f64> = (0..rows)
        .map(|i| (0.8 * t(i) + (i as f64 * 1.9 + seed).cos() * 30.0) * scale)
        .collect();
    x[0] = 1.5e7 * scale;
    x[1] = -1.5e7 * scale;
    let c: Vec<Option<&str>> = (0..rows).map(|i| Some(["a", "b", "c"][i % 3])).collect();
    let columns = vec![
        Column::numeric("x", x),
        Column::numeric("y", y),
        Column::categorical("c", &c),
    ];
    DataWindow::new("w", columns, None, None).expect("equal lengths")
}

fn figures(reference: &DataWindow, window: &DataWindow) -> PcaFigures {
    let mut d = PcaDriftDetector::new(PcaConfig::default()).expect("valid settings");
    d.fit(reference).expect("fits");
    d.detect(window).expect("runs").pca.expect("figures")
}

fn one_column(values: Vec<f64>) -> DataWindow {
    DataWindow::new("w", vec![Column::numeric("x", values)], None, None).expect("one column")
}

/// Values read in units of a power of two: data times 2^1000 (up to 1.6e308, whose squares
/// overflow) gives exactly the figures of the same data in its own units.
#[test]
fn values_near_the_largest_float_give_the_figures_of_the_same_data_in_smaller_units() {
    let big = 2f64.powi(1000);
    let small = figures(&frame(400, 0.0, 1.0), &frame(200, 5.0, 1.0));
    let huge = figures(&frame(400, 0.0, big), &frame(200, 5.0, big));
    assert!(small.reconstruction_error.is_finite());
    assert!(small.upper_threshold.is_some_and(f64::is_finite));
    assert_eq!(huge, small);
}

/// A constant reference keeps no component: a window of the same value has error 0 and no
/// drift; any other value is drift.
#[test]
fn a_constant_reference_fits_and_any_other_value_drifts() {
    let mut d = PcaDriftDetector::new(PcaConfig::default()).expect("valid settings");
    d.fit(&one_column(vec![3.0; 100])).expect("fits");
    let same = d.detect(&one_column(vec![3.0; 50])).expect("runs");
    let figures = same.pca.expect("figures");
    assert_eq!((figures.reconstruction_error, figures.components), (0.0, 0));
    assert!(!same.window_drift);
    let other = d.detect(&one_column(vec![4.0; 50])).expect("runs");
    assert_eq!(other.pca.expect("figures").reconstruction_error, 1.0);
    assert!(other.window_drift);
}

/// One reference row fits as a constant one (with `min_sample_size = 1`); a reference whose
/// features hold no value gives `insufficient_data` windows.
#[test]
fn one_row_fits_and_features_without_values_are_insufficient() {
    let mut d = PcaDriftDetector::new(PcaConfig {
        min_sample_size: 1,
        ..PcaConfig::default()
    })
    .expect("valid settings");
    d.fit(&one_column(vec![2.0])).expect("fits");
    let r = d.detect(&one_column(vec![2.0; 50])).expect("runs");
    assert_eq!(r.pca.expect("figures").reconstruction_error, 0.0);

    d.fit(&one_column(vec![f64::NAN; 100])).expect("fits");
    let r = d.detect(&one_column(vec![1.0; 50])).expect("runs");
    assert_eq!(r.status, Some(FeatureStatus::InsufficientData));
    assert!(r.pca.is_none() && !r.drift_detected);
}

/// Below `min_sample_size` reference rows (1, 2, 5 under the default 30), every window is
/// `insufficient_data`, clean or not, as for the statistical detectors: such a reference says
/// nothing of a window's spread (issue 29: it alarmed on every clean window).
#[test]
fn a_reference_below_min_sample_size_gives_insufficient_data() {
    for rows in [1usize, 2, 5, 29] {
        let reference: Vec<f64> = (0..rows).map(|i| i as f64 * 1000.0).collect();
        let clean: Vec<f64> = (0..60).map(|i| (i % rows.max(1)) as f64 * 1000.0).collect();
        for thresholds in [
            ml_monitor::config::PcaThresholds::Window,
            ml_monitor::config::PcaThresholds::Chunks,
        ] {
            let mut d = PcaDriftDetector::new(PcaConfig {
                thresholds,
                ..PcaConfig::default()
            })
            .expect("valid settings");
            d.fit(&one_column(reference.clone())).expect("fits");
            let r = d.detect(&one_column(clean.clone())).expect("runs");
            assert_eq!(
                r.status,
                Some(FeatureStatus::InsufficientData),
                "{rows} rows, {thresholds:?}"
            );
            assert!(r.pca.is_none() && !r.drift_detected && !r.window_drift);
        }
    }
    let mut d = PcaDriftDetector::new(PcaConfig::default()).expect("valid settings");
    d.fit(&one_column((0..30).map(f64::from).collect()))
        .expect("fits");
    let r = d
        .detect(&one_column((0..30).map(f64::from).collect()))
        .expect("runs");
    assert!(r.pca.is_some(), "30 rows are enough");
}

/// The default detector set (with `pca`) starts on references of a constant, of one row, and
/// of values near the largest float, and evaluates a window against each.
#[test]
fn the_default_monitor_starts_on_references_pca_cannot_vary() {
    let config = MonitorConfig::default();
    let window = "x,c,prediction\n".to_string() + &"4,a,0.5\n".repeat(60);
    let references = [
        "x,c,prediction\n".to_string() + &"3,a,0.5\n".repeat(100),
        "x,c,prediction\n3,a,0.5\n".to_string(),
        "x,c,prediction\n1.6e308,a,0.5\n-1.6e308,b,0.5\n".to_string() + &"1,a,0.4\n".repeat(50),
    ];
    for text in references {
        let (reference, schema) =
            data::parse_reference(Path::new("r.csv"), text.as_bytes(), &config.columns)
                .expect("reference reads");
        let mut monitor = ModelMonitor::builder(config.clone())
            .build(&reference)
            .unwrap_or_else(|e| panic!("{e} on {text:.60}"));
        let w = data::parse_window(Path::new("w.csv"), window.as_bytes(), &schema)
            .expect("window reads");
        let result = monitor.monitor(&w);
        assert!(result.error.is_none(), "{:?}", result.error);
        assert!(
            result.drift.contains_key("pca"),
            "{:?}",
            result.drift.keys()
        );
    }
}
