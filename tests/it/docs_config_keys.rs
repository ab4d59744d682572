//! docs/configuration.md says it lists every key: this holds it to that (issue 28 item 9).
//!
//! The keys are the code's own, asked of the binary rather than copied here: a file with an
//! unknown key in a section is refused with the list of keys that section takes (every config
//! table, `[[sinks]]` and `[[models]]` entries included, is read with `deny_unknown_fields`).
//! The commented-out keys of src/default_config.toml are added, so an optional key the file shows
//! must be documented too. A key is documented when its section's heading (`` ## `[metrics]` ``)
//! is followed by a table row starting with it, or when it is a table with a heading of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::support::BIN;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const UNKNOWN: &str = "zz_not_a_key";

/// The keys `section` takes ("" is the top level), from the binary's refusal of an unknown one.
fn keys_of(section: &str, dir: &Path) -> Vec<String> {
    let text = match section {
        "" => format!("{UNKNOWN} = 1\n"),
        "sinks" => {
            format!("[[sinks]]\ntype = \"webhook\"\nurl = \"http://127.0.0.1:9\"\n{UNKNOWN} = 1\n")
        }
        "models" => format!("[[models]]\n{UNKNOWN} = 1\n"),
        table => format!("[{table}]\n{UNKNOWN} = 1\n"),
    };
    let file = dir.join(format!("{}.toml", section.replace('.', "_")));
    std::fs::write(&file, text).expect("config written");
    let out = Command::new(BIN)
        .args(["config", "--check"])
        .arg(&file)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "[{section}]: {stderr}");
    let expected = stderr
        .split_once("expected")
        .unwrap_or_else(|| panic!("[{section}]: no list of keys in {stderr}"))
        .1;
    // serde: "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, `c`".
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn join(section: &str, key: &str) -> String {
    if section.is_empty() {
        key.to_string()
    } else {
        format!("{section}.{key}")
    }
}

/// Every key the code takes, by section, walking the tables the default file has.
fn code_keys() -> BTreeMap<String, Vec<String>> {
    let dir = tempfile::tempdir().expect("tmp");
    let default: toml::Table = read("src/default_config.toml")
        .parse()
        .expect("the default file parses");
    let is_table = |path: &str| {
        let mut value: Option<&toml::Table> = Some(&default);
        for part in path.split('.') {
            value = value
                .and_then(|t| t.get(part))
                .and_then(toml::Value::as_table);
        }
        value.is_some()
    };
    let mut all = BTreeMap::new();
    let mut todo = vec![String::new()];
    while let Some(section) = todo.pop() {
        let keys = keys_of(&section, dir.path());
        for key in &keys {
            let sub = join(&section, key);
            if is_table(&sub) || sub == "sinks" || sub == "models" {
                todo.push(sub);
            }
        }
        all.insert(section, keys);
    }
    all
}

/// Keys shown commented out in the default file (`# addr = ":9464"`), by section. Runbook keys
/// are alert kinds, not settings.
fn commented_keys() -> Vec<(String, String)> {
    let mut section = String::new();
    let mut keys = Vec::new();
    for line in read("src/default_config.toml").lines() {
        let bare = line.trim_start_matches('#').trim();
        if bare.starts_with('[') && bare.ends_with(']') {
            section = bare.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        let Some((key, _)) = bare.split_once(" = ") else {
            continue;
        };
        let is_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if line.starts_with('#') && is_key && section != "alerts.runbooks" {
            keys.push((section.clone(), key.to_string()));
        }
    }
    keys
}

/// The documented keys of each section heading of docs/configuration.md.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let mut sections: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in read("docs/configuration.md").lines() {
        if line.starts_with('#') {
            current = if line.contains("Top level") {
                Some(String::new())
            } else {
                line.split('`')
                    .nth(1)
                    .filter(|name| name.starts_with('['))
                    .map(|name| name.trim_matches(|c| c == '[' || c == ']').to_string())
            };
            if let Some(name) = &current {
                sections.entry(name.clone()).or_default();
            }
            continue;
        }
        if let (Some(section), Some(row)) = (&current, line.strip_prefix("| `")) {
            if let Some((key, _)) = row.split_once('`') {
                sections
                    .entry(section.clone())
                    .or_default()
                    .insert(key.to_string());
            }
        }
    }
    sections
}

#[test]
fn every_key_of_every_section_and_sink_is_in_the_configuration_doc() {
    let code = code_keys();
    let docs = documented();
    let is_documented = |section: &str, key: &str| {
        docs.get(section).is_some_and(|keys| keys.contains(key))
            || docs.contains_key(&join(section, key))
    };
    let mut missing = Vec::new();
    let mut checked = 0;
    for (section, keys) in &code {
        for key in keys {
            checked += 1;
            if !is_documented(section, key) {
                missing.push(join(section, key));
            }
        }
    }
    for (section, key) in commented_keys() {
        checked += 1;
        if !code.get(&section).is_some_and(|keys| keys.contains(&key)) {
            missing.push(format!(
                "{} (commented in the default file, unknown to the code)",
                join(&section, &key)
            ));
        } else if !is_documented(&section, &key) {
            missing.push(join(&section, &key));
        }
    }
    // The walk reached every section, sinks and models included.
    for section in [
        "",
        "columns",
        "drift.statistical",
        "alerts",
        "estimation",
        "metrics",
        "monitor",
        "paging",
        "labels",
        "sinks",
        "models",
    ] {
        assert!(
            code.contains_key(section),
            "section [{section}] not walked: {code:?}"
        );
    }
    assert!(checked > 80, "only {checked} keys checked: {code:?}");
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks: {}",
        missing.join(", ")
    );
}

#[test]
fn the_documented_default_file_is_the_file_itself() {
    let doc = read("docs/configuration.md");
    let heading = doc
        .find("## The default file")
        .expect("the default file's section");
    let start =
        heading + doc[heading..].find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed");
    assert_eq!(&doc[start..end], read("src/default_config.toml"));
}
