//! What `watch` and `demo` share: the configuration with flags applied, the history, logging.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ml_monitor::config::DetectorKind;
use ml_monitor::MonitorConfig;

use crate::cli::WatchArgs;
use crate::history::History;
use crate::pipeline::{default_history_path, ReferenceSource, UsageError};

/// Loads the config file (or the defaults) and applies the flags.
pub fn config(args: &WatchArgs) -> anyhow::Result<MonitorConfig> {
    let mut config = match &args.config {
        Some(path) => MonitorConfig::from_file(path).map_err(|e| UsageError(e.to_string()))?,
        None => MonitorConfig::default(),
    };
    if let Some(d) = &args.detectors {
        config.drift.detectors = d.clone();
    }
    if let Some(t) = args.task {
        config.task = t;
    }
    if let Some(p) = &args.prediction {
        config.columns.prediction = p.clone();
    }
    if let Some(t) = &args.target {
        config.columns.target = t.clone();
    }
    if args.reference_stats.is_some() && args.detectors.is_none() {
        // Statistics carry no rows: run what they support unless detectors were named.
        let before = config.drift.detectors.len();
        config
            .drift
            .detectors
            .retain(|d| matches!(d, DetectorKind::Psi | DetectorKind::Chi2));
        if config.drift.detectors.len() < before {
            eprintln!(
                "ml-monitor: KS and the classifier need the raw reference rows; with --reference-stats only psi and chi2 run"
            );
        }
    }
    // Flags can break what the file's checks allowed (`--detectors ks,ks`): a usage error.
    config
        .validate()
        .map_err(|e| UsageError(format!("invalid settings: {e}")))?;
    Ok(config)
}

/// The reference the flags name: `--reference` or `--reference-stats`.
pub fn reference(args: &WatchArgs) -> anyhow::Result<ReferenceSource> {
    match (&args.reference, &args.reference_stats) {
        (Some(r), _) => Ok(ReferenceSource::Csv(r.clone())),
        (None, Some(s)) => Ok(ReferenceSource::Stats(s.clone())),
        (None, None) => {
            Err(UsageError("--reference REF (or --reference-stats FILE) is required".into()).into())
        }
    }
}

/// Where the history lives for this run, if anywhere. `live`: the TUI and --headless keep one
/// by default; --once only with --history.
pub fn history_path(args: &WatchArgs, live: bool) -> Option<PathBuf> {
    if args.no_history {
        return None;
    }
    match (&args.history, live) {
        (Some(p), _) => Some(p.clone()),
        (None, true) if args.path.is_dir() => Some(default_history_path(&args.path)),
        _ => None,
    }
}

/// Opens the history at `path`, if given.
pub fn open_history(path: Option<&Path>) -> anyhow::Result<Option<History>> {
    path.map(|p| History::open(p).map_err(anyhow::Error::from))
        .transpose()
}

/// A logger that appends to a file; logs never go to the screen.
struct FileLogger {
    file: Mutex<std::fs::File>,
}

impl log::Log for FileLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            if let Ok(mut f) = self.file.lock() {
                let _ = writeln!(
                    f,
                    "{} {:<5} {}: {}",
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    record.level(),
                    record.target(),
                    record.args()
                );
            }
        }
    }

    fn flush(&self) {
        if let Ok(mut f) = self.file.lock() {
            let _ = f.flush();
        }
    }
}

/// Sends `log` records to `path` (appending).
pub fn log_to_file(path: &Path) -> anyhow::Result<()> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| UsageError(format!("--log-file {}: {e}", path.display())))?;
    let logger = Box::new(FileLogger {
        file: Mutex::new(file),
    });
    log::set_boxed_logger(logger).map_err(|e| anyhow::anyhow!("logger: {e}"))?;
    log::set_max_level(log::LevelFilter::Info);
    Ok(())
}
