//! The one event type every live view consumes, and the commands a view sends back.
//!
//! Keys, resizes, ticks, processed windows and watcher trouble all arrive on one channel, so the
//! TUI's state is updated in one place and can be tested by feeding it events.

use std::collections::BTreeMap;

use ml_monitor::monitoring::Incident;
use ml_monitor::stats::Histogram;
use ml_monitor::MonitoringResult;

/// A processed window, with what the views need beyond the result itself.
#[derive(Debug, Clone)]
pub(crate) struct WindowReport {
    pub(crate) result: MonitoringResult,
    /// Reference-vs-current histogram per feature (empty for error results).
    pub(crate) histograms: BTreeMap<String, Histogram>,
    /// The incidents firing after this window, with their updated counts (for the TUI: empty
    /// in `--once` and `--headless`, which print the changes).
    pub(crate) firing: Vec<Incident>,
    /// Sinks that are failing, each as one phrase (`alertmanager: retrying, 3 queued`).
    pub(crate) failing_sinks: Vec<String>,
}

/// A past window read back from the history, as it stood (the answer to [`UiCommand::View`]).
#[derive(Debug, Clone)]
pub(crate) struct PastView {
    /// Its result's id in the history: where the next step starts.
    pub(crate) result_id: i64,
    /// Windows recorded after it when it was read.
    pub(crate) behind: usize,
    /// Windows recorded up to and including it.
    pub(crate) position: usize,
    /// The windows up to it for the trends, oldest first, it last.
    pub(crate) results: Vec<MonitoringResult>,
    /// The incidents as they stood after it (firing and resolved).
    pub(crate) incidents: Vec<Incident>,
}

/// One output line of late labels, and the worst alert it carries.
#[derive(Debug, Clone)]
pub(crate) struct LabelLine {
    pub(crate) json: serde_json::Value,
    pub(crate) worst: Option<ml_monitor::AlertLevel>,
    /// Problems the line's realised figures opened, escalated or resolved (queued for the
    /// sinks with the labels).
    pub(crate) changed_problems: bool,
    /// A window's line: its realised figures, for the views (`None` on a file's summary or
    /// error line).
    pub(crate) realised: Option<RealisedWindow>,
}

/// A past window's realised figures from its late labels so far, and how much of it they
/// cover: what the TUI's trends draw beside the estimate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RealisedWindow {
    pub(crate) window: String,
    pub(crate) performance: Option<ml_monitor::monitoring::Performance>,
    pub(crate) labelled_rows: usize,
    pub(crate) rows: usize,
}

/// Everything that can change what a live view shows.
#[derive(Debug, Clone)]
pub(crate) enum AppEvent {
    Key(crossterm::event::KeyEvent),
    Resize(u16, u16),
    Tick,
    /// A window was processed (its result may be an error result).
    Window(Box<WindowReport>),
    /// The watcher has trouble (directory gone, unreadable); it keeps retrying.
    WatcherTrouble(String),
    WatcherRecovered,
    /// SIGINT, SIGTERM or SIGHUP: leave cleanly.
    Shutdown,
    /// Incidents from the history at start (firing and recently resolved), with the ids of
    /// the acknowledged ones.
    Incidents(Vec<Incident>, Vec<u64>),
    /// The sinks failing now (see `WindowReport::failing_sinks`), sent when it changes.
    Sinks(Vec<String>),
    /// The silences in force (from the history: at start, after each window, after `S`).
    Silences(Vec<crate::silences::Silence>),
    /// The answer to the [`UiCommand::View`] numbered so (a view drops answers it no longer
    /// waits for): the window, or `None` when there is none to show (nothing recorded, or the
    /// history could not be read).
    Past(u64, Option<Box<PastView>>),
    /// Late labels gave a window its realised figures (sent after that window's `Window`).
    Realised(Box<RealisedWindow>),
    /// An event of one model of a fleet (its index in the run plan's models).
    Model(usize, Box<AppEvent>),
}

impl AppEvent {
    /// This event as model `model`'s, when the run watches several (`None`: as it is).
    pub(crate) fn of_model(self, model: Option<usize>) -> AppEvent {
        match model {
            Some(i) => AppEvent::Model(i, Box::new(self)),
            None => self,
        }
    }
}

/// What a view asks the processing side to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UiCommand {
    /// Mark an alert acknowledged in the history (or no longer, `acknowledged: false`): the
    /// window's name and the alert's index in its result's `alerts`.
    Acknowledge {
        window: String,
        alert_index: usize,
        acknowledged: bool,
    },
    /// Mark an incident acknowledged in the history (or no longer).
    AcknowledgeIncident { id: u64, acknowledged: bool },
    /// Silence a problem (`problem_id` and `monitor` matchers) for `seconds` (`S`).
    Silence {
        problem_id: u64,
        monitor: String,
        seconds: i64,
    },
    /// End a silence now (`S` on a problem silenced from the screen).
    ExpireSilence { id: i64 },
    /// Read back the window `step` windows after result `from` (before it when negative;
    /// `from` `None`: the newest) with the `trend` windows up to it, answered by
    /// [`AppEvent::Past`] with the same `request`.
    View {
        request: u64,
        from: Option<i64>,
        step: i64,
        trend: usize,
    },
}

/// What a model's worker is asked to do: by its watcher (a file is ready), by the view (an
/// acknowledgement, on the same channel: no thread in between), or by the run (stop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Work {
    File(std::path::PathBuf),
    Command(UiCommand),
    Stop,
}
