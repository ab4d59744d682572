//! The live terminal UI: `ml-monitor watch` without `--once`/`--headless`, and `ml-monitor demo`.
//!
//! State, events and drawing are kept apart so that everything but the terminal itself can be
//! tested: [`app::App`] is pure state updated by [`AppEvent`]s, `render` draws it from a shared
//! borrow, `event_loop` decides when to draw, and `terminal` owns raw mode and the alternate
//! screen. The UI thread never evaluates anything: windows arrive already processed on the
//! channel, so a slow window cannot freeze the keys.

mod app;
mod clipboard;
mod event_loop;
mod fleet;
mod fleet_render;
mod format;
mod input;
mod keys;
mod model;
mod palette;
mod render;
mod rows;
use crate::sanitize;
mod table_cells;
mod terminal;
mod theme;
mod trend_scale;
mod verdict;

#[cfg(test)]
mod app_tests;
#[cfg(test)]
mod demo_tests;
#[cfg(test)]
mod figures_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod fleet_tests;
#[cfg(test)]
mod hidden_tests;
#[cfg(test)]
mod oncall_tests;
#[cfg(test)]
mod screen_tests;
#[cfg(test)]
mod settings_tests;
#[cfg(test)]
mod silence_tests;
#[cfg(test)]
mod travel_tests;
#[cfg(test)]
mod trends_tests;

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender};

use ml_monitor::AlertThresholds;
use ml_monitor::MonitoringResult;

use crate::app_event::{AppEvent, Work};

/// What the UI shows besides the results, fixed for a run.
#[derive(Debug, Clone)]
pub(crate) struct TuiOptions {
    /// The watched directory, as given.
    pub(crate) directory: String,
    /// The reference file, as given.
    pub(crate) reference: String,
    /// The thresholds the gauges are drawn against.
    pub(crate) thresholds: AlertThresholds,
    /// The drift tests' thresholds, for the drift table's footer.
    pub(crate) drift: ml_monitor::config::StatisticalConfig,
    /// `[drift.classifier] auc_threshold`: the classifier's rule, which its alerts do not carry.
    pub(crate) auc_threshold: f64,
    /// `NO_COLOR` or `--no-color`: markers and bold only.
    pub(crate) no_color: bool,
    /// `[tui] theme = "light"`: colours for a light background.
    pub(crate) light: bool,
    /// The zone times are shown in (`Local`, which honours `TZ`; tests fix it).
    pub(crate) zone: crate::local_time::Zone,
    /// First word of the status line: "ml-monitor" or "ml-monitor demo".
    pub(crate) title: String,
    /// The configuration file in use, if any (named on the status line).
    pub(crate) config: Option<String>,
    /// The `monitor` label of its notifications (what a silence made with `S` matches).
    pub(crate) monitor: String,
    /// `[alerts.runbooks]`: the detail view links a problem's runbook.
    pub(crate) runbooks: crate::runbooks::Runbooks,
    /// Whether there is a history to keep a silence in (`S`).
    pub(crate) can_silence: bool,
    /// Whether there is a history to read past windows from (`[`, `]`).
    pub(crate) has_history: bool,
}

/// What one model's screen starts with.
pub(crate) struct ModelStart {
    /// Its name in the fleet list.
    pub(crate) name: String,
    pub(crate) options: TuiOptions,
    /// The history, oldest first, so the sparklines continue after a restart.
    pub(crate) initial: Vec<MonitoringResult>,
    /// The (window, alert index) pairs already acknowledged.
    pub(crate) acknowledged: HashSet<(String, usize)>,
}

/// Takes over the terminal and shows one model's results until `q`, Ctrl-C or
/// [`AppEvent::Shutdown`].
///
/// `events_tx` is cloned for the thread that reads the keyboard. Acknowledgements go straight
/// to the model's worker on `workers[0]`, the channel its watcher feeds too. The terminal is
/// restored on every way out, including errors and panics.
pub(crate) fn run(
    start: ModelStart,
    events: Receiver<AppEvent>,
    events_tx: Sender<AppEvent>,
    workers: Vec<Sender<Work>>,
) -> anyhow::Result<()> {
    let app = app::App::new(
        start.options,
        start.initial,
        start.acknowledged,
        chrono::Utc::now(),
    );
    drive(app, events, events_tx, &workers)
}

/// As [`run`], for several models: the fleet list first (see [`fleet`]); `workers[i]` is the
/// worker of `starts[i]`, whose events arrive as [`AppEvent::Model`].
pub(crate) fn run_fleet(
    title: String,
    starts: Vec<ModelStart>,
    events: Receiver<AppEvent>,
    events_tx: Sender<AppEvent>,
    workers: Vec<Sender<Work>>,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let fleet = fleet::Fleet::new(title, starts, now);
    drive(fleet, events, events_tx, &workers)
}

fn drive<S: event_loop::Screen>(
    mut screen: S,
    events: Receiver<AppEvent>,
    events_tx: Sender<AppEvent>,
    workers: &[Sender<Work>],
) -> anyhow::Result<()> {
    let mut session = terminal::Session::start()?;
    let size = session.terminal().size()?;
    screen.handle(AppEvent::Resize(size.width, size.height));
    let input = input::InputReader::spawn(events_tx)?;
    let result = event_loop::run(
        session.terminal(),
        &mut screen,
        &events,
        workers,
        chrono::Utc::now,
        &event_loop::RealTime,
    );
    drop(input);
    drop(session);
    result.map(|_| ())
}
