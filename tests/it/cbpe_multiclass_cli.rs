//! A multiclass model through the binary: `[columns] class_probabilities` with text labels in
//! the target and predicted-label columns. Each window's JSON carries the multiclass estimate
//! (accuracy, macro precision, recall, F1, ROC AUC), the same numbers the library gives, and,
//! when the window has labels, the realised macro metrics; the estimated accuracy follows the
//! realised one under covariate shift. A configuration that names two classes, or forgets
//! `predicted_label`, exits 2 naming the key.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ml-monitor");
const CLASSES: [&str; 3] = ["prepaid_card", "highstreet_card", "upmarket_card"];

/// `rows` rows: x1, x2 ~ N(shift, 1); the class probabilities a softmax of them (two decimals,
/// as NannyML's data set), the target drawn from them, the predicted class their argmax.
fn csv(rows: usize, seed: u64, shift: f64, with_target: bool) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(shift, 1.0).expect("normal");
    let mut out = String::from("x1,x2,p_prepaid,p_highstreet,p_upmarket,predicted");
    if with_target {
        out.push_str(",target");
    }
    out.push('\n');
    for _ in 0..rows {
        let (a, b): (f64, f64) = (normal.sample(&mut rng), normal.sample(&mut rng));
        let logits = [1.5 * a, 1.5 * b, 0.5 - a - b];
        let max = logits.iter().copied().fold(f64::MIN, f64::max);
        let e: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f64 = e.iter().sum();
        let p: Vec<f64> = e.iter().map(|v| v / sum).collect();
        let u: f64 = rng.gen();
        let truth = if u < p[0] {
            0
        } else if u < p[0] + p[1] {
            1
        } else {
            2
        };
        let best = (0..3).fold(0, |m, c| if p[c] > p[m] { c } else { m });
        let _ = write!(
            out,
            "{a:.4},{b:.4},{:.2},{:.2},{:.2},{}",
            p[0], p[1], p[2], CLASSES[best]
        );
        if with_target {
            let _ = write!(out, ",{}", CLASSES[truth]);
        }
        out.push('\n');
    }
    out
}

const CONFIG: &str = r#"
[columns]
target = "target"
predicted_label = "predicted"
class_probabilities = { prepaid_card = "p_prepaid", highstreet_card = "p_highstreet", upmarket_card = "p_upmarket" }
"#;

fn run(root: &Path, config: &str) -> std::process::Output {
    let config_path = root.join("monitor.toml");
    std::fs::write(&config_path, config).expect("config");
    Command::new(BIN)
        .arg("watch")
        .arg(root.join("windows"))
        .arg("--reference")
        .arg(root.join("reference.csv"))
        .arg("--config")
        .arg(&config_path)
        .arg("--history")
        .arg(root.join("history.sqlite"))
        .args(["--detectors", "ks", "--once", "--format", "json"])
        .output()
        .expect("runs")
}

fn setup() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::write(root.path().join("reference.csv"), csv(6000, 1, 0.0, true)).expect("ref");
    let windows = root.path().join("windows");
    std::fs::create_dir(&windows).expect("dir");
    std::fs::write(windows.join("w1.csv"), csv(2000, 2, 0.0, true)).expect("w1");
    std::fs::write(windows.join("w2.csv"), csv(2000, 3, 0.8, true)).expect("w2");
    std::fs::write(windows.join("w3.csv"), csv(2000, 4, 0.8, false)).expect("w3");
    std::fs::write(windows.join("w4.csv"), csv(2000, 5, 2.5, false)).expect("w4");
    root
}

#[test]
fn multiclass_windows_get_the_multiclass_estimate() {
    let root = setup();
    let out = run(root.path(), CONFIG);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 0, or 3 / 4 for the drift the shifted windows show: not an error.
    assert!(
        matches!(out.status.code(), Some(0 | 3 | 4)),
        "{:?} {stderr}",
        out.status
    );
    assert!(!stderr.contains("estimation off"), "{stderr}");
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(results.len(), 4, "{results:?}");
    for r in &results {
        let metrics = &r["estimated_performance"]["metrics"];
        for m in ["accuracy", "precision", "recall", "f1", "roc_auc"] {
            let v = metrics[m]["value"].as_f64().unwrap_or(f64::NAN);
            assert!((0.0..=1.0).contains(&v), "{} {m}: {metrics}", r["window"]);
            assert!(metrics[m]["sampling_error"]
                .as_f64()
                .is_some_and(|s| s > 0.0));
        }
        // The probability columns are not features.
        assert!(r["data_quality"].get("p_prepaid").is_none(), "{r}");
        assert!(r["data_quality"].get("x1").is_some(), "{r}");
    }
    for r in &results[..2] {
        let realised = &r["performance"];
        assert_eq!(realised["average"], "macro", "{realised}");
        assert_eq!(realised["n_classes"], 3);
        let estimated = r["estimated_performance"]["metrics"]["accuracy"]["value"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let actual = realised["accuracy"].as_f64().unwrap_or(f64::NAN);
        assert!(
            (estimated - actual).abs() < 0.04,
            "{}: estimated {estimated}, realised {actual}",
            r["window"]
        );
    }
    assert!(results[2]["performance"].is_null());
    // Far from the reference, the estimates leave their thresholds: alerts as in the binary case.
    let alerts = results[3]["alerts"].as_array().cloned().unwrap_or_default();
    assert!(
        alerts
            .iter()
            .any(|a| a["kind"] == "estimated_performance_degradation"
                && a["metric"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("estimated_"))),
        "{alerts:?}"
    );
}

#[test]
fn multiclass_configuration_errors_exit_2_naming_the_key() {
    let root = setup();
    let two = r#"
[columns]
predicted_label = "predicted"
class_probabilities = { prepaid_card = "p_prepaid", highstreet_card = "p_highstreet" }
"#;
    let no_label = r#"
[columns]
class_probabilities = { prepaid_card = "p_prepaid", highstreet_card = "p_highstreet", upmarket_card = "p_upmarket" }
"#;
    for config in [two, no_label] {
        let out = run(root.path(), config);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("columns.class_probabilities"), "{stderr}");
    }
}
