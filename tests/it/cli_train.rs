//! `train`, `watch --model` and `watch --reference-stats` through the binary.

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("ml-monitor").expect("binary built")
}

fn results(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn trained_model_predicts_windows_and_stats_replace_the_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("model.json");
    let stats = dir.path().join("stats.json");
    bin()
        .args([
            "train",
            "--data",
            "demo_data/reference.csv",
            "--target",
            "target",
            "--out",
        ])
        .arg(&model)
        .arg("--reference-stats")
        .arg(&stats)
        .assert()
        .success();
    let saved: Value = serde_json::from_slice(&std::fs::read(&model).expect("model written"))
        .expect("model is JSON");
    assert!(
        saved.get("format_version").is_some(),
        "model has a format version"
    );

    let out = bin()
        .args([
            "watch",
            "demo_data/window_0001.csv",
            "--reference",
            "demo_data/reference.csv",
            "--once",
            "--format",
            "json",
            "--model",
        ])
        .arg(&model)
        .output()
        .expect("runs");
    let r = &results(&out.stdout)[0];
    assert_eq!(r["prediction_source"], "model");
    let accuracy = r["performance"]["accuracy"].as_f64().expect("accuracy");
    assert!(
        accuracy > 0.7,
        "a model trained on the reference predicts window 1: {accuracy}"
    );

    // Statistics instead of the raw reference: PSI and chi-square run, KS is refused by name.
    let out = bin()
        .args([
            "watch",
            "demo_data/window_0004.csv",
            "--once",
            "--format",
            "json",
            "--reference-stats",
        ])
        .arg(&stats)
        .output()
        .expect("runs");
    let r = &results(&out.stdout)[0];
    // The statistics carry the performance estimator (CBPE): windows get estimates from them.
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&stats).expect("stats written")).expect("JSON");
    assert!(saved["estimator"].is_object(), "stats carry the estimator");
    assert_eq!(r["estimated_performance"]["method"], "cbpe");
    assert!(r["estimated_performance"]["metrics"]["accuracy"]["value"].is_f64());
    assert!(r["drift"]["psi"]["drift_detected"].as_bool().expect("psi"));
    assert!(r["drift"]["chi2"].is_object());
    assert!(r["drift"].get("ks").is_none());
    assert!(
        r["data_quality"]["credit_score"]["missing_cur"]
            .as_f64()
            .expect("quality")
            > 0.1
    );
    bin()
        .args([
            "watch",
            "demo_data/window_0004.csv",
            "--once",
            "--detectors",
            "ks",
            "--reference-stats",
        ])
        .arg(&stats)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("ks needs the raw reference rows"));
}

#[test]
fn a_model_whose_features_the_reference_lacks_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("train.csv");
    let mut text = String::from("a,b,target\n");
    for i in 0..200 {
        text.push_str(&format!("{},{},{}\n", i % 10, (i * 3) % 7, i % 2));
    }
    std::fs::write(&data, text).expect("write");
    let model = dir.path().join("m.json");
    bin()
        .args(["train", "--data"])
        .arg(&data)
        .args(["--target", "target", "--out"])
        .arg(&model)
        .assert()
        .success();
    let reference = dir.path().join("ref.csv");
    std::fs::write(&reference, "a,target\n1,0\n2,1\n").expect("write");
    let window = dir.path().join("w.csv");
    std::fs::write(&window, "a,target\n1,0\n2,1\n").expect("write");
    let out = bin()
        .arg("watch")
        .arg(&window)
        .arg("--reference")
        .arg(&reference)
        .arg("--model")
        .arg(&model)
        .args(["--once", "--format", "json"])
        .output()
        .expect("runs");
    // The reference itself lacks "b": the run stops with an error naming the feature.
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"b\""));
}
