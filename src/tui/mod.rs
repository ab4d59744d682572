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
mod format;
mod input;
mod keys;
mod model;
mod render;
mod rows;
mod sanitize;
mod terminal;
mod theme;
mod verdict;

#[cfg(test)]
mod app_tests;
#[cfg(test)]
mod demo_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod oncall_tests;
#[cfg(test)]
mod screen_tests;

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, Sender};

use ml_monitor::monitoring::AlertThresholds;
use ml_monitor::MonitoringResult;

use crate::app_event::{AppEvent, UiCommand};

/// What the UI shows besides the results, fixed for a run.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// The watched directory, as given.
    pub directory: String,
    /// The reference file, as given.
    pub reference: String,
    /// The thresholds the gauges are drawn against.
    pub thresholds: AlertThresholds,
    /// The drift tests' thresholds, for the drift table's footer.
    pub drift: ml_monitor::config::StatisticalConfig,
    /// `NO_COLOR` or `--no-color`: markers and bold only.
    pub no_color: bool,
    /// First word of the status line: "ml-monitor" or "ml-monitor demo".
    pub title: String,
}

/// Takes over the terminal and shows results until `q`, Ctrl-C or [`AppEvent::Shutdown`].
///
/// `initial` is the history, oldest first, so the sparklines continue after a restart;
/// `acknowledged` holds the (window, alert index) pairs already acknowledged. `events_tx` is
/// cloned for the thread that reads the keyboard. Acknowledgements go back on `commands`.
/// The terminal is restored on every way out, including errors and panics.
pub fn run(
    options: TuiOptions,
    initial: Vec<MonitoringResult>,
    acknowledged: HashSet<(String, usize)>,
    events: Receiver<AppEvent>,
    events_tx: Sender<AppEvent>,
    commands: Sender<UiCommand>,
) -> anyhow::Result<()> {
    let mut app = app::App::new(options, initial, acknowledged, chrono::Utc::now());
    let mut session = terminal::Session::start()?;
    let size = session.terminal().size()?;
    app.handle(AppEvent::Resize(size.width, size.height));
    let input = input::InputReader::spawn(events_tx)?;
    let result = event_loop::run(
        session.terminal(),
        &mut app,
        &events,
        &commands,
        chrono::Utc::now,
    );
    drop(input);
    drop(session);
    result.map(|_| ())
}
