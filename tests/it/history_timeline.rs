//! `history incidents` through the binary: local time as `TZ` says, and `--format md`.

use std::process::Command;

use crate::support::{Setup, BIN};

fn incidents(setup: &Setup, tz: &str, extra: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(["history", "incidents", "--history"])
        .arg(setup.history())
        .args(extra)
        .env("TZ", tz)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `opened` cell of the first incident: `2026-11-27 20:01`.
fn first_opened(table: &str) -> chrono::NaiveDateTime {
    let mut lines = table.lines();
    let heading = lines.next().expect("a heading");
    let column = heading.find("opened").expect("an opened column");
    let row = lines.next().expect("an incident");
    let cell: String = row
        .chars()
        .skip(heading[..column].chars().count())
        .take(16)
        .collect();
    chrono::NaiveDateTime::parse_from_str(&cell, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("{cell:?}: {e}\n{table}"))
}

#[test]
fn opened_times_follow_tz_and_md_is_a_markdown_table() {
    let setup = Setup::new("");
    setup.window("w00.csv", true);
    setup.window("w01.csv", true);
    let out = setup.once(&[]);
    assert!(out.status.code().is_some(), "{out:?}");
    let utc = incidents(&setup, "UTC", &[]);
    let tokyo = incidents(&setup, "JST-9", &[]);
    assert!(
        utc.lines()
            .next()
            .is_some_and(|h| h.contains("opened (UTC+00:00)")),
        "{utc}"
    );
    assert!(
        tokyo
            .lines()
            .next()
            .is_some_and(|h| h.contains("opened (UTC+09:00)")),
        "{tokyo}"
    );
    assert_eq!(
        first_opened(&tokyo) - first_opened(&utc),
        chrono::Duration::hours(9),
        "{utc}\n{tokyo}"
    );
    let md = incidents(&setup, "UTC", &["--format", "md"]);
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines.len() >= 3, "{md}");
    assert!(lines[0].starts_with("| id | status |"), "{md}");
    assert!(lines[1].starts_with("|---:|"), "{md}");
    assert!(
        lines.iter().all(|l| l.starts_with('|') && l.ends_with('|')),
        "{md}"
    );
    assert!(md.contains("w00.csv"), "{md}");
}
