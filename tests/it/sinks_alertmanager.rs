//! Delivery to a real Alertmanager (Debian's `prometheus-alertmanager`), started by each test on
//! a free loopback port with its own config and storage, and killed when the test ends.

use crate::support;

use std::time::Duration;

use serde_json::Value;
use support::{alertmanager_binary, lines_of, Alertmanager, Killed, Setup};

fn config(url: &str) -> String {
    format!(
        "[monitor]\nname = \"churn-model\"\n\n[[sinks]]\ntype = \"alertmanager\"\nurl = \"{url}\"\nresend_interval = \"60s\"\ntimeout = \"2s\"\n"
    )
}

fn ours(alerts: &[Value]) -> Vec<&Value> {
    alerts
        .iter()
        .filter(|a| a["labels"]["monitor"] == "churn-model")
        .collect()
}

fn features(alerts: &[Value]) -> Vec<String> {
    let mut f: Vec<String> = ours(alerts)
        .iter()
        .map(|a| a["labels"]["feature"].as_str().unwrap_or("").to_string())
        .collect();
    f.sort();
    f
}

/// x and y drift from the same window: one problem, led by x, with y among its members.
fn assert_members_x_and_y(alerts: &[Value]) {
    for a in ours(alerts) {
        let members = a["annotations"]["members"].as_str().unwrap_or("");
        assert!(
            members.contains("feature=x") && members.contains("feature=y"),
            "{a}"
        );
        assert_eq!(a["labels"]["problem_id"], "1", "{a}");
    }
}

#[test]
fn drifting_windows_give_one_alert_per_problem_and_clean_windows_resolve_it() {
    let Some(bin) = alertmanager_binary("drifting_windows_give_one_alert_per_problem") else {
        return;
    };
    let mut am = Alertmanager::new();
    am.start(&bin);
    let setup = Setup::new(&config(&am.url));
    for i in 0..3 {
        setup.window(&format!("w{i:02}.csv"), true);
    }
    let out = setup.once(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("not delivered"), "{stderr}");
    let alerts = am.wait_for(Duration::from_secs(10), |a| ours(a).len() == 1);
    assert_eq!(features(&alerts), vec!["x"]);
    assert_members_x_and_y(&alerts);
    for a in ours(&alerts) {
        let labels = &a["labels"];
        assert_eq!(labels["alertname"], "data_drift");
        assert_eq!(labels["severity"], "warning");
        assert_eq!(labels["monitor"], "churn-model");
        assert!(labels.get("detector").is_none(), "{labels}");
        assert_eq!(a["annotations"]["detectors"], "ks");
        assert_eq!(a["annotations"]["window"], "w00.csv");
        assert!(a["annotations"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("drifted")));
        assert_eq!(a["status"]["state"], "active");
    }
    // A clean window resolves it.
    setup.window("w03.csv", false);
    let out = setup.once(&[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not delivered"));
    am.wait_for(Duration::from_secs(10), |a| ours(a).is_empty());
    let incidents = setup.incidents(&setup.history());
    assert_eq!(incidents.len(), 1);
    assert!(incidents.iter().all(|i| i["status"] == "resolved"));
}

#[test]
fn alertmanager_down_while_an_incident_opens_gets_it_when_it_comes_up() {
    let Some(bin) = alertmanager_binary("alertmanager_down_while_an_incident_opens") else {
        return;
    };
    let mut am = Alertmanager::new();
    let setup = Setup::new(&config(&am.url));
    let mut monitor = Killed(setup.headless());
    let lines = lines_of(&mut monitor.0);
    setup.window("w00.csv", true);
    let (_, line) = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the window is processed while Alertmanager is down");
    let result: Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(result["incidents"].as_array().map(Vec::len), Some(1));
    // Alertmanager starts only once a delivery to it has failed.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let failed = || {
        let history = setup.dir.join(".ml-monitor").join("history.sqlite");
        let conn = rusqlite::Connection::open(history).ok()?;
        conn.query_row(
            "SELECT COUNT(*) FROM outbox WHERE last_error IS NOT NULL",
            [],
            |row| row.get::<_, i64>(0),
        )
        .ok()
    };
    while failed().unwrap_or(0) == 0 {
        assert!(std::time::Instant::now() < deadline, "no failed delivery");
        std::thread::sleep(Duration::from_millis(50));
    }
    am.start(&bin);
    let alerts = am.wait_for(Duration::from_secs(30), |a| ours(a).len() == 1);
    assert_eq!(features(&alerts), vec!["x"]);
    assert_members_x_and_y(&alerts);
}

#[test]
fn a_monitor_killed_with_undelivered_changes_delivers_them_after_restart_once() {
    let Some(bin) = alertmanager_binary("a_monitor_killed_with_undelivered_changes") else {
        return;
    };
    let mut am = Alertmanager::new();
    let setup = Setup::new(&config(&am.url));
    {
        let mut monitor = Killed(setup.headless());
        let lines = lines_of(&mut monitor.0);
        setup.window("w00.csv", true);
        lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the window is processed");
        // Killed (SIGKILL) on drop with its two changes still in the outbox.
    }
    let history = setup.dir.join(".ml-monitor").join("history.sqlite");
    assert_eq!(setup.incidents(&history).len(), 1);
    am.start(&bin);
    let mut monitor = Killed(setup.headless());
    let lines = lines_of(&mut monitor.0);
    let alerts = am.wait_for(Duration::from_secs(30), |a| ours(a).len() == 1);
    assert_eq!(features(&alerts), vec!["x"]);
    assert_members_x_and_y(&alerts);
    // The same drift goes on in a new window: the same problem, not another.
    setup.window("w01.csv", true);
    let (_, line) = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the next window is processed");
    let result: Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(result["incidents"].as_array().map(Vec::len), Some(0));
    drop(monitor);
    let incidents = setup.incidents(&history);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert!(incidents
        .iter()
        .all(|i| i["status"] == "firing" && i["windows"] == 2));
}

#[test]
fn firing_alerts_are_re_sent_so_alertmanager_keeps_them_active() {
    let Some(bin) = alertmanager_binary("firing_alerts_are_re_sent") else {
        return;
    };
    // Alertmanager forgets an alert without endsAt after 2 s unless it is sent again.
    let mut am = Alertmanager::with_global("resolve_timeout: 2s");
    am.start(&bin);
    let setup = Setup::new(&config(&am.url).replace("\"60s\"", "\"500ms\""));
    let mut monitor = Killed(setup.headless());
    let lines = lines_of(&mut monitor.0);
    setup.window("w00.csv", true);
    lines
        .recv_timeout(Duration::from_secs(30))
        .expect("the window is processed");
    am.wait_for(Duration::from_secs(10), |a| ours(a).len() == 1);
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        ours(&am.alerts()).len(),
        1,
        "still active after 5 s: re-sent"
    );
    // Without the monitor nobody re-sends: Alertmanager resolves them itself.
    drop(monitor);
    am.wait_for(Duration::from_secs(15), |a| ours(a).is_empty());
}

/// x and y (and, from `prediction_mean` on, a prediction mean of 0.9) against a reference whose
/// prediction mean is 0.35.
fn window_with_predictions(seed: u64, shift: f64, prediction: f64) -> String {
    let features = support::csv(400, seed, shift);
    let mut text = String::from("x,y,prediction\n");
    for (i, row) in features.lines().skip(1).enumerate() {
        let p = prediction + (i % 10) as f64 * 0.01;
        text.push_str(&format!("{row},{p:.2}\n"));
    }
    text
}

/// Issue 29, item 6: the outbox sends only an incident's latest change. A problem opened at
/// WARNING (delivered), then escalated to CRITICAL and resolved while Alertmanager was
/// unreachable: only the resolution is sent, and it must end the WARNING alert too, which used
/// to stay active (the escalation that ended it had been superseded).
#[test]
fn a_resolution_sent_in_place_of_an_escalation_ends_the_old_severity_too() {
    let Some(bin) = alertmanager_binary("a_resolution_sent_in_place_of_an_escalation") else {
        return;
    };
    let mut am = Alertmanager::new();
    am.start(&bin);
    let settings = "[alerts]\nprediction_mean_threshold = 0.6\n\n[paging]\ngroup_windows = 1\n\n";
    let setup = Setup::new(&format!("{settings}{}", config(&am.url)));
    std::fs::write(&setup.reference, window_with_predictions(1, 0.0, 0.3)).expect("reference");
    let write = |name: &str, text: String| {
        std::fs::write(setup.dir.join(name), text).expect("window");
    };
    // 1. x and y drift: the problem opens at WARNING, and Alertmanager has it.
    write("w00.csv", window_with_predictions(7, 3.0, 0.3));
    let out = setup.once(&[]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("not delivered"),
        "{out:?}"
    );
    let alerts = am.wait_for(Duration::from_secs(10), |a| ours(a).len() == 1);
    assert_eq!(ours(&alerts)[0]["labels"]["severity"], "warning");
    // 2. Alertmanager unreachable: the prediction mean joins (CRITICAL), then all is clean.
    let down = format!("http://127.0.0.1:{}", support::free_port());
    std::fs::write(&setup.config, format!("{settings}{}", config(&down))).expect("config");
    write("w01.csv", window_with_predictions(8, 3.0, 0.9));
    write("w02.csv", window_with_predictions(9, 0.0, 0.3));
    let out = setup.once(&["--sink-timeout", "1s"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let changes: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .flat_map(|l| l["incidents"].as_array().cloned().unwrap_or_default())
        .map(|c| (c["change"].to_string(), c["level"].to_string()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("\"escalated\"".into(), "\"CRITICAL\"".into()),
            ("\"resolved\"".into(), "\"CRITICAL\"".into())
        ],
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not delivered"),
        "{out:?}"
    );
    // 3. Alertmanager back: the resolution alone is owed, and nothing stays active.
    std::fs::write(&setup.config, format!("{settings}{}", config(&am.url))).expect("config");
    let out = setup.once(&[]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("not delivered"),
        "{out:?}"
    );
    am.wait_for(Duration::from_secs(10), |a| ours(a).is_empty());
    let conn = rusqlite::Connection::open(setup.history()).expect("history");
    let states: Vec<String> = conn
        .prepare("SELECT state FROM outbox ORDER BY id")
        .expect("query")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(states, ["delivered", "superseded", "delivered"]);
}
