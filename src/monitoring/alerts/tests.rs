//! Alert levels and the rules' boundaries.

use super::*;
use crate::config::alerts::MAX_RESOLVE_AFTER;

#[test]
fn levels_parse_case_insensitively_with_log_aliases() {
    assert_eq!("WARNING".parse::<AlertLevel>(), Ok(AlertLevel::Warning));
    assert_eq!("warning".parse::<AlertLevel>(), Ok(AlertLevel::Warning));
    assert_eq!("Critical".parse::<AlertLevel>(), Ok(AlertLevel::Critical));
    assert_eq!("error".parse::<AlertLevel>(), Ok(AlertLevel::Critical));
    assert_eq!("DEBUG".parse::<AlertLevel>(), Ok(AlertLevel::Info));
    assert!("loud".parse::<AlertLevel>().is_err());
    assert_eq!(AlertLevel::Critical.log_level(), log::Level::Error);
    assert_eq!(AlertLevel::Warning.log_level(), log::Level::Warn);
    assert_eq!(AlertLevel::Info.log_level(), log::Level::Info);
    assert!(AlertLevel::Info < AlertLevel::Warning && AlertLevel::Warning < AlertLevel::Critical);
}

use crate::drift::DriftResult;
use crate::monitoring::metrics::{ClassificationMetrics, RegressionMetrics};
use crate::monitoring::result::{
    FeatureQuality, MonitoringResult, Performance, PredictionStats, WindowError,
};

fn classification(accuracy: f64) -> Performance {
    Performance::Classification(ClassificationMetrics {
        accuracy,
        precision: 1.0,
        recall: 1.0,
        f1: 1.0,
        roc_auc: None,
        log_loss: None,
        n_classes: 2,
        average: "binary".into(),
    })
}

fn regression(r2: f64) -> Performance {
    Performance::Regression(RegressionMetrics {
        mse: 1.0,
        rmse: 1.0,
        mae: 1.0,
        r2,
    })
}

fn quality(missing_ref: f64, missing_cur: f64) -> FeatureQuality {
    FeatureQuality {
        missing_ref,
        missing_cur,
        invalid_ref: 0.0,
        invalid_cur: 0.0,
        unseen_category: None,
        out_of_range: None,
    }
}

fn predictions(mean: f64) -> PredictionStats {
    PredictionStats {
        count: 10,
        mean,
        std: 0.0,
        min: mean,
        max: mean,
    }
}

/// One rule's boundary: a result, and what it should raise (kind, level, metric, value,
/// threshold) or nothing.
type Row = (
    &'static str,
    MonitoringResult,
    Option<(AlertKind, AlertLevel, &'static str, f64, f64)>,
);

fn table() -> Vec<Row> {
    let with = |f: &dyn Fn(&mut MonitoringResult)| {
        let mut r = MonitoringResult::new("w.csv");
        f(&mut r);
        r
    };
    let crit = AlertLevel::Critical;
    let warn = AlertLevel::Warning;
    vec![
        (
            "accuracy just below",
            with(&|r| r.performance = Some(classification(0.69))),
            Some((
                AlertKind::PerformanceDegradation,
                crit,
                "accuracy",
                0.69,
                0.7,
            )),
        ),
        (
            "accuracy at threshold (strict <)",
            with(&|r| r.performance = Some(classification(0.7))),
            None,
        ),
        (
            "r2 just below",
            with(&|r| r.performance = Some(regression(0.49))),
            Some((AlertKind::PerformanceDegradation, warn, "r2", 0.49, 0.5)),
        ),
        (
            "r2 at threshold (strict <)",
            with(&|r| r.performance = Some(regression(0.5))),
            None,
        ),
        (
            "negative shift beyond",
            with(&|r| r.prediction_shift = Some(-0.11)),
            Some((
                AlertKind::PredictionShift,
                warn,
                "prediction_shift",
                0.11,
                0.1,
            )),
        ),
        (
            "shift at threshold (strict >)",
            with(&|r| r.prediction_shift = Some(0.1)),
            None,
        ),
        (
            "prediction mean beyond",
            with(&|r| r.predictions = Some(predictions(-0.95))),
            Some((
                AlertKind::PredictionMeanAnomaly,
                crit,
                "prediction_mean",
                -0.95,
                0.9,
            )),
        ),
        (
            "prediction mean at threshold (strict >)",
            with(&|r| r.predictions = Some(predictions(0.9))),
            None,
        ),
        (
            "missing rate up by more",
            with(&|r| {
                r.data_quality.insert("age".into(), quality(0.0, 0.25));
            }),
            Some((
                AlertKind::DataQuality,
                warn,
                "missing_rate_increase",
                0.25,
                0.1,
            )),
        ),
        (
            "missing rate up by exactly the threshold (strict >)",
            with(&|r| {
                r.data_quality.insert("age".into(), quality(0.0, 0.1));
            }),
            None,
        ),
        (
            "missing rate down",
            with(&|r| {
                r.data_quality.insert("age".into(), quality(0.5, 0.0));
            }),
            None,
        ),
    ]
}

#[test]
fn each_rule_fires_past_its_threshold_and_not_at_it() {
    let thresholds = AlertThresholds {
        prediction_mean_threshold: Some(0.9),
        ..AlertThresholds::default()
    };
    for (name, result, expected) in table() {
        let alerts = AlertManager::new(thresholds.clone())
            .expect("valid")
            .check_alerts(&result);
        match expected {
            None => assert!(alerts.is_empty(), "{name}: {alerts:?}"),
            Some((kind, level, metric, value, threshold)) => {
                assert_eq!(alerts.len(), 1, "{name}: {alerts:?}");
                let a = &alerts[0];
                assert_eq!((a.kind, a.level), (kind, level), "{name}");
                assert_eq!(a.metric.as_deref(), Some(metric), "{name}");
                assert!(
                    (a.value.unwrap_or(f64::NAN) - value).abs() < 1e-12,
                    "{name}"
                );
                assert_eq!(a.threshold, Some(threshold), "{name}");
                assert_eq!(a.window, "w.csv", "{name}");
            }
        }
    }
}

#[test]
fn a_disabled_threshold_raises_nothing() {
    let thresholds = AlertThresholds {
        accuracy: None,
        prediction_shift: None,
        missing_rate_increase: None,
        ..AlertThresholds::default()
    };
    let mut r = MonitoringResult::new("w.csv");
    r.performance = Some(classification(0.0));
    r.prediction_shift = Some(5.0);
    r.data_quality.insert("age".into(), quality(0.0, 1.0));
    assert!(AlertManager::new(thresholds)
        .expect("valid")
        .check_alerts(&r)
        .is_empty());
}

#[test]
fn drift_alerts_name_their_detector_and_an_error_window_raises_only_window_error() {
    let mut r = MonitoringResult::new("w.csv");
    let drift = DriftResult {
        drift_detected: true,
        drift_score: 0.5,
        window_drift: true,
        n_features: 2,
        n_drifted: 1,
        features: Default::default(),
        auc: None,
        feature_importances: None,
        status: None,
        pca: None,
    };
    r.drift.insert("ks".into(), drift.clone());
    r.drift.insert(
        "psi".into(),
        DriftResult {
            drift_detected: false,
            ..drift
        },
    );
    let thresholds = AlertThresholds {
        drift_level: AlertLevel::Critical,
        ..AlertThresholds::default()
    };
    let alerts = AlertManager::new(thresholds.clone())
        .expect("valid")
        .check_alerts(&r);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].kind, AlertKind::DataDrift);
    assert_eq!(alerts[0].level, AlertLevel::Critical);
    assert_eq!(alerts[0].detector.as_deref(), Some("ks"));
    assert_eq!(alerts[0].value, Some(0.5));

    r.performance = Some(classification(0.0));
    r.error = Some(WindowError {
        kind: crate::monitoring::WindowErrorKind::Data(crate::data::DataErrorKind::RaggedRow),
        message: "bad row".into(),
        file: "w.csv".into(),
        line: Some(3),
        column: None,
    });
    let alerts = AlertManager::new(thresholds)
        .expect("valid")
        .check_alerts(&r);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].kind, AlertKind::WindowError);
    assert_eq!(alerts[0].level, AlertLevel::Critical);
}

#[test]
fn resolve_after_is_bounded() {
    for bad in [0, MAX_RESOLVE_AFTER + 1] {
        let t = AlertThresholds {
            resolve_after: bad,
            ..AlertThresholds::default()
        };
        assert!(t
            .validate()
            .unwrap_err()
            .to_string()
            .contains("resolve_after"));
    }
}

#[test]
fn the_in_memory_history_keeps_only_the_last_max_history_alerts() {
    let thresholds = AlertThresholds {
        max_history: 3,
        ..AlertThresholds::default()
    };
    let mut manager = AlertManager::new(thresholds).expect("valid");
    for i in 0..10 {
        manager.raise(AlertLevel::Info, AlertKind::DataDrift, "w", format!("{i}"));
    }
    let kept: Vec<&str> = manager
        .history()
        .iter()
        .map(|a| a.message.as_str())
        .collect();
    assert_eq!(kept, ["7", "8", "9"]);
    assert!(manager.history.len() <= 6, "memory bounded too");
    assert_eq!(AlertThresholds::default().max_history, 10_000);
}

/// Issue 27: the constructor checks what the config file's parser checks; a threshold out of
/// range is an error naming the key, not an alert that always fires.
#[test]
fn an_alert_manager_refuses_thresholds_out_of_range() {
    let thresholds = AlertThresholds {
        accuracy: Some(2.0),
        ..AlertThresholds::default()
    };
    let error = AlertManager::new(thresholds).expect_err("accuracy 2.0 is refused");
    assert!(error.to_string().contains("accuracy"), "{error}");
    let mut manager = AlertManager::new(AlertThresholds::default()).expect("the defaults");
    let bad = AlertThresholds {
        max_history: 0,
        ..AlertThresholds::default()
    };
    assert!(manager.set_thresholds(bad).is_err());
    assert_eq!(manager.thresholds(), &AlertThresholds::default());
}
