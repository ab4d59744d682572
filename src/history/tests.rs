//! Tests of the history store, export and show.

use super::*;
use ml_monitor::data::DataErrorKind;
use ml_monitor::drift::DriftResult;
use ml_monitor::monitoring::metrics::ClassificationMetrics;
use ml_monitor::{
    monitoring::{Performance, PredictionStats, WindowError, WindowErrorKind},
    Alert, AlertKind,
};
use std::collections::BTreeMap;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_800_000 + secs, 0).unwrap_or_default()
}

fn alert(window: &str, level: AlertLevel, kind: AlertKind, message: &str, secs: i64) -> Alert {
    Alert::new(level, kind, window, message.to_string(), at(secs))
}

/// A result with drift, metrics, predictions and `n_alerts` alerts.
fn result(i: i64, n_alerts: usize) -> MonitoringResult {
    let window = format!("window_{i:04}.csv");
    let mut r = MonitoringResult::new(&window);
    r.timestamp = at(i * 60);
    r.rows = 1000 + i as usize;
    r.drift = BTreeMap::from([(
        "ks".to_string(),
        DriftResult {
            drift_detected: i % 2 == 1,
            drift_score: 0.1 * i as f64,
            window_drift: i % 2 == 1,
            n_features: 10,
            n_drifted: i as usize,
            features: BTreeMap::new(),
            auc: None,
            feature_importances: None,
            status: None,
            pca: None,
        },
    )]);
    r.performance = Some(Performance::Classification(ClassificationMetrics {
        accuracy: 0.9 - 0.01 * i as f64,
        precision: 0.8,
        recall: 0.7,
        f1: 0.75,
        roc_auc: Some(0.93),
        log_loss: None,
        n_classes: 2,
        average: "binary".to_string(),
    }));
    r.predictions = Some(PredictionStats {
        count: 1000,
        mean: 0.4 + 0.001 * i as f64,
        std: 0.2,
        min: 0.0,
        max: 1.0,
    });
    r.prediction_shift = Some(0.01 * i as f64);
    let levels = [AlertLevel::Warning, AlertLevel::Critical, AlertLevel::Info];
    r.alerts = (0..n_alerts)
        .map(|k| {
            alert(
                &window,
                levels[k % 3],
                AlertKind::DataDrift,
                &format!("alert {k}"),
                i * 60,
            )
        })
        .collect();
    r
}

fn key(name: &str, size: u64, mtime_ns: i64) -> FileKey {
    FileKey {
        name: name.to_string(),
        size,
        mtime_ns,
    }
}

fn rows(h: &History, table: &str) -> i64 {
    h.conn
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap_or(-1)
}

#[test]
fn record_stores_result_alerts_and_file_key() {
    let mut h = History::open_in_memory().unwrap();
    let k = key("window_0001.csv", 123, 456);
    assert!(!h.is_processed(&k).unwrap());
    assert!(h.record(Some(&k), &result(1, 2)).unwrap());
    assert!(h.is_processed(&k).unwrap());
    assert!(!h.is_processed(&key("window_0001.csv", 124, 456)).unwrap());
    assert_eq!(
        h.processed_keys().unwrap(),
        HashSet::from([key("window_0001.csv", 123, 456)])
    );
    assert_eq!(h.count().unwrap(), 1);
    assert_eq!(rows(&h, "alerts"), 2);
    let (worst, error): (Option<String>, bool) = h
        .conn
        .query_row("SELECT worst_level, error FROM results", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((worst.as_deref(), error), (Some("CRITICAL"), false));
}

#[test]
fn same_file_key_recorded_twice_stays_once() {
    let mut h = History::open_in_memory().unwrap();
    let k = key("window_0001.csv", 10, 20);
    assert!(h.record(Some(&k), &result(1, 1)).unwrap());
    assert!(!h.record(Some(&k), &result(1, 1)).unwrap());
    assert_eq!(h.count().unwrap(), 1);
    assert_eq!(rows(&h, "alerts"), 1);
    assert_eq!(rows(&h, "processed_files"), 1);
    // The same name rewritten (new size) is a new window.
    assert!(h
        .record(Some(&key("window_0001.csv", 11, 20)), &result(1, 1))
        .unwrap());
    assert_eq!(h.count().unwrap(), 2);
    // Results without a file (e.g. generated) are always recorded.
    assert!(h.record(None, &result(2, 0)).unwrap());
    assert!(h.record(None, &result(2, 0)).unwrap());
    assert_eq!(h.count().unwrap(), 4);
}

#[test]
fn failure_mid_record_leaves_nothing_behind() {
    let mut h = History::open_in_memory().unwrap();
    // The second alert insert fails inside the transaction, after the file key, the
    // result and the first alert have been written.
    h.conn
        .execute_batch(
            "CREATE TRIGGER fail BEFORE INSERT ON alerts WHEN NEW.alert_index = 1
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        )
        .unwrap();
    let k = key("window_0001.csv", 1, 1);
    let e = h.record(Some(&k), &result(1, 3)).unwrap_err();
    assert!(e.to_string().contains("simulated failure"), "{e}");
    assert!(e.to_string().contains(":memory:"), "{e}");
    assert_eq!(rows(&h, "results"), 0);
    assert_eq!(rows(&h, "alerts"), 0);
    assert_eq!(rows(&h, "processed_files"), 0);
    assert!(!h.is_processed(&k).unwrap());
    // The window is processed again after the failure, once.
    h.conn.execute_batch("DROP TRIGGER fail").unwrap();
    assert!(h.record(Some(&k), &result(1, 3)).unwrap());
    assert_eq!((rows(&h, "results"), rows(&h, "alerts")), (1, 3));
}

#[test]
fn a_nan_figure_is_stored_not_refused() {
    let mut h = History::open_in_memory().unwrap();
    let mut r = result(1, 0);
    if let Some(Performance::Classification(m)) = &mut r.performance {
        m.accuracy = f64::NAN;
    }
    assert!(h.record(Some(&key("w", 1, 1)), &r).unwrap());
    let back = h.recent(1).unwrap();
    match &back[0].performance {
        Some(Performance::Classification(m)) => assert!(m.accuracy.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reopened_database_has_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".ml-monitor").join("history.sqlite");
    let written: Vec<MonitoringResult> = (1..=10).map(|i| result(i, (i % 4) as usize)).collect();
    {
        let mut h = History::open(&path).unwrap();
        for (i, r) in written.iter().enumerate() {
            let k = key(&r.window, 100, i as i64);
            assert!(h.record(Some(&k), r).unwrap());
        }
        assert!(h.acknowledge("window_0003.csv", 2).unwrap());
    }
    let mut h = History::open(&path).unwrap();
    assert_eq!(h.count().unwrap(), 10);
    assert_eq!(h.since(None).unwrap(), written);
    assert!(h.is_processed(&key("window_0004.csv", 100, 3)).unwrap());
    assert_eq!(h.processed_keys().unwrap().len(), 10);
    assert!(!h
        .record(Some(&key("window_0004.csv", 100, 3)), &written[3])
        .unwrap());
    assert_eq!(
        h.acknowledged().unwrap(),
        HashSet::from([("window_0003.csv".to_string(), 2)])
    );
}

#[test]
fn recent_is_the_last_n_oldest_first() {
    let mut h = History::open_in_memory().unwrap();
    for i in 1..=5 {
        h.record(None, &result(i, 0)).unwrap();
    }
    let windows = |rs: Vec<MonitoringResult>| rs.into_iter().map(|r| r.window).collect::<Vec<_>>();
    assert_eq!(
        windows(h.recent(3).unwrap()),
        ["window_0003.csv", "window_0004.csv", "window_0005.csv"]
    );
    assert_eq!(windows(h.recent(100).unwrap()).len(), 5);
    assert!(h.recent(0).unwrap().is_empty());
    assert_eq!(windows(h.recent(usize::MAX).unwrap()).len(), 5);
}

#[test]
fn since_filters_on_the_result_timestamp() {
    let mut h = History::open_in_memory().unwrap();
    for i in 1..=5 {
        h.record(None, &result(i, 0)).unwrap();
    }
    let got = h.since(Some(at(3 * 60))).unwrap();
    assert_eq!(
        got.iter().map(|r| r.rows).collect::<Vec<_>>(),
        [1003, 1004, 1005]
    );
    assert_eq!(h.since(None).unwrap().len(), 5);
    assert!(h.since(Some(at(10_000))).unwrap().is_empty());
}

#[test]
fn acknowledge_marks_the_latest_result_of_a_window() {
    let mut h = History::open_in_memory().unwrap();
    h.record(None, &result(1, 2)).unwrap();
    assert!(h.acknowledged().unwrap().is_empty());
    assert!(h.acknowledge("window_0001.csv", 1).unwrap());
    assert!(h.acknowledge("window_0001.csv", 1).unwrap());
    assert!(!h.acknowledge("window_0001.csv", 2).unwrap());
    assert!(!h.acknowledge("window_0009.csv", 0).unwrap());
    assert_eq!(
        h.acknowledged().unwrap(),
        HashSet::from([("window_0001.csv".to_string(), 1)])
    );
    let flags: Vec<bool> = h
        .conn
        .prepare("SELECT acknowledged FROM alerts ORDER BY alert_index")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(flags, [false, true]);
}

#[test]
fn newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    drop(History::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let e = History::open(&path).unwrap_err();
    assert!(matches!(e, HistoryError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1));
    let text = e.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("newer"),
        "{text}"
    );
}

#[test]
fn open_uses_wal_and_reports_the_path_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite");
    let h = History::open(&path).unwrap();
    let mode: String = h
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A directory where the database should be.
    let e = History::open(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
}

#[test]
fn export_json_round_trips() {
    let mut h = History::open_in_memory().unwrap();
    let mut written: Vec<MonitoringResult> = (1..=3).map(|i| result(i, 2)).collect();
    let mut broken = MonitoringResult::new("bad.csv");
    broken.timestamp = at(500);
    broken.error = Some(WindowError {
        kind: WindowErrorKind::Data(DataErrorKind::RaggedRow),
        message: "bad.csv line 3: expected 4 fields".to_string(),
        file: "bad.csv".to_string(),
        line: Some(3),
        column: None,
    });
    broken.alerts = vec![alert(
        "bad.csv",
        AlertLevel::Critical,
        AlertKind::WindowError,
        "x",
        500,
    )];
    written.push(broken);
    for r in &written {
        h.record(None, r).unwrap();
    }
    let mut out = Vec::new();
    export(&h, ExportFormat::Json, None, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    let back: Vec<MonitoringResult> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, written);
    let mut out = Vec::new();
    export(&h, ExportFormat::Json, Some(at(3 * 60)), &mut out).unwrap();
    let back: Vec<MonitoringResult> = serde_json::from_slice(&out).unwrap();
    assert_eq!(back, written[2..]);
}

#[test]
fn export_csv_has_one_row_per_window() {
    let mut h = History::open_in_memory().unwrap();
    for i in 1..=4 {
        h.record(None, &result(i, i as usize)).unwrap();
    }
    let mut out = Vec::new();
    export(&h, ExportFormat::Csv, None, &mut out).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len(), 4);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let r = &records[2];
    assert_eq!(&r[col("window")], "window_0003.csv");
    assert_eq!(&r[col("rows")], "1003");
    assert_eq!(&r[col("n_alerts")], "3");
    assert_eq!(&r[col("worst_level")], "CRITICAL");
    assert_eq!(&r[col("ks_drift_detected")], "true");
    assert_eq!(r[col("ks_drift_score")].parse::<f64>().unwrap(), 0.1 * 3.0);
    assert_eq!(r[col("accuracy")].parse::<f64>().unwrap(), 0.9 - 0.01 * 3.0);
    assert_eq!(&r[col("r2")], "");
    assert_eq!(&r[col("error")], "");
    assert_eq!(
        r[col("prediction_shift")].parse::<f64>().unwrap(),
        0.01 * 3.0
    );
}

#[test]
fn show_lists_the_last_windows() {
    let mut h = History::open_in_memory().unwrap();
    let mut out = Vec::new();
    show(&h, 5, &mut out).unwrap();
    assert!(String::from_utf8_lossy(&out).contains("no windows recorded"));
    for i in 1..=4 {
        h.record(None, &result(i, i as usize)).unwrap();
    }
    h.record(None, &MonitoringResult::new("evil\x1b[2J.csv"))
        .unwrap();
    let mut out = Vec::new();
    show(&h, 3, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("WINDOW"));
    assert!(lines[1].starts_with("window_0003.csv"), "{text}");
    assert!(
        lines[1].contains("ks") && lines[1].contains("accuracy 0.8700"),
        "{text}"
    );
    assert!(lines[1].contains("1 CRITICAL, 1 WARNING, 1 INFO"), "{text}");
    assert!(lines[2].contains("1 CRITICAL, 2 WARNING, 1 INFO"), "{text}");
    assert!(
        !text.contains('\x1b') && lines[3].starts_with("evil.csv"),
        "{text}"
    );
}

#[test]
fn parse_since_accepts_the_three_forms() {
    assert_eq!(
        parse_since("2026-11-27T20:00:00Z").unwrap().to_rfc3339(),
        "2026-11-27T20:00:00+00:00"
    );
    assert_eq!(
        parse_since("2026-11-27T21:00:00+01:00")
            .unwrap()
            .to_rfc3339(),
        "2026-11-27T20:00:00+00:00"
    );
    assert_eq!(
        parse_since("2026-11-27").unwrap().to_rfc3339(),
        "2026-11-27T00:00:00+00:00"
    );
    let age = Utc::now() - parse_since("2h").unwrap();
    assert!((age.num_seconds() - 7200).abs() <= 5, "{age}");
    let age = Utc::now() - parse_since("7d").unwrap();
    assert!((age.num_seconds() - 7 * 86_400).abs() <= 5, "{age}");
    let age = Utc::now() - parse_since("30m").unwrap();
    assert!((age.num_seconds() - 1800).abs() <= 5, "{age}");
    for bad in [
        "",
        "2h30m",
        "h",
        "-2h",
        "5y",
        "2026-13-01",
        "99999999999999999999d",
    ] {
        let e = parse_since(bad).unwrap_err();
        assert!(e.contains("RFC 3339"), "{bad}: {e}");
    }
}

#[test]
fn file_key_of_a_real_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("window_0001.csv");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let k = FileKey::of(&path).unwrap();
    assert_eq!((k.name.as_str(), k.size), ("window_0001.csv", 8));
    assert!(k.mtime_ns > 0);
    assert_eq!(FileKey::of(&path).unwrap(), k);
    assert!(FileKey::of(&dir.path().join("missing.csv")).is_err());
}

/// Opens one new history from `threads` threads at the same instant, `rounds` times; returns
/// the failures.
fn open_at_once(rounds: usize, threads: usize, patience: Duration) -> Vec<String> {
    let mut failures = Vec::new();
    for round in 0..rounds {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("h{round}.sqlite"));
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let path = path.clone();
                let barrier = std::sync::Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    History::open_waiting(&path, patience)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        for handle in handles {
            if let Err(e) = handle.join().unwrap() {
                failures.push(format!("round {round}: {e}"));
            }
        }
    }
    failures
}

#[test]
fn monitors_opening_a_new_history_at_the_same_instant_all_succeed() {
    let failures = open_at_once(20, 6, BUSY_TIMEOUT);
    assert!(failures.is_empty(), "{failures:?}");
}

/// The race is real: without waiting for locks, monitors opening a new history at the same
/// instant fail with `database is locked` (the control for the test above).
#[test]
fn without_waiting_the_same_instant_opening_fails() {
    let failures = open_at_once(20, 6, Duration::ZERO);
    assert!(!failures.is_empty(), "no opening failed without waiting");
    assert!(
        failures
            .iter()
            .all(|e| e.contains("locked") || e.contains("busy")),
        "{failures:?}"
    );
}

/// A monitor opening a new history while another connection holds it in an exclusive
/// transaction waits for it instead of failing; without waiting it fails.
#[test]
fn opening_waits_for_another_connections_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite");
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let e = History::open_waiting(&path, Duration::ZERO).expect_err("locked");
    assert!(e.to_string().contains("locked"), "{e}");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        holder.execute_batch("COMMIT").unwrap();
    });
    let opened = History::open(&path);
    release.join().unwrap();
    assert!(opened.is_ok(), "{:?}", opened.err());
}

/// (The pipeline gives no key to a file it could not read; `pipeline_tests` checks that.)
#[test]
fn an_unreadable_window_recorded_without_its_key_does_not_consume_it() {
    let mut h = History::open_in_memory().unwrap();
    let mut r = MonitoringResult::new("w.csv");
    r.error = Some(WindowError {
        kind: ml_monitor::monitoring::WindowErrorKind::Data(
            ml_monitor::data::DataErrorKind::Unreadable,
        ),
        message: "w.csv: cannot read: Permission denied".into(),
        file: "w.csv".into(),
        line: None,
        column: None,
    });
    let k = key("w.csv", 10, 1);
    assert!(h.record(None, &r).unwrap());
    assert!(
        !h.is_processed(&k).unwrap(),
        "the file is tried again later"
    );
    assert_eq!(h.count().unwrap(), 1, "the error result is kept");
}

#[test]
fn non_finite_figures_are_stored_and_read_back() {
    let mut h = History::open_in_memory().unwrap();
    let mut r = result(1, 1);
    r.predictions = Some(PredictionStats {
        count: 3,
        mean: f64::INFINITY,
        std: f64::NAN,
        min: f64::NEG_INFINITY,
        max: 1.0,
    });
    assert!(h.record(Some(&key("w", 1, 1)), &r).unwrap());
    let back = h.recent(10).unwrap();
    assert_eq!(back.len(), 1);
    let p = back[0].predictions.as_ref().unwrap();
    assert!(p.mean.is_nan() && p.std.is_nan() && p.min.is_nan());
    assert_eq!(p.max, 1.0);
}

#[test]
fn show_writes_local_times_in_the_zone_it_is_given() {
    let tokyo = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
    let mut out = Vec::new();
    let err = |e: std::io::Error| HistoryError::Output {
        path: "test".into(),
        error: e,
    };
    report::show_table(&[result(1, 0)], &tokyo, at(60), &mut out, &err).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("TIME (UTC+09:00)"), "{text}");
    assert!(lines[1].contains("2026-11-28 02:21  "), "{text}");
}
