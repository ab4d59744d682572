//! A change of settings between runs (issue 28 item 7), through the binary: `--once` twice over
//! one history with another `[alerts]` threshold, then another reference, between runs. The
//! second run closes the first run's open problems with the reason `settings_changed`, says so
//! on stderr, and its first JSON line carries `metadata.settings_changed`; `history incidents`
//! shows the reason; a run with unchanged settings says nothing.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{csv, Setup, BIN};

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_threshold_or_reference_change_closes_the_old_problems_with_the_reason() {
    let setup = Setup::new("");
    setup.window("w00.csv", true);
    let first = setup.once(&[]);
    assert!(first.status.code().is_some(), "{first:?}");
    assert!(
        !stderr(&first).contains("settings changed"),
        "{}",
        stderr(&first)
    );
    let firing: Vec<u64> = setup
        .incidents(&setup.history())
        .iter()
        .filter(|i| i["status"] == "firing")
        .map(|i| i["id"].as_u64().expect("an id"))
        .collect();
    assert!(!firing.is_empty(), "a drifting window opens a problem");

    // Another threshold: the open problems are closed, once, with the reason.
    std::fs::write(&setup.config, "[alerts]\naccuracy = 0.8\n").expect("config");
    setup.window("w01.csv", false);
    let second = setup.once(&[]);
    let problems = if firing.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    assert!(
        stderr(&second).contains(&format!(
            "settings changed since the last run (thresholds): {} open {problems} closed",
            firing.len()
        )),
        "{}",
        stderr(&second)
    );
    let lines = json_lines(&second);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let changed = &lines[0]["metadata"]["settings_changed"];
    assert_eq!(
        changed["changed"],
        serde_json::json!(["thresholds"]),
        "{changed}"
    );
    assert_eq!(changed["closed"], firing.len(), "{changed}");
    let closed: Vec<u64> = lines[0]["incidents"]
        .as_array()
        .expect("incident changes")
        .iter()
        .filter(|c| c["change"] == "resolved" && c["resolved_reason"] == "settings_changed")
        .map(|c| c["id"].as_u64().expect("an id"))
        .collect();
    assert_eq!(closed, firing, "{}", lines[0]["incidents"]);
    for incident in setup.incidents(&setup.history()) {
        if firing.contains(&incident["id"].as_u64().expect("an id")) {
            assert_eq!(incident["status"], "resolved", "{incident}");
            assert_eq!(
                incident["resolved_reason"], "settings_changed",
                "{incident}"
            );
        }
    }
    let table = Command::new(BIN)
        .args(["history", "incidents", "--history"])
        .arg(setup.history())
        .env("TZ", "UTC")
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("resolved (settings changed)"), "{table}");

    // The same settings again: nothing to say, nothing marked.
    setup.window("w02.csv", false);
    let third = setup.once(&[]);
    assert!(
        !stderr(&third).contains("settings changed"),
        "{}",
        stderr(&third)
    );
    let lines = json_lines(&third);
    assert!(
        lines[0]["metadata"].get("settings_changed").is_none(),
        "{lines:?}"
    );

    // Another reference: said as such.
    std::fs::write(&setup.reference, csv(400, 2, 0.5)).expect("reference");
    setup.window("w03.csv", false);
    let fourth = setup.once(&[]);
    assert!(
        stderr(&fourth).contains("settings changed since the last run (reference)"),
        "{}",
        stderr(&fourth)
    );
    let lines = json_lines(&fourth);
    assert_eq!(
        lines[0]["metadata"]["settings_changed"]["changed"],
        serde_json::json!(["reference"]),
        "{lines:?}"
    );
}
