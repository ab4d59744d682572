//! Pages are problems, through the real binary: the conditions that start in one window are one
//! notification (a real webhook receiver on 127.0.0.1, and a real Alertmanager, whose
//! `group_by: [monitor, problem_id]` then keeps one alert per problem); a condition that joins
//! later is an update, not a second page; a re-opened problem keeps its id.

use crate::support;

use std::time::Duration;

use serde_json::Value;
use support::{alertmanager_binary, Alertmanager, Receiver, Setup};

/// A window of `rows` rows like [`support::csv`]'s drifting one, with `y` empty in every
/// other row when `gaps` (its missing rate rises by 50 points: a data_quality condition).
fn drifting(rows: usize, gaps: bool) -> String {
    let text = support::csv(rows, 7, 3.0);
    if !gaps {
        return text;
    }
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        match line.split_once(',') {
            Some((x, _)) if i > 0 && i % 2 == 0 => out.push_str(&format!("{x},\n")),
            _ => out.push_str(line),
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn write(setup: &Setup, name: &str, text: &str) {
    let tmp = setup.dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).expect("window");
    std::fs::rename(&tmp, setup.dir.join(name)).expect("rename");
}

fn changes(bodies: &[Value]) -> Vec<(String, u64, usize)> {
    bodies
        .iter()
        .map(|b| {
            (
                b["change"].as_str().unwrap_or("").to_string(),
                b["problem_id"].as_u64().unwrap_or(0),
                b["members"].as_array().map_or(0, Vec::len),
            )
        })
        .collect()
}

fn wait_for_bodies(receiver: &Receiver, n: usize) -> Vec<Value> {
    receiver.wait_for_bodies(n)
}

#[test]
fn one_window_of_conditions_is_one_page_and_a_later_member_is_an_update() {
    let receiver = Receiver::start(Box::new(|_| Some(200)));
    let setup = Setup::new(&format!(
        "[paging]\ngroup_windows = 2\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"{}\"\nmin_level = \"INFO\"\ntimeout = \"2s\"\n",
        receiver.url
    ));
    // x and y drift from the first window; a window later y also loses half its values.
    write(&setup, "w00.csv", &drifting(400, false));
    let out = setup.once(&[]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("not delivered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies = wait_for_bodies(&receiver, 1);
    assert_eq!(changes(&bodies), vec![("opened".to_string(), 1, 2)]);
    let members: Vec<&str> = bodies[0]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["feature"].as_str())
        .collect();
    assert_eq!(members, vec!["x", "y"], "{}", bodies[0]);
    assert_eq!(bodies[0]["labels"]["problem_id"], "1", "{}", bodies[0]);

    write(&setup, "w01.csv", &drifting(400, true));
    setup.once(&[]);
    let bodies = wait_for_bodies(&receiver, 2);
    assert_eq!(
        changes(&bodies),
        vec![("opened".to_string(), 1, 2), ("updated".to_string(), 1, 3)],
        "{bodies:?}"
    );
    let kinds: Vec<&str> = bodies[1]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"data_quality"), "{}", bodies[1]);

    // Clean windows resolve it (after `resolve_after`), as one notification.
    for i in 2..6 {
        setup.window(&format!("w{i:02}.csv"), false);
    }
    setup.once(&[]);
    let bodies = wait_for_bodies(&receiver, 3);
    assert_eq!(changes(&bodies)[2].0, "resolved", "{bodies:?}");
    assert_eq!(changes(&bodies)[2].1, 1);
    assert_eq!(
        bodies.iter().filter(|b| b["change"] == "opened").count(),
        1,
        "one page for the whole episode: {bodies:?}"
    );
}

#[test]
fn alertmanager_gets_one_alert_per_problem_labelled_with_its_id() {
    let Some(bin) = alertmanager_binary("alertmanager_gets_one_alert_per_problem") else {
        return;
    };
    let mut am = Alertmanager::new();
    am.start(&bin);
    let setup = Setup::new(&format!(
        "[monitor]\nname = \"churn-model\"\n\n[[sinks]]\ntype = \"alertmanager\"\nurl = \"{}\"\ntimeout = \"2s\"\n",
        am.url
    ));
    for i in 0..3 {
        setup.window(&format!("w{i:02}.csv"), true);
    }
    let out = setup.once(&[]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not delivered"));
    let ours = |a: &[Value]| -> Vec<Value> {
        a.iter()
            .filter(|a| a["labels"]["monitor"] == "churn-model")
            .cloned()
            .collect()
    };
    let alerts = ours(&am.wait_for(Duration::from_secs(10), |a| !ours(a).is_empty()));
    // Let a second alert, if one were sent, arrive before counting.
    std::thread::sleep(Duration::from_millis(500));
    let alerts = if alerts.len() == 1 {
        ours(&am.alerts())
    } else {
        alerts
    };
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a["labels"]["problem_id"], "1", "{a}");
    assert_eq!(a["labels"]["alertname"], "data_drift", "{a}");
    let members = a["annotations"]["members"].as_str().unwrap_or("");
    assert!(
        members.contains('x') && members.contains('y'),
        "both drifted features are members: {a}"
    );
}
