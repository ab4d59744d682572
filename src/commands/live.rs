//! The live modes: `--headless` (JSON lines until a signal) and the TUI.
//!
//! Threads: the watcher thread finds complete files; one worker thread owns the pipeline (read,
//! evaluate, record) so a slow window never blocks the keys or the watcher; a burst of arrivals
//! queues on the work channel and nothing is dropped. The TUI runs on the main thread.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use super::retry::StoreRetry;
use super::setup;
use crate::app_event::{AppEvent, UiCommand};
use crate::cli::{Format, WatchArgs};
use crate::file_bytes::Access;
use crate::history::FileKey;
use crate::metrics::{Exporter, MetricsSettings};
use crate::output::write_result;
use crate::pipeline::{Load, Pipeline, Processed, UsageError};
use crate::signals;
use crate::tui::{self, TuiOptions};
use crate::watch::{self, WatchEvent, WatchOptions};

/// Work for the worker thread.
enum Work {
    File(PathBuf),
    Command(UiCommand),
    /// The reader of stdout has gone (`| head -1`): end quietly.
    StdoutClosed,
    Stop,
}

/// The pipeline, the reference path (for the watcher to skip) and the metrics, if on.
type Prepared = (Pipeline, Option<PathBuf>, Option<Exporter>);

fn prepare(args: &WatchArgs, histograms: bool) -> anyhow::Result<Prepared> {
    if !args.path.is_dir() {
        return Err(UsageError(format!(
            "{}: live modes watch a directory (use --once for a single file)",
            args.path.display()
        ))
        .into());
    }
    if let Some(log) = &args.log_file {
        setup::log_to_file(log)?;
    }
    let config = setup::config(args)?;
    let source = setup::reference(args)?;
    let (history, delivery) = setup::history_and_sinks(args, &config, true)?;
    // Started before the reference is fitted: a busy port fails the start at once. The TUI
    // owns the screen, so only the headless mode talks on stderr.
    let mut metrics = Exporter::start(
        MetricsSettings::resolve(&args.metrics, &config.metrics, true)?,
        !histograms,
    )?;
    if let (Some(m), Some(h)) = (&mut metrics, &history) {
        if let Some(last) = h.recent(1)?.last() {
            m.seed(last);
        }
    }
    let load = Load {
        access: Access::Read,
        max_bytes: args.max_window_bytes,
    };
    let mut pipeline = Pipeline::new(
        config,
        &source,
        args.model.as_deref(),
        history,
        histograms,
        load,
        None,
    )?;
    pipeline.set_delivery(delivery);
    Ok((pipeline, args.reference.clone(), metrics))
}

fn start_watcher(
    args: &WatchArgs,
    reference: Option<PathBuf>,
    seen: HashSet<FileKey>,
    on_event: impl Fn(WatchEvent) -> bool + Send + 'static,
) -> anyhow::Result<watch::Watcher> {
    let mut options = WatchOptions {
        poll: args.poll,
        ignore: reference.into_iter().collect(),
        ..WatchOptions::default()
    };
    if let Some(interval) = args.poll {
        options.rescan_interval = interval;
    }
    let already_seen = move |p: &Path| FileKey::of(p).is_ok_and(|k| seen.contains(&k));
    Ok(watch::spawn(
        args.path.clone(),
        options,
        already_seen,
        on_event,
    )?)
}

/// `watch DIR --headless`: one JSON line per window until SIGINT/SIGTERM/SIGHUP.
pub fn run_headless(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let (mut pipeline, reference, mut metrics) = prepare(args, false)?;
    let format = args.format.unwrap_or(Format::Json);
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = channel::<Work>();
    let tx_closed = tx.clone();
    {
        let stop = Arc::clone(&stop);
        let tx = tx.clone();
        signals::on_termination(move || {
            stop.store(true, Ordering::SeqCst);
            let _ = tx.send(Work::Stop);
        })?;
    }
    let seen = pipeline.processed_keys()?;
    let watcher = start_watcher(args, reference, seen, move |event| match event {
        WatchEvent::Ready(path) => tx.send(Work::File(path)).is_ok(),
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
    watch_stdout(tx_closed);
    let forgetter = watcher.forgetter();
    let mut retry = StoreRetry::default();
    let stdout = std::io::stdout();
    let outcome = loop {
        let work = match retry.next_due() {
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
            Some(Work::File(path)) => {
                if let Some(processed) = timed(&mut pipeline, &path, metrics.as_mut()) {
                    let Processed {
                        report,
                        key,
                        unstored,
                        unread,
                    } = processed;
                    if unread {
                        forgetter.forget(&path);
                    }
                    let mut out = stdout.lock();
                    if let Err(e) = write_result(&mut out, &report.result, format) {
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
            Some(Work::Command(_)) | None => {}
            Some(Work::Stop) => break Ok(()),
            Some(Work::StdoutClosed) => {
                // Nobody reads the results any more; what is recorded stays recorded.
                break Ok(());
            }
        }
        match retry.run(&mut pipeline, false) {
            Ok(recorded) => {
                for window in recorded {
                    eprintln!("ml-monitor: {window}: recorded in the history after all");
                }
            }
            Err(e) => break Err(e),
        }
    };
    watcher.stop();
    outcome?;
    if retry.len() > 0 {
        // Leaving with results not yet recorded: one last attempt, else say so and fail.
        retry.run(&mut pipeline, true)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Sends `StdoutClosed` once stdout is a pipe or socket whose reader has gone, even when no
/// window comes to be written (`watch DIR --headless | head -1` must end).
#[cfg(unix)]
fn watch_stdout(tx: Sender<Work>) {
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
                let _ = tx.send(Work::StdoutClosed);
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
fn watch_stdout(_tx: Sender<Work>) {}

/// `watch DIR` on a terminal (and `demo`): the TUI.
pub fn run_tui(args: &WatchArgs, title: &str) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "stdout is not a terminal: use --once or --headless for scripts".into(),
        )
        .into());
    }
    let (pipeline, reference, metrics) = prepare(args, true)?;
    let (initial, acknowledged, incidents) = match pipeline.history() {
        Some(h) => (h.recent(500)?, h.acknowledged()?, h.recent_incidents(200)?),
        None => (Vec::new(), HashSet::new(), Vec::new()),
    };
    let thresholds = pipeline.thresholds().clone();
    let drift = pipeline.drift_settings().clone();
    let (ev_tx, ev_rx) = channel::<AppEvent>();
    if !incidents.is_empty() {
        let acked = incidents
            .iter()
            .filter(|s| s.acknowledged)
            .map(|s| s.incident.id)
            .collect();
        let all = incidents.into_iter().map(|s| s.incident).collect();
        let _ = ev_tx.send(AppEvent::Incidents(all, acked));
    }
    let (work_tx, work_rx) = channel::<Work>();
    let (cmd_tx, cmd_rx) = channel::<UiCommand>();
    {
        let ev_tx = ev_tx.clone();
        signals::on_termination(move || {
            let _ = ev_tx.send(AppEvent::Shutdown);
        })?;
    }
    {
        let work_tx = work_tx.clone();
        std::thread::Builder::new()
            .name("commands".into())
            .spawn(move || {
                for command in cmd_rx {
                    if work_tx.send(Work::Command(command)).is_err() {
                        break;
                    }
                }
            })?;
    }
    if let Some(watcher) = pipeline.delivery().map(|d| d.sender.watcher()) {
        // The status line follows the sinks between windows too.
        let ev_tx = ev_tx.clone();
        std::thread::Builder::new()
            .name("sink-status".into())
            .spawn(move || {
                let mut last = Vec::new();
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let now = watcher.failing();
                    if now != last {
                        if ev_tx.send(AppEvent::Sinks(now.clone())).is_err() {
                            break;
                        }
                        last = now;
                    }
                }
            })?;
    }
    let seen = pipeline.processed_keys()?;
    let watcher = {
        let work_tx = work_tx.clone();
        let ev_tx = ev_tx.clone();
        start_watcher(args, reference.clone(), seen, move |event| match event {
            WatchEvent::Ready(path) => work_tx.send(Work::File(path)).is_ok(),
            WatchEvent::Trouble(message) => ev_tx.send(AppEvent::WatcherTrouble(message)).is_ok(),
            WatchEvent::Recovered => ev_tx.send(AppEvent::WatcherRecovered).is_ok(),
        })?
    };
    let worker = {
        let ev_tx = ev_tx.clone();
        let forgetter = watcher.forgetter();
        std::thread::Builder::new()
            .name("worker".into())
            .spawn(move || work_loop(pipeline, metrics, work_rx, ev_tx, forgetter))?
    };
    let options = TuiOptions {
        directory: args.path.display().to_string(),
        reference: args
            .reference
            .as_ref()
            .or(args.reference_stats.as_ref())
            .map_or_else(String::new, |p| p.display().to_string()),
        thresholds,
        drift,
        no_color: args.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        title: title.to_string(),
    };
    let outcome = tui::run(options, initial, acknowledged, ev_rx, ev_tx, cmd_tx);
    watcher.stop();
    let _ = work_tx.send(Work::Stop);
    let gave_up = worker.join().unwrap_or(None);
    outcome?;
    match gave_up {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Processes a window and, when metrics are on, counts it and publishes its figures.
fn timed(
    pipeline: &mut Pipeline,
    path: &Path,
    metrics: Option<&mut Exporter>,
) -> Option<Processed> {
    let started = std::time::Instant::now();
    let processed = pipeline.process(path);
    if let (Some(m), Some(p)) = (metrics, &processed) {
        m.observe_with_incidents(
            &p.report.result,
            started.elapsed(),
            pipeline.firing_counts(),
        );
    }
    processed
}

/// Processes windows for the TUI. Returns the error it gave up on, if a result could not be
/// recorded in the history after every retry (the TUI is then told to quit).
fn work_loop(
    mut pipeline: Pipeline,
    mut metrics: Option<Exporter>,
    work: std::sync::mpsc::Receiver<Work>,
    events: Sender<AppEvent>,
    forgetter: watch::Forgetter,
) -> Option<anyhow::Error> {
    let mut retry = StoreRetry::default();
    loop {
        let item = match retry.next_due() {
            Some(due) => {
                match work.recv_timeout(due.saturating_duration_since(std::time::Instant::now())) {
                    Ok(item) => Some(item),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            None => match work.recv() {
                Ok(item) => Some(item),
                Err(_) => break,
            },
        };
        match item {
            Some(Work::File(path)) => {
                if let Some(processed) = timed(&mut pipeline, &path, metrics.as_mut()) {
                    if processed.unread {
                        forgetter.forget(&path);
                    }
                    if let Some(e) = processed.unstored {
                        log::error!("{e:#}");
                        let _ = events.send(AppEvent::WatcherTrouble(format!("{e:#}; retrying")));
                        retry.push(processed.key, processed.report.result.clone());
                    }
                    if events
                        .send(AppEvent::Window(Box::new(processed.report)))
                        .is_err()
                    {
                        break;
                    }
                }
            }
            Some(Work::Command(UiCommand::Acknowledge {
                window,
                alert_index,
            })) => {
                if let Some(h) = pipeline.history_mut() {
                    if let Err(e) = h.acknowledge(&window, alert_index) {
                        log::error!("acknowledge: {e}");
                    }
                }
            }
            Some(Work::Command(UiCommand::AcknowledgeIncident { id })) => {
                if let Some(h) = pipeline.history_mut() {
                    if let Err(e) = h.acknowledge_incident(id) {
                        log::error!("acknowledge incident {id}: {e}");
                    }
                }
            }
            Some(Work::Stop) => break,
            Some(Work::StdoutClosed) | None => {}
        }
        match retry.run(&mut pipeline, false) {
            Ok(recorded) if !recorded.is_empty() && retry.len() == 0 => {
                let _ = events.send(AppEvent::WatcherRecovered);
            }
            Ok(_) => {}
            Err(e) => {
                log::error!("{e:#}");
                let _ = events.send(AppEvent::WatcherTrouble(format!("{e:#}")));
                let _ = events.send(AppEvent::Shutdown);
                return Some(e);
            }
        }
    }
    if retry.len() > 0 {
        if let Err(e) = retry.run(&mut pipeline, true) {
            return Some(e);
        }
    }
    None
}
