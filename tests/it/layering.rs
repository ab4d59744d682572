//! The library reads bottom-up: data → stats → config → model → drift → monitoring (the synthetic
//! generator beside it, on top). A module may name its own layer or a lower one, never a higher
//! one, so that a maintainer can read and test each layer knowing only those beneath it.
//!
//! This test reads every library source file and checks each `crate::…` path in code (comments
//! are skipped) against that order. A path through a crate-root re-export (`crate::ModelMonitor`)
//! fails too: it hides which layer it reaches into.

use std::fs;
use std::path::{Path, PathBuf};

/// The library's layers, lowest first. `lib.rs` is the crate root and may name anything.
const LAYERS: &[&str] = &[
    "data",
    "stats",
    "config",
    "model",
    "drift",
    "monitoring",
    "profile",
    "generator",
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == module)
}

/// The top-level module a library source file belongs to: `src/drift/ks.rs` → `drift`,
/// `src/config.rs` → `config`. `None` for `lib.rs` and for binary-only files.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    layer_of(name).map(|_| name.to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a line, without its `//` comment (strings holding `//` are rare enough in this
/// code base that cutting at the first one is fine for this check).
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Top-level module names a line names through `crate::`: `crate::drift::X` gives `drift`,
/// `crate::{config::A, data::B}` gives `config` and `data`.
fn crate_paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        // `ml_monitor::crate::` does not exist; a preceding identifier character means another
        // word that ends in "crate" (e.g. `my_crate::`).
        let before = rest[..i].chars().last();
        let after = &rest[i + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                let name = item.trim().split("::").next().unwrap_or("").trim();
                if !name.is_empty() {
                    found.push(name.to_string());
                }
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

#[test]
fn no_library_layer_imports_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut violations = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let own = layer_of(&module).unwrap_or(0);
        let text = fs::read_to_string(file).unwrap_or_default();
        checked += 1;
        for (n, line) in text.lines().enumerate() {
            for target in crate_paths(code_of(line)) {
                let ok = match layer_of(&target) {
                    Some(layer) => layer <= own,
                    None => false,
                };
                if !ok {
                    violations.push(format!(
                        "{}:{}: `{}` ({module}) names crate::{target}, {}",
                        file.strip_prefix(&src).unwrap_or(file).display(),
                        n + 1,
                        line.trim(),
                        match layer_of(&target) {
                            Some(_) => "a higher layer",
                            None => "not a layer module (name the module, not a root re-export)",
                        }
                    ));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "found only {checked} library files under src/"
    );
    assert!(
        violations.is_empty(),
        "layer order {LAYERS:?} broken:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    assert_eq!(crate_paths("use crate::drift::DriftError;"), ["drift"]);
    assert_eq!(
        crate_paths("use crate::{config::Task, data::DataWindow};"),
        ["config", "data"]
    );
    assert_eq!(
        crate_paths("let x = crate::model::write(path); crate::stats::sort::f();"),
        ["model", "stats"]
    );
    assert!(crate_paths("use my_crate::drift;").is_empty());
    assert!(crate_paths(code_of("let a = 1; // see crate::monitoring")).is_empty());
    assert_eq!(
        module_of(Path::new("src"), Path::new("src/drift/ks.rs")).as_deref(),
        Some("drift")
    );
    assert_eq!(
        module_of(Path::new("src"), Path::new("src/config.rs")).as_deref(),
        Some("config")
    );
    assert_eq!(module_of(Path::new("src"), Path::new("src/watch.rs")), None);
    assert_eq!(module_of(Path::new("src"), Path::new("src/lib.rs")), None);
}
