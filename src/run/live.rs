//! The live modes: `--headless` (JSON lines until a signal) and, in `tui_mode`, the TUI; what
//! both need to start a model (its pipeline and its watcher).
//!
//! Threads: per model, a watcher thread finds complete files and a worker thread owns the
//! pipeline, so a slow window never blocks the watcher nor another model; a burst of arrivals
//! queues on the work channel and nothing is dropped. The main thread waits for what ends the
//! run (a signal, a closed stdout, a result that cannot be recorded).

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use super::late_labels::is_label_file;
use super::pipeline::{Pipeline, Processed};
use super::retry::StoreRetry;
use super::setup;
use super::worker::{acknowledge, next_work, timed};
use crate::app_event::Work;
use crate::history::FileKey;
use crate::output::write_result;
use crate::plan::{ModelPlan, RunPlan};
use crate::prometheus::Exporter;
use crate::sanitize;
use crate::signals;
use crate::watch::{self, WatchEvent, WatchOptions};

/// Starts what every live run has once: the log file and the metrics exporter. Started before
/// the references are fitted: a busy port fails the start at once. The TUI owns the screen, so
/// only the headless mode talks on stderr.
pub(crate) fn start_run(plan: &RunPlan) -> anyhow::Result<Option<Exporter>> {
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
pub(crate) fn pipelines(
    plan: &RunPlan,
    metrics: Option<&mut Exporter>,
) -> anyhow::Result<Vec<Pipeline>> {
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

/// A model's watchers: its directory's, and `[labels] dir`'s when the config names one.
pub(crate) struct ModelWatch {
    windows: watch::Watcher,
    labels: Option<watch::Watcher>,
}

impl ModelWatch {
    /// Hands unreadable files back to whichever watcher reported them.
    pub(crate) fn forgetter(&self) -> watch::Forgetter {
        let windows = self.windows.forgetter();
        match &self.labels {
            Some(labels) => windows.and(labels.forgetter()),
            None => windows,
        }
    }

    /// Stops both watchers and waits for their threads.
    pub(crate) fn stop(self) {
        self.windows.stop();
        if let Some(labels) = self.labels {
            labels.stop();
        }
    }
}

/// Starts a model's watchers; files the history holds (`seen`) are not reported again. The
/// `[labels] dir` watcher (relative to the watched directory, as `--once` reads it) reports
/// only label files: anything else there is not this model's window.
pub(crate) fn start_watcher(
    plan: &RunPlan,
    model: &ModelPlan,
    seen: HashSet<FileKey>,
    on_event: impl Fn(WatchEvent) -> bool + Send + Sync + 'static,
) -> anyhow::Result<ModelWatch> {
    let mut options = WatchOptions {
        poll: plan.poll,
        ignore: model.watch_ignores(),
        ..WatchOptions::default()
    };
    if let Some(interval) = plan.poll {
        options.rescan_interval = interval;
    }
    let seen = Arc::new(seen);
    let on_event = Arc::new(on_event);
    let labels = match model.labels_dir() {
        Some(dir) => {
            let seen = Arc::clone(&seen);
            let on_event = Arc::clone(&on_event);
            let only_labels = move |event: WatchEvent| match event {
                WatchEvent::Ready(path) if !is_label_file(&path) => true,
                WatchEvent::Trouble(message) => {
                    on_event(WatchEvent::Trouble(format!("[labels] dir: {message}")))
                }
                event => on_event(event),
            };
            let already_seen = move |p: &Path| FileKey::of(p).is_ok_and(|k| seen.contains(&k));
            let labels_options = WatchOptions {
                ignore: Vec::new(),
                ..options.clone()
            };
            Some(
                watch::spawn(dir.clone(), labels_options, already_seen, only_labels)
                    .map_err(|e| anyhow::anyhow!("[labels] dir {}: {e}", dir.display()))?,
            )
        }
        None => None,
    };
    let already_seen = move |p: &Path| FileKey::of(p).is_ok_and(|k| seen.contains(&k));
    let windows = watch::spawn(model.path.clone(), options, already_seen, move |event| {
        on_event(event)
    })?;
    Ok(ModelWatch { windows, labels })
}

/// What `--headless` says on stderr once it watches a directory: with which configuration, and
/// how many files present it skips because the history already holds them. Said after the
/// watch is set up, so a file that lands after the line is seen (tests wait for it).
fn announcement(model: &ModelPlan, seen: &HashSet<FileKey>, fleet: bool) -> String {
    let ignore = model.watch_ignores();
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
    let message = format!(
        "watching {}{name} against {}; {config}; {history}",
        model.path.display(),
        model.reference_text(),
    );
    sanitize::lines(&message)
}

/// What ends a headless run, sent to the main thread.
enum Control {
    /// SIGINT, SIGTERM or SIGHUP.
    Stop,
    /// The reader of stdout has gone (`| head -1`): end quietly.
    StdoutClosed,
    /// A result could not be recorded after every retry.
    Failed(anyhow::Error),
    /// A worker has ended (its channel closed).
    Done,
}

/// `watch DIR… --headless`: one JSON line per window until SIGINT/SIGTERM/SIGHUP. One worker
/// thread per model processes its windows (a slow model does not hold up the others) and
/// writes its lines whole under stdout's lock; with several models each line names its model.
pub(crate) fn run_headless(plan: &RunPlan) -> anyhow::Result<ExitCode> {
    let mut metrics = start_run(plan)?;
    // No status line here: failing sinks and a backlog are said on stderr.
    crate::sinks::sender::report_on_stderr();
    let pipelines = pipelines(plan, metrics.as_mut())?;
    let stop = Arc::new(AtomicBool::new(false));
    let (control_tx, control) = channel::<Control>();
    {
        let stop = Arc::clone(&stop);
        let control_tx = control_tx.clone();
        signals::on_termination(move || {
            stop.store(true, Ordering::SeqCst);
            let _ = control_tx.send(Control::Stop);
        })?;
    }
    let mut running = Vec::with_capacity(pipelines.len());
    for (i, (model, pipeline)) in plan.models.iter().zip(pipelines).enumerate() {
        let seen = pipeline.processed_keys()?;
        let watching = announcement(model, &seen, plan.is_fleet());
        if let Some(note) = pipeline.settings_note() {
            eprintln!("ml-monitor: {note}");
        }
        let (work_tx, work_rx) = channel::<Work>();
        let watcher = {
            let work_tx = work_tx.clone();
            start_watcher(plan, model, seen, move |event| match event {
                WatchEvent::Ready(path) => work_tx.send(Work::File(path)).is_ok(),
                WatchEvent::Trouble(message) => {
                    log::warn!("{message}");
                    eprintln!("ml-monitor: {}", sanitize::lines(&message));
                    true
                }
                WatchEvent::Recovered => {
                    eprintln!("ml-monitor: watching again");
                    true
                }
            })?
        };
        // Said once the directory is watched: a file that lands after this line is seen.
        eprintln!("ml-monitor: {watching}");
        // Metrics serve one model (the plan refuses them with several).
        let job = Job {
            pipeline,
            metrics: if i == 0 { metrics.take() } else { None },
            forgetter: watcher.forgetter(),
            format: plan.format,
            name: plan.is_fleet().then(|| model.name.clone()),
            stop: Arc::clone(&stop),
            control: control_tx.clone(),
        };
        let worker = std::thread::Builder::new()
            .name("worker".into())
            .spawn(move || job.run(work_rx))?;
        running.push((watcher, work_tx, worker));
    }
    watch_stdout(control_tx);
    let mut ended = 0;
    let outcome = loop {
        match control.recv() {
            Ok(Control::Stop | Control::StdoutClosed) | Err(_) => break Ok(()),
            Ok(Control::Failed(e)) => break Err(e),
            Ok(Control::Done) => {
                ended += 1;
                if ended == running.len() {
                    break Ok(());
                }
            }
        }
    };
    stop.store(true, Ordering::SeqCst);
    let mut last_words = Ok(());
    for (watcher, work, worker) in running {
        watcher.stop();
        let _ = work.send(Work::Stop);
        // Leaving with results not yet recorded: each worker makes one last attempt.
        if let Some(e) = worker.join().unwrap_or(None) {
            last_words = last_words.and(Err(e));
        }
    }
    outcome?;
    last_words?;
    Ok(ExitCode::SUCCESS)
}

/// One model's headless worker.
struct Job {
    pipeline: Pipeline,
    metrics: Option<Exporter>,
    forgetter: watch::Forgetter,
    format: crate::output::Format,
    name: Option<String>,
    stop: Arc<AtomicBool>,
    control: Sender<Control>,
}

impl Job {
    /// Prints the pipeline's late-label lines; `Err` when the reader of stdout has gone (the
    /// control is told).
    fn write_labels(&mut self) -> Result<(), ()> {
        let lines = self.pipeline.take_label_lines();
        if let Some(m) = self.metrics.as_mut() {
            m.observe_labels(&lines);
        }
        for line in lines {
            let mut out = std::io::stdout().lock();
            if let Err(e) = crate::output::write_label_line(
                &mut out,
                &line.json,
                self.format,
                self.name.as_deref(),
            ) {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    let _ = self.control.send(Control::StdoutClosed);
                    return Err(());
                }
                eprintln!("ml-monitor: stdout: {e}");
            }
        }
        Ok(())
    }

    /// Processes files until stopped; returns the error of a result that could not be recorded
    /// even at the last attempt.
    fn run(mut self, work: std::sync::mpsc::Receiver<Work>) -> Option<anyhow::Error> {
        let mut retry = StoreRetry::default();
        let stdout = std::io::stdout();
        while let Ok(item) = next_work(&work, &retry) {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            match item {
                Some(Work::File(path)) => {
                    let Some(processed) = timed(&mut self.pipeline, &path, self.metrics.as_mut())
                    else {
                        if self.write_labels().is_err() {
                            break;
                        }
                        continue;
                    };
                    let Processed {
                        report,
                        key,
                        unstored,
                        unread,
                    } = processed;
                    if unread {
                        self.forgetter.forget(&path);
                    }
                    let mut out = stdout.lock();
                    let written =
                        write_result(&mut out, &report.result, self.format, self.name.as_deref());
                    drop(out);
                    if let Some(e) = unstored {
                        eprintln!(
                            "ml-monitor: {}; retrying",
                            sanitize::lines(&format!("{e:#}"))
                        );
                        retry.push(key, report.result);
                    }
                    if let Err(e) = written {
                        if e.kind() == std::io::ErrorKind::BrokenPipe {
                            // Nobody reads the results any more; what is recorded stays recorded.
                            let _ = self.control.send(Control::StdoutClosed);
                            break;
                        }
                        eprintln!("ml-monitor: stdout: {e}");
                    }
                    if self.write_labels().is_err() {
                        break;
                    }
                }
                Some(Work::Command(command)) => acknowledge(&mut self.pipeline, command),
                Some(Work::Stop) => break,
                None => {}
            }
            match retry.run(&mut self.pipeline, false) {
                Ok(recorded) => {
                    for window in recorded {
                        eprintln!(
                            "ml-monitor: {}: recorded in the history after all",
                            sanitize::sanitize(&window)
                        );
                    }
                }
                Err(e) => {
                    let _ = self.control.send(Control::Failed(e));
                    break;
                }
            }
        }
        let last = if retry.len() > 0 {
            retry.run(&mut self.pipeline, true).err()
        } else {
            None
        };
        let _ = self.control.send(Control::Done);
        last
    }
}

/// Sends `StdoutClosed` once stdout is a pipe or socket whose reader has gone, even when no
/// window comes to be written (`watch DIR --headless | head -1` must end).
#[cfg(unix)]
fn watch_stdout(tx: Sender<Control>) {
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
                let _ = tx.send(Control::StdoutClosed);
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
fn watch_stdout(_tx: Sender<Control>) {}
