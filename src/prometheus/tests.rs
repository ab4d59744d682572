//! The exposition text: names, labels, escaping, absent versus 0, the feature cap, the server.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use ml_monitor::drift::{DriftResult, FeatureDrift, FeatureStatus};
use ml_monitor::monitoring::metrics::{ClassificationMetrics, RegressionMetrics};
use ml_monitor::MonitoringResult;
use ml_monitor::{
    monitoring::{FeatureQuality, Performance, PredictionStats},
    Alert, AlertKind, AlertLevel,
};

use super::state::MetricsState;
use super::*;

fn feature(statistic: Option<f64>, p_value: Option<f64>, drifted: bool) -> FeatureDrift {
    FeatureDrift {
        statistic,
        p_value,
        p_value_adjusted: None,
        drifted,
        status: if statistic.is_some() {
            FeatureStatus::Ok
        } else {
            FeatureStatus::InsufficientData
        },
        test: None,
        statistic_error_bound: None,
        p_value_approximate: None,
        effect: None,
        paging_p_value: None,
    }
}

fn detector(features: Vec<(&str, FeatureDrift)>, detected: bool, score: f64) -> DriftResult {
    let n_drifted = features.iter().filter(|(_, f)| f.drifted).count();
    DriftResult {
        drift_detected: detected,
        drift_score: score,
        window_drift: detected,
        n_features: features.len(),
        n_drifted,
        features: features
            .into_iter()
            .map(|(n, f)| (n.to_string(), f))
            .collect(),
        auc: None,
        feature_importances: None,
        status: None,
        pca: None,
    }
}

fn quality(missing: f64, out_of_range: Option<f64>) -> FeatureQuality {
    FeatureQuality {
        missing_ref: 0.0,
        missing_cur: missing,
        invalid_ref: 0.0,
        invalid_cur: 0.0,
        unseen_category: None,
        out_of_range,
    }
}

/// A window with every kind of figure, some null.
fn full_result() -> MonitoringResult {
    let mut r = MonitoringResult::new("window_0003.csv");
    r.timestamp = Utc
        .with_ymd_and_hms(2026, 11, 27, 20, 0, 0)
        .single()
        .expect("time");
    r.rows = 5000;
    r.drift.insert(
        "ks".into(),
        detector(
            vec![
                ("f0", feature(Some(0.125), Some(1.3e-30), true)),
                ("f1", feature(Some(0.01), Some(0.0), false)),
                ("sparse", feature(None, None, false)),
            ],
            true,
            1.0 / 3.0,
        ),
    );
    r.drift.insert(
        "psi".into(),
        detector(vec![("f0", feature(Some(0.31), None, true))], false, 0.0),
    );
    let mut classifier = detector(vec![], true, 0.81);
    classifier.auc = Some(0.81);
    classifier.feature_importances = Some(BTreeMap::from([("f0".to_string(), 0.75)]));
    r.drift.insert("classifier".into(), classifier);
    r.data_quality
        .insert("f0".into(), quality(0.02, Some(0.001)));
    r.data_quality.insert("f1".into(), quality(0.0, None));
    r.performance = Some(Performance::Classification(ClassificationMetrics {
        accuracy: 0.91,
        precision: 0.9,
        recall: 0.8,
        f1: 0.88,
        roc_auc: None,
        log_loss: Some(f64::NAN),
        n_classes: 2,
        average: "binary".into(),
    }));
    r.predictions = PredictionStats::from_values(&[0.25, 0.5]);
    r.prediction_shift = Some(0.0);
    r.alerts.push(Alert {
        level: AlertLevel::Warning,
        kind: AlertKind::DataDrift,
        window: r.window.clone(),
        message: "drift".into(),
        timestamp: r.timestamp,
        detector: None,
        feature: None,
        metric: None,
        value: None,
        threshold: None,
    });
    r
}

/// Sample lines as `series -> value` (`series` is the name with its label text).
fn samples(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("sample line");
            (series.to_string(), value.to_string())
        })
        .collect()
}

fn render(state: &MetricsState) -> BTreeMap<String, String> {
    samples(&state.render().text)
}

#[test]
fn names_labels_and_values() {
    let mut state = MetricsState::new(1000);
    state.observe(&full_result(), 0.02);
    let text = state.render().text;
    let s = samples(&text);
    let expect = [
        ("ml_monitor_windows_total", "1"),
        ("ml_monitor_window_errors_total", "0"),
        ("ml_monitor_last_window_timestamp_seconds", "1795809600.0"),
        ("ml_monitor_window_rows", "5000.0"),
        ("ml_monitor_window_processing_seconds_count", "1"),
        (
            "ml_monitor_window_processing_seconds_bucket{le=\"0.025\"}",
            "1",
        ),
        (
            "ml_monitor_window_processing_seconds_bucket{le=\"0.01\"}",
            "0",
        ),
        ("ml_monitor_drift_detected{detector=\"ks\"}", "1.0"),
        ("ml_monitor_drift_detected{detector=\"psi\"}", "0.0"),
        ("ml_monitor_drift_score{detector=\"classifier\"}", "0.81"),
        (
            "ml_monitor_feature_drift_statistic{detector=\"ks\",feature=\"f0\"}",
            "0.125",
        ),
        (
            "ml_monitor_feature_p_value{detector=\"ks\",feature=\"f0\"}",
            "1.3e-30",
        ),
        (
            "ml_monitor_feature_drifted{detector=\"ks\",feature=\"f0\"}",
            "1.0",
        ),
        (
            "ml_monitor_feature_drifted{detector=\"ks\",feature=\"f1\"}",
            "0.0",
        ),
        (
            "ml_monitor_feature_importance{detector=\"classifier\",feature=\"f0\"}",
            "0.75",
        ),
        ("ml_monitor_feature_missing_ratio{feature=\"f0\"}", "0.02"),
        (
            "ml_monitor_feature_out_of_range_ratio{feature=\"f0\"}",
            "0.001",
        ),
        ("ml_monitor_performance{metric=\"accuracy\"}", "0.91"),
        ("ml_monitor_performance{metric=\"f1\"}", "0.88"),
        ("ml_monitor_prediction_mean", "0.375"),
        (
            "ml_monitor_alerts_total{level=\"WARNING\",kind=\"data_drift\"}",
            "1",
        ),
    ];
    for (series, value) in expect {
        assert_eq!(
            s.get(series).map(String::as_str),
            Some(value),
            "{series} in\n{text}"
        );
    }
    for (name, kind) in [
        ("ml_monitor_windows_total", "counter"),
        ("ml_monitor_alerts_total", "counter"),
        ("ml_monitor_window_processing_seconds", "histogram"),
        ("ml_monitor_feature_p_value", "gauge"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "{name}\n{text}"
        );
    }
    // Every series name carries the prefix.
    assert!(s.keys().all(|k| k.starts_with("ml_monitor_")), "{text}");
}

#[test]
fn null_figures_are_absent_and_zero_is_zero() {
    let mut state = MetricsState::new(1000);
    state.observe(&full_result(), 0.02);
    let s = render(&state);
    // A p-value of exactly 0 and a shift of exactly 0 are figures.
    assert_eq!(
        s.get("ml_monitor_feature_p_value{detector=\"ks\",feature=\"f1\"}")
            .map(String::as_str),
        Some("0.0")
    );
    assert_eq!(
        s.get("ml_monitor_prediction_shift").map(String::as_str),
        Some("0.0")
    );
    // Null in the JSON: no series at all.
    for absent in [
        "ml_monitor_feature_drift_statistic{detector=\"ks\",feature=\"sparse\"}",
        "ml_monitor_feature_p_value{detector=\"ks\",feature=\"sparse\"}",
        "ml_monitor_feature_p_value{detector=\"psi\",feature=\"f0\"}",
        "ml_monitor_feature_out_of_range_ratio{feature=\"f1\"}",
        "ml_monitor_performance{metric=\"roc_auc\"}",
        // NaN (null in the JSON) is left out too.
        "ml_monitor_performance{metric=\"log_loss\"}",
        "ml_monitor_performance{metric=\"n_classes\"}",
    ] {
        assert!(!s.contains_key(absent), "{absent}");
    }
    assert!(s.values().all(|v| v != "NaN"));
    // An insufficient feature still says it did not drift.
    assert_eq!(
        s.get("ml_monitor_feature_drifted{detector=\"ks\",feature=\"sparse\"}")
            .map(String::as_str),
        Some("0.0")
    );
    let text = state.render().text;
    assert!(!text.contains("ml_monitor_feature_unseen_category_ratio"));

    let mut bare = MonitoringResult::new("w.csv");
    bare.rows = 10;
    let mut state = MetricsState::new(1000);
    state.observe(&bare, 0.01);
    let text = state.render().text;
    for name in [
        "ml_monitor_performance",
        "ml_monitor_prediction_mean",
        "ml_monitor_prediction_shift",
        "ml_monitor_drift_detected",
        "ml_monitor_alerts_total",
        "ml_monitor_incidents_firing",
    ] {
        assert!(!text.contains(name), "{name} in\n{text}");
    }
}

#[test]
fn regression_metrics_are_exported_by_name() {
    let mut r = MonitoringResult::new("w.csv");
    r.performance = Some(Performance::Regression(RegressionMetrics {
        mse: 4.0,
        rmse: 2.0,
        mae: 1.5,
        r2: -0.25,
    }));
    let mut state = MetricsState::new(1000);
    state.observe(&r, 0.0);
    let s = render(&state);
    for (metric, value) in [
        ("mse", "4.0"),
        ("rmse", "2.0"),
        ("mae", "1.5"),
        ("r2", "-0.25"),
    ] {
        assert_eq!(
            s.get(&format!("ml_monitor_performance{{metric=\"{metric}\"}}"))
                .map(String::as_str),
            Some(value)
        );
    }
}

#[test]
fn odd_feature_names_are_escaped_and_stripped() {
    let mut r = MonitoringResult::new("w.csv");
    let names = [
        "quote\"d",
        "back\\slash",
        "new\nline",
        "esc\u{1b}[31mape",
        "ünïcødé µ",
        "sp ace,comma=eq{brace}",
        // Collides with "new\nline" once control characters are gone: one series only.
        "newline",
    ];
    r.drift.insert(
        "ks".into(),
        detector(
            names
                .iter()
                .map(|n| (*n, feature(Some(0.5), Some(0.5), false)))
                .collect(),
            false,
            0.0,
        ),
    );
    let mut state = MetricsState::new(1000);
    state.observe(&r, 0.0);
    let text = state.render().text;
    let s = samples(&text);
    for label in [
        r#"quote\"d"#,
        r#"back\\slash"#,
        "newline",
        "esc[31mape",
        "ünïcødé µ",
        "sp ace,comma=eq{brace}",
    ] {
        let series =
            format!("ml_monitor_feature_drift_statistic{{detector=\"ks\",feature=\"{label}\"}}");
        assert_eq!(
            s.get(&series).map(String::as_str),
            Some("0.5"),
            "{series}\n{text}"
        );
    }
    let statistic_lines = text
        .lines()
        .filter(|l| l.starts_with("ml_monitor_feature_drift_statistic{"))
        .count();
    assert_eq!(statistic_lines, 6, "{text}");
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
}

#[test]
fn max_features_caps_per_feature_series_by_name() {
    let mut r = MonitoringResult::new("w.csv");
    let names = ["e", "d", "c", "b", "a"];
    r.drift.insert(
        "ks".into(),
        detector(
            names
                .iter()
                .map(|n| (*n, feature(Some(0.1), Some(0.2), false)))
                .collect(),
            false,
            0.0,
        ),
    );
    for n in names {
        r.data_quality.insert(n.into(), quality(0.0, None));
    }
    let mut state = MetricsState::new(3);
    state.observe(&r, 0.0);
    let rendered = state.render();
    assert_eq!(rendered.cut, Some((5, 3)));
    let s = samples(&rendered.text);
    for n in ["a", "b", "c"] {
        assert!(s.contains_key(&format!(
            "ml_monitor_feature_drift_statistic{{detector=\"ks\",feature=\"{n}\"}}"
        )));
        assert!(s.contains_key(&format!(
            "ml_monitor_feature_missing_ratio{{feature=\"{n}\"}}"
        )));
    }
    assert!(!rendered.text.contains("feature=\"d\""));
    assert!(!rendered.text.contains("feature=\"e\""));
    // Dataset-level series are not per-feature and stay.
    assert!(s.contains_key("ml_monitor_drift_score{detector=\"ks\"}"));
    assert_eq!(MetricsState::new(5).render().cut, None);
}

#[test]
fn error_windows_count_but_keep_the_last_figures() {
    let mut state = MetricsState::new(1000);
    let before = samples(&state.render().text);
    assert_eq!(
        before.get("ml_monitor_windows_total").map(String::as_str),
        Some("0")
    );
    assert!(!before.contains_key("ml_monitor_window_rows"));

    state.observe(&full_result(), 0.02);
    let mut bad = MonitoringResult::new("bad.csv");
    bad.error = Some(ml_monitor::monitoring::WindowError {
        kind: ml_monitor::monitoring::WindowErrorKind::Data(
            ml_monitor::data::DataErrorKind::RaggedRow,
        ),
        message: "line 3".into(),
        file: "bad.csv".into(),
        line: Some(3),
        column: None,
    });
    bad.alerts.push(Alert {
        level: AlertLevel::Critical,
        kind: AlertKind::WindowError,
        window: "bad.csv".into(),
        message: "unreadable".into(),
        timestamp: bad.timestamp,
        detector: None,
        feature: None,
        metric: None,
        value: None,
        threshold: None,
    });
    state.observe(&bad, 0.001);
    let s = render(&state);
    assert_eq!(
        s.get("ml_monitor_windows_total").map(String::as_str),
        Some("2")
    );
    assert_eq!(
        s.get("ml_monitor_window_errors_total").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        s.get("ml_monitor_window_rows").map(String::as_str),
        Some("5000.0")
    );
    assert_eq!(
        s.get("ml_monitor_alerts_total{level=\"CRITICAL\",kind=\"window_error\"}")
            .map(String::as_str),
        Some("1")
    );
    assert_eq!(
        s.get("ml_monitor_window_processing_seconds_count")
            .map(String::as_str),
        Some("2")
    );
}

#[test]
fn incidents_hook_exports_firing_counts() {
    let settings = MetricsSettings {
        addr: None,
        file: Some(tempfile::tempdir().expect("dir").keep().join("m.prom")),
        max_features: 10,
    };
    let path = settings.file.clone().expect("file");
    let mut exporter = Exporter::start(settings, false)
        .expect("starts")
        .expect("on");
    exporter.set_incidents_firing([
        ("CRITICAL", "data_drift", 2),
        ("WARNING", "data_quality", 0),
    ]);
    let s = samples(&std::fs::read_to_string(&path).expect("written"));
    assert_eq!(
        s.get("ml_monitor_incidents_firing{level=\"CRITICAL\",kind=\"data_drift\"}")
            .map(String::as_str),
        Some("2.0")
    );
    assert_eq!(
        s.get("ml_monitor_incidents_firing{level=\"WARNING\",kind=\"data_quality\"}")
            .map(String::as_str),
        Some("0.0")
    );
    let _ = std::fs::remove_dir_all(path.parent().expect("dir"));
}

#[test]
fn exporter_writes_the_file_after_each_window() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("ml.prom");
    let settings = MetricsSettings {
        addr: None,
        file: Some(path.clone()),
        max_features: 1000,
    };
    let mut exporter = Exporter::start(settings, false)
        .expect("starts")
        .expect("on");
    for n in 1..=3 {
        exporter.observe(&full_result(), Duration::from_millis(5));
        let s = samples(&std::fs::read_to_string(&path).expect("written"));
        assert_eq!(
            s.get("ml_monitor_windows_total").map(String::as_str),
            Some(n.to_string().as_str())
        );
    }
    let off = MetricsSettings {
        addr: None,
        file: None,
        max_features: 1000,
    };
    assert!(Exporter::start(off, false).expect("starts").is_none());
}

fn http_get(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    response
}

#[test]
fn server_answers_metrics_healthz_and_nothing_else() {
    let settings = MetricsSettings {
        addr: Some("127.0.0.1:0".parse().expect("addr")),
        file: None,
        max_features: 1000,
    };
    let mut exporter = Exporter::start(settings, false)
        .expect("starts")
        .expect("on");
    let addr = exporter.addr().expect("bound");
    assert_ne!(addr.port(), 0);
    exporter.observe(&full_result(), Duration::from_millis(5));

    let metrics = http_get(addr, "GET /metrics HTTP/1.0\r\n\r\n");
    assert!(
        metrics.starts_with("HTTP/1.1 200") || metrics.starts_with("HTTP/1.0 200"),
        "{metrics}"
    );
    assert!(
        metrics.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"),
        "{metrics}"
    );
    assert!(
        metrics.contains("\r\nml_monitor_windows_total 1\n")
            || metrics.contains("\nml_monitor_windows_total 1\n")
    );

    let health = http_get(addr, "GET /healthz HTTP/1.0\r\n\r\n");
    assert!(
        health.contains(" 200 ") && health.ends_with("ok\n"),
        "{health}"
    );
    let missing = http_get(addr, "GET /other HTTP/1.0\r\n\r\n");
    assert!(missing.contains(" 404 "), "{missing}");
    let post = http_get(addr, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    assert!(post.contains(" 405 "), "{post}");
    drop(exporter);
}

#[test]
fn settings_resolve_flags_over_config() {
    let config = super::MetricsConfig {
        addr: Some(":9464".into()),
        max_features: 7,
    };
    let none = MetricsArgs::default();
    let live = MetricsSettings::resolve(&none, &config, "[metrics] addr", true).expect("resolves");
    assert_eq!(live.addr, Some("127.0.0.1:9464".parse().expect("addr")));
    assert_eq!(live.max_features, 7);
    // --once never serves, even with an address in the config.
    let once = MetricsSettings::resolve(&none, &config, "[metrics] addr", false).expect("resolves");
    assert_eq!(once.addr, None);
    let flags = MetricsArgs {
        metrics_addr: Some("127.0.0.2:1234".into()),
        metrics_file: None,
    };
    let live = MetricsSettings::resolve(&flags, &config, "[metrics] addr", true).expect("resolves");
    assert_eq!(live.addr, Some("127.0.0.2:1234".parse().expect("addr")));
    let bad = MetricsArgs {
        metrics_addr: Some("nonsense".into()),
        metrics_file: None,
    };
    assert!(MetricsSettings::resolve(&bad, &config, "[metrics] addr", true).is_err());
    let no_dir = MetricsArgs {
        metrics_addr: None,
        metrics_file: Some("/no/such/dir/m.prom".into()),
    };
    assert!(MetricsSettings::resolve(&no_dir, &config, "[metrics] addr", false).is_err());
}

#[test]
fn late_labels_export_realised_figures_and_errors_per_window_bounded() {
    let mut state = MetricsState::new(10);
    let figures = |accuracy: f64| super::state::Realised {
        metrics: BTreeMap::from([("accuracy".to_string(), accuracy)]),
        errors: BTreeMap::from([("accuracy".to_string(), 0.05)]),
        labelled_rows: 40.0,
    };
    state.set_realised("w_001.csv", figures(0.8));
    state.set_realised("w_001.csv", figures(0.75));
    let text = state.render().text;
    assert!(
        text.contains(
            "ml_monitor_realised_performance{window=\"w_001.csv\",metric=\"accuracy\"} 0.75"
        ),
        "{text}"
    );
    assert!(
        text.contains("ml_monitor_estimation_error{window=\"w_001.csv\",metric=\"accuracy\"} 0.05"),
        "{text}"
    );
    assert!(
        text.contains("ml_monitor_labelled_rows{window=\"w_001.csv\"} 40"),
        "{text}"
    );
    for i in 0..super::state::REALISED_WINDOWS + 5 {
        state.set_realised(&format!("w{i}"), figures(0.9));
    }
    let text = state.render().text;
    assert!(!text.contains("w_001.csv"), "the oldest window is gone");
    assert_eq!(
        text.matches("ml_monitor_labelled_rows{").count(),
        super::state::REALISED_WINDOWS
    );
}
