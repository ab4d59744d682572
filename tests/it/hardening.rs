//! Regression tests for the hardening issue: nothing lost, nothing hangs, nothing silent.
//! Each test drives the real binary (or its history database) the way an adversarial user did:
//! non-finite figures, closed pipes, failing history writes, relative paths, unusable columns,
//! FIFOs and huge settings. Every wait has a deadline, so a regression fails instead of hanging.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support;
use support::headless::Headless;

use support::{into_closed_pipe, tempdir, wait_exit, window_csv, BIN};

/// A root with `windows/` (empty) and `reference.csv`.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempdir();
    let dir = root.path().join("windows");
    std::fs::create_dir(&dir).expect("mkdir");
    let reference = root.path().join("reference.csv");
    std::fs::write(&reference, window_csv(60, 0)).expect("reference");
    (root, dir, reference)
}

fn drop_file(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).expect("write tmp");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

/// Runs the binary to completion with a deadline; stdin is closed.
fn run(args: &[&std::ffi::OsStr], within: Duration) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let status = wait_exit(&mut child, within, &format!("{args:?}"));
    Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

/// `watch DIR --reference REF --once --format json EXTRA`, within a minute.
fn once_json(dir: &Path, reference: &Path, extra: &[&std::ffi::OsStr]) -> Output {
    let mut args = vec![
        os("watch"),
        dir.as_os_str(),
        os("--reference"),
        reference.as_os_str(),
        os("--once"),
        os("--format"),
        os("json"),
    ];
    args.extend_from_slice(extra);
    run(&args, Duration::from_secs(60))
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn export(history: &Path, format: &str) -> Output {
    run(
        &[
            os("history"),
            os("export"),
            os("--format"),
            os(format),
            os("--history"),
            history.as_os_str(),
        ],
        Duration::from_secs(30),
    )
}

/// A headless monitor whose stdout lines arrive on a channel and whose stderr is kept.
/// Makes every later result insert into the history at `path` fail, as a full disk would.
fn break_history(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open history");
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON results
         BEGIN SELECT RAISE(FAIL, 'simulated disk full'); END;",
    )
    .expect("trigger");
}

fn mend_history(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open history");
    conn.busy_timeout(Duration::from_secs(5)).expect("busy");
    conn.execute_batch("DROP TRIGGER refuse;")
        .expect("drop trigger");
}

/// Creates an empty history at `path` through the binary (a --once run on an empty directory).
fn create_history(reference: &Path, history: &Path) {
    let empty = tempdir();
    let out = run(
        &[
            os("watch"),
            empty.path().as_os_str(),
            os("--reference"),
            reference.as_os_str(),
            os("--once"),
            os("--history"),
            history.as_os_str(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

// ---- 1. non-finite figures -------------------------------------------------------------------

#[test]
fn a_non_finite_figure_is_kept_in_output_history_and_export() {
    let (root, dir, reference) = setup();
    let mut huge = window_csv(50, 1);
    huge = huge.replacen(",0.1,", ",1e200,", 1);
    assert!(huge.contains("1e200"));
    std::fs::write(dir.join("w1.csv"), &huge).expect("w1");
    std::fs::write(dir.join("w2.csv"), window_csv(50, 2)).expect("w2");
    let history = root.path().join("h.sqlite");
    let with_history = [os("--history"), history.as_os_str()];
    let out = once_json(&dir, &reference, &with_history);
    assert_ne!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 2, "both windows printed");
    assert_eq!(results[0]["window"], "w1.csv");
    assert_eq!(
        results[0]["predictions"]["std"],
        Value::Null,
        "overflowed std is null"
    );
    assert_eq!(results[1]["window"], "w2.csv");

    let exported = export(&history, "json");
    assert!(exported.status.success(), "{exported:?}");
    let stored: Vec<Value> = serde_json::from_slice(&exported.stdout).expect("valid JSON");
    assert_eq!(stored.len(), 2, "both windows stored");
    assert_eq!(stored[0]["predictions"]["std"], Value::Null);
    let csv = export(&history, "csv");
    assert!(csv.status.success(), "{csv:?}");
    let csv_text = String::from_utf8_lossy(&csv.stdout);
    assert_eq!(csv_text.lines().count(), 3);
    assert!(
        !csv_text.contains("NaN") && !csv_text.contains("inf"),
        "{csv_text}"
    );
    let show = run(
        &[
            os("history"),
            os("show"),
            os("--history"),
            history.as_os_str(),
        ],
        Duration::from_secs(30),
    );
    assert!(show.status.success(), "{show:?}");
    assert!(
        !String::from_utf8_lossy(&show.stdout).contains("NaN"),
        "{show:?}"
    );

    // A second run has nothing left to do: nothing was lost, nothing is repeated.
    let again = once_json(&dir, &reference, &with_history);
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(again.stdout.is_empty());
}

#[test]
fn a_regression_window_whose_error_overflows_is_kept() {
    let (root, dir, _) = setup();
    let reference = root.path().join("reg_ref.csv");
    let mut text = String::from("x,prediction,target\n");
    for i in 0..60 {
        text.push_str(&format!("{i},{}.5,{i}\n", i));
    }
    std::fs::write(&reference, &text).expect("ref");
    let window = text.replacen("\n3,3.5,3\n", "\n3,3.5,1e200\n", 1);
    std::fs::write(dir.join("w.csv"), window).expect("w");
    let history = root.path().join("h.sqlite");
    let out = once_json(
        &dir,
        &reference,
        &[
            os("--task"),
            os("regression"),
            os("--history"),
            history.as_os_str(),
        ],
    );
    assert_ne!(out.status.code(), Some(1), "{out:?}");
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["performance"]["mse"], Value::Null);
    let stored = export(&history, "json");
    assert!(stored.status.success(), "{stored:?}");
}

#[test]
fn a_window_that_cannot_be_stored_is_printed_and_once_exits_1() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    create_history(&reference, &history);
    break_history(&history);
    std::fs::write(dir.join("w1.csv"), window_csv(50, 1)).expect("w1");
    std::fs::write(dir.join("w2.csv"), window_csv(50, 2)).expect("w2");
    let out = once_json(&dir, &reference, &[os("--history"), history.as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 2, "every window still printed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("w1.csv") && stderr.contains("simulated disk full"),
        "{stderr}"
    );
}

// ---- 2. broken pipes -------------------------------------------------------------------------

#[test]
fn a_closed_stdout_ends_once_export_and_show_quietly_with_status_0() {
    let (root, dir, reference) = setup();
    for i in 0..3 {
        std::fs::write(dir.join(format!("w{i}.csv")), window_csv(50, i)).expect("w");
    }
    let history = root.path().join("h.sqlite");
    for format in ["json", "text"] {
        let out = into_closed_pipe(&[
            os("watch"),
            dir.as_os_str(),
            os("--reference"),
            reference.as_os_str(),
            os("--once"),
            os("--format"),
            os(format),
            os("--history"),
            history.as_os_str(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "--once --format {format}: {out:?}"
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let recorded = export(&history, "json");
    assert!(recorded.status.success(), "{recorded:?}");
    for format in ["json", "csv"] {
        let out = into_closed_pipe(&[
            os("history"),
            os("export"),
            os("--format"),
            os(format),
            os("--history"),
            history.as_os_str(),
        ]);
        assert_eq!(out.status.code(), Some(0), "export {format}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = into_closed_pipe(&[
        os("history"),
        os("show"),
        os("--history"),
        history.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "show: {out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = into_closed_pipe(&[os("config"), os("--print-default")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "config --print-default: {out:?}"
    );
    assert!(out.stderr.is_empty(), "{out:?}");
}

#[test]
fn headless_piped_into_head_exits_0_when_head_exits() {
    let (_root, dir, reference) = setup();
    std::fs::write(dir.join("w1.csv"), window_csv(50, 1)).expect("w1");
    let mut child = Command::new(BIN)
        .arg("watch")
        .arg(&dir)
        .arg("--reference")
        .arg(&reference)
        .args(["--headless", "--no-history"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // `| head -1`: read one line, then close the pipe; no further window ever arrives.
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    assert!(first.contains("w1.csv"), "{first}");
    let status = wait_exit(&mut child, Duration::from_secs(10), "--headless | head -1");
    let mut err = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err);
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(without_start_line(&err).is_empty(), "{err}");
}

/// `--headless` says once at start what it watches; nothing else may reach stderr.
fn without_start_line(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with("ml-monitor: watching "))
        .collect()
}

#[test]
fn headless_into_a_closed_pipe_exits_0_quietly() {
    let (_root, dir, reference) = setup();
    std::fs::write(dir.join("w1.csv"), window_csv(50, 1)).expect("w1");
    let out = into_closed_pipe(&[
        os("watch"),
        dir.as_os_str(),
        os("--reference"),
        reference.as_os_str(),
        os("--headless"),
        os("--no-history"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        without_start_line(&String::from_utf8_lossy(&out.stderr)).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- 3. history write failures in live mode ----------------------------------------------------

#[test]
fn headless_keeps_printing_when_the_history_fails_and_exits_nonzero_when_it_gives_up() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    create_history(&reference, &history);
    break_history(&history);
    let h = history.to_string_lossy().to_string();
    let mut m = Headless::start(None, &dir, &reference, &["--history", &h]);
    drop_file(&dir, "w1.csv", &window_csv(50, 1));
    let first = m.next(Duration::from_secs(30));
    assert_eq!(first["window"], "w1.csv", "printed although not stored");
    let status = wait_exit(&mut m.child, Duration::from_secs(60), "giving up");
    assert!(!status.success(), "gave up with a failure status");
    let stderr = m.stderr();
    assert!(stderr.contains("simulated disk full"), "{stderr}");
    assert!(stderr.contains("w1.csv"), "{stderr}");
}

#[test]
fn headless_retries_a_failed_history_write_until_it_succeeds() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    create_history(&reference, &history);
    break_history(&history);
    let h = history.to_string_lossy().to_string();
    let log = root.path().join("monitor.log");
    let log_arg = log.to_string_lossy().to_string();
    let mut m = Headless::start(
        None,
        &dir,
        &reference,
        &["--history", &h, "--log-file", &log_arg],
    );
    drop_file(&dir, "w1.csv", &window_csv(50, 1));
    assert_eq!(m.next(Duration::from_secs(30))["window"], "w1.csv");
    // Mended only after a write has failed and been put back for a retry.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("retrying")) {
        assert!(Instant::now() < deadline, "no retry logged; {}", m.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
    mend_history(&history);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stored: Vec<Value> =
            serde_json::from_slice(&export(&history, "json").stdout).unwrap_or_default();
        if stored.len() == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "never stored; {}", m.stderr());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(m.terminate().success(), "{}", m.stderr());
}

// ---- 5. relative watched directory ----------------------------------------------------------

#[test]
fn a_relative_directory_gets_file_events_so_a_pausing_writer_is_read_whole() {
    let (root, dir, _reference) = setup();
    let m = Headless::start(
        Some(root.path()),
        Path::new("windows"),
        Path::new("reference.csv"),
        &["--no-history"],
    );
    let text = window_csv(40, 3);
    let (head, tail) = text.split_at(text.len() / 2);
    let cut = head.rfind('\n').expect("a line") + 1;
    let (head, tail) = (&text[..cut], format!("{}{tail}", &head[cut..]));
    let mut file = std::fs::File::create(dir.join("slow.csv")).expect("create");
    file.write_all(head.as_bytes()).expect("write");
    file.flush().expect("flush");
    // Longer than two rescans (2 s each): without events the rescan takes it as done.
    std::thread::sleep(Duration::from_millis(4500));
    file.write_all(tail.as_bytes()).expect("write");
    drop(file);
    let result = m.next(Duration::from_secs(30));
    assert_eq!(result["window"], "slow.csv");
    assert_eq!(result["rows"], 40, "read once complete: {result}");
}

// ---- 4. header first, rows later -----------------------------------------------------------

#[test]
fn a_file_closed_with_only_its_header_is_processed_once_when_its_rows_arrive() {
    let (root, dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    let h = history.to_string_lossy().to_string();
    let mut m = Headless::start(None, &dir, &reference, &["--history", &h]);
    let text = window_csv(40, 4);
    let header_end = text.find('\n').expect("header") + 1;
    std::fs::write(dir.join("w.csv"), &text[..header_end]).expect("header");
    std::thread::sleep(Duration::from_millis(700));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("w.csv"))
        .expect("append");
    file.write_all(&text.as_bytes()[header_end..])
        .expect("rows");
    drop(file);
    let result = m.next(Duration::from_secs(30));
    assert_eq!(result["window"], "w.csv");
    assert_eq!(result["rows"], 40, "{result}");
    assert_eq!(result["error"], Value::Null);
    // A new version of the same file in the same run is a new window that says what it replaces.
    std::thread::sleep(Duration::from_millis(100));
    std::fs::write(dir.join("w.csv"), window_csv(45, 5)).expect("rewrite");
    let second = m.next(Duration::from_secs(30));
    assert_eq!(second["rows"], 45, "{second}");
    assert!(second["metadata"]["supersedes"].is_object(), "{second}");
    assert!(m.terminate().success());
    // After a restart nothing is recorded a second time.
    let mut m = Headless::start(None, &dir, &reference, &["--history", &h]);
    assert!(
        m.lines.recv_timeout(Duration::from_secs(3)).is_err(),
        "reprocessed after restart"
    );
    assert!(m.terminate().success());
    let stored: Vec<Value> =
        serde_json::from_slice(&export(&history, "json").stdout).expect("export");
    assert_eq!(stored.len(), 2);
}

// ---- 6. unusable data raises alerts -------------------------------------------------------

#[test]
fn an_unparsable_feature_and_a_vanished_prediction_column_raise_data_quality_alerts() {
    let (_root, dir, reference) = setup();
    let mut text = String::from("x,c,prediction,target\n");
    for i in 0..50 {
        text.push_str(&format!(
            "{},a,0.5,{}\n",
            ["inf", "1e400", "oops"][i % 3],
            i % 2
        ));
    }
    std::fs::write(dir.join("w1.csv"), text).expect("w1");
    let mut text = String::from("x,c,target\n");
    for i in 0..50 {
        text.push_str(&format!("{},b,{}\n", i % 10, i % 2));
    }
    std::fs::write(dir.join("w2.csv"), text).expect("w2");
    let mut text = String::from("x,c,prediction,target\n");
    for i in 0..50 {
        text.push_str(&format!("{},b,NaN,{}\n", i % 10, i % 2));
    }
    std::fs::write(dir.join("w3.csv"), text).expect("w3");
    let out = once_json(&dir, &reference, &[]);
    assert_ne!(out.status.code(), Some(0), "{out:?}");
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 3);
    let quality_alerts = |r: &Value| -> Vec<String> {
        r["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["kind"] == "data_quality")
            .map(|a| a["message"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let first = quality_alerts(&results[0]);
    assert!(
        first
            .iter()
            .any(|m| m.contains("\"x\"") && m.contains("invalid")),
        "{first:?}"
    );
    for r in &results[1..] {
        let alerts = quality_alerts(r);
        assert!(
            alerts.iter().any(|m| m.contains("\"prediction\"")),
            "{}: {alerts:?}",
            r["window"]
        );
    }
}

// ---- 7. inputs that hang or eat memory ------------------------------------------------------

#[test]
#[cfg(unix)]
fn fifos_and_devices_are_refused_as_reference_config_and_window() {
    let (root, dir, reference) = setup();
    let fifo = root.path().join("fifo.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for bad in [fifo.as_path(), Path::new("/dev/zero")] {
        let out = run(
            &[
                os("watch"),
                dir.as_os_str(),
                os("--reference"),
                bad.as_os_str(),
                os("--once"),
            ],
            Duration::from_secs(20),
        );
        assert_eq!(out.status.code(), Some(2), "--reference {bad:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a regular file"), "{err}");
        let out = run(
            &[
                os("watch"),
                dir.as_os_str(),
                os("--reference"),
                reference.as_os_str(),
                os("--config"),
                bad.as_os_str(),
                os("--once"),
            ],
            Duration::from_secs(20),
        );
        assert_eq!(out.status.code(), Some(2), "--config {bad:?}: {out:?}");
        let out = run(
            &[os("config"), os("--check"), bad.as_os_str()],
            Duration::from_secs(20),
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "config --check {bad:?}: {out:?}"
        );
    }
    // A single window named on the command line that is a device.
    let out = run(
        &[
            os("watch"),
            os("/dev/zero"),
            os("--reference"),
            reference.as_os_str(),
            os("--once"),
        ],
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn size_like_settings_are_bounded_with_a_one_line_message() {
    let root = tempdir();
    for (toml, key) in [
        ("[drift.statistical]\npsi_bins = 1000000000\n", "psi_bins"),
        ("[drift.classifier]\nmax_rows = 2\n", "max_rows"),
        ("[drift.classifier]\nfolds = 100000\n", "folds"),
        (
            "[drift.statistical]\nmin_sample_size = 0\n",
            "min_sample_size",
        ),
        (
            "[drift.classifier]\nmax_iterations = 100000000\n",
            "max_iterations",
        ),
        ("[alerts]\nmax_history = 0\n", "max_history"),
        ("[tui]\ntheme = \"blue\"\n", "tui.theme"),
    ] {
        let path = root.path().join("c.toml");
        std::fs::write(&path, toml).expect("write");
        let out = run(
            &[os("config"), os("--check"), path.as_os_str()],
            Duration::from_secs(20),
        );
        assert_eq!(out.status.code(), Some(2), "{toml}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{toml}: {err}");
        assert!(err.contains("line"), "names the line: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn a_window_larger_than_max_window_bytes_is_an_error_result_naming_the_file() {
    let (_root, dir, reference) = setup();
    std::fs::write(dir.join("big.csv"), window_csv(500, 1)).expect("big");
    std::fs::write(dir.join("small.csv"), window_csv(40, 1)).expect("small");
    let out = once_json(&dir, &reference, &[os("--max-window-bytes"), os("5000")]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let results = json_lines(&out.stdout);
    assert_eq!(results.len(), 2);
    let big = &results[0];
    assert_eq!(big["window"], "big.csv");
    let message = big["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("big.csv") && message.contains("--max-window-bytes"),
        "{big}"
    );
    assert_eq!(results[1]["error"], Value::Null);
    let bad = run(
        &[
            os("watch"),
            dir.as_os_str(),
            os("--reference"),
            reference.as_os_str(),
            os("--once"),
            os("--max-window-bytes"),
            os("0"),
        ],
        Duration::from_secs(20),
    );
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

// ---- 9. errors say things once and name the line ----------------------------------------------

#[test]
fn config_value_errors_name_the_line() {
    let root = tempdir();
    let path = root.path().join("c.toml");
    std::fs::write(
        &path,
        "task = \"classification\"\n\n[drift.statistical]\nalpha = 2.0\n",
    )
    .expect("write");
    let out = run(
        &[os("config"), os("--check"), path.as_os_str()],
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4") && err.contains("alpha"), "{err}");
}

#[test]
fn a_history_error_says_its_cause_once() {
    let (root, _dir, reference) = setup();
    let history = root.path().join("h.sqlite");
    create_history(&reference, &history);
    {
        let conn = rusqlite::Connection::open(&history).expect("open");
        conn.execute(
            "INSERT INTO results (window, timestamp, timestamp_us, rows, error, json)
             VALUES ('w.csv', 't', 0, 0, 0, '{not json')",
            [],
        )
        .expect("insert");
    }
    // The unreadable row is skipped with a warning (issue 29): the export goes on and ends 0.
    let out = export(&history, "json");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("w.csv") && err.contains("skipped"), "{err}");
    assert_eq!(err.matches("key must be a string").count(), 1, "{err}");
}

#[test]
fn monitors_started_at_the_same_instant_on_a_new_history_all_open_it() {
    let (root, _dir, reference) = setup();
    let empty = tempdir();
    for round in 0..6 {
        let history = root.path().join(format!("h{round}.sqlite"));
        let children: Vec<Child> = (0..6)
            .map(|_| {
                Command::new(BIN)
                    .arg("watch")
                    .arg(empty.path())
                    .arg("--reference")
                    .arg(&reference)
                    .arg("--once")
                    .arg("--history")
                    .arg(&history)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("starts")
            })
            .collect();
        for mut child in children {
            let status = wait_exit(&mut child, Duration::from_secs(30), "concurrent open");
            let mut err = String::new();
            let _ = child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err);
            assert_eq!(status.code(), Some(0), "round {round}: {err}");
        }
    }
}
