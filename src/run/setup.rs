//! What the live modes and `--once` share once the plan is made: the history and the sinks'
//! delivery, and logging to a file.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::error::UsageError;
use crate::history::History;
use crate::plan::ModelPlan;
use crate::sanitize;
use crate::sinks::{self, Sender};

/// Delivery of incident changes for this run: the sender thread, and the temporary directory
/// of an outbox kept for a run without a history.
pub(crate) struct Delivery {
    pub(crate) sender: Sender,
    _outbox_dir: Option<tempfile::TempDir>,
}

/// Opens the history the plan names and, when it has `[[sinks]]`, starts their sender. Sinks
/// need an outbox: a run without a history keeps one in a temporary directory.
pub(crate) fn history_and_sinks(
    plan: &ModelPlan,
) -> anyhow::Result<(Option<History>, Option<Delivery>)> {
    if let Some(path) = &plan.history {
        crate::history::lock::hold(path, plan.lock_wait)?;
    }
    if plan.sinks.is_empty() {
        let history = plan
            .history
            .as_deref()
            .map(|p| History::open(p).map_err(anyhow::Error::from))
            .transpose()?;
        return Ok((history, None));
    }
    let (path, dir) = match &plan.history {
        Some(p) => (p.clone(), None),
        None => {
            let dir = tempfile::tempdir()?;
            (dir.path().join("outbox.sqlite"), Some(dir))
        }
    };
    let mut history = History::open(&path)?;
    history.set_sinks(sinks::filters(&plan.sinks));
    let sender = Sender::start(
        &path,
        plan.sinks.clone(),
        plan.monitor_name.clone(),
        plan.runbooks.clone(),
    )?;
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
pub(crate) fn finish_delivery(delivery: &Delivery, timeout: std::time::Duration) -> bool {
    let status = delivery.sender.drain(timeout);
    let mut all = true;
    for (name, s) in &status {
        if s.queued > 0 {
            all = false;
            let why = sanitize::sanitize(s.retrying.as_deref().unwrap_or("no answer yet"));
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
                sanitize::sanitize(s.last_refusal.as_deref().unwrap_or(""))
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
pub(crate) fn log_to_file(path: &Path) -> anyhow::Result<()> {
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
