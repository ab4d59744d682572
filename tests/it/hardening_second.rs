//! Regression tests for the second hardening pass (issue 29, items 8, 9, 11 and 12) through the
//! real binary: terminal escapes in file names, secrets in receivers' answers, config errors of
//! one line naming file, line and key, and histories that are read whatever can be read.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use support::{Receiver, Setup, BIN};

fn bin(args: &[&str], extra: &[&Path]) -> Output {
    Command::new(BIN)
        .args(args)
        .args(extra)
        .output()
        .expect("runs")
}

/// Whether the bytes hold any control character but a line break (ESC, BEL, CR...).
fn has_controls(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .chars()
        .any(|c| c.is_control() && c != '\n')
}

// ---- 8. control characters -----------------------------------------------------------------

const NASTY: &str = "w04\u{1b}]0;OWNED\u{7}\u{1b}[2J.csv";

/// A window named with an OSC title and a screen clear: no output that a terminal or a CSV
/// reader sees holds the escapes — `--once` text, the "not recorded" message, `history show`,
/// `incidents` and `export --format csv`.
#[test]
fn a_file_name_with_terminal_escapes_reaches_no_terminal_or_csv() {
    let setup = Setup::new("[alerts]\nprediction_shift = 0.5\n");
    setup.window(NASTY, true);
    let history = setup.history();
    let out = Command::new(BIN)
        .arg("watch")
        .arg(&setup.dir)
        .arg("--reference")
        .arg(&setup.reference)
        .arg("--history")
        .arg(&history)
        .args(["--detectors", "ks", "--once", "--format", "text"])
        .output()
        .expect("runs");
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "{out:?}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("w04"),
        "{out:?}"
    );
    assert!(!has_controls(&out.stdout), "--once text: {out:?}");
    assert!(!has_controls(&out.stderr), "--once stderr: {out:?}");
    for args in [
        &["history", "export", "--format", "csv", "--history"][..],
        &["history", "show", "--history"][..],
        &["history", "incidents", "--since", "1h", "--history"][..],
    ] {
        let out = bin(args, &[&history]);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("w04"),
            "{args:?}: {out:?}"
        );
        assert!(!has_controls(&out.stdout), "{args:?}: {out:?}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("OWNED"),
            "{args:?}: {out:?}"
        );
    }

    // The message of a window shown but not recorded (the history refuses every insert).
    let conn = rusqlite::Connection::open(&history).expect("open history");
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON results
         BEGIN SELECT RAISE(FAIL, 'simulated disk full'); END;",
    )
    .expect("trigger");
    setup.window(&NASTY.replace("w04", "w05"), true);
    let out = Command::new(BIN)
        .arg("watch")
        .arg(&setup.dir)
        .arg("--reference")
        .arg(&setup.reference)
        .arg("--history")
        .arg(&history)
        .args(["--detectors", "ks", "--once", "--format", "json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not recorded in the history"), "{stderr}");
    assert!(stderr.contains("w05"), "{stderr}");
    assert!(!has_controls(&out.stderr), "{stderr:?}");
}

// ---- 9. secrets ------------------------------------------------------------------------------

fn webhook_config(url: &str) -> String {
    format!(
        "[alerts]\nprediction_shift = 0.5\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"{url}\"\ntimeout = \"2s\"\nheaders = {{ Authorization = \"Bearer ${{ML_MONITOR_TEST_PAGER_TOKEN}}\" }}\n"
    )
}

/// A receiver that quotes the credentials back (`401 invalid credentials: Bearer <token>`):
/// the token is neither on stderr nor in the history's outbox, `***` stands in its place.
#[test]
fn a_receiver_quoting_the_secret_back_has_it_replaced_by_stars() {
    let receiver = Receiver::start_with_body(
        Box::new(|_| Some(401)),
        "invalid credentials: Bearer s3cret-13".into(),
    );
    let setup = Setup::new(&webhook_config(&receiver.url));
    setup.window("w00.csv", true);
    let out = setup.once(&["--sink-timeout", "5s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(
        stderr.contains("invalid credentials: Bearer ***"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    setup.assert_outbox_errors_hide_the_token();
    let bytes = std::fs::read(setup.history()).expect("history file");
    assert!(!String::from_utf8_lossy(&bytes).contains("s3cret"));
}

/// A `${VAR}` that is not set stops `config --check` and `watch` with status 2, naming the
/// file, the line and the key (it used to send `Authorization: Bearer `).
#[test]
fn an_unset_variable_in_a_header_is_a_config_error() {
    let setup = Setup::new(&webhook_config("http://127.0.0.1:9/hook").replace(
        "ML_MONITOR_TEST_PAGER_TOKEN",
        "ML_MONITOR_TEST_NEVER_SET_29",
    ));
    setup.window("w00.csv", true);
    for out in [
        bin(&["config", "--check"], &[&setup.config]),
        setup.once(&[]),
    ] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("monitor.toml: line 8: sinks[0].headers"),
            "{stderr}"
        );
        assert!(stderr.contains("ML_MONITOR_TEST_NEVER_SET_29"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}

// ---- 11. config errors -----------------------------------------------------------------------

/// `config --check` on the text: status 2 and one line naming the file, the line and the key.
fn check_fails(text: &str, line: usize, key: &str) {
    let root = tempfile::tempdir().expect("tmp");
    let path = root.path().join("c.toml");
    std::fs::write(&path, text).expect("write");
    let out = bin(&["config", "--check"], &[&path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{text}: one line: {stderr}"
    );
    assert!(stderr.contains("c.toml"), "{text}: {stderr}");
    assert!(
        stderr.contains(&format!("line {line}:")),
        "{text}: line {line}: {stderr}"
    );
    assert!(stderr.contains(key), "{text}: {key}: {stderr}");
}

#[test]
fn every_config_error_is_one_line_with_file_line_and_key() {
    let models = "[[models]]\nname = \"a\"\ndir = \"a\"\n";
    for (text, line, key) in [
        // An override's error at its own line, not at the [[models]] header.
        (
            format!("{models}[models.alerts]\naccuracy = 0.5\nprediction_shift = 7\n[models.drift.statistical]\nalpha = 7\n"),
            8,
            "alpha",
        ),
        (format!("{models}drift = {{ statistical = {{ alpha = 7 }} }}\n"), 4, "alpha"),
        (format!("{models}[models.drift]\nalhpa = 1\n"), 5, "alhpa"),
        (format!("{models}[models.drift.statistical]\nalpha = \"x\"\n"), 5, "alpha"),
        (
            "task = \"classification\"\n\n[[models]]\nname = \"a\"\n".to_string(),
            3,
            "dir",
        ),
        (format!("{models}colour = \"red\"\n"), 4, "colour"),
        (format!("{models}\n[[models]]\nname = \"a\"\ndir = \"b\"\n"), 6, "name"),
        // Type errors: one line, not a snippet.
        ("[drift.statistical]\nalpha = \"often\"\n".to_string(), 2, "alpha"),
        ("\n[alerts]\naccuracy = [1]\n".to_string(), 3, "accuracy"),
        ("[drift.statistical]\nalpah = 0.1\n".to_string(), 2, "alpah"),
        // Addresses are checked as `watch` checks them.
        ("[metrics]\naddr = \"not an addr\"\n".to_string(), 2, "metrics.addr"),
        ("[metrics]\naddr = \":99999\"\n".to_string(), 2, "metrics.addr"),
        // Nonsense.
        (
            "[columns]\nprediction = \"p\"\ntarget = \"p\"\n".to_string(),
            3,
            "columns.target",
        ),
        ("[alerts]\nprediction_shift = -0.1\n".to_string(), 2, "prediction_shift"),
        ("[alerts]\nmissing_rate_increase = -1\n".to_string(), 2, "missing_rate_increase"),
        ("[monitor]\nname = \"\"\n".to_string(), 2, "monitor.name"),
        ("[drift]\ndetectors = []\n".to_string(), 2, "drift.detectors"),
    ] {
        check_fails(&text, line, key);
    }
}

// ---- 12. reading a history -------------------------------------------------------------------

/// A history made by a `--once` run over one drifting window.
fn history_with_one_window() -> Setup {
    let setup = Setup::new("[alerts]\nprediction_shift = 0.5\n");
    setup.window("w00.csv", true);
    setup.window("w01.csv", false);
    let out = setup.once(&[]);
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 3),
        "{out:?}"
    );
    setup
}

/// One unreadable row: `history export` warns, skips it and exits 0 with the others.
#[test]
fn export_skips_an_unreadable_row_with_a_warning() {
    let setup = history_with_one_window();
    let conn = rusqlite::Connection::open(setup.history()).expect("open");
    conn.execute(
        "UPDATE results SET json = '{broken' WHERE window = 'w00.csv'",
        [],
    )
    .expect("break a row");
    for format in ["json", "csv"] {
        let out = bin(
            &["history", "export", "--format", format, "--history"],
            &[&setup.history()],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert!(
            stderr.contains("w00.csv") && stderr.contains("skipped"),
            "{stderr}"
        );
        assert!(stdout.contains("w01.csv"), "{stdout}");
        assert!(
            !stdout.contains("\"window\":\"w00.csv\"")
                && !stdout.lines().any(|l| l.starts_with("w00.csv")),
            "{stdout}"
        );
    }
}

/// A history on a read-only mount (a bind mount remounted read-only in a private mount
/// namespace, so nothing outlives the test) opens for `show`, `export` and `incidents`.
#[test]
fn a_history_on_a_read_only_mount_is_read() {
    let setup = history_with_one_window();
    let mount_point = setup.root.path().join("ro");
    std::fs::create_dir(&mount_point).expect("mount point");
    let probe = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind \"$1\" \"$2\" && mount -o remount,ro,bind \"$2\"")
        .arg("sh")
        .arg(setup.root.path())
        .arg(&mount_point)
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        let why = "unshare/mount unavailable (needs root)";
        assert!(
            std::env::var_os("ML_MONITOR_REQUIRE_EXTERNAL").is_none(),
            "read-only mount: {why}"
        );
        println!("SKIPPED: a_history_on_a_read_only_mount_is_read: {why}");
        return;
    }
    let read_only = mount_point.join("history.sqlite");
    for args in [
        "history show --history",
        "history export --format csv --history",
        "history incidents --since 1h --history",
    ] {
        let out = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c"])
            .arg(
                "mount --bind \"$1\" \"$2\" && mount -o remount,ro,bind \"$2\" \
                 && touch \"$2/probe\" 2>/dev/null && exit 99; shift 2; exec \"$@\"",
            )
            .arg("sh")
            .arg(setup.root.path())
            .arg(&mount_point)
            .arg(BIN)
            .args(args.split(' '))
            .arg(&read_only)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args}: {stderr}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("w0"),
            "{args}: {out:?}"
        );
    }
}
