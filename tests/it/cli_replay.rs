//! `ml-monitor replay` on the bundled demo data: one row per configuration, in text and JSON,
//! nothing delivered and no history written.

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("ml-monitor").expect("binary built")
}

struct Configs {
    dir: tempfile::TempDir,
}

impl Configs {
    /// Two configurations: the defaults, and one whose drift alerts are INFO (shown, not paged).
    /// Both name a webhook nobody listens on: replay must not try it.
    fn new() -> Configs {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = "\n[[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/never\"\n";
        std::fs::write(
            dir.path().join("a.toml"),
            format!("[alerts]\naccuracy = 0.7\n{sink}"),
        )
        .expect("a");
        std::fs::write(
            dir.path().join("b.toml"),
            format!("[alerts]\ndrift_level = \"info\"\n{sink}"),
        )
        .expect("b");
        std::fs::write(
            dir.path().join("truth.json"),
            "{\"start\": \"window_0004\"}",
        )
        .expect("truth");
        Configs { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn replay(&self, extra: &[&str]) -> std::process::Output {
        bin()
            .args([
                "replay",
                "demo_data",
                "--reference",
                "demo_data/reference.csv",
            ])
            .args([
                "--config",
                &self.path("a.toml"),
                "--config",
                &self.path("b.toml"),
            ])
            .args(extra)
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .expect("runs")
    }
}

#[test]
fn replay_on_the_demo_data_prints_a_row_per_config_in_json() {
    let configs = Configs::new();
    let out = configs.replay(&["--format", "json", "--truth", &configs.path("truth.json")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.is_empty(),
        "nothing delivered, nothing said: {stderr}"
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_eq!(rows[0]["config"], configs.path("a.toml"));
    assert_eq!(rows[1]["config"], configs.path("b.toml"));
    for r in &rows {
        assert_eq!(r["windows"], 8, "{r}");
        assert_eq!(r["errors"], 0, "{r}");
        // Drift from window 4 is shown either way.
        assert!(r["conditions_shown"].as_u64() > Some(0), "{r}");
    }
    // The defaults page the drift from its first window, never before it, and once: what
    // starts in window 4 (drift, quality, accuracy) is one problem.
    assert_eq!(rows[0]["paged"], 1, "{}", rows[0]);
    assert_eq!(rows[0]["false_pages"], 0, "{}", rows[0]);
    assert_eq!(rows[0]["detection_delay"], 0, "{}", rows[0]);
    // INFO drift alerts are shown; the problem still pages (its accuracy member is CRITICAL).
    assert!(
        rows[1]["paged"].as_u64() <= rows[0]["paged"].as_u64(),
        "{rows:#?}"
    );
    // Nothing was written into the data directory.
    assert!(!std::path::Path::new("demo_data/.ml-monitor").exists());
}

#[test]
fn replay_prints_a_table_with_both_rows() {
    let configs = Configs::new();
    let out = configs.replay(&["--format", "text"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains("windows") && lines[0].contains("paged"),
        "{text}"
    );
    assert!(lines[1].starts_with(&configs.path("a.toml")), "{text}");
    assert!(lines[2].starts_with(&configs.path("b.toml")), "{text}");
    for l in &lines[1..] {
        let cells: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(cells[1], "8", "{l}");
    }
}

#[test]
fn a_truth_naming_no_window_is_a_usage_error() {
    let configs = Configs::new();
    let truth = configs.path("bad.json");
    std::fs::write(&truth, "{\"start\": \"window_0099\"}").expect("truth");
    let out = configs.replay(&["--truth", &truth]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no window \"window_0099\""), "{stderr}");
}
