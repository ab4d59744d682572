//! `watch DIR…` on a terminal (and `demo`): the TUI, one model's screen or the fleet list.
//!
//! Threads: per model, a watcher thread finds complete files and a worker thread owns the
//! model's pipeline; the watcher and the view both send the worker [`Work`] on its one channel.
//! The TUI runs on the main thread and gets every model's events on one channel.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::mpsc::{channel, Sender};

use super::live::{pipelines, start_run, start_watcher, ModelWatch};
use super::pipeline::Pipeline;
use super::worker::work_loop;
use crate::app_event::{AppEvent, Work};
use crate::error::UsageError;
use crate::plan::{ModelPlan, RunPlan};
use crate::prometheus::Exporter;
use crate::signals;
use crate::tui::{self, ModelStart, TuiOptions};
use crate::watch::WatchEvent;

/// A model's running parts: its watcher and its worker.
struct Running {
    watcher: ModelWatch,
    work: Sender<Work>,
    worker: std::thread::JoinHandle<Option<anyhow::Error>>,
}

pub(crate) fn run_tui(plan: &RunPlan) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "stdout is not a terminal: use --once or --headless for scripts".into(),
        )
        .into());
    }
    let mut metrics = start_run(plan)?;
    let pipelines = pipelines(plan, metrics.as_mut())?;
    let (ev_tx, ev_rx) = channel::<AppEvent>();
    {
        let ev_tx = ev_tx.clone();
        signals::on_termination(move || {
            let _ = ev_tx.send(AppEvent::Shutdown);
        })?;
    }
    let fleet = plan.is_fleet();
    let mut starts = Vec::with_capacity(pipelines.len());
    let mut running = Vec::with_capacity(pipelines.len());
    for (i, (model, pipeline)) in plan.models.iter().zip(pipelines).enumerate() {
        let tag = fleet.then_some(i);
        let start = model_start(plan, model, &pipeline, &ev_tx, tag)?;
        // Metrics serve one model (the plan refuses them with several).
        let exporter = if i == 0 { metrics.take() } else { None };
        running.push(spawn_model(plan, model, pipeline, exporter, &ev_tx, tag)?);
        starts.push(start);
    }
    let workers: Vec<Sender<Work>> = running.iter().map(|r| r.work.clone()).collect();
    let outcome = if fleet {
        tui::run_fleet(plan.title.clone(), starts, ev_rx, ev_tx, workers)
    } else {
        match starts.pop() {
            Some(start) => tui::run(start, ev_rx, ev_tx, workers),
            None => Ok(()),
        }
    };
    let mut gave_up = None;
    for r in running {
        r.watcher.stop();
        let _ = r.work.send(Work::Stop);
        let e = r.worker.join().unwrap_or(None);
        gave_up = gave_up.or(e);
    }
    outcome?;
    match gave_up {
        Some(e) => Err(e),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// What a model's screen starts with: its options, its history, the incidents it left open.
fn model_start(
    plan: &RunPlan,
    model: &ModelPlan,
    pipeline: &Pipeline,
    ev_tx: &Sender<AppEvent>,
    tag: Option<usize>,
) -> anyhow::Result<ModelStart> {
    let (initial, acknowledged, incidents, silences) = match pipeline.history() {
        Some(h) => (
            h.recent(500)?,
            h.acknowledged()?,
            h.recent_incidents(200)?,
            h.silences(true)?,
        ),
        None => (Vec::new(), HashSet::new(), Vec::new(), Vec::new()),
    };
    if !silences.is_empty() {
        let _ = ev_tx.send(AppEvent::Silences(silences).of_model(tag));
    }
    if !incidents.is_empty() {
        let acked = incidents
            .iter()
            .filter(|s| s.acknowledged)
            .map(|s| s.incident.id)
            .collect();
        let all = incidents.into_iter().map(|s| s.incident).collect();
        let _ = ev_tx.send(AppEvent::Incidents(all, acked).of_model(tag));
    }
    let options = TuiOptions {
        directory: model.path.display().to_string(),
        reference: model.reference_text(),
        thresholds: pipeline.thresholds().clone(),
        drift: pipeline.drift_settings().clone(),
        auc_threshold: model.config.drift.classifier.auc_threshold,
        no_color: plan.no_color,
        light: model.tui.theme == crate::plan::tui::TuiTheme::Light,
        zone: crate::local_time::Zone::Local,
        // In a fleet the model's screen says which model it is (Esc goes back to the list).
        title: if tag.is_some() {
            format!("{} {}", plan.title, model.name)
        } else {
            plan.title.clone()
        },
        config: model.config_file.as_ref().map(|p| p.display().to_string()),
        monitor: model.monitor_name.clone(),
        runbooks: model.runbooks.clone(),
        // `S` needs somewhere to keep the silence.
        can_silence: pipeline.history().is_some(),
        // `[` and `]` read past windows from it.
        has_history: pipeline.history().is_some(),
    };
    Ok(ModelStart {
        name: model.name.clone(),
        options,
        initial,
        acknowledged,
    })
}

/// Starts a model's sink-status thread, watcher and worker.
fn spawn_model(
    plan: &RunPlan,
    model: &ModelPlan,
    pipeline: Pipeline,
    metrics: Option<Exporter>,
    ev_tx: &Sender<AppEvent>,
    tag: Option<usize>,
) -> anyhow::Result<Running> {
    let (work_tx, work_rx) = channel::<Work>();
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
                        if ev_tx
                            .send(AppEvent::Sinks(now.clone()).of_model(tag))
                            .is_err()
                        {
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
        start_watcher(plan, model, seen, move |event| match event {
            WatchEvent::Ready(path) => work_tx.send(Work::File(path)).is_ok(),
            WatchEvent::Trouble(message) => ev_tx
                .send(AppEvent::WatcherTrouble(message).of_model(tag))
                .is_ok(),
            WatchEvent::Recovered => ev_tx.send(AppEvent::WatcherRecovered.of_model(tag)).is_ok(),
        })?
    };
    let worker = {
        let ev_tx = ev_tx.clone();
        let forgetter = watcher.forgetter();
        std::thread::Builder::new()
            .name("worker".into())
            .spawn(move || work_loop(pipeline, metrics, work_rx, ev_tx, forgetter, tag))?
    };
    Ok(Running {
        watcher,
        work: work_tx,
        worker,
    })
}
