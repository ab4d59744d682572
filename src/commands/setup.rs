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
use crate::sinks::{self, Sender};

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
    if let Some(model) = &args.model {
        regular_file(model, "--model")?;
    }
    match (&args.reference, &args.reference_stats) {
        (Some(r), _) => regular_file(r, "--reference")?,
        (None, Some(s)) => regular_file(s, "--reference-stats")?,
        (None, None) => {}
    }
    match (&args.reference, &args.reference_stats) {
        (Some(r), _) => Ok(ReferenceSource::Csv(r.clone())),
        (None, Some(s)) => Ok(ReferenceSource::Stats(s.clone())),
        (None, None) => {
            Err(UsageError("--reference REF (or --reference-stats FILE) is required".into()).into())
        }
    }
}

/// Refuses a path that is not a regular file (a FIFO would block the start, `/dev/zero` would
/// fill memory) with a usage error naming the flag.
pub fn regular_file(path: &Path, flag: &str) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(UsageError(format!("{flag} {}: not a regular file", path.display())).into()),
        // Missing or unreadable: the loading step says so (exit status 1, as before).
        Err(_) => Ok(()),
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

/// Delivery of incident changes for this run: the sender thread, and the temporary directory
/// of an outbox kept for a run without a history.
pub struct Delivery {
    pub sender: Sender,
    _outbox_dir: Option<tempfile::TempDir>,
}

/// Opens the history (see [`history_path`]) and, when the config names `[[sinks]]`, checks
/// them (exit status 2 naming file, line and key) and starts their sender. Sinks need an
/// outbox: a run without a history keeps one in a temporary directory.
pub fn history_and_sinks(
    args: &WatchArgs,
    config: &MonitorConfig,
    live: bool,
) -> anyhow::Result<(Option<History>, Option<Delivery>)> {
    let specs = match &args.config {
        Some(path) if !config.sinks.is_empty() => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("{}: cannot read: {e}", path.display())))?;
            sinks::config::parse(&text, path).map_err(UsageError)?
        }
        _ => Vec::new(),
    };
    let path = history_path(args, live);
    if specs.is_empty() {
        return Ok((open_history(path.as_deref())?, None));
    }
    let (path, dir) = match path {
        Some(p) => (p, None),
        None => {
            let dir = tempfile::tempdir()?;
            (dir.path().join("outbox.sqlite"), Some(dir))
        }
    };
    let mut history = History::open(&path)?;
    history.set_sinks(sinks::filters(&specs));
    let name = sinks::monitor_name(config.monitor.name.as_deref(), &args.path);
    let sender = Sender::start(&path, specs, name)?;
    Ok((
        Some(history),
        Some(Delivery {
            sender,
            _outbox_dir: dir,
        }),
    ))
}

/// `--once`'s last words on delivery: waits up to `timeout` and says on stderr what was not
/// delivered. Returns whether everything was.
pub fn finish_delivery(delivery: &Delivery, timeout: std::time::Duration) -> bool {
    let status = delivery.sender.drain(timeout);
    let mut all = true;
    for (name, s) in &status {
        if s.queued > 0 {
            all = false;
            let why = s.retrying.as_deref().unwrap_or("no answer yet");
            eprintln!(
                "ml-monitor: sink {name}: {} incident change(s) not delivered within {:?} (last error: {why}); they stay in the outbox for the next run",
                s.queued, timeout
            );
        }
        if s.refused > 0 {
            all = false;
            eprintln!(
                "ml-monitor: sink {name}: {} incident change(s) refused: {}",
                s.refused,
                s.last_refusal.as_deref().unwrap_or("")
            );
        }
    }
    all
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
