//! One model's worker thread in the TUI: it owns the model's pipeline (read, evaluate, record)
//! and takes its work from one channel, fed by the model's watcher (files) and by the view
//! (acknowledgements, time travel's reads of past windows) alike, so a slow window never blocks
//! the keys, the view never waits on SQLite, and nothing forwards.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};

use super::pipeline::{Pipeline, Processed};
use super::retry::StoreRetry;
use crate::app_event::{AppEvent, PastView, UiCommand, Work};
use crate::prometheus::Exporter;
use crate::silences::{self, Matcher, Silence};
use crate::watch;

/// The silences in force, when the history has changed them since `last` (`None`: unchanged
/// or no history).
fn silences_changed(pipeline: &Pipeline, last: &mut Option<Vec<Silence>>) -> Option<Vec<Silence>> {
    let now = pipeline.history()?.silences(true).ok()?;
    if last.as_ref() == Some(&now) {
        return None;
    }
    *last = Some(now.clone());
    Some(now)
}

/// Processes a window and, when metrics are on, counts it and publishes its figures.
pub(crate) fn timed(
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

/// The next piece of work, or `None` when a retry is due first; `Err` when every sender is gone.
pub(crate) fn next_work<T>(work: &Receiver<T>, retry: &StoreRetry) -> Result<Option<T>, ()> {
    match retry.next_due() {
        Some(due) => {
            match work.recv_timeout(due.saturating_duration_since(std::time::Instant::now())) {
                Ok(item) => Ok(Some(item)),
                Err(RecvTimeoutError::Timeout) => Ok(None),
                Err(RecvTimeoutError::Disconnected) => Err(()),
            }
        }
        None => work.recv().map(Some).map_err(|_| ()),
    }
}

/// Records what the view asked for (an acknowledgement, a silence made or ended) in the
/// pipeline's history.
pub(crate) fn acknowledge(pipeline: &mut Pipeline, command: UiCommand) {
    let Some(h) = pipeline.history_mut() else {
        return;
    };
    match command {
        UiCommand::Silence {
            problem_id,
            monitor,
            seconds,
        } => {
            let matchers = [
                Matcher {
                    key: "problem_id".into(),
                    value: problem_id.to_string(),
                },
                Matcher {
                    key: "monitor".into(),
                    value: monitor,
                },
            ];
            let ends = chrono::Utc::now() + chrono::Duration::seconds(seconds);
            if let Err(e) =
                h.add_silence(&matchers, ends, &silences::user(), silences::SCREEN_COMMENT)
            {
                log::error!("silence problem {problem_id}: {e}");
            }
        }
        UiCommand::ExpireSilence { id } => {
            if let Err(e) = h.expire_silence(id) {
                log::error!("expire silence {id}: {e}");
            }
        }
        UiCommand::Acknowledge {
            window,
            alert_index,
            acknowledged,
        } => {
            if let Err(e) = h.set_acknowledged(&window, alert_index, acknowledged) {
                log::error!("acknowledge: {e}");
            }
        }
        UiCommand::AcknowledgeIncident { id, acknowledged } => {
            if let Err(e) = h.set_incident_acknowledged(id, acknowledged) {
                log::error!("acknowledge incident {id}: {e}");
            }
        }
        // Answered by the work loop, which has the view's channel.
        UiCommand::View { .. } => {}
    }
}

/// A past window for the view's time travel, read on this thread (the view never waits on
/// SQLite); `None` without a history, with nothing recorded, or when it cannot be read.
pub(crate) fn past_view(
    pipeline: &Pipeline,
    from: Option<i64>,
    step: i64,
    trend: usize,
) -> Option<Box<PastView>> {
    let h = pipeline.history()?;
    match h.past_window(from, step, trend) {
        Ok(past) => past.map(|p| {
            Box::new(PastView {
                result_id: p.result_id,
                behind: p.behind,
                position: p.position,
                results: p.results,
                incidents: p.incidents,
            })
        }),
        Err(e) => {
            log::error!("time travel: {e}");
            None
        }
    }
}

/// Processes one model's windows for the TUI; `model` tags its events in a fleet. Returns the
/// error it gave up on, if a result could not be recorded in the history after every retry
/// (the TUI is then told to quit).
pub(crate) fn work_loop(
    mut pipeline: Pipeline,
    mut metrics: Option<Exporter>,
    work: Receiver<Work>,
    events: Sender<AppEvent>,
    forgetter: watch::Forgetter,
    model: Option<usize>,
) -> Option<anyhow::Error> {
    let send = |e: AppEvent| events.send(e.of_model(model));
    let mut retry = StoreRetry::default();
    // Silences made by `silence add` while the screen runs show after the next window.
    let mut silences: Option<Vec<Silence>> = None;
    while let Ok(item) = next_work(&work, &retry) {
        match item {
            Some(Work::File(path)) => {
                let processed = timed(&mut pipeline, &path, metrics.as_mut());
                let lines = pipeline.take_label_lines();
                if let Some(m) = metrics.as_mut() {
                    m.observe_labels(&lines);
                }
                let mut realised = Vec::new();
                for line in lines {
                    log::info!(target: "ml_monitor::labels", "{}", line.json);
                    realised.extend(line.realised);
                }
                if let Some(processed) = processed {
                    if processed.unread {
                        forgetter.forget(&path);
                    }
                    if let Some(e) = processed.unstored {
                        log::error!("{e:#}");
                        let _ = send(AppEvent::WatcherTrouble(format!("{e:#}; retrying")));
                        retry.push(processed.key, processed.report.result.clone());
                    }
                    if send(AppEvent::Window(Box::new(processed.report))).is_err() {
                        break;
                    }
                }
                // After the window: held labels applied to it name it.
                for r in realised {
                    let _ = send(AppEvent::Realised(Box::new(r)));
                }
                if let Some(now) = silences_changed(&pipeline, &mut silences) {
                    let _ = send(AppEvent::Silences(now));
                }
            }
            Some(Work::Command(UiCommand::View {
                request,
                from,
                step,
                trend,
            })) => {
                let past = past_view(&pipeline, from, step, trend);
                if send(AppEvent::Past(request, past)).is_err() {
                    break;
                }
            }
            Some(Work::Command(command)) => {
                acknowledge(&mut pipeline, command);
                if let Some(now) = silences_changed(&pipeline, &mut silences) {
                    let _ = send(AppEvent::Silences(now));
                }
            }
            Some(Work::Stop) => break,
            None => {}
        }
        match retry.run(&mut pipeline, false) {
            Ok(recorded) if !recorded.is_empty() && retry.len() == 0 => {
                let _ = send(AppEvent::WatcherRecovered);
            }
            Ok(_) => {}
            Err(e) => {
                log::error!("{e:#}");
                let _ = send(AppEvent::WatcherTrouble(format!("{e:#}")));
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

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
