//! Several models in one process, configuration discovery and the discoverability commands
//! (completions, man page, `watch --help`), end to end through the binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The binary with no configuration of the user's leaking in.
fn bin(xdg: &Path) -> Command {
    let mut c = Command::cargo_bin("ml-monitor").expect("binary built");
    c.env("XDG_CONFIG_HOME", xdg).env_remove("NO_COLOR");
    c
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// A directory holding the named windows of `demo_data`.
fn windows(root: &Path, name: &str, numbers: &[usize]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("dir");
    for n in numbers {
        let file = format!("window_{n:04}.csv");
        std::fs::copy(Path::new("demo_data").join(&file), dir.join(&file)).expect("copy");
    }
    dir
}

fn reference() -> PathBuf {
    std::fs::canonicalize("demo_data/reference.csv").expect("demo reference")
}

fn detectors(result: &Value) -> Vec<String> {
    result["drift"]
        .as_object()
        .expect("drift object")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn two_directories_once_name_each_model_and_exit_with_the_worst() {
    let root = tempfile::tempdir().expect("tmp");
    let calm = windows(root.path(), "calm", &[1, 2]);
    let drifting = windows(root.path(), "drifting", &[5, 6]);
    let out = bin(root.path())
        .args(["watch"])
        .arg(&calm)
        .arg(&drifting)
        .arg("--reference")
        .arg(reference())
        .args(["--once", "--format", "json"])
        .output()
        .expect("runs");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 4, "{}", String::from_utf8_lossy(&out.stderr));
    let models: Vec<&str> = lines
        .iter()
        .map(|l| l["model"].as_str().expect("model"))
        .collect();
    assert_eq!(models, ["calm", "calm", "drifting", "drifting"]);
    // The existing fields are all still there.
    assert_eq!(lines[0]["window"], "window_0001.csv");
    assert!(lines[3]["drift"]["ad"]["drift_detected"]
        .as_bool()
        .expect("bool"));
    let code = out.status.code().expect("code");
    assert!(code == 3 || code == 4, "worst of the two models: {code}");
    // Alone, the calm model exits 0: the status above is the drifting model's.
    let calm_only = bin(root.path())
        .args(["watch"])
        .arg(&calm)
        .arg("--reference")
        .arg(reference())
        .args(["--once", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(calm_only.status.code(), Some(0));
    assert!(json_lines(&calm_only.stdout)[0].get("model").is_none());
}

#[test]
fn models_listed_in_the_config_need_no_directory_and_take_their_overrides() {
    let root = tempfile::tempdir().expect("tmp");
    windows(root.path(), "churn", &[1]);
    windows(root.path(), "fraud", &[1]);
    let config = root.path().join("fleet.toml");
    std::fs::write(
        &config,
        format!(
            r#"[drift]
detectors = ["ks", "psi"]

[[models]]
name = "churn"
dir = "churn"
reference = "{reference}"

[[models]]
name = "fraud"
dir = "fraud"
reference = "{reference}"
[models.drift]
detectors = ["psi"]
"#,
            reference = reference().display()
        ),
    )
    .expect("config");
    let out = bin(root.path())
        .args(["watch", "--once", "--format", "json", "--config"])
        .arg(&config)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "{out:?}");
    assert_eq!(lines[0]["model"], "churn");
    assert_eq!(detectors(&lines[0]), ["ks", "psi"]);
    assert_eq!(lines[1]["model"], "fraud");
    assert_eq!(detectors(&lines[1]), ["psi"]);
}

#[test]
fn a_bad_model_entry_is_a_usage_error_naming_the_file() {
    let root = tempfile::tempdir().expect("tmp");
    let config = root.path().join("fleet.toml");
    std::fs::write(
        &config,
        "[[models]]\nname = \"a\"\ndir = \"a\"\ncolour = \"red\"\n",
    )
    .expect("config");
    let out = bin(root.path())
        .args(["watch", "--once", "--config"])
        .arg(&config)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fleet.toml") && stderr.contains("colour"),
        "{stderr}"
    );
    // `config --check` checks each model's overrides as the file itself.
    std::fs::write(
        &config,
        "[[models]]\nname = \"a\"\ndir = \"a\"\n[models.drift.statistical]\nalpha = 2.0\n",
    )
    .expect("config");
    let out = bin(root.path())
        .args(["config", "--check"])
        .arg(&config)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"a\"") && stderr.contains("alpha"),
        "{stderr}"
    );
    // No directory and no [[models]]: say what is missing.
    let out = bin(root.path())
        .args(["watch", "--once"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DIR"));
}

/// Runs `--once` on one window of `dir` and returns the detectors its result shows.
fn detectors_used(xdg: &Path, dir: &Path, extra: &[&str]) -> Vec<String> {
    let out = bin(xdg)
        .args(["watch"])
        .arg(dir)
        .arg("--reference")
        .arg(reference())
        .args(["--once", "--format", "json"])
        .args(extra)
        .output()
        .expect("runs");
    assert!(
        out.status
            .code()
            .is_some_and(|c| c == 0 || c == 3 || c == 4),
        "{out:?}"
    );
    detectors(&json_lines(&out.stdout)[0])
}

#[test]
fn the_config_is_found_in_the_directory_then_in_xdg_and_config_wins() {
    let root = tempfile::tempdir().expect("tmp");
    let xdg = root.path().join("xdg");
    let dir = windows(root.path(), "w", &[1]);
    let defaults = detectors_used(&xdg, &dir, &[]);
    assert!(defaults.len() >= 3, "{defaults:?}");

    std::fs::create_dir_all(xdg.join("ml-monitor")).expect("xdg");
    std::fs::write(
        xdg.join("ml-monitor/config.toml"),
        "[drift]\ndetectors = [\"chi2\"]\n",
    )
    .expect("xdg config");
    assert_eq!(detectors_used(&xdg, &dir, &[]), ["chi2"]);

    std::fs::create_dir_all(dir.join(".ml-monitor")).expect("local");
    std::fs::write(
        dir.join(".ml-monitor/config.toml"),
        "[drift]\ndetectors = [\"psi\"]\n",
    )
    .expect("local config");
    assert_eq!(detectors_used(&xdg, &dir, &[]), ["psi"]);

    let given = root.path().join("given.toml");
    std::fs::write(&given, "[drift]\ndetectors = [\"ks\"]\n").expect("given");
    let given = given.to_string_lossy().into_owned();
    assert_eq!(detectors_used(&xdg, &dir, &["--config", &given]), ["ks"]);
}

#[test]
fn completions_for_three_shells_and_a_man_page() {
    let root = tempfile::tempdir().expect("tmp");
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef ml-monitor"),
        ("fish", "complete -c ml-monitor"),
    ] {
        let out = bin(root.path())
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{shell}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        // The flags of `watch` are offered (fish spells them `-l reference`).
        assert!(text.contains("reference-stats"), "{shell}");
    }
    for shell in ["elvish", "powershell"] {
        let out = bin(root.path())
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(out.status.success() && !out.stdout.is_empty(), "{shell}");
    }
    let out = bin(root.path()).arg("man").output().expect("runs");
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH ml-monitor"),
        "{page}"
    );
    assert!(page.contains("watch"), "{page}");
}

#[test]
fn watch_help_lists_the_exit_codes_and_two_examples() {
    let root = tempfile::tempdir().expect("tmp");
    let out = bin(root.path())
        .args(["watch", "--help"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Exit codes:"), "{help}");
    for code in ["  0  ", "  1  ", "  2  ", "  3  ", "  4  "] {
        assert!(help.contains(code), "{code}: {help}");
    }
    assert!(help.contains("Examples:"), "{help}");
    assert_eq!(help.matches("  ml-monitor watch ").count(), 2, "{help}");
    assert!(help.contains(".ml-monitor/config.toml"), "{help}");
}

#[test]
fn history_show_outside_the_watched_directory_suggests_dir() {
    let root = tempfile::tempdir().expect("tmp");
    let out = bin(root.path())
        .current_dir(root.path())
        .args(["history", "show"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--dir DIR"), "{stderr}");
}

#[test]
fn headless_says_what_it_watches_and_what_the_history_let_it_skip() {
    use std::io::{BufRead, BufReader};
    let root = tempfile::tempdir().expect("tmp");
    let dir = windows(root.path(), "w", &[1, 2]);
    let history = root.path().join("h.sqlite");
    let out = bin(root.path())
        .args(["watch"])
        .arg(&dir)
        .arg("--reference")
        .arg(reference())
        .args(["--once", "--format", "json", "--history"])
        .arg(&history)
        .output()
        .expect("runs");
    assert_eq!(json_lines(&out.stdout).len(), 2, "{out:?}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ml-monitor"))
        .env("XDG_CONFIG_HOME", root.path())
        .arg("watch")
        .arg(&dir)
        .arg("--reference")
        .arg(reference())
        .arg("--headless")
        .arg("--history")
        .arg(&history)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut first = String::new();
    let read = BufReader::new(stderr).read_line(&mut first);
    let _ = child.kill();
    let _ = child.wait();
    read.expect("a line on stderr");
    assert!(
        first.contains(&format!("watching {}", dir.display())),
        "{first}"
    );
    assert!(first.contains("no config file"), "{first}");
    assert!(
        first.contains("2 of 2 window file(s) present already in the history"),
        "{first}"
    );
}

#[test]
fn headless_with_two_directories_names_the_model_and_keeps_a_history_in_each() {
    use std::io::{BufRead, BufReader};
    let root = tempfile::tempdir().expect("tmp");
    let a = windows(root.path(), "a", &[1]);
    let b = windows(root.path(), "b", &[5]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ml-monitor"))
        .env("XDG_CONFIG_HOME", root.path())
        .arg("watch")
        .arg(&a)
        .arg(&b)
        .arg("--reference")
        .arg(reference())
        .arg("--headless")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut models = Vec::new();
    for _ in 0..2 {
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => {
                let v: Value = serde_json::from_str(&line).expect("JSON line");
                models.push(v["model"].as_str().expect("model").to_string());
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    models.sort();
    assert_eq!(models, ["a", "b"]);
    for dir in [&a, &b] {
        assert!(
            dir.join(".ml-monitor/history.sqlite").is_file(),
            "{}",
            dir.display()
        );
    }
}

#[test]
fn one_history_path_or_metrics_for_several_models_is_refused() {
    let root = tempfile::tempdir().expect("tmp");
    let a = windows(root.path(), "a", &[1]);
    let b = windows(root.path(), "b", &[1]);
    for extra in [["--history", "h.sqlite"], ["--metrics-file", "m.prom"]] {
        let out = bin(root.path())
            .current_dir(root.path())
            .args(["watch"])
            .arg(&a)
            .arg(&b)
            .arg("--reference")
            .arg(reference())
            .arg("--once")
            .args(extra)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {out:?}");
        assert!(out.stdout.is_empty());
    }
}

/// `generate` writes a `reference.csv` beside the windows of each directory; with one shared
/// `--reference`, the others are references too, never windows (issue 28 item 4).
#[test]
fn a_shared_reference_over_generated_directories_skips_every_reference_file() {
    let root = tempfile::tempdir().expect("tmp");
    let dirs: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let dir = root.path().join(name);
            let out = bin(root.path())
                .args(["generate", "--windows", "2", "--rows", "300", "--seed"])
                .arg((i + 1).to_string())
                .arg("--out")
                .arg(&dir)
                .output()
                .expect("generate runs");
            assert!(out.status.success(), "{out:?}");
            assert!(dir.join("reference.csv").is_file());
            dir
        })
        .collect();
    let out = bin(root.path())
        .arg("watch")
        .args(&dirs)
        .arg("--reference")
        .arg(dirs[0].join("reference.csv"))
        .args(["--once", "--no-history", "--format", "json"])
        .output()
        .expect("runs");
    let lines = json_lines(&out.stdout);
    let mut seen: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["model"].as_str().expect("model").to_string(),
                l["window"].as_str().expect("window").to_string(),
            )
        })
        .collect();
    seen.sort();
    let expected: Vec<(String, String)> = ["a", "b", "c"]
        .iter()
        .flat_map(|m| {
            ["window_0001.csv", "window_0002.csv"]
                .iter()
                .map(move |w| (m.to_string(), w.to_string()))
        })
        .collect();
    assert_eq!(seen, expected, "{}", String::from_utf8_lossy(&out.stderr));
}
