//! Regression tests for issue 29, items 1 to 7 (the I/O half of the second hardening pass),
//! driving the real binary: one directory per process, strict quotes, sink commands that never
//! outlive the monitor, quiet ends on a closed or full stdout, window errors recorded once.

use std::fs::File;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support;

use support::{wait_exit, window_csv, Setup, BIN};

/// Status and stderr of the command with its stdout a pipe closed before it writes.
fn into_closed_pipe(args: &[String]) -> (ExitStatus, String) {
    let out = support::into_closed_pipe(args);
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Status and stderr of the command with its stdout `/dev/full`.
fn into_full_device(args: &[String]) -> (ExitStatus, String) {
    let full = File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("runs");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn every_printing_command_ends_quietly_on_a_closed_or_full_stdout() {
    if !Path::new("/dev/full").exists() {
        println!("SKIPPED: no /dev/full");
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("windows");
    std::fs::create_dir(&dir).expect("mkdir");
    let reference = root.path().join("reference.csv");
    std::fs::write(&reference, window_csv(60, 0)).expect("reference");
    for i in 0..3 {
        std::fs::write(dir.join(format!("w{i}.csv")), window_csv(50, i)).expect("w");
    }
    let history = root.path().join("h.sqlite");
    let config = root.path().join("c.toml");
    std::fs::write(&config, "[monitor]\nname = \"churn\"\n").expect("config");
    let once = Command::new(BIN)
        .args([
            "watch",
            &path(&dir),
            "--reference",
            &path(&reference),
            "--once",
        ])
        .args(["--history", &path(&history)])
        .stdout(Stdio::null())
        .status()
        .expect("once");
    assert!(once.code().is_some_and(|c| c != 1 && c != 2), "{once:?}");
    let h = path(&history);
    let r = path(&reference);
    let commands: Vec<Vec<String>> = vec![
        s(&["completions", "bash"]),
        s(&["completions", "zsh"]),
        s(&["man"]),
        s(&[
            "profile-sql",
            "--reference",
            &r,
            "--table",
            "t",
            "--dialect",
            "duckdb",
        ]),
        s(&[
            "profile-sql",
            "--reference",
            &r,
            "--table",
            "t",
            "--dialect",
            "spark",
        ]),
        s(&["config", "--print-default"]),
        s(&["config", "--check", &path(&config)]),
        s(&["history", "show", "--history", &h]),
        s(&["history", "export", "--format", "json", "--history", &h]),
        s(&["history", "export", "--format", "csv", "--history", &h]),
        s(&["history", "incidents", "--history", &h]),
        s(&[
            "watch",
            &path(&dir),
            "--reference",
            &r,
            "--once",
            "--format",
            "json",
        ]),
        s(&[
            "watch",
            &path(&dir),
            "--reference",
            &r,
            "--once",
            "--format",
            "text",
        ]),
    ];
    for args in &commands {
        let (status, err) = into_closed_pipe(args);
        let code = status.code();
        // `--once` keeps its alert status (0, 3 or 4); nothing else may be said or fail.
        assert!(
            code == Some(0) || (args[0] == "watch" && matches!(code, Some(3 | 4))),
            "{args:?} into a closed pipe: {status:?} {err}"
        );
        assert!(err.is_empty(), "{args:?} into a closed pipe said: {err}");
        let (status, err) = into_full_device(args);
        assert_eq!(status.code(), Some(1), "{args:?} > /dev/full: {err}");
        assert!(!err.contains("panicked"), "{args:?} > /dev/full: {err}");
        assert!(
            err.contains("No space left on device"),
            "{args:?} > /dev/full: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

/// `watch FILE --once --format json` with the history off: the result lines.
fn once_results(file: &Path, reference: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(BIN)
        .args([
            "watch",
            &path(file),
            "--reference",
            &path(reference),
            "--once",
        ])
        .args(["--format", "json"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

// ---- 2. strict quotes ------------------------------------------------------------------------

#[test]
fn an_unclosed_quote_is_a_malformed_error_naming_its_line_and_column() {
    let root = tempfile::tempdir().expect("tempdir");
    let reference = root.path().join("reference.csv");
    std::fs::write(&reference, window_csv(60, 0)).expect("reference");
    let text = window_csv(500, 1);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Data row 1's last field becomes `"0` (the issue's case: 499 rows vanished), then an
    // earlier field of row 3 opens a quote (it was reported as a ragged row).
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    cells[3] = "\"0";
    lines[1] = cells.join(",");
    let last = root.path().join("last.csv");
    std::fs::write(&last, lines.join("\n") + "\n").expect("w");
    let results = once_results(&last, &reference);
    assert_eq!(results.len(), 1, "{results:?}");
    let error = &results[0]["error"];
    assert_eq!(error["kind"], "malformed", "{results:?}");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("line 2") && message.contains("column "),
        "{message}"
    );
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[3] = format!("\"{}", lines[3]);
    let earlier = root.path().join("earlier.csv");
    std::fs::write(&earlier, lines.join("\n") + "\n").expect("w");
    let results = once_results(&earlier, &reference);
    let error = &results[0]["error"];
    assert_eq!(error["kind"], "malformed", "{results:?}");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("line 4") && message.contains("column 1"),
        "{message}"
    );
}

// ---- 3. sink commands never outlive the monitor ---------------------------------------------

/// Processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(marker) {
            found.push(format!(
                "{}: {cmdline}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A config whose command sink starts a `sleep` in the background and one in the foreground,
/// both named by `marker` (a duration no other process uses).
fn sleeping_sink(marker: &str, timeout: &str) -> String {
    format!(
        "[[sinks]]\ntype = \"command\"\ncommand = [\"/bin/sh\", \"-c\", \"sleep {marker} & sleep {marker}\"]\ntimeout = \"{timeout}\"\n"
    )
}

#[test]
fn a_sink_command_is_killed_with_its_group_at_its_timeout_and_when_the_monitor_ends() {
    if !Path::new("/proc/self/cmdline").exists() {
        println!("SKIPPED: no /proc to look for processes in");
        return;
    }
    let id = std::process::id();
    // 1. The sink's timeout (1 s) passes while `--once` waits for delivery (3 s).
    let marker = format!("3600.{id}1");
    let setup = Setup::new(&sleeping_sink(&marker, "1s"));
    setup.window("w00.csv", true);
    let out = setup.once(&["--sink-timeout", "3s"]);
    assert!(out.status.code().is_some_and(|c| c >= 3), "{out:?}");
    wait_until(Duration::from_secs(5), "no sink process left", || {
        processes_with(&marker).is_empty()
    });
    // 2. `--once` returns (after 1 s) while the program runs (its timeout is 60 s).
    let marker = format!("3600.{id}2");
    let setup = Setup::new(&sleeping_sink(&marker, "60s"));
    setup.window("w00.csv", true);
    let started = Instant::now();
    let out = setup.once(&["--sink-timeout", "1s"]);
    assert!(out.status.code().is_some_and(|c| c >= 3), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    wait_until(Duration::from_secs(5), "no sink process left", || {
        processes_with(&marker).is_empty()
    });
    // 3. SIGTERM to `--headless` while the program runs.
    let marker = format!("3600.{id}3");
    let setup = Setup::new(&sleeping_sink(&marker, "60s"));
    let mut child = setup.headless();
    let lines = support::lines_of(&mut child);
    setup.window("w00.csv", true);
    lines
        .recv_timeout(Duration::from_secs(60))
        .expect("the window's result");
    wait_until(Duration::from_secs(30), "the sink program started", || {
        processes_with(&marker).len() >= 2
    });
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = wait_exit(
        &mut child,
        Duration::from_secs(60),
        "--headless after SIGTERM",
    );
    assert_eq!(status.code(), Some(0));
    wait_until(Duration::from_secs(5), "no sink process left", || {
        processes_with(&marker).is_empty()
    });
}

// ---- 1. one directory, one model, one process ------------------------------------------------

#[test]
fn a_directory_named_twice_is_refused_naming_both() {
    let setup = Setup::new("");
    setup.window("w00.csv", false);
    let out = Command::new(BIN)
        .current_dir(setup.root.path())
        .args(["watch", "churn", "churn", "./churn", "--reference"])
        .arg(&setup.reference)
        .args(["--once", "--no-history"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("same directory") && err.matches("churn").count() >= 3,
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let config = setup.root.path().join("fleet.toml");
    std::fs::write(
        &config,
        "[[models]]\nname = \"a\"\ndir = \"churn\"\n\n[[models]]\nname = \"b\"\ndir = \"./churn/../churn\"\n",
    )
    .expect("config");
    for args in [
        vec![
            "watch".to_string(),
            "--config".into(),
            path(&config),
            "--once".into(),
        ],
        vec!["config".to_string(), "--check".into(), path(&config)],
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .args(if args[0] == "watch" {
                vec!["--reference".to_string(), path(&setup.reference)]
            } else {
                Vec::new()
            })
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("model \"a\"")
                && err.contains("model \"b\"")
                && err.contains("same directory"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_second_monitor_on_a_held_history_refuses_to_start_until_the_first_is_gone() {
    let setup = Setup::new("");
    let mut first = setup.headless();
    let lines = support::lines_of(&mut first);
    setup.window("w00.csv", false);
    lines
        .recv_timeout(Duration::from_secs(60))
        .expect("the first monitor's result");
    // A second live monitor on the same directory (so the same history): refused at once.
    let second = Command::new(BIN)
        .arg("watch")
        .arg(&setup.dir)
        .arg("--reference")
        .arg(&setup.reference)
        .args(["--headless", "--poll", "100ms"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(5), "{err}");
    assert!(
        err.contains("another ml-monitor") && err.contains(&format!("pid {}", first.id())),
        "{err}"
    );
    assert!(
        second.stdout.is_empty(),
        "the second monitor printed results"
    );
    // `kill -9` leaves no lock behind: the next monitor starts and takes new windows.
    first.kill().expect("kill -9");
    let _ = first.wait();
    let mut third = setup.headless();
    let lines = support::lines_of(&mut third);
    setup.window("w01.csv", true);
    let (_, line) = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("the third monitor's result");
    assert!(line.contains("w01.csv"), "{line}");
    let _ = third.kill();
    let _ = third.wait();
}

// ---- 5. a window error is recorded once per file version -------------------------------------

#[test]
fn an_unreadable_file_version_is_reported_once_across_restarts() {
    use std::io::Write as _;
    let setup = Setup::new("");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(support::csv(400, 3, 0.0).as_bytes())
        .expect("gzip");
    let whole = gz.finish().expect("gzip");
    std::fs::write(setup.dir.join("w00.csv.gz"), &whole[..whole.len() / 2]).expect("w00");
    // A Parquet file without its footer.
    std::fs::write(setup.dir.join("w01.parquet"), b"PAR1 not a footer").expect("w01");
    let results = |out: &std::process::Output| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect()
    };
    let first = setup.once(&[]);
    let got = results(&first);
    assert_eq!(got.len(), 2, "{first:?}");
    assert!(
        got.iter().all(|r| r["error"]["kind"] == "unreadable"),
        "{got:?}"
    );
    let incidents = setup.incidents(&setup.history());
    assert!(!incidents.is_empty(), "the error raised an incident");
    for restart in 0..2 {
        let again = setup.once(&[]);
        assert!(
            results(&again).is_empty(),
            "restart {restart}: the same unchanged files reported again: {again:?}"
        );
    }
    let after = setup.incidents(&setup.history());
    assert_eq!(
        after, incidents,
        "no incident opened or changed by a restart"
    );
    // A new version that still fails is reported (and its incident updated) once more.
    std::fs::write(setup.dir.join("w00.csv.gz"), &whole[..whole.len() / 3]).expect("w00");
    let changed = setup.once(&[]);
    let got = results(&changed);
    assert_eq!(got.len(), 1, "{changed:?}");
    assert_eq!(got[0]["window"], "w00.csv.gz");
}

// ---- 7. the decode cap bounds memory ---------------------------------------------------------

/// Peak resident memory of the largest child waited for so far, in bytes.
fn children_peak_rss() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024
}

#[test]
fn a_gzip_bomb_is_refused_without_holding_what_it_decompresses_to() {
    use std::io::Write as _;
    let setup = Setup::new("");
    // 1 MB of rows compressed once, the member repeated: 400 MB once inflated (concatenated
    // members are one stream, as `gzip -d` reads them).
    let mut text = String::from("x,y\n");
    while text.len() < 1 << 20 {
        text.push_str("0.5,1.5\n");
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(text.as_bytes()).expect("gzip");
    let member = gz.finish().expect("gzip");
    let bomb: Vec<u8> = member.repeat(400);
    std::fs::write(setup.dir.join("bomb.csv.gz"), &bomb).expect("bomb");
    let out = Command::new(BIN)
        .arg("watch")
        .arg(&setup.dir)
        .arg("--reference")
        .arg(&setup.reference)
        .args(["--once", "--format", "json", "--no-history"])
        .args(["--max-window-bytes", "300M"])
        .output()
        .expect("runs");
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.contains("--max-window-bytes 300000000"), "{out:?}");
    let peak = children_peak_rss();
    // It used to hold the 300 MB it had inflated before it looked at the count.
    assert!(peak < 150 << 20, "peak resident memory {} MB", peak >> 20);
}

/// The highest resident memory (`VmHWM`) seen of a child while it runs, polled every few
/// milliseconds. Not `getrusage`: a child's `ru_maxrss` starts from the test process's own peak
/// (the memory it had when it spawned the child counts), and other tests share this process.
fn run_for_peak_rss(command: &mut Command) -> (std::process::Output, u64) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    while child.try_wait().expect("wait").is_none() {
        let hwm = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .unwrap_or(0);
        peak = peak.max(hwm * 1024);
        std::thread::sleep(Duration::from_millis(3));
    }
    (child.wait_with_output().expect("output"), peak)
}

/// Issue 29 item 7: a CSV window costs its columns, not its text. 100 MB of text whose one
/// feature makes 8 MB of column: the text used to be held whole while it was parsed.
#[test]
fn a_large_csv_window_is_parsed_without_holding_its_text() {
    let root = support::tempdir();
    let dir = root.path().join("w");
    std::fs::create_dir(&dir).expect("dir");
    let reference = root.path().join("reference.csv");
    let mut text = String::from("x\n");
    for i in 0..400 {
        text.push_str(&format!("{}\n", i % 37));
    }
    std::fs::write(&reference, text).expect("reference");
    let pad = "p".repeat(90);
    let mut window = String::with_capacity(100 << 20);
    window.push_str("x,pad\n");
    let mut rows = 0;
    while window.len() < 100 << 20 {
        window.push_str(&format!("{},{pad}\n", rows % 41));
        rows += 1;
    }
    let text_bytes = window.len() as u64;
    std::fs::write(dir.join("big.csv"), window).expect("window");
    let (out, peak) = run_for_peak_rss(
        Command::new(BIN)
            .arg("watch")
            .arg(&dir)
            .arg("--reference")
            .arg(&reference)
            .args(["--once", "--format", "json", "--no-history"]),
    );
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.contains(&format!("\"rows\":{rows}")), "{out:?}");
    assert!(peak > 0, "no reading of the child's memory");
    assert!(
        peak < text_bytes * 4 / 5,
        "peak resident memory {} MB for {} MB of text",
        peak >> 20,
        text_bytes >> 20
    );
}
