//! The run plan: `watch`'s flags and configuration file resolved once, validated, into what
//! every part of a run is built from (ripgrep's `LowArgs` → `HiArgs`).
//!
//! [`RunPlan::resolve`] is the only reader of [`WatchArgs`]: it finds the configuration file
//! (`--config`, else `DIR/.ml-monitor/config.toml`, else `$XDG_CONFIG_HOME/ml-monitor/config.toml`),
//! applies the flags, checks the reference, the history and the sinks, and gives one
//! [`ModelPlan`] per watched model. Past this point nothing looks at the raw arguments, so a
//! flag cannot mean one thing to the pipeline and another to the watcher.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use ml_monitor::config::DetectorKind;
use ml_monitor::config::MonitorConfig;

use crate::cli::WatchArgs;
use config_file::ConfigFile;
use labels::LabelsConfig;

use crate::error::UsageError;
use crate::file_bytes::Access;
use crate::output::Format;
use crate::prometheus::MetricsSettings;
use crate::runbooks::Runbooks;
use crate::sinks::{self, config::SinkSpec};

/// What the monitor is compared against.
#[derive(Debug)]
pub(crate) enum ReferenceSource {
    /// A reference CSV.
    Csv(PathBuf),
    /// Reference statistics saved by `ml-monitor train` (PSI, chi-square, quality and
    /// prediction shift only).
    Stats(PathBuf),
}

/// How files are loaded: mapped or read, and the largest window accepted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    pub(crate) access: Access,
    pub(crate) max_bytes: u64,
}

/// The default history location for a watched directory.
pub(crate) fn default_history_path(dir: &Path) -> PathBuf {
    dir.join(".ml-monitor").join("history.sqlite")
}

pub(crate) mod config_file;
pub(crate) mod labels;
mod models;
pub(crate) mod tui;

pub(crate) use models::check as check_models;

#[cfg(test)]
mod tests;

/// How the run shows its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `--once`: the files present now, then exit.
    Once,
    /// `--headless`: JSON lines until a signal.
    Headless,
    /// The terminal UI.
    Tui,
}

impl Mode {
    /// The TUI and `--headless` keep watching (and keep a history by default).
    pub(crate) fn is_live(self) -> bool {
        self != Mode::Once
    }
}

/// Everything one watched model needs: built into a [`crate::run::pipeline::Pipeline`], a watcher
/// and a view.
#[derive(Debug)]
pub(crate) struct ModelPlan {
    /// Its name in the fleet list and in the JSON lines of a run with several models.
    pub(crate) name: String,
    /// The watched directory, or (`--once`) one window file.
    pub(crate) path: PathBuf,
    /// The configuration with this model's overrides and the flags applied, validated.
    pub(crate) config: MonitorConfig,
    /// The configuration file in use, if any.
    pub(crate) config_file: Option<PathBuf>,
    pub(crate) reference: ReferenceSource,
    /// A model file that computes each window's predictions.
    pub(crate) model: Option<PathBuf>,
    /// Where the history lives, if one is kept.
    pub(crate) history: Option<PathBuf>,
    /// Checked `[[sinks]]`, and the `monitor` label their incidents carry.
    pub(crate) sinks: Vec<SinkSpec>,
    pub(crate) monitor_name: String,
    /// Checked `[alerts.runbooks]`.
    pub(crate) runbooks: Runbooks,
    /// `[labels]`: where late labels land and how long their windows' rows are kept.
    pub(crate) labels: LabelsConfig,
    /// `[tui]`: how the terminal UI looks.
    pub(crate) tui: tui::TuiConfig,
    pub(crate) load: Load,
    /// Keep the reference for the UI's histograms.
    pub(crate) histograms: bool,
    /// A window file to read while the reference is fitted (`--once FILE`).
    pub(crate) prefetch: Option<PathBuf>,
    /// How long to wait for another monitor's lock on the history: `--once` queues behind
    /// another `--once` for a while; the live modes refuse at once.
    pub(crate) lock_wait: std::time::Duration,
}

impl ModelPlan {
    /// The reference file, as given, for the status line (empty without one).
    pub(crate) fn reference_text(&self) -> String {
        match &self.reference {
            ReferenceSource::Csv(p) | ReferenceSource::Stats(p) => p.display().to_string(),
        }
    }

    /// The files the watcher must never take for windows: the reference itself, wherever it
    /// is, and any file of the watched directory named like it. The name rule is what lets
    /// `watch A B C --reference A/reference.csv` run over directories `generate` wrote, each
    /// with its own `reference.csv`: the reference's name is reserved in every watched directory.
    pub(crate) fn watch_ignores(&self) -> Vec<PathBuf> {
        let reference = match &self.reference {
            ReferenceSource::Csv(p) | ReferenceSource::Stats(p) => p,
        };
        let mut ignore = vec![reference.clone()];
        if let Some(name) = reference.file_name() {
            ignore.push(self.path.join(name));
        }
        ignore
    }

    /// `[labels] dir`, relative to the watched directory: where this model's label files land
    /// besides the watched directory itself (every mode reads it the same way).
    pub(crate) fn labels_dir(&self) -> Option<PathBuf> {
        let dir = self.labels.dir.as_ref()?;
        Some(if self.path.is_dir() {
            self.path.join(dir)
        } else {
            self.path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join(dir)
        })
    }
}

/// One validated `watch` run.
#[derive(Debug)]
pub(crate) struct RunPlan {
    pub(crate) mode: Mode,
    /// One or more; several open the fleet view and name the model in each JSON line.
    pub(crate) models: Vec<ModelPlan>,
    pub(crate) format: Format,
    /// Poll instead of file-system events, at this interval.
    pub(crate) poll: Option<Duration>,
    /// `--once`: how long the sinks may take to deliver before exiting.
    pub(crate) sink_timeout: Duration,
    pub(crate) log_file: Option<PathBuf>,
    pub(crate) no_color: bool,
    pub(crate) metrics: MetricsSettings,
    /// First word of the status line.
    pub(crate) title: String,
}

impl RunPlan {
    /// Resolves and checks everything `watch` was given. Usage problems are [`UsageError`]s
    /// (exit status 2) naming the flag or the file and line.
    pub(crate) fn resolve(args: &WatchArgs) -> anyhow::Result<RunPlan> {
        let mode = if args.once {
            Mode::Once
        } else if args.headless {
            Mode::Headless
        } else {
            Mode::Tui
        };
        let entries = models::entries(args)?;
        if entries.len() > 1 && args.history.is_some() {
            return Err(UsageError(
                "--history names one database; with several models each keeps its own in DIR/.ml-monitor/"
                    .into(),
            )
            .into());
        }
        // `[metrics]` of the first model's file: metrics serve one model.
        let (metrics_config, addr_at) = match entries.first().and_then(|e| e.file.as_ref()) {
            Some(f) => (f.metrics.clone(), f.metrics_addr_at()),
            None => (Default::default(), "[metrics] addr".to_string()),
        };
        let mut plans = Vec::with_capacity(entries.len());
        for entry in entries {
            plans.push(model_plan(args, mode, entry)?);
        }
        if plans.is_empty() {
            return Err(UsageError("no model to watch".into()).into());
        }
        let metrics =
            MetricsSettings::resolve(&args.metrics, &metrics_config, &addr_at, mode.is_live())?;
        if plans.len() > 1 && (metrics.addr.is_some() || metrics.file.is_some()) {
            return Err(UsageError(
                "metrics (--metrics-addr, --metrics-file, [metrics] addr) serve one model; run one process per model to export several"
                    .into(),
            )
            .into());
        }
        let format = args.format.unwrap_or(match mode {
            Mode::Once if std::io::stdout().is_terminal() => Format::Text,
            _ => Format::Json,
        });
        Ok(RunPlan {
            mode,
            models: plans,
            format,
            poll: args.poll,
            sink_timeout: args.sink_timeout,
            log_file: args.log_file.clone(),
            no_color: args.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            metrics,
            title: "ml-monitor".into(),
        })
    }

    /// Whether the results name their model (a run over several).
    pub(crate) fn is_fleet(&self) -> bool {
        self.models.len() > 1
    }
}

/// One model as the flags or `[[models]]` give it, before its checks.
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    /// The library's settings, with this model's overrides; its checked runbooks.
    pub(crate) config: MonitorConfig,
    pub(crate) runbooks: Runbooks,
    /// The configuration file they came from (its sinks, `[monitor]` and `[metrics]`).
    pub(crate) file: Option<Rc<ConfigFile>>,
    pub(crate) reference: Option<PathBuf>,
    pub(crate) reference_stats: Option<PathBuf>,
    pub(crate) model: Option<PathBuf>,
}

/// How long `--once` waits for another monitor to release the history.
const ONCE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn model_plan(args: &WatchArgs, mode: Mode, entry: Entry) -> anyhow::Result<ModelPlan> {
    let Entry {
        name,
        path,
        mut config,
        runbooks,
        file,
        reference,
        reference_stats,
        model,
    } = entry;
    if mode.is_live() && !path.is_dir() {
        return Err(UsageError(format!(
            "{}: live modes watch a directory (use --once for a single file)",
            path.display()
        ))
        .into());
    }
    if mode == Mode::Once && !path.exists() {
        return Err(UsageError(format!("{}: no such file or directory", path.display())).into());
    }
    if mode == Mode::Once && !path.is_dir() && !path.is_file() {
        return Err(UsageError(format!(
            "{}: not a regular file or a directory",
            path.display()
        ))
        .into());
    }
    apply_flags(args, &mut config, reference_stats.is_some())?;
    let reference = reference_source(reference, reference_stats, model.as_deref())?;
    let history = if args.no_history {
        None
    } else {
        match (&args.history, mode.is_live()) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => Some(default_history_path(&path)),
            (None, false) => None,
        }
    };
    let sinks = match &file {
        Some(f) => f.sinks()?,
        None => Vec::new(),
    };
    let monitor_name = match file.as_ref().and_then(|f| f.monitor.name.as_ref()) {
        Some(n) if !n.trim().is_empty() => n.clone(),
        _ if args.paths.len() != 1 => name.clone(),
        _ => sinks::monitor_name(None, &path),
    };
    // A named file is mapped, and parsed while the reference is fitted; a directory's files
    // are read (see `file_bytes`).
    let (access, prefetch) = if mode == Mode::Once && path.is_file() {
        (Access::Map, Some(path.clone()))
    } else {
        (Access::Read, None)
    };
    let labels = file.as_ref().map(|f| f.labels.clone()).unwrap_or_default();
    let tui = file.as_ref().map(|f| f.tui.clone()).unwrap_or_default();
    Ok(ModelPlan {
        name,
        path,
        config,
        config_file: file.map(|f| f.path.clone()),
        reference,
        model,
        history,
        sinks,
        monitor_name,
        runbooks,
        labels,
        tui,
        load: Load {
            access,
            max_bytes: args.max_window_bytes,
        },
        histograms: mode == Mode::Tui,
        prefetch,
        lock_wait: if mode == Mode::Once {
            ONCE_LOCK_WAIT
        } else {
            std::time::Duration::ZERO
        },
    })
}

/// The flags over the file: detectors, task, columns. Flags can break what the file's checks
/// allowed (`--detectors ks,ks`): a usage error.
fn apply_flags(args: &WatchArgs, config: &mut MonitorConfig, stats: bool) -> anyhow::Result<()> {
    if let Some(d) = &args.detectors {
        config.drift.detectors = d.clone();
    }
    args.columns.apply(config);
    if stats && args.detectors.is_none() {
        // Statistics carry no rows: run what they support unless detectors were named.
        let before = config.drift.detectors.len();
        config
            .drift
            .detectors
            .retain(|d| matches!(d, DetectorKind::Psi | DetectorKind::Chi2));
        if config.drift.detectors.len() < before {
            eprintln!(
                "ml-monitor: ks, ad, cvm, wasserstein, pca and the classifier need the raw reference rows; with --reference-stats only psi and chi2 run"
            );
        }
    }
    config
        .validate()
        .map_err(|e| UsageError(format!("invalid settings: {e}")))?;
    Ok(())
}

fn reference_source(
    reference: Option<PathBuf>,
    stats: Option<PathBuf>,
    model: Option<&Path>,
) -> anyhow::Result<ReferenceSource> {
    if let Some(model) = model {
        regular_file(model, "--model")?;
    }
    match (reference, stats) {
        (Some(r), _) => {
            regular_file(&r, "--reference")?;
            Ok(ReferenceSource::Csv(r))
        }
        (None, Some(s)) => {
            regular_file(&s, "--reference-stats")?;
            Ok(ReferenceSource::Stats(s))
        }
        (None, None) => {
            Err(UsageError("--reference REF (or --reference-stats FILE) is required".into()).into())
        }
    }
}

/// Refuses a path that is not a regular file (a FIFO would block the start, `/dev/zero` would
/// fill memory) with a usage error naming the flag.
pub(crate) fn regular_file(path: &Path, flag: &str) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(UsageError(format!("{flag} {}: not a regular file", path.display())).into()),
        // Missing or unreadable: the loading step says so (exit status 1, as before).
        Err(_) => Ok(()),
    }
}
