//! Which models a run watches, and with which configuration file.
//!
//! Directories on the command line share `--reference` and the configuration; a `[[models]]`
//! list in the configuration gives each model its own directory, reference and `[models.drift]`
//! / `[models.alerts]` overrides, resolved when the file is read ([`ConfigFile`]).

use std::path::{Path, PathBuf};
use std::rc::Rc;

use ml_monitor::config::MonitorConfig;

use super::config_file::{ConfigFile, MAX_MODELS};
use super::Entry;
use crate::cli::WatchArgs;
use crate::error::UsageError;
use crate::runbooks::Runbooks;
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

/// The configuration file at `path`, read and checked.
fn load(path: Option<&Path>) -> Result<Option<Rc<ConfigFile>>, UsageError> {
    path.map(|p| ConfigFile::read(p).map(Rc::new)).transpose()
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
        let config = Rc::new(ConfigFile::read(&file)?);
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
        return from_models(&shared, config);
    }
    for path in &args.paths {
        let file = if args.no_config_discovery {
            args.config.clone()
        } else {
            discover(args.config.as_deref(), Some(path))
        };
        let config = load(file.as_deref())?;
        if config.as_ref().is_some_and(|c| !c.models.is_empty()) {
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
            config: config
                .as_ref()
                .map_or_else(MonitorConfig::default, |c| c.config.clone()),
            runbooks: config
                .as_ref()
                .map_or_else(Runbooks::default, |c| c.runbooks.clone()),
            file: config,
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

/// Checks what a configuration file's `[[models]]` need beyond the file (`config --check`):
/// no two watch one directory. Returns how many there are.
pub(crate) fn check(file: ConfigFile) -> anyhow::Result<usize> {
    Ok(from_models(&Shared::default(), Rc::new(file))?.len())
}

fn from_models(shared: &Shared, file: Rc<ConfigFile>) -> anyhow::Result<Vec<Entry>> {
    let mut out: Vec<Entry> = Vec::new();
    for m in &file.models {
        let (reference, reference_stats) = match (&m.reference, &m.reference_stats) {
            (None, None) => (shared.reference.clone(), shared.reference_stats.clone()),
            (r, s) => (r.clone(), s.clone()),
        };
        out.push(Entry {
            name: m.name.clone(),
            path: m.dir.clone(),
            config: m.config.clone(),
            runbooks: m.runbooks.clone(),
            file: Some(Rc::clone(&file)),
            reference,
            reference_stats,
            model: m.model.clone().or_else(|| shared.model.clone()),
        });
    }
    refuse_shared_directories(&out)?;
    Ok(out)
}
