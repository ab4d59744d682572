//! The binary end to end in `--once` mode: demo data, exit codes, bad windows.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("ml-monitor").expect("binary built")
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn any_drift(result: &Value) -> bool {
    result["drift"]
        .as_object()
        .expect("drift object")
        .values()
        .any(|d| d["drift_detected"] == Value::Bool(true))
}

#[test]
fn demo_data_drifts_from_window_4_and_not_before() {
    let out = bin()
        .args([
            "watch",
            "demo_data",
            "--reference",
            "demo_data/reference.csv",
            "--once",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 8, "{}", String::from_utf8_lossy(&out.stderr));
    for (i, r) in results.iter().enumerate() {
        let window = i + 1;
        assert_eq!(r["window"], format!("window_{window:04}.csv"));
        assert_eq!(r["error"], Value::Null);
        assert_eq!(any_drift(r), window >= 4, "window {window}: {}", r["drift"]);
        // The default detectors.
        for key in ["ad", "psi", "chi2", "pca"] {
            assert!(r["drift"][key].is_object(), "detector {key} present");
        }
        assert!(r["performance"]["accuracy"].is_number());
        assert!(r["predictions"]["mean"].is_number());
    }
    // Drift raises alerts, so the status is WARNING (3) or CRITICAL (4).
    let code = out.status.code().expect("exit code");
    assert!(code == 3 || code == 4, "exit status {code}");
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn splitmix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn numeric_csv(rows: usize, shift: f64) -> String {
    let mut s = String::from("x,y,prediction,target\n");
    for i in 0..rows {
        let x = (i % 97) as f64 + shift;
        let y = ((i * 7) % 31) as f64;
        let p = if i % 2 == 0 { 0.2 } else { 0.8 };
        // Labels as the scores say: one in five disagrees (pseudo-random, so the reference
        // chunks' accuracy varies as real data's does and the estimate's thresholds have width).
        let wrong = splitmix(i as u64) % 100 < 20;
        s.push_str(&format!("{x},{y},{p},{}\n", (i % 2) ^ usize::from(wrong)));
    }
    s
}

#[test]
fn clean_windows_exit_zero_and_drift_exits_with_the_alert_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "reference.csv", &numeric_csv(500, 0.0));
    write(dir.path(), "w1.csv", &numeric_csv(500, 0.0));
    bin()
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(dir.path().join("reference.csv"))
        .args(["--once", "--format", "json"])
        .assert()
        .code(0);
    write(dir.path(), "w2.csv", &numeric_csv(500, 40.0));
    let out = bin()
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(dir.path().join("reference.csv"))
        .args(["--once", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "drift alerts are WARNING by default"
    );
    let results = json_lines(&out.stdout);
    assert_eq!(
        results.len(),
        2,
        "the reference in the directory is not a window"
    );
    assert!(!any_drift(&results[0]) && any_drift(&results[1]));
    // CRITICAL when drift alerts are configured at that level.
    let config = dir.path().join("m.toml");
    std::fs::write(&config, "[alerts]\ndrift_level = \"critical\"\n").expect("config");
    bin()
        .arg("watch")
        .arg(dir.path().join("w2.csv"))
        .arg("--reference")
        .arg(dir.path().join("reference.csv"))
        .arg("--config")
        .arg(&config)
        .arg("--once")
        .assert()
        .code(4);
}

#[test]
fn a_malformed_window_is_an_error_result_and_the_others_are_processed() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "reference.csv", &numeric_csv(200, 0.0));
    write(dir.path(), "a.csv", &numeric_csv(200, 0.0));
    write(
        dir.path(),
        "b.csv",
        "x,y,prediction,target\n1,2,0.5,1\n3,4\n",
    );
    write(dir.path(), "c.csv", "y,prediction,target\n1,0.5,1\n");
    let with_extra: String = numeric_csv(200, 0.0)
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{line},{}\n", if i == 0 { "note" } else { "x" }))
        .collect();
    write(dir.path(), "d.csv", &with_extra);
    let out = bin()
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(dir.path().join("reference.csv"))
        .args(["--once", "--format", "json"])
        .output()
        .expect("runs");
    let results = json_lines(&out.stdout);
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["window"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["a.csv", "b.csv", "c.csv", "d.csv"]);
    assert_eq!(results[0]["error"], Value::Null);
    assert_eq!(results[3]["error"], Value::Null);
    assert_eq!(
        results[3]["metadata"]["extra_columns"],
        serde_json::json!(["note"])
    );
    let ragged = &results[1]["error"];
    assert_eq!(ragged["kind"], "ragged_row");
    assert_eq!(ragged["line"], 3);
    assert!(ragged["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("b.csv")));
    let missing = &results[2]["error"];
    assert_eq!(missing["kind"], "missing_column");
    assert_eq!(missing["column"], "x");
    assert_eq!(missing["line"], 1);
    assert_eq!(results[1]["alerts"][0]["kind"], "window_error");
    assert_eq!(results[1]["alerts"][0]["level"], "CRITICAL");
    assert_eq!(out.status.code(), Some(4), "a window error is CRITICAL");
}

#[test]
fn usage_and_run_errors_have_their_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "w.csv", &numeric_csv(50, 0.0));
    // No --reference: bad usage.
    bin()
        .arg("watch")
        .arg(dir.path())
        .arg("--once")
        .assert()
        .code(2);
    // Unknown flag: bad usage.
    bin().args(["watch", "--frobnicate"]).assert().code(2);
    // A reference that does not exist: an error that stopped the run.
    bin()
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(dir.path().join("nope.csv"))
        .arg("--once")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("nope.csv"));
    // A config with an unknown key fails loudly with the file and key.
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[drift.statistical]\nalpah = 0.1\n").expect("config");
    bin()
        .arg("watch")
        .arg(dir.path())
        .arg("--reference")
        .arg(dir.path().join("w.csv"))
        .arg("--config")
        .arg(&config)
        .arg("--once")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.toml").and(predicates::str::contains("alpah")));
}

#[test]
fn print_default_config_is_the_default() {
    let out = bin()
        .args(["config", "--print-default"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    let parsed = ml_monitor::config::MonitorConfig::from_toml(&text, "stdout").expect("parses");
    assert_eq!(parsed, ml_monitor::config::MonitorConfig::default());
    assert!(text.contains("# "), "comments explain the keys");
}

#[test]
fn text_format_is_readable() {
    let out = bin()
        .args([
            "watch",
            "demo_data",
            "--reference",
            "demo_data/reference.csv",
            "--once",
            "--format",
            "text",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("window_0001.csv"), "{text}");
    assert!(text.contains("DRIFT"), "{text}");
    assert!(
        text.contains("WARNING") || text.contains("CRITICAL"),
        "{text}"
    );
}

/// A named file (mapped, and parsed while the reference is fitted) gives what the same file
/// gives when its directory is read; a malformed named file is an error result, and an empty one
/// too.
#[test]
fn a_named_file_gives_what_its_directory_gives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let windows = dir.path().join("windows");
    std::fs::create_dir(&windows).expect("mkdir");
    write(dir.path(), "reference.csv", &numeric_csv(3000, 0.0));
    write(&windows, "a.csv", &numeric_csv(2500, 20.0));
    write(&windows, "b.csv", "x,y,prediction,target\n1,2,0.5,1\n3,4\n");
    write(&windows, "c.csv", "");
    let run = |path: &Path| {
        let out = bin()
            .arg("watch")
            .arg(path)
            .arg("--reference")
            .arg(dir.path().join("reference.csv"))
            .args(["--once", "--format", "json"])
            .output()
            .expect("runs");
        let mut results = json_lines(&out.stdout);
        for r in &mut results {
            r["timestamp"] = Value::Null;
            // Incidents follow the sequence of windows (ids, what an earlier window opened).
            r["incidents"] = Value::Null;
            if let Some(alerts) = r["alerts"].as_array_mut() {
                for a in alerts {
                    a["timestamp"] = Value::Null;
                }
            }
        }
        (results, out.status.code())
    };
    let (all, _) = run(&windows);
    assert_eq!(all.len(), 3);
    for (i, name) in ["a.csv", "b.csv", "c.csv"].iter().enumerate() {
        let (one, code) = run(&windows.join(name));
        assert_eq!(one.len(), 1, "{name}");
        assert_eq!(one[0], all[i], "{name}");
        if *name != "a.csv" {
            assert_eq!(one[0]["alerts"][0]["kind"], "window_error", "{name}");
            assert_eq!(code, Some(4), "{name}");
        }
    }
    assert!(any_drift(&all[0]), "the shifted window drifts");
    assert_eq!(all[1]["error"]["kind"], "ragged_row");
    assert_eq!(all[1]["error"]["line"], 3);
}
