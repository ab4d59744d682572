//! Silences and runbooks through the real binary: `silence add|list|expire`, their bad input,
//! a silence that holds across a restart and lets go when it ends (a real webhook receiver on
//! 127.0.0.1), and `runbook_url` in webhook documents and in a real Alertmanager's annotations.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{alertmanager_binary, Alertmanager, Receiver, Setup, BIN};

const RUNBOOKS: &str =
    "[alerts.runbooks]\ndata_drift = \"https://wiki.example/runbooks/{kind}/{feature}?m={monitor}\"\n";

fn webhook_config(url: &str) -> String {
    format!("{RUNBOOKS}\n[[sinks]]\ntype = \"webhook\"\nurl = \"{url}\"\ntimeout = \"2s\"\n")
}

fn silence(history: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("silence")
        .args(args)
        .arg("--history")
        .arg(history)
        .env("USER", "ana")
        .output()
        .expect("runs")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Adds a silence and returns its id.
fn add(history: &Path, matchers: &[&str], length: &str) -> String {
    let mut args = vec!["add", "--for", length, "--comment", "deploy of v2"];
    for m in matchers {
        args.extend(["--match", m]);
    }
    let out = silence(history, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = stdout(&out).trim().to_string();
    assert!(id.parse::<i64>().is_ok(), "prints the id: {id:?}");
    id
}

fn features_of(bodies: &[Value]) -> Vec<String> {
    let mut f: Vec<String> = bodies
        .iter()
        .map(|b| b["feature"].as_str().unwrap_or("").to_string())
        .collect();
    f.sort();
    f
}

#[test]
fn silence_add_list_and_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("history.sqlite");
    let id = add(&history, &["kind=data_drift", "feature=age"], "4h");
    let listed = stdout(&silence(&history, &["list"]));
    let row = listed
        .lines()
        .find(|l| l.trim_start().starts_with(&id))
        .unwrap_or_else(|| panic!("silence {id} listed: {listed}"));
    assert!(row.contains("kind=data_drift, feature=age"), "{row}");
    assert!(row.contains("ana"), "{row}");
    assert!(row.contains("deploy of v2"), "{row}");
    let json: Value =
        serde_json::from_str(stdout(&silence(&history, &["list", "--format", "json"])).trim())
            .expect("one JSON line");
    let ends = json["ends_at"].as_str().expect("ends_at");
    let ends = chrono::DateTime::parse_from_rfc3339(ends).expect("RFC 3339");
    let left = ends.signed_duration_since(chrono::Utc::now());
    assert!((left.num_minutes() - 240).abs() <= 1, "ends in 4h: {left}");
    let out = silence(&history, &["expire", &id]);
    assert!(out.status.success());
    assert_eq!(stdout(&silence(&history, &["list"])).trim(), "no silences");
    assert!(stdout(&silence(&history, &["list", "--all"])).contains("feature=age"));
}

#[test]
fn bad_input_is_one_line_and_exit_status_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("history.sqlite");
    add(&history, &["kind=data_drift"], "1h");
    for (args, says) in [
        (
            vec!["add", "--match", "colour=red"],
            "unknown key \"colour\"",
        ),
        (
            vec!["add", "--match", "kind=data_drift", "--for", "4 hours"],
            "--for \"4 hours\": not a duration",
        ),
        (vec!["add", "--match", "kind", "--for", "1h"], "key=value"),
        (vec!["expire", "99"], "no silence 99"),
        (vec!["expire", "abc"], "not a number"),
    ] {
        let out = silence(&history, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    // Nothing was added by the refused ones.
    let listed = stdout(&silence(&history, &["list", "--format", "json"]));
    assert_eq!(listed.lines().count(), 1, "{listed}");
}

#[test]
fn a_silence_holds_across_a_restart_and_delivery_happens_when_it_ends() {
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    let setup = Setup::new(&webhook_config(&receiver.url));
    let history = setup.history();
    // Long enough for the first run to end inside it even on a loaded machine (checked below).
    let short = add(&history, &["kind=data_drift"], "10s");
    let long = add(&history, &["kind=data_drift", "feature=y"], "1h");
    let ends: Value = serde_json::from_str(
        stdout(&silence(&history, &["list", "--format", "json"]))
            .lines()
            .find(|l| l.contains(&format!("\"id\":{short},")))
            .expect("the short silence"),
    )
    .expect("JSON");
    let short_ends = chrono::DateTime::parse_from_rfc3339(ends["ends_at"].as_str().expect("end"))
        .expect("RFC 3339");
    for i in 0..3 {
        setup.window(&format!("w{i:02}.csv"), true);
    }
    let out = setup.once(&[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ran_inside_the_short_silence = chrono::Utc::now() < short_ends;
    // Silenced: shown (one problem, x and y) but not delivered.
    let shown: Value =
        serde_json::from_str(stdout(&out).lines().next().expect("a line")).expect("JSON");
    assert_eq!(shown["incidents"].as_array().map(Vec::len), Some(1));
    if ran_inside_the_short_silence {
        assert!(receiver.bodies().is_empty(), "{:#?}", receiver.bodies());
    }
    // The short silence ends; a restarted monitor (no new window) delivers what it held. The
    // long one matches only y: it does not hide a problem that is also about x.
    let deadline = Instant::now() + Duration::from_secs(30);
    while chrono::Utc::now() <= short_ends {
        assert!(Instant::now() < deadline, "the silence never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = setup.once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies = receiver.bodies();
    assert_eq!(features_of(&bodies), vec!["x"], "{bodies:#?}");
    assert_eq!(bodies[0]["change"], "opened");
    assert_eq!(bodies[0]["status"], "firing");
    assert_eq!(bodies[0]["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        bodies[0]["runbook_url"],
        "https://wiki.example/runbooks/data_drift/x?m=churn"
    );
    // Expiring the long one sends nothing more: the problem was delivered whole.
    assert_eq!(stdout(&silence(&history, &["expire", &long])), "");
    let out = setup.once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(receiver.bodies().len(), 1, "{:#?}", receiver.bodies());
}

#[test]
fn a_problem_is_held_only_while_every_member_is_silenced() {
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    let setup = Setup::new(&webhook_config(&receiver.url));
    let history = setup.history();
    // x and y together: held; y alone would not be enough.
    add(&history, &["feature=x"], "1h");
    let y = add(&history, &["feature=y"], "1h");
    setup.window("w00.csv", true);
    let out = setup.once(&[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(receiver.bodies().is_empty(), "{:#?}", receiver.bodies());
    silence(&history, &["expire", &y]);
    let out = setup.once(&[]);
    assert!(out.status.success());
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["change"], "opened");
}

#[test]
fn an_incident_that_resolves_while_silenced_is_never_sent() {
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    let setup = Setup::new(&webhook_config(&receiver.url));
    let history = setup.history();
    let id = add(&history, &["kind=data_drift"], "1h");
    setup.window("w00.csv", true);
    setup.window("w01.csv", false);
    let out = setup.once(&[]);
    assert!(out.status.code().is_some(), "{out:?}");
    let incidents = setup.incidents(&history);
    assert_eq!(incidents.len(), 1);
    assert!(incidents.iter().all(|i| i["status"] == "resolved"));
    silence(&history, &["expire", &id]);
    let out = setup.once(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(receiver.bodies().is_empty(), "{:#?}", receiver.bodies());
}

#[test]
fn a_silence_never_hides_a_window_error_from_the_results() {
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    let setup = Setup::new(&webhook_config(&receiver.url));
    let history = setup.history();
    add(&history, &["kind=window_error"], "1h");
    std::fs::write(setup.dir.join("w00.csv"), "a,b\n1,2\n").expect("window");
    let out = setup.once(&[]);
    let line: Value =
        serde_json::from_str(stdout(&out).lines().next().expect("a line")).expect("JSON");
    assert!(line["error"].is_object(), "{line}");
}

#[test]
fn an_unknown_runbook_kind_is_a_usage_error_naming_the_file_and_line() {
    let setup =
        Setup::new("[alerts]\naccuracy = 0.7\n\n[alerts.runbooks]\ndata_drfit = \"https://w\"\n");
    setup.window("w00.csv", false);
    let out = setup.once(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("monitor.toml: line 5: alerts.runbooks.\"data_drfit\": unknown kind"),
        "{stderr}"
    );
}

#[test]
fn runbook_url_is_an_alertmanager_annotation() {
    let Some(bin) = alertmanager_binary("runbook_url_is_an_alertmanager_annotation") else {
        return;
    };
    let mut am = Alertmanager::new();
    am.start(&bin);
    let setup = Setup::new(&format!(
        "[monitor]\nname = \"churn-model\"\n\n{RUNBOOKS}\"data_drift.y\" = \"https://wiki.example/y\"\n\n[[sinks]]\ntype = \"alertmanager\"\nurl = \"{}\"\ntimeout = \"2s\"\n",
        am.url
    ));
    setup.window("w00.csv", true);
    let out = setup.once(&[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not delivered"));
    // x and y are one problem, led by x: its runbook (the precise `data_drift.y` one is y's,
    // a member's, not the problem's).
    let alerts = am.wait_for(Duration::from_secs(10), |a| {
        a.iter()
            .filter(|a| a["labels"]["monitor"] == "churn-model")
            .count()
            == 1
    });
    let ours: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["labels"]["monitor"] == "churn-model")
        .collect();
    assert_eq!(ours[0]["labels"]["feature"], "x", "{:?}", ours[0]);
    assert_eq!(
        ours[0]["annotations"]["runbook_url"],
        "https://wiki.example/runbooks/data_drift/x?m=churn-model",
        "{:?}",
        ours[0]
    );
}
