//! Every format through the binary's other entry points: `generate --format` writes each, and
//! `train` and `watch --reference-stats` take Parquet and gzipped CSV as they take CSV, with the
//! same results.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::same;

fn bin() -> Command {
    Command::cargo_bin("ml-monitor").expect("binary built")
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn generate(dir: &Path, format: &str) {
    bin()
        .args([
            "generate",
            "--windows",
            "5",
            "--rows",
            "400",
            "--format",
            format,
            "--out",
        ])
        .arg(dir)
        .assert()
        .success();
}

/// `watch DIR --once` with the reference in DIR, results normalized.
fn once(dir: &Path, ext: &str) -> Vec<String> {
    let out = bin()
        .arg("watch")
        .arg(dir)
        .arg("--reference")
        .arg(dir.join(format!("reference.{ext}")))
        .args(["--once", "--format", "json"])
        .output()
        .expect("runs");
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 5, "{}", String::from_utf8_lossy(&out.stderr));
    results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            assert!(r["error"].is_null(), "{r}");
            same::normalized(r, &[&format!("window_{:04}.{ext}", i + 1)])
        })
        .collect()
}

#[test]
fn generate_writes_each_format_and_each_gives_the_same_results() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut all = Vec::new();
    for (format, ext) in [("csv", "csv"), ("csv.gz", "csv.gz"), ("parquet", "parquet")] {
        let dir = root.path().join(format);
        generate(&dir, format);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("reference.{ext}"),
                format!("window_0001.{ext}"),
                format!("window_0002.{ext}"),
                format!("window_0003.{ext}"),
                format!("window_0004.{ext}"),
                format!("window_0005.{ext}"),
            ]
        );
        all.push((format, once(&dir, ext)));
    }
    let (_, csv) = &all[0];
    assert!(
        csv.iter().any(|r| r.contains("\"drift_detected\":true")),
        "the generated windows drift"
    );
    for (format, results) in &all[1..] {
        assert_eq!(results, csv, "{format}");
    }
}

#[test]
fn train_and_reference_stats_take_parquet_and_gzip_as_they_take_csv() {
    let root = tempfile::tempdir().expect("tempdir");
    let mut models = Vec::new();
    let mut stats = Vec::new();
    for (format, ext) in [("csv", "csv"), ("csv.gz", "csv.gz"), ("parquet", "parquet")] {
        let dir = root.path().join(format);
        generate(&dir, format);
        let model = root.path().join(format!("model-{format}.json"));
        let stats_path = root.path().join(format!("stats-{format}.json"));
        bin()
            .arg("train")
            .arg("--data")
            .arg(dir.join(format!("reference.{ext}")))
            .args(["--target", "target", "--out"])
            .arg(&model)
            .arg("--reference-stats")
            .arg(&stats_path)
            .assert()
            .success();
        models.push(std::fs::read(&model).expect("model"));
        let out = bin()
            .arg("watch")
            .arg(dir.join(format!("window_0005.{ext}")))
            .arg("--reference-stats")
            .arg(&stats_path)
            .args(["--once", "--format", "json", "--detectors", "psi,chi2"])
            .output()
            .expect("runs");
        let results = json_lines(&out.stdout);
        assert_eq!(results.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
        assert!(results[0]["error"].is_null(), "{}", results[0]);
        stats.push(same::normalized(
            &results[0],
            &[&format!("window_0005.{ext}")],
        ));
    }
    assert_eq!(models[1], models[0], "csv.gz model");
    assert_eq!(models[2], models[0], "parquet model");
    assert_eq!(stats[1], stats[0], "csv.gz with stats");
    assert_eq!(stats[2], stats[0], "parquet with stats");
}
