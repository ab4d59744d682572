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

use super::setup;
use crate::app_event::{AppEvent, UiCommand};
use crate::cli::{Format, WatchArgs};
use crate::file_bytes::Access;
use crate::history::FileKey;
use crate::output::write_result;
use crate::pipeline::{Pipeline, UsageError};
use crate::signals;
use crate::tui::{self, TuiOptions};
use crate::watch::{self, WatchEvent, WatchOptions};

/// Work for the worker thread.
enum Work {
    File(PathBuf),
    Command(UiCommand),
    Stop,
}

fn prepare(args: &WatchArgs, histograms: bool) -> anyhow::Result<(Pipeline, Option<PathBuf>)> {
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
    let mut pipeline = Pipeline::new(
        config,
        &source,
        args.model.as_deref(),
        history,
        histograms,
        Access::Read,
        None,
    )?;
    pipeline.set_delivery(delivery);
    Ok((pipeline, args.reference.clone()))
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
    let (mut pipeline, reference) = prepare(args, false)?;
    let format = args.format.unwrap_or(Format::Json);
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = channel::<Work>();
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
    let stdout = std::io::stdout();
    while let Ok(work) = rx.recv() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match work {
            Work::File(path) => match pipeline.process(&path) {
                Ok(Some(report)) => {
                    let mut out = stdout.lock();
                    if let Err(e) = write_result(&mut out, &report.result, format) {
                        if e.kind() == std::io::ErrorKind::BrokenPipe {
                            break;
                        }
                        eprintln!("ml-monitor: stdout: {e}");
                    }
                }
                Ok(None) => {}
                Err(e) => eprintln!("ml-monitor: {e:#}"),
            },
            Work::Command(_) => {}
            Work::Stop => break,
        }
    }
    watcher.stop();
    Ok(ExitCode::SUCCESS)
}

/// `watch DIR` on a terminal (and `demo`): the TUI.
pub fn run_tui(args: &WatchArgs, title: &str) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "stdout is not a terminal: use --once or --headless for scripts".into(),
        )
        .into());
    }
    let (pipeline, reference) = prepare(args, true)?;
    let (initial, acknowledged, incidents) = match pipeline.history() {
        Some(h) => (h.recent(500)?, h.acknowledged()?, h.recent_incidents(200)?),
        None => (Vec::new(), HashSet::new(), Vec::new()),
    };
    let thresholds = pipeline.thresholds().clone();
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
    let seen = pipeline.processed_keys()?;
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
    let worker = {
        let ev_tx = ev_tx.clone();
        std::thread::Builder::new()
            .name("worker".into())
            .spawn(move || work_loop(pipeline, work_rx, ev_tx))?
    };
    let watcher = {
        let work_tx = work_tx.clone();
        let ev_tx = ev_tx.clone();
        start_watcher(args, reference.clone(), seen, move |event| match event {
            WatchEvent::Ready(path) => work_tx.send(Work::File(path)).is_ok(),
            WatchEvent::Trouble(message) => ev_tx.send(AppEvent::WatcherTrouble(message)).is_ok(),
            WatchEvent::Recovered => ev_tx.send(AppEvent::WatcherRecovered).is_ok(),
        })?
    };
    let options = TuiOptions {
        directory: args.path.display().to_string(),
        reference: args
            .reference
            .as_ref()
            .or(args.reference_stats.as_ref())
            .map_or_else(String::new, |p| p.display().to_string()),
        thresholds,
        no_color: args.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        title: title.to_string(),
    };
    let outcome = tui::run(options, initial, acknowledged, ev_rx, ev_tx, cmd_tx);
    watcher.stop();
    let _ = work_tx.send(Work::Stop);
    let _ = worker.join();
    outcome.map(|()| ExitCode::SUCCESS)
}

fn work_loop(
    mut pipeline: Pipeline,
    work: std::sync::mpsc::Receiver<Work>,
    events: Sender<AppEvent>,
) {
    while let Ok(item) = work.recv() {
        match item {
            Work::File(path) => match pipeline.process(&path) {
                Ok(Some(report)) => {
                    if events.send(AppEvent::Window(Box::new(report))).is_err() {
                        break;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    log::error!("{e:#}");
                    let _ = events.send(AppEvent::WatcherTrouble(format!("{e:#}")));
                }
            },
            Work::Command(UiCommand::Acknowledge {
                window,
                alert_index,
            }) => {
                if let Some(h) = pipeline.history_mut() {
                    if let Err(e) = h.acknowledge(&window, alert_index) {
                        log::error!("acknowledge: {e}");
                    }
                }
            }
            Work::Command(UiCommand::AcknowledgeIncident { id }) => {
                if let Some(h) = pipeline.history_mut() {
                    if let Err(e) = h.acknowledge_incident(id) {
                        log::error!("acknowledge incident {id}: {e}");
                    }
                }
            }
            Work::Stop => break,
        }
    }
}
