//! `watch --once`: process what is there, print, exit with the worst alert's status.
//!
//! Several models are processed one after the other, each with its own pipeline and history;
//! every line names its model and the exit status is the worst of all.

use std::process::ExitCode;

use ml_monitor::AlertLevel;

use crate::output::{write_label_line, write_result};
use crate::plan::{ModelPlan, RunPlan};
use crate::prometheus::Exporter;
use crate::run::pipeline::Pipeline;
use crate::run::setup;
use crate::sanitize;
use crate::signals;
use crate::watch;

/// Exit status from the worst alert level seen.
pub(crate) fn exit_status(worst: Option<AlertLevel>) -> u8 {
    match worst {
        Some(AlertLevel::Critical) => 4,
        Some(AlertLevel::Warning) => 3,
        _ => 0,
    }
}

/// How one model's run ended.
enum Ended {
    /// Every file done: the worst level, and how many results the history could not keep.
    Done(Option<AlertLevel>, usize),
    /// The reader of stdout has gone.
    StdoutClosed,
}

pub(crate) fn run(plan: &RunPlan) -> anyhow::Result<ExitCode> {
    // A signal would end `--once` at once, leaving sink programs (in process groups of their
    // own, so Ctrl-C does not reach them) running: they go first.
    if plan
        .models
        .iter()
        .any(|m| crate::sinks::runs_programs(&m.sinks))
    {
        signals::on_termination_signal(|signal| {
            crate::sinks::command::kill_all();
            signals::die_of(signal)
        })?;
    }
    // Every model's files are listed before anything is fitted: a bad path fails at once.
    let mut listed = Vec::with_capacity(plan.models.len());
    for model in &plan.models {
        listed.push(files_of(model)?);
    }
    let mut metrics = Exporter::start(plan.metrics.clone(), true)?;
    let mut worst = None;
    let mut unstored = 0usize;
    for (model, files) in plan.models.iter().zip(listed) {
        let name = plan.is_fleet().then_some(model.name.as_str());
        match run_model(plan, model, files, name, metrics.as_mut())? {
            Ended::Done(w, u) => {
                worst = worst.max(w);
                unstored += u;
            }
            Ended::StdoutClosed => return Ok(ExitCode::SUCCESS),
        }
    }
    if unstored > 0 {
        return Err(anyhow::anyhow!(
            "{unstored} window(s) could not be recorded in the history; they will be processed again by the next run"
        ));
    }
    Ok(ExitCode::from(exit_status(worst)))
}

pub(crate) fn files_of(model: &ModelPlan) -> anyhow::Result<Vec<std::path::PathBuf>> {
    if model.path.is_dir() {
        let ignore = model.watch_ignores();
        let mut files = watch::initial_files(&model.path, &ignore)
            .map_err(|e| anyhow::anyhow!("{}: {e}", model.path.display()))?;
        // `[labels] dir` (relative to the watched directory): its label files join the run,
        // in name order with the windows.
        if let Some(dir) = model.labels_dir() {
            let labels = watch::initial_files(&dir, &[])
                .map_err(|e| anyhow::anyhow!("[labels] dir {}: {e}", dir.display()))?;
            files.extend(
                labels
                    .into_iter()
                    .filter(|p| crate::run::late_labels::is_label_file(p)),
            );
            files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        }
        Ok(files)
    } else {
        Ok(vec![model.path.clone()])
    }
}

/// Prints late-label lines; `Err` when the reader of stdout has gone.
fn write_labels(
    lines: &[crate::app_event::LabelLine],
    plan: &RunPlan,
    name: Option<&str>,
    worst: &mut Option<AlertLevel>,
) -> Result<(), ()> {
    let stdout = std::io::stdout();
    for line in lines {
        *worst = (*worst).max(line.worst);
        if let Err(e) = write_label_line(&mut stdout.lock(), &line.json, plan.format, name) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Err(());
            }
            eprintln!("ml-monitor: stdout: {e}");
        }
    }
    Ok(())
}

fn run_model(
    plan: &RunPlan,
    model: &ModelPlan,
    files: Vec<std::path::PathBuf>,
    name: Option<&str>,
    mut metrics: Option<&mut Exporter>,
) -> anyhow::Result<Ended> {
    let mut pipeline = Pipeline::new(model)?;
    if let Some(note) = pipeline.settings_note() {
        eprintln!("ml-monitor: {note}");
    }
    let mut worst = None;
    let mut unstored = 0usize;
    let stdout = std::io::stdout();
    for file in files {
        let started = std::time::Instant::now();
        let processed = pipeline.process(&file);
        // Late labels: a label file's lines, or those of labels held for this window (after it).
        let labels = pipeline.take_label_lines();
        if let Some(m) = metrics.as_deref_mut() {
            m.observe_labels(&labels);
        }
        let Some(processed) = processed else {
            if write_labels(&labels, plan, name, &mut worst).is_err() {
                return Ok(Ended::StdoutClosed);
            }
            continue;
        };
        if let Some(m) = metrics.as_deref_mut() {
            m.observe_with_incidents(
                &processed.report.result,
                started.elapsed(),
                pipeline.firing_counts(),
            );
        }
        worst = worst.max(processed.report.result.worst_level());
        let mut out = stdout.lock();
        if let Err(e) = write_result(&mut out, &processed.report.result, plan.format, name) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                // The reader has gone (`| head`): stop quietly, as ripgrep does, once what
                // was raised so far is delivered.
                if let Some(delivery) = pipeline.delivery() {
                    setup::finish_delivery(delivery, plan.sink_timeout);
                }
                return Ok(Ended::StdoutClosed);
            }
            return Err(e.into());
        }
        drop(out);
        if write_labels(&labels, plan, name, &mut worst).is_err() {
            return Ok(Ended::StdoutClosed);
        }
        if let Some(e) = processed.unstored {
            // Shown, but not kept: say so, go on with the next window, and fail at the end
            // so that the next run processes it again.
            eprintln!("ml-monitor: {}", sanitize::lines(&format!("{e:#}")));
            unstored += 1;
        }
    }
    if let Some(delivery) = pipeline.delivery() {
        setup::finish_delivery(delivery, plan.sink_timeout);
    }
    Ok(Ended::Done(worst, unstored))
}
