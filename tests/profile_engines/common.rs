//! Shared by tests/it/profile_duckdb.rs and tests/it/profile_spark.rs: generator windows, the SQL
//! `ml-monitor profile-sql` prints, the engine script, and the comparison of the profile
//! results with the raw windows' results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::{json, Value};

pub const DETECTORS: &str = "ks,ad,psi,chi2,wasserstein";

/// Largest difference allowed between AD on a 1,000-cell grid and AD on the rows, relative to
/// the rows' statistic (at least 1). Seen on the generator's 3,000-row windows: at most 0.0066.
const AD_GRID_TOLERANCE: f64 = 0.02;

/// Whether python3 can import `module`; `false` after a loud SKIPPED, and a panic under
/// `ML_MONITOR_REQUIRE_EXTERNAL=1`.
pub fn available(test: &str, module: &str, needs_java: bool) -> bool {
    let python = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    let java = !needs_java
        || Command::new("java")
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
    if python && java {
        return true;
    }
    let what = if python {
        "java (openjdk-17-jre-headless)".to_string()
    } else {
        format!("python3 module {module}")
    };
    if std::env::var("ML_MONITOR_REQUIRE_EXTERNAL").as_deref() == Ok("1") {
        panic!("{test}: {what} is not installed and ML_MONITOR_REQUIRE_EXTERNAL=1");
    }
    eprintln!("SKIPPED: {test}: {what} not installed (pip install {module}; see .ci/run)");
    false
}

pub fn monitor() -> Command {
    Command::cargo_bin("ml-monitor").expect("binary builds")
}

/// Writes the generator's reference and `windows` windows into `dir`.
pub fn generate(dir: &Path, windows: usize, rows: usize) {
    let status = monitor()
        .args(["generate", "--out"])
        .arg(dir)
        .args([
            "--windows",
            &windows.to_string(),
            "--rows",
            &rows.to_string(),
            "--drift-start",
            "2",
        ])
        .status()
        .expect("runs");
    assert!(status.success());
}

/// The columns of the reference with the engine type each is loaded as.
pub fn columns(reference: &Path) -> Vec<(String, &'static str)> {
    let config = ml_monitor::config::MonitorConfig::default();
    let (window, _) = ml_monitor::data::read_reference(reference, &config.columns).expect("reads");
    let header = std::fs::read_to_string(reference).expect("reads");
    let header = header.lines().next().expect("header");
    header
        .split(',')
        .map(|name| {
            let categorical = window
                .feature(name)
                .is_some_and(|c| c.kind() == ml_monitor::data::FeatureKind::Categorical);
            (
                name.to_string(),
                if categorical { "VARCHAR" } else { "DOUBLE" },
            )
        })
        .collect()
}

/// The statement profile-sql prints.
pub fn profile_sql(reference: &Path, dialect: &str, task: &str) -> String {
    let out = monitor()
        .arg("profile-sql")
        .arg("--reference")
        .arg(reference)
        .args(["--table", "win", "--dialect", dialect, "--task", task])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// One profile to write: the window CSV, where, as what.
pub struct Job {
    pub csv: PathBuf,
    pub sql: PathBuf,
    pub out: PathBuf,
    pub format: &'static str,
}

/// Runs the engine script on every job (one process, one Spark session).
pub fn run_engine(engine: &str, scratch: &Path, columns: &[(String, &str)], jobs: &[Job]) {
    let spec = json!({
        "columns": columns.iter().map(|(n, t)| json!([n, t])).collect::<Vec<_>>(),
        "jobs": jobs.iter().map(|j| json!({
            "csv": j.csv, "sql": j.sql, "out": j.out, "format": j.format
        })).collect::<Vec<_>>(),
    });
    let spec_path = scratch.join(format!("{engine}-jobs.json"));
    std::fs::write(&spec_path, spec.to_string()).expect("writes");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/profile_engines/run_profiles.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(engine)
        .arg(&spec_path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{engine} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `watch DIR --once` results by window stem (`window_0001`).
pub fn once(dir: &Path, reference: &Path, task: &str) -> BTreeMap<String, Value> {
    let out = monitor()
        .arg("watch")
        .arg(dir)
        .arg("--reference")
        .arg(reference)
        .args([
            "--once",
            "--format",
            "json",
            "--detectors",
            DETECTORS,
            "--task",
            task,
        ])
        .output()
        .expect("runs");
    assert!(
        matches!(out.status.code(), Some(0 | 3 | 4)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("json line");
            let name = v["window"].as_str().expect("window").to_string();
            let stem = name.split('.').next().unwrap_or_default().to_string();
            (stem, v)
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64, what: &str) {
    let scale = a.abs().max(b.abs()).max(1e-300);
    assert!(
        (a - b).abs() <= rel * scale || a == b,
        "{what}: profile {a} vs raw {b} (relative {})",
        (a - b).abs() / scale
    );
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Asserts the profile result equals the raw one where exact and lies within the stated
/// bounds where approximate.
pub fn compare(profile: &Value, raw: &Value, what: &str) {
    assert!(profile["error"].is_null(), "{what}: {}", profile["error"]);
    assert_eq!(profile["source"], "profile", "{what}");
    assert_eq!(profile["rows"], raw["rows"], "{what}: rows");
    // PSI and chi-square: statistic (and p-value) to 1e-12.
    for detector in ["psi", "chi2"] {
        let (p, r) = (&profile["drift"][detector], &raw["drift"][detector]);
        assert_eq!(p["n_drifted"], r["n_drifted"], "{what}: {detector}");
        let features = r["features"].as_object().expect("features");
        assert!(!features.is_empty(), "{what}: {detector} has features");
        for (name, rf) in features {
            let pf = &p["features"][name];
            assert_eq!(pf["status"], rf["status"], "{what}: {detector} {name}");
            for key in ["statistic", "p_value"] {
                match (num(&pf[key]), num(&rf[key])) {
                    (Some(a), Some(b)) => {
                        close(a, b, 1e-12, &format!("{what}: {detector} {name} {key}"))
                    }
                    (a, b) => assert_eq!(a, b, "{what}: {detector} {name} {key}"),
                }
            }
        }
    }
    // Grid statistics. KS and Wasserstein lie within the stated bound, and KS on the grid never
    // above the rows' D. AD on the grid is the test on the values rounded to their cells: no
    // proven bound, but close to the rows' on a fine grid. KS and AD say their p-value is
    // approximate. A feature the rows tested by chi-square on its few values (`"test": "chi2"`)
    // has no statistic of the same test to compare.
    for detector in ["ks", "wasserstein", "ad"] {
        let (p, r) = (&profile["drift"][detector], &raw["drift"][detector]);
        for (name, rf) in r["features"].as_object().expect("features") {
            let pf = &p["features"][name];
            if rf["test"] == "chi2" {
                continue;
            }
            let (Some(a), Some(b)) = (num(&pf["statistic"]), num(&rf["statistic"])) else {
                assert_eq!(pf["status"], rf["status"], "{what}: {detector} {name}");
                continue;
            };
            if detector == "ad" {
                assert!(
                    (a - b).abs() <= AD_GRID_TOLERANCE * b.abs().max(1.0),
                    "{what}: ad {name}: grid {a}, rows {b}"
                );
            } else {
                let bound = num(&pf["statistic_error_bound"]).expect("bound stated");
                assert!(
                    (a - b).abs() <= bound + 1e-9,
                    "{what}: {detector} {name}: grid {a}, rows {b}, bound {bound}"
                );
            }
            if detector == "ks" {
                assert!(a <= b + 1e-12, "{what}: KS {name}: grid {a} above rows {b}");
            }
            if detector != "wasserstein" {
                assert_eq!(pf["p_value_approximate"], true, "{what}: {detector} {name}");
            }
        }
    }
    // Data quality: every figure.
    for (name, rq) in raw["data_quality"].as_object().expect("quality") {
        let pq = &profile["data_quality"][name];
        for (key, rv) in rq.as_object().expect("fields") {
            let (a, b) = (num(&pq[key]).expect("figure"), num(rv).expect("figure"));
            close(a, b, 1e-12, &format!("{what}: quality {name} {key}"));
        }
    }
    // Predictions and shift.
    let (pp, rp) = (&profile["predictions"], &raw["predictions"]);
    assert_eq!(pp["count"], rp["count"], "{what}: prediction count");
    for key in ["mean", "std", "min", "max"] {
        close(
            num(&pp[key]).expect("p"),
            num(&rp[key]).expect("r"),
            1e-12,
            &format!("{what}: predictions {key}"),
        );
    }
    let mean = num(&rp["mean"]).expect("mean").abs().max(1.0);
    let shift = (num(&profile["prediction_shift"]).expect("shift")
        - num(&raw["prediction_shift"]).expect("shift"))
    .abs();
    assert!(
        shift <= 1e-12 * mean,
        "{what}: prediction shift differs by {shift}"
    );
    // Performance: every metric; ROC AUC within its stated bound.
    let (pm, rm) = (&profile["performance"], &raw["performance"]);
    assert!(rm.is_object(), "{what}: raw has performance");
    for (key, rv) in rm.as_object().expect("metrics") {
        let pv = &pm[key];
        if key == "roc_auc" {
            let bound = num(
                &profile["metadata"]["profile"]["statistic_error_bound"]["performance.roc_auc"]
            )
            .expect("auc bound");
            let (a, b) = (num(pv).expect("auc"), num(rv).expect("auc"));
            assert!(
                (a - b).abs() <= bound + 1e-12,
                "{what}: ROC AUC {a} vs {b}, bound {bound}"
            );
        } else if let (Some(a), Some(b)) = (num(pv), num(rv)) {
            close(a, b, 1e-12, &format!("{what}: performance {key}"));
        } else {
            assert_eq!(pv, rv, "{what}: performance {key}");
        }
    }
    // Detectors that need rows say so.
    assert!(
        profile["metadata"]["profile"]["skipped"].is_object(),
        "{what}"
    );
}
