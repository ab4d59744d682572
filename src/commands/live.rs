//! The live modes: `--headless` (JSON lines until a signal) and, in `tui_mode`, the TUI; what
//! both need to start a model (its pipeline and its watcher).
//!
//! Threads: one watcher thread per model finds complete files; the pipelines run off the
//! watchers' threads so a slow window never blocks them; a burst of arrivals queues on the work
//! channel and nothing is dropped.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use super::retry::StoreRetry;
use super::setup;
use super::worker::{acknowledge, timed};
use crate::app_event::Work;
use crate::history::FileKey;
use crate::metrics::Exporter;
use crate::output::write_result;
use crate::pipeline::{Pipeline, Processed};
use crate::plan::{ModelPlan, RunPlan};
use crate::signals;
use crate::watch::{self, WatchEvent, WatchOptions};

/// Starts what every live run has once: the log file and the metrics exporter. Started before
/// the references are fitted: a busy port fails the start at once. The TUI owns the screen, so
/// only the headless mode talks on stderr.
pub fn start_run(plan: &RunPlan) -> anyhow::Result<Option<Exporter>> {
    if let Some(log) = &plan.log_file {
        setup::log_to_file(log)?;
    }
    Exporter::start(
        plan.metrics.clone(),
        plan.mode == crate::plan::Mode::Headless,
    )
}

/// Builds each model's pipeline, in the plan's order; the metrics continue from the first
/// model's history (metrics serve one model).
pub fn pipelines(plan: &RunPlan, metrics: Option<&mut Exporter>) -> anyhow::Result<Vec<Pipeline>> {
    let mut out = Vec::with_capacity(plan.models.len());
    for model in &plan.models {
        out.push(Pipeline::new(model)?);
    }
    if let (Some(m), Some(h)) = (metrics, out.first().and_then(Pipeline::history)) {
        if let Some(last) = h.recent(1)?.last() {
            m.seed(last);
        }
    }
    Ok(out)
}

/// Starts a model's watcher; files the history holds (`seen`) are not reported again.
pub fn start_watcher(
    plan: &RunPlan,
    model: &ModelPlan,
    seen: HashSet<FileKey>,
    on_event: impl Fn(WatchEvent) -> bool + Send + 'static,
) -> anyhow::Result<watch::Watcher> {
    let mut options = WatchOptions {
        poll: plan.poll,
        ignore: model.reference_csv().into_iter().collect(),
        ..WatchOptions::default()
    };
    if let Some(interval) = plan.poll {
        options.rescan_interval = interval;
    }
    let already_seen = move |p: &Path| FileKey::of(p).is_ok_and(|k| seen.contains(&k));
    Ok(watch::spawn(
        model.path.clone(),
        options,
        already_seen,
        on_event,
    )?)
}

/// `--headless` says on stderr what it watches, with which configuration, and how many files
/// present it skips because the history already holds them.
fn announce(model: &ModelPlan, seen: &HashSet<FileKey>, fleet: bool) {
    let ignore: Vec<_> = model.reference_csv().into_iter().collect();
    let present = watch::initial_files(&model.path, &ignore).unwrap_or_default();
    let skipped = present
        .iter()
        .filter(|p| FileKey::of(p).is_ok_and(|k| seen.contains(&k)))
        .count();
    let name = if fleet {
        format!(" (model {})", model.name)
    } else {
        String::new()
    };
    let config = match &model.config_file {
        Some(f) => format!("config {}", f.display()),
        None => "no config file (defaults)".to_string(),
    };
    let history = match &model.history {
        Some(h) => format!(
            "{skipped} of {} window file(s) present already in the history {}, skipped",
            present.len(),
            h.display()
        ),
        None => format!("no history: {} window file(s) present", present.len()),
    };
    eprintln!(
        "ml-monitor: watching {}{name} against {}; {config}; {history}",
        model.path.display(),
        model.reference_text(),
    );
}

/// `watch DIR… --headless`: one JSON line per window until SIGINT/SIGTERM/SIGHUP. Several
/// models share one loop (windows are processed one at a time, in arrival order); each line
/// then names its model.
pub fn run_headless(plan: &RunPlan) -> anyhow::Result<ExitCode> {
    let mut metrics = start_run(plan)?;
    let mut pipelines = pipelines(plan, metrics.as_mut())?;
    let format = plan.format;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = channel::<(usize, Work)>();
    let tx_closed = tx.clone();
    {
        let stop = Arc::clone(&stop);
        let tx = tx.clone();
        signals::on_termination(move || {
            stop.store(true, Ordering::SeqCst);
            let _ = tx.send((0, Work::Stop));
        })?;
    }
    let mut watchers = Vec::with_capacity(pipelines.len());
    for (i, (model, pipeline)) in plan.models.iter().zip(&pipelines).enumerate() {
        let seen = pipeline.processed_keys()?;
        announce(model, &seen, plan.is_fleet());
        let tx = tx.clone();
        let watcher = start_watcher(plan, model, seen, move |event| match event {
            WatchEvent::Ready(path) => tx.send((i, Work::File(path))).is_ok(),
            WatchEvent::Trouble(message) => {
                log::warn!("{message}");
                eprintln!("ml-monitor: {message}");
                true
            }
            WatchEvent::Recovered => {
                eprintln!("ml-monitor: watching again");
                true
            }
        })?;
        watchers.push(watcher);
    }
    drop(tx);
    watch_stdout(tx_closed);
    let forgetters: Vec<_> = watchers.iter().map(watch::Watcher::forgetter).collect();
    let mut retries: Vec<StoreRetry> = pipelines.iter().map(|_| StoreRetry::default()).collect();
    let stdout = std::io::stdout();
    let outcome = loop {
        let due = retries.iter().filter_map(StoreRetry::next_due).min();
        let work = match due {
            Some(due) => {
                match rx.recv_timeout(due.saturating_duration_since(std::time::Instant::now())) {
                    Ok(work) => Some(work),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break Ok(()),
                }
            }
            None => match rx.recv() {
                Ok(work) => Some(work),
                Err(_) => break Ok(()),
            },
        };
        if stop.load(Ordering::SeqCst) {
            break Ok(());
        }
        match work {
            Some((i, Work::File(path))) => {
                let (Some(pipeline), Some(retry)) = (pipelines.get_mut(i), retries.get_mut(i))
                else {
                    continue;
                };
                // Metrics serve one model (the plan refuses them with several).
                if let Some(processed) = timed(pipeline, &path, metrics.as_mut()) {
                    let Processed {
                        report,
                        key,
                        unstored,
                        unread,
                    } = processed;
                    if unread {
                        forgetters[i].forget(&path);
                    }
                    let name = plan.is_fleet().then(|| plan.models[i].name.as_str());
                    let mut out = stdout.lock();
                    if let Err(e) = write_result(&mut out, &report.result, format, name) {
                        if e.kind() == std::io::ErrorKind::BrokenPipe {
                            break Ok(());
                        }
                        eprintln!("ml-monitor: stdout: {e}");
                    }
                    drop(out);
                    if let Some(e) = unstored {
                        eprintln!("ml-monitor: {e:#}; retrying");
                        retry.push(key, report.result);
                    }
                }
            }
            Some((i, Work::Command(command))) => {
                if let Some(p) = pipelines.get_mut(i) {
                    acknowledge(p, command);
                }
            }
            None => {}
            Some((_, Work::Stop)) => break Ok(()),
            Some((_, Work::StdoutClosed)) => {
                // Nobody reads the results any more; what is recorded stays recorded.
                break Ok(());
            }
        }
        let mut failed = None;
        for (retry, pipeline) in retries.iter_mut().zip(pipelines.iter_mut()) {
            match retry.run(pipeline, false) {
                Ok(recorded) => {
                    for window in recorded {
                        eprintln!("ml-monitor: {window}: recorded in the history after all");
                    }
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            break Err(e);
        }
    };
    for watcher in watchers {
        watcher.stop();
    }
    outcome?;
    for (retry, pipeline) in retries.iter_mut().zip(pipelines.iter_mut()) {
        if retry.len() > 0 {
            // Leaving with results not yet recorded: one last attempt, else say so and fail.
            retry.run(pipeline, true)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends `StdoutClosed` once stdout is a pipe or socket whose reader has gone, even when no
/// window comes to be written (`watch DIR --headless | head -1` must end).
#[cfg(unix)]
fn watch_stdout(tx: Sender<(usize, Work)>) {
    let spawned = std::thread::Builder::new()
        .name("stdout-watch".into())
        .spawn(move || loop {
            let mut fd = libc::pollfd {
                fd: libc::STDOUT_FILENO,
                events: 0,
                revents: 0,
            };
            // SAFETY: one valid pollfd, for the duration of the call. Asking for no events,
            // poll still reports POLLERR (pipe reader gone) and POLLHUP (socket closed).
            let n = unsafe { libc::poll(&mut fd, 1, 1000) };
            if n > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                let _ = tx.send((0, Work::StdoutClosed));
                return;
            }
            if n > 0 && fd.revents & libc::POLLNVAL != 0 {
                return; // no stdout at all: nothing to watch
            }
            if n < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return;
            }
        });
    if let Err(e) = spawned {
        log::warn!("cannot watch stdout for a closed pipe: {e}");
    }
}

#[cfg(not(unix))]
fn watch_stdout(_tx: Sender<(usize, Work)>) {}
