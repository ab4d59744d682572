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
    std::thread::sleep(Duration::from_secs(2));
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
