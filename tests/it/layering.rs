//! The library reads bottom-up: data → stats → config → model → drift → monitoring (the synthetic
//! generator beside it, on top). A module may name its own layer or a lower one, never a higher
//! one, so that a maintainer can read and test each layer knowing only those beneath it.
//!
//! This test reads every library source file and checks each `crate::…` path in code (comments
//! are skipped) against that order. A path through a crate-root re-export (`crate::ModelMonitor`)
//! fails too: it hides which layer it reaches into.
//!
//! The binary is held to the same rule with its own order (`BINARY_LAYERS`): leaves, services,
//! arguments, plan, run layer, subcommands, so that a run is read from `main` downwards.

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

/// The top-level module a library source file belongs to: `src/drift/ks.rs` → `drift`,
/// `src/config.rs` → `config`. `None` for `lib.rs` and for binary-only files.
fn module_of(src: &Path, file: &Path, layers: &[&str]) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    layers.contains(&name).then(|| name.to_string())
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

/// Every `crate::` path of the files under `src/` that belong to one of `layers`, checked
/// against that order: how many files were read, and each path that names a higher module (or
/// a name that is not one of `layers`).
fn violations(layers: &[&str]) -> (usize, Vec<String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let rank = |m: &str| layers.iter().position(|l| *l == m);
    let mut checked = 0;
    let mut violations = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file, layers) else {
            continue;
        };
        let own = rank(&module).unwrap_or(0);
        let text = fs::read_to_string(file).unwrap_or_default();
        checked += 1;
        for (n, line) in text.lines().enumerate() {
            for target in crate_paths(code_of(line)) {
                if rank(&target).is_some_and(|layer| layer <= own) {
                    continue;
                }
                violations.push(format!(
                    "{}:{}: `{}` ({module}) names crate::{target}, {}",
                    file.strip_prefix(&src).unwrap_or(file).display(),
                    n + 1,
                    line.trim(),
                    match rank(&target) {
                        Some(_) => "a higher layer",
                        None => "not a layer module (name the module, not a root re-export)",
                    }
                ));
            }
        }
    }
    (checked, violations)
}

#[test]
fn no_library_layer_imports_a_higher_one() {
    let (checked, violations) = violations(LAYERS);
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

/// The binary's modules, lowest first (issue 27): leaf types; the services, which know only the
/// library and the leaves; the arguments; the resolved plan; the run layer that drives the
/// services; the subcommands. `main.rs` may name anything. So `commands/once.rs` reads down to
/// the history without a step back up.
const BINARY_LAYERS: &[&str] = &[
    "sanitize",
    "local_time",
    "error",
    "duration",
    "file_bytes",
    "signals",
    "silences",
    "runbooks",
    "app_event",
    "history",
    "watch",
    "sinks",
    "prometheus",
    "output",
    "tui",
    "cli",
    "plan",
    "run",
    "commands",
];

#[test]
fn no_binary_module_imports_a_higher_one() {
    let (checked, violations) = violations(BINARY_LAYERS);
    assert!(checked > 40, "found only {checked} binary files under src/");
    assert!(
        violations.is_empty(),
        "binary order {BINARY_LAYERS:?} broken:\n{}",
        violations.join("\n")
    );
}

/// Inside the run layer, lowest first: the pipeline below the loops that drive it.
const RUN_ORDER: &[&str] = &[
    "late_labels",
    "setup",
    "pipeline",
    "retry",
    "worker",
    "live",
    "tui_mode",
];

#[test]
fn the_run_layer_reads_one_way() {
    let run = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/run");
    let rank = |m: &str| RUN_ORDER.iter().position(|l| *l == m);
    let mut violations = Vec::new();
    let mut files = Vec::new();
    rust_files(&run, &mut files);
    for file in &files {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        // `pipeline_labels.rs` and `pipeline_tests.rs` are the pipeline's own submodules.
        let own_name = stem
            .split('_')
            .next()
            .filter(|p| *p == "pipeline")
            .unwrap_or(stem);
        let Some(own) = rank(own_name) else {
            continue;
        };
        let text = fs::read_to_string(file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = code_of(line);
            for prefix in ["super::", "crate::run::"] {
                for (i, _) in code.match_indices(prefix) {
                    let name: String = code[i + prefix.len()..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if rank(&name).is_some_and(|r| r > own) {
                        violations.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "run order {RUN_ORDER:?} broken:\n{}",
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
        module_of(Path::new("src"), Path::new("src/drift/ks.rs"), LAYERS).as_deref(),
        Some("drift")
    );
    assert_eq!(
        module_of(Path::new("src"), Path::new("src/config.rs"), LAYERS).as_deref(),
        Some("config")
    );
    assert_eq!(
        module_of(Path::new("src"), Path::new("src/watch.rs"), LAYERS),
        None
    );
    assert_eq!(
        module_of(
            Path::new("src"),
            Path::new("src/run/live.rs"),
            BINARY_LAYERS
        )
        .as_deref(),
        Some("run")
    );
    assert_eq!(
        module_of(Path::new("src"), Path::new("src/lib.rs"), LAYERS),
        None
    );
}
