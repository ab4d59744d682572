//! Fixed results for the UI's tests: same numbers, same timestamps, every run.
//!
//! Windows `window_0001.csv`, `window_0002.csv`, ... are a minute apart from 20:01 UTC, and "now"
//! is 20:05, so ages and clocks in snapshots never change. Odd windows (with `drift`) have two
//! drifted features and WARNING and CRITICAL alerts; others have one INFO alert.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ml_monitor::data::DataErrorKind;
use ml_monitor::drift::{DriftResult, FeatureDrift, FeatureStatus};
use ml_monitor::stats::Histogram;
use ml_monitor::AlertKind;
use ml_monitor::{
    monitoring::{FeatureQuality, IncidentTracker, PredictionStats, WindowError, WindowErrorKind},
    AlertThresholds,
};
use ml_monitor::{Alert, AlertLevel, MonitoringResult};

use super::app::App;
use super::TuiOptions;
use crate::app_event::{AppEvent, WindowReport};

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 20, 5, 0)
        .single()
        .expect("a valid fixed time")
}

fn window_time(i: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 20, 0, 0)
        .single()
        .expect("a valid fixed time")
        + Duration::minutes(i as i64)
}

pub(crate) fn window_name(i: usize) -> String {
    format!("window_{i:04}.csv")
}

pub(crate) fn key(code: KeyCode) -> AppEvent {
    AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(crate) fn options(no_color: bool) -> TuiOptions {
    TuiOptions {
        directory: "/data/incoming".into(),
        reference: "/data/reference.csv".into(),
        thresholds: AlertThresholds::default(),
        drift: Default::default(),
        auc_threshold: 0.55,
        no_color,
        light: false,
        zone: crate::local_time::Zone::utc(),
        title: "ml-monitor".into(),
        config: None,
        monitor: "ml-monitor".into(),
        runbooks: Default::default(),
        can_silence: true,
        has_history: true,
    }
}

fn feature(statistic: Option<f64>, p_value: Option<f64>, drifted: bool) -> FeatureDrift {
    FeatureDrift {
        statistic,
        p_value,
        p_value_adjusted: p_value.map(|p| (p * 4.0).min(1.0)),
        drifted,
        status: FeatureStatus::Ok,
        test: None,
        statistic_error_bound: None,
        p_value_approximate: None,
        effect: None,
        paging_p_value: None,
    }
}

fn detector(features: Vec<(&str, FeatureDrift)>) -> DriftResult {
    let n_drifted = features.iter().filter(|(_, f)| f.drifted).count();
    let features = features
        .into_iter()
        .map(|(n, f)| (n.to_string(), f))
        .collect();
    DriftResult::per_feature(features, n_drifted, 1, |window_drift| window_drift)
}

fn alert(i: usize, level: AlertLevel, kind: AlertKind, message: &str) -> Alert {
    Alert::new(
        level,
        kind,
        &window_name(i),
        message.to_string(),
        window_time(i),
    )
}

/// A readable window; `drift` makes income and city drift.
pub(crate) fn result(i: usize, drift: bool) -> MonitoringResult {
    let wobble = (i % 5) as f64 * 0.01;
    let mut ks = vec![
        (
            "score",
            feature(
                Some(0.05 + wobble),
                Some(if drift { 0.2 } else { 0.12 }),
                false,
            ),
        ),
        (
            "tenure",
            feature(Some(0.03), Some(if drift { 0.5 } else { 0.7 }), false),
        ),
        ("age", FeatureDrift::insufficient()),
    ];
    ks.push(if drift {
        ("income", feature(Some(0.25), Some(1.3e-30), true))
    } else {
        ("income", feature(Some(0.02 + wobble), Some(0.6), false))
    });
    let chi2 = vec![if drift {
        ("city", feature(Some(48.7), Some(2.1e-8), true))
    } else {
        ("city", feature(Some(3.2), Some(0.3), false))
    }];
    let psi = vec![
        ("score", feature(Some(0.04), None, false)),
        ("tenure", feature(Some(0.01), None, false)),
        ("age", FeatureDrift::insufficient()),
        (
            "income",
            feature(Some(if drift { 0.45 } else { 0.03 }), None, drift),
        ),
        (
            "city",
            feature(Some(if drift { 0.31 } else { 0.02 }), None, drift),
        ),
    ];
    let auc = if drift { 0.81 } else { 0.52 + wobble };
    let classifier = DriftResult {
        drift_detected: drift,
        drift_score: auc,
        window_drift: drift,
        n_features: 5,
        n_drifted: 0,
        features: BTreeMap::new(),
        auc: Some(auc),
        feature_importances: None,
        status: None,
        pca: None,
    };
    let quality = |missing: f64| FeatureQuality {
        missing_ref: 0.0,
        missing_cur: missing,
        invalid_ref: 0.0,
        invalid_cur: 0.0,
        unseen_category: None,
        out_of_range: Some(0.0),
    };
    let accuracy = if drift { 0.64 } else { 0.9 - wobble };
    let performance = serde_json::from_value(serde_json::json!({
        "accuracy": accuracy, "precision": 0.8, "recall": 0.7, "f1": 0.75,
        "roc_auc": 0.85, "log_loss": 0.4, "n_classes": 2, "average": "binary"
    }))
    .expect("classification metrics from their JSON form");
    let mean = if drift { 0.58 } else { 0.42 + wobble };
    let with = |mut a: Alert, detector: Option<&str>, metric: &str, value, threshold| {
        a.detector = detector.map(str::to_string);
        a.metric = Some(metric.to_string());
        a.value = Some(value);
        a.threshold = threshold;
        a
    };
    let alerts = if drift {
        vec![
            with(
                alert(
                    i,
                    AlertLevel::Warning,
                    AlertKind::DataDrift,
                    "ks: 1 of 4 features drifted (income)",
                ),
                Some("ks"),
                "drift_score",
                0.25,
                None,
            ),
            with(
                alert(
                    i,
                    AlertLevel::Critical,
                    AlertKind::PerformanceDegradation,
                    "accuracy 0.6400 below threshold 0.7",
                ),
                None,
                "accuracy",
                0.64,
                Some(0.7),
            ),
            with(
                alert(
                    i,
                    AlertLevel::Warning,
                    AlertKind::PredictionShift,
                    "prediction mean shifted by 0.1600 (threshold 0.1)",
                ),
                None,
                "prediction_shift",
                0.16,
                Some(0.1),
            ),
        ]
    } else {
        vec![alert(
            i,
            AlertLevel::Info,
            AlertKind::DataDrift,
            "psi: classifier sees little",
        )]
    };
    MonitoringResult {
        window: window_name(i),
        timestamp: window_time(i),
        rows: 5000,
        metadata: BTreeMap::new(),
        drift: BTreeMap::from([
            ("ks".to_string(), detector(ks)),
            ("chi2".to_string(), detector(chi2)),
            ("psi".to_string(), detector(psi)),
            ("classifier".to_string(), classifier),
        ]),
        data_quality: BTreeMap::from([
            ("score".to_string(), quality(0.0)),
            ("tenure".to_string(), quality(0.01)),
            ("age".to_string(), quality(0.97)),
            (
                "income".to_string(),
                quality(if drift { 0.12 } else { 0.0 }),
            ),
            ("city".to_string(), quality(0.02)),
        ]),
        performance: Some(performance),
        predictions: Some(PredictionStats {
            count: 5000,
            mean,
            std: 0.2,
            min: 0.0,
            max: 1.0,
        }),
        prediction_source: None,
        prediction_shift: Some(if drift { 0.16 } else { 0.02 }),
        alerts,
        incidents: Vec::new(),
        error: None,
        estimated_performance: None,
        source: None,
        ranking: Vec::new(),
        held_back: BTreeMap::new(),
    }
}

/// A window that could not be read.
pub(crate) fn error_result(i: usize) -> MonitoringResult {
    let mut r = MonitoringResult::new(window_name(i));
    r.timestamp = window_time(i);
    r.error = Some(WindowError {
        kind: WindowErrorKind::Data(DataErrorKind::RaggedRow),
        message: "line 7, column \"income\": expected 5 fields, found 3".into(),
        file: window_name(i),
        line: Some(7),
        column: Some("income".into()),
    });
    r.alerts = vec![alert(
        i,
        AlertLevel::Critical,
        AlertKind::WindowError,
        "window could not be used",
    )];
    r
}

/// A window with histograms of income and city.
pub(crate) fn report(i: usize, drift: bool) -> WindowReport {
    let shift = if drift { 3 } else { 0 };
    let mut reference = vec![0.02, 0.08, 0.2, 0.4, 0.2, 0.08, 0.02, 0.0, 0.0, 0.0];
    let mut current = reference.clone();
    current.rotate_right(shift);
    let income = Histogram {
        labels: (0..10).map(|b| format!("{}", 10_000 * b)).collect(),
        reference: std::mem::take(&mut reference),
        current,
    };
    let city = Histogram {
        labels: vec![
            "Paris".into(),
            "Lyon".into(),
            "Nice".into(),
            "(other)".into(),
        ],
        reference: vec![0.5, 0.3, 0.2, 0.0],
        current: if drift {
            vec![0.2, 0.3, 0.2, 0.3]
        } else {
            vec![0.48, 0.32, 0.2, 0.0]
        },
    };
    WindowReport {
        result: result(i, drift),
        firing: Vec::new(),
        failing_sinks: Vec::new(),
        histograms: BTreeMap::from([("income".to_string(), income), ("city".to_string(), city)]),
    }
}

/// Windows 1..=n, odd ones drifting.
pub(crate) fn history(n: usize) -> Vec<MonitoringResult> {
    (1..=n).map(|i| result(i, i % 2 == 1)).collect()
}

/// An app that has seen windows 1..=n, at the fixed "now". Their incidents are those of a
/// tracker that resolves after two quiet windows, so drift in every other window is ongoing.
pub(crate) fn app(n: usize, no_color: bool) -> App {
    app_and_tracker(n, no_color).0
}

/// [`app`], with the tracker that made its incidents (for [`feed`]).
pub(crate) fn app_and_tracker(n: usize, no_color: bool) -> (App, IncidentTracker) {
    let mut app = App::new(options(no_color), Vec::new(), HashSet::new(), now());
    let mut tracker = IncidentTracker::new(2);
    for result in history(n) {
        feed(&mut app, &mut tracker, result);
    }
    app.handle(AppEvent::Resize(80, 24));
    (app, tracker)
}

/// Gives the app a window, its incident changes made by `tracker`.
pub(crate) fn feed(app: &mut App, tracker: &mut IncidentTracker, mut result: MonitoringResult) {
    result.incidents = tracker.observe(&result);
    app.handle(AppEvent::Window(Box::new(WindowReport {
        result,
        histograms: BTreeMap::new(),
        firing: tracker.open().cloned().collect(),
        failing_sinks: Vec::new(),
    })));
}

/// Windows 1..=n (odd ones drifting) with an estimated accuracy (CBPE) falling from 0.86 by
/// 0.02 a window; windows after `labelled` have no labels (no realised performance).
pub(crate) fn estimated_app(n: usize, labelled: usize) -> App {
    use ml_monitor::monitoring::estimation::{
        EstimatedMetric, EstimatedMetrics, EstimatedPerformance,
    };
    let history = (1..=n)
        .map(|i| {
            let mut r = result(i, i % 2 == 1);
            if i > labelled {
                r.performance = None;
            }
            let value = 0.86 - 0.02 * i as f64;
            r.estimated_performance = Some(EstimatedPerformance {
                method: "cbpe".into(),
                calibrated: true,
                metrics: EstimatedMetrics {
                    accuracy: Some(EstimatedMetric {
                        value,
                        sampling_error: 0.01,
                        lower: value - 0.03,
                        upper: value + 0.03,
                        lower_threshold: Some(0.78),
                        upper_threshold: Some(0.9),
                        alert: value < 0.78,
                    }),
                    roc_auc: None,
                    f1: None,
                    precision: None,
                    recall: None,
                },
            });
            r
        })
        .collect();
    let mut app = App::new(options(false), history, HashSet::new(), now());
    app.handle(AppEvent::Resize(80, 24));
    app
}
