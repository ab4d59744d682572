//! Which models a run watches, and with which configuration file.
//!
//! Directories on the command line share `--reference` and the configuration; a `[[models]]`
//! list in the configuration gives each model its own directory, reference and `[models.drift]`
//! / `[models.alerts]` overrides. An override is merged into the file's TOML before it is
//! parsed, so it is checked (and its errors worded) exactly as the file itself; an error found
//! in that merged copy is then reported at the line of the user's file where the key is written
//! (`config::locate`), the override's own line when the key is one of its.

use std::path::{Path, PathBuf};

use ml_monitor::config::locate::{self, Step};
use ml_monitor::MonitorConfig;
use serde::Deserialize;

use super::Entry;
use crate::cli::WatchArgs;
use crate::error::UsageError;

/// At most this many models in one process: each has a worker, a watcher and a history.
const MAX_MODELS: usize = 64;

/// The configuration file in use: `--config`, else `DIR/.ml-monitor/config.toml`, else
/// `$XDG_CONFIG_HOME/ml-monitor/config.toml` (`~/.config` when unset).
pub(crate) fn discover(given: Option<&Path>, dir: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = given {
        return Some(path.to_path_buf());
    }
    let dir = dir?;
    let dir = if dir.is_file() {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    let local = dir.join(".ml-monitor").join("config.toml");
    let user = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("ml-monitor").join("config.toml"));
    std::iter::once(local).chain(user).find(|p| p.is_file())
}

/// The configuration and its text, from `path` (or the defaults).
fn load(path: Option<&Path>) -> anyhow::Result<(MonitorConfig, Option<String>)> {
    match path {
        Some(p) => {
            let config = MonitorConfig::from_file(p).map_err(|e| UsageError(e.to_string()))?;
            // Read again only for what the library keeps as written (sinks, models).
            let text = if config.sinks.is_empty() && config.models.is_empty() {
                None
            } else {
                Some(
                    std::fs::read_to_string(p)
                        .map_err(|e| UsageError(format!("{}: cannot read: {e}", p.display())))?,
                )
            };
            Ok((config, text))
        }
        None => Ok((MonitorConfig::default(), None)),
    }
}

/// One `[[models]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    dir: PathBuf,
    reference: Option<PathBuf>,
    reference_stats: Option<PathBuf>,
    model: Option<PathBuf>,
    drift: Option<toml::Table>,
    alerts: Option<toml::Table>,
}

/// The `[[models]]` of a file, read from its text so that an error has a position.
#[derive(Deserialize)]
struct Models {
    #[serde(default)]
    models: Vec<RawModel>,
}

/// The models of this run, each with its configuration.
pub(crate) fn entries(args: &WatchArgs) -> anyhow::Result<Vec<Entry>> {
    if args.paths.len() > MAX_MODELS {
        return Err(UsageError(format!("at most {MAX_MODELS} directories in one run")).into());
    }
    let mut out = Vec::new();
    if args.paths.is_empty() {
        let Some(file) = discover(args.config.as_deref(), None) else {
            return Err(UsageError(
                "say what to watch: a DIR (or several), or --config FILE with [[models]]".into(),
            )
            .into());
        };
        let (config, text) = load(Some(&file))?;
        if config.models.is_empty() {
            return Err(UsageError(format!(
                "{}: no [[models]]; give the directory to watch: ml-monitor watch DIR --config {}",
                file.display(),
                file.display()
            ))
            .into());
        }
        let shared = Shared {
            reference: args.reference.clone(),
            reference_stats: args.reference_stats.clone(),
            model: args.model.clone(),
        };
        return from_models(&shared, &file, text.unwrap_or_default());
    }
    for path in &args.paths {
        let file = if args.no_config_discovery {
            args.config.clone()
        } else {
            discover(args.config.as_deref(), Some(path))
        };
        let (config, text) = load(file.as_deref())?;
        if !config.models.is_empty() {
            return Err(UsageError(format!(
                "{}: [[models]] name their own directories; run `ml-monitor watch --config {}` without DIR",
                file.as_deref().unwrap_or(Path::new("config")).display(),
                file.as_deref().unwrap_or(Path::new("config")).display()
            ))
            .into());
        }
        out.push(Entry {
            name: name_of(path),
            path: path.clone(),
            config,
            config_file: file,
            config_text: text,
            reference: args.reference.clone(),
            reference_stats: args.reference_stats.clone(),
            model: args.model.clone(),
        });
    }
    unique_names(&mut out);
    refuse_shared_directories(&out)?;
    Ok(out)
}

/// One directory is watched by one model: two that name the same directory (after resolving
/// `..`, links and relative paths) would share its history and split its windows between them.
fn refuse_shared_directories(entries: &[Entry]) -> Result<(), UsageError> {
    let resolved: Vec<PathBuf> = entries
        .iter()
        .map(|e| std::fs::canonicalize(&e.path).unwrap_or_else(|_| e.path.clone()))
        .collect();
    for (i, path) in resolved.iter().enumerate() {
        if let Some(j) = resolved[..i].iter().position(|p| p == path) {
            let (a, b) = (&entries[j], &entries[i]);
            return Err(UsageError(format!(
                "model \"{}\" ({}) and model \"{}\" ({}) watch the same directory {}: one directory is watched by one model",
                a.name,
                a.path.display(),
                b.name,
                b.path.display(),
                path.display()
            )));
        }
    }
    Ok(())
}

/// A directory's name for the fleet list: its last component, else the path as given.
fn name_of(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Two directories of the same name (`a/models`, `b/models`) are told apart by their paths.
fn unique_names(entries: &mut [Entry]) {
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    for e in entries.iter_mut() {
        if names.iter().filter(|n| **n == e.name).count() > 1 {
            e.name = e.path.display().to_string();
        }
    }
}

/// What the flags give every model that does not name its own.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) reference: Option<PathBuf>,
    pub(crate) reference_stats: Option<PathBuf>,
    pub(crate) model: Option<PathBuf>,
}

/// Checks the `[[models]]` of a configuration file (`config --check`): each entry's keys and
/// its overrides merged over the file. Returns how many there are.
pub(crate) fn check(file: &Path, text: &str) -> anyhow::Result<usize> {
    Ok(from_models(&Shared::default(), file, text.to_string())?.len())
}

fn from_models(shared: &Shared, file: &Path, text: String) -> anyhow::Result<Vec<Entry>> {
    let toml_error = |e: toml::de::Error| {
        UsageError(format!(
            "{}: {}",
            file.display(),
            locate::toml_error(&text, &e)
        ))
    };
    let mut base: toml::Table = toml::from_str(&text).map_err(toml_error)?;
    base.remove("models");
    let models = toml::from_str::<Models>(&text).map_err(toml_error)?.models;
    // The user's line of `models[index].<key>`, else of `<key>`.
    let line_of = |index: usize, key: &str| {
        let mut path = vec![Step::Key("models".into()), Step::Index(index)];
        path.extend(locate::steps(key));
        locate::line_of_path(&text, &path)
            .or_else(|| locate::line_of_path(&text, &locate::steps(key)))
    };
    let at = |index: usize, key: &str| {
        line_of(index, key)
            .map(|l| format!("line {l}: "))
            .unwrap_or_default()
    };
    if models.len() > MAX_MODELS {
        return Err(UsageError(format!(
            "{}: at most {MAX_MODELS} [[models]] in one run",
            file.display()
        ))
        .into());
    }
    let base_dir = file.parent().unwrap_or(Path::new("."));
    let relative = |p: &Path| -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base_dir.join(p)
        }
    };
    let mut out: Vec<Entry> = Vec::new();
    for (index, m) in models.into_iter().enumerate() {
        let origin = format!("{} [[models]] \"{}\"", file.display(), m.name);
        if m.name.trim().is_empty() || out.iter().any(|e| e.name == m.name) {
            return Err(UsageError(format!(
                "{origin}: {}models[{index}].name: each model needs a name of its own",
                at(index, "name")
            ))
            .into());
        }
        if m.reference.is_some() && m.reference_stats.is_some() {
            return Err(UsageError(format!(
                "{origin}: {}models[{index}].reference_stats: reference and reference_stats exclude each other",
                at(index, "reference_stats")
            ))
            .into());
        }
        let mut merged = base.clone();
        for (key, table) in [("drift", m.drift), ("alerts", m.alerts)] {
            if let Some(t) = table {
                let into = merged
                    .entry(key.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if let toml::Value::Table(into) = into {
                    merge(into, t);
                }
            }
        }
        let merged_text = toml::to_string(&merged)?;
        let config = MonitorConfig::from_toml(&merged_text, &origin).map_err(|e| {
            let line = e.key().and_then(|key| line_of(index, key));
            UsageError(e.at(&origin, line).to_string())
        })?;
        let (reference, reference_stats) = match (m.reference, m.reference_stats) {
            (None, None) => (shared.reference.clone(), shared.reference_stats.clone()),
            (r, s) => (r.map(|p| relative(&p)), s.map(|p| relative(&p))),
        };
        out.push(Entry {
            name: m.name,
            path: relative(&m.dir),
            config,
            config_file: Some(file.to_path_buf()),
            config_text: Some(text.clone()),
            reference,
            reference_stats,
            model: m
                .model
                .map(|p| relative(&p))
                .or_else(|| shared.model.clone()),
        });
    }
    refuse_shared_directories(&out)?;
    Ok(out)
}

/// `over` into `into`, table by table; other values replace.
fn merge(into: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(key, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_merge_table_by_table() {
        let mut base: toml::Table =
            toml::from_str("[drift.statistical]\nalpha = 0.05\npsi_bins = 10\n").expect("toml");
        let over: toml::Table = toml::from_str("[statistical]\nalpha = 0.01\n").expect("toml");
        let drift = base.get_mut("drift").and_then(toml::Value::as_table_mut);
        merge(drift.expect("drift"), over);
        let s = &base["drift"]["statistical"];
        assert_eq!(s["alpha"].as_float(), Some(0.01));
        assert_eq!(s["psi_bins"].as_integer(), Some(10));
    }
}
