//! The configuration file is read once, on the binary side (issue 27, item 3): every error it
//! holds, a `[[models]]` override's and a sink's included, is one line naming the user's file
//! as given, the line of that file and the key as the user wrote it (`models[1].alerts.x`), and
//! exits 2, from `config --check` and from `watch` alike.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::BIN;

fn run(args: &[&str], config: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg(config)
        .current_dir(config.parent().expect("a directory"))
        .output()
        .expect("runs")
}

/// `text` as a file; `config --check` and `watch --once --config` each fail with status 2 and
/// one line starting with `ml-monitor: FILE: line LINE: KEY`.
fn fails_at(text: &str, line: usize, key: &str) {
    let root = tempfile::tempdir().expect("tmp");
    let config = root.path().join("config.toml");
    std::fs::write(&config, text).expect("config written");
    for dir in ["a", "b"] {
        std::fs::create_dir_all(root.path().join(dir)).expect("model dir");
    }
    let watch_args: &[&str] = if text.contains("[[models]]") {
        &["watch", "--once", "--reference", "ref.csv", "--config"]
    } else {
        &["watch", "a", "--once", "--reference", "ref.csv", "--config"]
    };
    for args in [&["config", "--check"][..], watch_args] {
        let out = run(args, &config);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {text}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{args:?} {text}: one line: {stderr}"
        );
        let expected = format!("ml-monitor: {}: line {line}: {key}", config.display());
        assert!(
            stderr.starts_with(&expected),
            "{args:?} {text}\nwanted: {expected}\n   got: {stderr}"
        );
    }
}

const TWO_MODELS: &str = "[alerts]\naccuracy = 0.8\n\n[[models]]\nname = \"a\"\ndir = \"a\"\n\n[[models]]\nname = \"b\"\ndir = \"b\"\n";

#[test]
fn a_models_override_error_names_the_config_file_its_line_and_models_key() {
    // A range error of the second model's override.
    fails_at(
        &format!("{TWO_MODELS}[models.alerts]\nprediction_shift = -1\n"),
        12,
        "models[1].alerts.prediction_shift = -1: ",
    );
    // A key the section does not have.
    fails_at(
        &format!("{TWO_MODELS}[models.alerts]\ndrift_share = 2\n"),
        12,
        "models[1].alerts.drift_share: unknown field",
    );
    // A type error in an inline table, and a bad name inside an array.
    fails_at(
        &format!("{TWO_MODELS}drift = {{ statistical = {{ alpha = \"x\" }} }}\n"),
        11,
        "models[1].drift.statistical.alpha: ",
    );
    fails_at(
        &format!("{TWO_MODELS}[models.drift]\ndetectors = [\"ks\",\n  \"kss\"]\n"),
        12,
        "models[1].drift.detectors: unknown detector \"kss\"",
    );
    // A key of the first model's entry itself.
    fails_at(
        "[[models]]\nname = \"a\"\ndir = \"a\"\n\n[[models]]\nname = \"a\"\ndir = \"b\"\n",
        6,
        "models[1].name: ",
    );
}

#[test]
fn a_sink_error_names_the_config_file_its_line_and_sinks_key() {
    fails_at(
        "[alerts]\naccuracy = 0.8\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/\"\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9/\"\ntimeout = \"5 parsecs\"\n",
        11,
        "sinks[1].timeout: ",
    );
    fails_at(
        "[[sinks]]\ntype = \"command\"\ncommand = [\"/bin/true\"]\nheaders = 5\n",
        4,
        "sinks[0].headers: ",
    );
}

#[test]
fn a_top_level_config_error_names_the_file_its_line_and_key() {
    fails_at(
        "task = \"classification\"\n\n[alerts]\nprediction_shift = -1\n",
        4,
        "alerts.prediction_shift = -1: ",
    );
    fails_at("\n\ncolour = \"red\"\n", 3, "colour: unknown field");
    fails_at(
        "[metrics]\nmax_features = 0\n",
        2,
        "metrics.max_features = 0: ",
    );
    fails_at("[monitor]\nname = \" \"\n", 2, "monitor.name = \"\": ");
}

/// `[alerts.runbooks]` is checked by `config --check` as `watch` checks it, at its line.
#[test]
fn a_runbook_error_in_the_config_names_its_line() {
    fails_at(
        "[alerts]\naccuracy = 0.8\n\n[alerts.runbooks]\ndata_drfit = \"https://wiki/{feature}\"\n",
        5,
        "alerts.runbooks.\"data_drfit\": unknown kind",
    );
}
