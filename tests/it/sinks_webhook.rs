//! Webhook and command sinks through the real binary and a local HTTP receiver.

use crate::support;

use std::time::{Duration, Instant};

use support::{lines_of, Killed, Receiver, Setup};

fn webhook_config(url: &str) -> String {
    format!(
        "[alerts]\nprediction_shift = 0.5\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"{url}\"\ntimeout = \"2s\"\nheaders = {{ Authorization = \"Bearer ${{ML_MONITOR_TEST_PAGER_TOKEN}}\" }}\n"
    )
}

#[test]
fn twenty_windows_of_the_same_drift_page_once_per_problem() {
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    let setup = Setup::new(&webhook_config(&receiver.url));
    for i in 0..20 {
        setup.window(&format!("w{i:02}.csv"), true);
    }
    let out = setup.once(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("not delivered"), "{stderr}");
    // x and y drift from the same window: one problem, both its members, one page.
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    let members: Vec<&str> = bodies[0]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["feature"].as_str())
        .collect();
    assert_eq!(members, vec!["x", "y"], "{bodies:#?}");
    for b in &bodies {
        assert_eq!(b["status"], "firing");
        assert_eq!(b["change"], "opened");
        assert_eq!(b["kind"], "data_drift");
        assert_eq!(b["level"], "WARNING");
        assert_eq!(b["monitor"], "churn");
        assert_eq!(b["first_window"], "w00.csv");
        assert!(b["id"].as_str().is_some_and(|id| id.starts_with("churn/")));
    }
    // The JSON lines say the same: one opening in the first window, nothing after.
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 20);
    assert_eq!(lines[0]["incidents"].as_array().map(Vec::len), Some(1));
    assert!(lines[1..]
        .iter()
        .all(|l| l["incidents"].as_array().is_some_and(Vec::is_empty)));
    // The history has the problem, still firing, seen in 20 windows.
    let incidents = setup.incidents(&setup.history());
    assert_eq!(incidents.len(), 1);
    assert!(incidents
        .iter()
        .all(|i| i["status"] == "firing" && i["windows"] == 20));
    // The header's secret was expanded at send time and is nowhere in the history.
    let auth = receiver
        .authorizations
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    assert_eq!(auth, vec!["Bearer s3cret-13"; 1]);
    let history = std::fs::read(setup.history()).expect("history");
    let history = String::from_utf8_lossy(&history);
    assert!(!history.contains("Bearer") && !history.contains("s3cret"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("s3cret"));
}

#[test]
fn a_clean_window_sends_resolved_with_the_same_incident() {
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    let setup = Setup::new(&webhook_config(&receiver.url));
    setup.window("w00.csv", true);
    setup.window("w01.csv", false);
    let out = setup.once(&[]);
    assert!(out.status.success() || out.status.code() == Some(3));
    // One problem (x and y): opened, then resolved with the same problem id; or, when both
    // changes were queued before the sender's pass, only its latest state, resolved (a sink
    // is owed each problem's latest change).
    let bodies = receiver.bodies();
    assert!((1..=2).contains(&bodies.len()), "{bodies:#?}");
    let last = &bodies[bodies.len() - 1];
    assert_eq!(last["status"], "resolved", "{bodies:#?}");
    assert_eq!(last["problem_id"], 1);
    assert_eq!(last["last_window"], "w00.csv");
    assert_eq!(last["first_window"], "w00.csv");
    if let [first, _] = bodies.as_slice() {
        assert_eq!(first["status"], "firing");
        assert_eq!(first["problem_id"], 1);
        assert_ne!(first["id"], last["id"]);
    }
    // `history incidents`: none open, the problem listed as resolved in the table.
    let history = |args: &[&str]| {
        let out = std::process::Command::new(support::BIN)
            .args(["history", "incidents", "--history"])
            .arg(setup.history())
            .args(args)
            .output()
            .expect("runs");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(history(&["--open"]).lines().nth(1), Some("no incidents"));
    let all = history(&["--since", "1h"]);
    assert_eq!(
        // The first line is the heading (it has a `resolved` column).
        all.lines()
            .skip(1)
            .filter(|l| l.contains("resolved"))
            .count(),
        1,
        "{all}"
    );
    assert!(all.contains("data_drift") && all.contains(" x "), "{all}");
}

#[test]
fn a_500_then_200_is_delivered_after_a_retry() {
    let receiver = Receiver::start(Box::new(|n| Some(if n == 0 { 500 } else { 200 })));
    let setup = Setup::new(
        &webhook_config(&receiver.url).replace("[[sinks]]", "[[sinks]]\nmin_level = \"warning\""),
    );
    setup.window("w00.csv", true);
    let out = setup.once(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("not delivered"), "{stderr}");
    let bodies = receiver.bodies();
    // The problem (500), then the same change again (200).
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert_eq!(
        bodies[0]["id"], bodies[1]["id"],
        "the retry is the same change"
    );
}

#[test]
fn a_4xx_is_refused_for_good_and_said() {
    let receiver = Receiver::start(Box::new(|_| Some(400)));
    let setup = Setup::new(&webhook_config(&receiver.url));
    setup.window("w00.csv", true);
    let out = setup.once(&["--sink-timeout", "5s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused") && stderr.contains("HTTP 400"),
        "{stderr}"
    );
    // The change was tried once: a 400 is not retried.
    assert_eq!(receiver.bodies().len(), 1);
}

#[test]
fn once_says_what_was_not_delivered_when_the_receiver_is_down() {
    let port = support::free_port();
    let setup = Setup::new(&webhook_config(&format!("http://127.0.0.1:{port}/hook")));
    setup.window("w00.csv", true);
    let started = Instant::now();
    let out = setup.once(&["--sink-timeout", "1s"]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("sink webhook: 1 incident change(s) not delivered"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");
    // They wait in the outbox: a later run with the receiver up delivers them.
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    std::fs::write(&setup.config, webhook_config(&receiver.url)).expect("config");
    let out = setup.once(&[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not delivered"));
    assert_eq!(receiver.bodies().len(), 1);
}

#[test]
fn a_malformed_sink_stops_the_start_with_status_2_naming_file_line_and_key() {
    let setup = Setup::new(
        "[alerts]\naccuracy = 0.5\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"ftp://x\"\n",
    );
    setup.window("w00.csv", true);
    let out = setup.once(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("monitor.toml"), "{stderr}");
    assert!(stderr.contains("line 6"), "{stderr}");
    assert!(stderr.contains("sinks[0].url"), "{stderr}");
    // `config --check` says the same.
    let out = std::process::Command::new(support::BIN)
        .args(["config", "--check"])
        .arg(&setup.config)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sinks[0].url"));
}

#[test]
fn a_command_sink_gets_the_json_on_stdin() {
    let setup = Setup::new("");
    let out_file = setup.root.path().join("got.jsonl");
    let script = setup.root.path().join("sink.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat >> {}\necho >> {}\n",
            out_file.display(),
            out_file.display()
        ),
    )
    .expect("script");
    std::fs::write(
        &setup.config,
        format!(
            "[[sinks]]\ntype = \"command\"\ncommand = [\"/bin/sh\", \"{}\"]\n",
            script.display()
        ),
    )
    .expect("config");
    setup.window("w00.csv", true);
    let out = setup.once(&[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not delivered"));
    let got = std::fs::read_to_string(&out_file).expect("command ran");
    let docs: Vec<serde_json::Value> = got
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(docs.len(), 1, "{got}");
    assert!(docs.iter().all(|d| d["status"] == "firing"));
}

/// Latency from a window file's rename to its JSON line, per window, with a sink.
fn latencies(setup: &Setup, windows: usize) -> Vec<Duration> {
    let mut child = Killed(setup.headless());
    let lines = lines_of(&mut child.0);
    let mut out = Vec::new();
    for i in 0..windows {
        let written = Instant::now();
        setup.window(&format!("w{i:02}.csv"), i % 2 == 0);
        let (at, _) = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a JSON line per window");
        out.push(at.duration_since(written));
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn a_receiver_that_never_answers_does_not_delay_windows() {
    // Baseline: a receiver that answers at once.
    let quick = Receiver::start(Box::new(|_| Some(200)));
    let base = latencies(&Setup::new(&webhook_config(&quick.url)), 8);
    // A receiver that accepts and never answers (the sink's timeout is 2 s).
    let hung = Receiver::start(Box::new(|_| None));
    let slow = latencies(&Setup::new(&webhook_config(&hung.url)), 8);
    assert!(!hung.bodies().is_empty(), "the hung receiver was asked");
    let (b, s) = (median(base.clone()), median(slow.clone()));
    eprintln!("window latency, answering receiver: median {b:?} of {base:?}");
    eprintln!("window latency, hung receiver: median {s:?} of {slow:?}");
    // A window that waited for the hung receiver would wait its whole 2 s timeout; the margin
    // of 1 s leaves room for a loaded machine's noise and still catches that.
    assert!(
        s < b + Duration::from_secs(1),
        "hung receiver: median {s:?} vs {b:?}"
    );
}

/// A webhook whose `Authorization` carries `${ML_MONITOR_TEST_SLASH_TOKEN}`.
fn slash_token_config(url: &str) -> String {
    webhook_config(url).replace("ML_MONITOR_TEST_PAGER_TOKEN", "ML_MONITOR_TEST_SLASH_TOKEN")
}

/// Issue 29, item 9: a receiver that quotes the token back escaped, as receivers do (`\/` in
/// PHP's JSON, percent-encoded in a URL), first with a 503 (retried) and then a 401 (refused):
/// the token is on neither stderr nor anywhere in the history, in any of its forms.
#[test]
fn a_token_quoted_back_escaped_is_hidden_too() {
    const TOKEN: &str = "s3cret/29+x==";
    let receiver = Receiver::start_with_body(
        Box::new(|n| Some(if n == 0 { 503 } else { 401 })),
        r#"{"error": "invalid credentials: Bearer s3cret\/29+x==", "see": "/login?token=s3cret%2F29%2Bx%3D%3D"}"#.into(),
    );
    let setup = Setup::new(&slash_token_config(&receiver.url));
    setup.window("w00.csv", true);
    let out = support::once_command(
        &setup.dir,
        &setup.reference,
        &setup.config,
        &setup.history(),
    )
    .args(["--sink-timeout", "10s"])
    .env("ML_MONITOR_TEST_SLASH_TOKEN", TOKEN)
    .output()
    .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let sent = receiver
        .authorizations
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    assert_eq!(sent.len(), 2, "a retry, then refused: {stderr}");
    assert!(
        sent.iter().all(|a| a == &format!("Bearer {TOKEN}")),
        "{sent:?}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(
        stderr.contains("Bearer ***") && stderr.contains("token=***"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    setup.assert_outbox_errors_hide_the_token();
    for file in std::fs::read_dir(setup.root.path()).expect("dir") {
        let path = file.expect("entry").path();
        if path.to_string_lossy().contains("history.sqlite") {
            let bytes = std::fs::read(&path).expect("history file");
            assert!(
                !String::from_utf8_lossy(&bytes).contains("s3cret"),
                "{path:?}"
            );
        }
    }
}

/// An empty `${VAR}` stops `config --check` and `watch` with status 2 naming the file, line,
/// key and variable, as an unset one does (it used to send `Authorization: Bearer `).
#[test]
fn an_empty_variable_in_a_header_is_a_config_error() {
    let setup = Setup::new(&slash_token_config("http://127.0.0.1:9/hook"));
    setup.window("w00.csv", true);
    let check = std::process::Command::new(support::BIN)
        .args(["config", "--check"])
        .arg(&setup.config)
        .env("ML_MONITOR_TEST_SLASH_TOKEN", "")
        .output()
        .expect("runs");
    let once = support::once_command(
        &setup.dir,
        &setup.reference,
        &setup.config,
        &setup.history(),
    )
    .env("ML_MONITOR_TEST_SLASH_TOKEN", "")
    .output()
    .expect("runs");
    for out in [check, once] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("monitor.toml: line 8: sinks[0].headers"),
            "{stderr}"
        );
        assert!(
            stderr.contains("ML_MONITOR_TEST_SLASH_TOKEN") && stderr.contains("is empty"),
            "{stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}

/// Issue 29, item 6: `--headless` has no status line, so its stderr says when a sink fails
/// (or lags), with how many changes wait.
#[test]
fn headless_says_on_stderr_which_sink_fails_and_what_waits() {
    let port = support::free_port();
    let setup = Setup::new(&webhook_config(&format!("http://127.0.0.1:{port}/hook")));
    let mut monitor = Killed(
        std::process::Command::new(support::BIN)
            .arg("watch")
            .arg(&setup.dir)
            .arg("--reference")
            .arg(&setup.reference)
            .arg("--config")
            .arg(&setup.config)
            .args(["--detectors", "ks", "--headless", "--poll", "100ms"])
            .env("ML_MONITOR_TEST_PAGER_TOKEN", "s3cret-13")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts"),
    );
    let stderr = monitor.0.stderr.take().expect("stderr");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    setup.window("w00.csv", true);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no line on the sink: {seen:#?}"));
        if line.contains("sinks: webhook: retrying, 1 queued") {
            assert!(line.starts_with("ml-monitor: "), "{line}");
            break;
        }
        seen.push(line);
    }
}
