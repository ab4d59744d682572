//! The UI's state and the one function that changes it.
//!
//! [`App::handle`] takes an [`AppEvent`] and says what follows (quit, redraw, a command for the
//! processing side); it touches no terminal and reads no clock, so key handling is tested by
//! feeding events. Selections are kept by name, not by row number, so a new window that
//! reorders the table or pushes new alerts on top does not move the cursor to another feature
//! or alert.

use std::collections::HashSet;

use ml_monitor::monitoring::Incident;

use chrono::{DateTime, Utc};
use ml_monitor::{AlertLevel, MonitoringResult};

mod acknowledging;
mod finding;
mod silencing;
mod travel;
mod trends;

pub(crate) use silencing::SILENCE_FOR;
use travel::Travel;

use super::keys::{self, Action};
use super::model::{AlertEntry, AlertKey, Snapshot};
use super::rows::{self, FeatureRow, SortMode};
use super::table_cells::{self, Widths};
use super::theme::Theme;
use super::{format, TuiOptions};
use crate::app_event::{AppEvent, UiCommand, WindowReport};
use crate::local_time;

/// The panes that take the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Focus {
    Drift,
    Alerts,
    /// ←/→ step through the windows (time travel).
    Trends,
}

/// What fills the body of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Main,
    Histogram,
    /// The selected incident or alert in full.
    Detail,
}

/// What the alert pane lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlertView {
    /// One row per ongoing (or recently resolved) condition.
    Incidents,
    /// Every alert of every window, newest first.
    Log,
}

/// Which alerts the list shows: all, or a level and those above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlertFilter {
    All,
    AtLeast(AlertLevel),
}

impl AlertFilter {
    fn next(self) -> Self {
        match self {
            AlertFilter::All | AlertFilter::AtLeast(AlertLevel::Info) => {
                AlertFilter::AtLeast(AlertLevel::Warning)
            }
            AlertFilter::AtLeast(AlertLevel::Warning) => AlertFilter::AtLeast(AlertLevel::Critical),
            AlertFilter::AtLeast(AlertLevel::Critical) => AlertFilter::All,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            AlertFilter::All | AlertFilter::AtLeast(AlertLevel::Info) => "all",
            AlertFilter::AtLeast(AlertLevel::Warning) => "WARNING+",
            AlertFilter::AtLeast(AlertLevel::Critical) => "CRITICAL",
        }
    }

    fn admits(self, level: AlertLevel) -> bool {
        match self {
            AlertFilter::All => true,
            AlertFilter::AtLeast(l) => level >= l,
        }
    }
}

/// Where the reader left the alert pane's newest rows: the newest alert and incident seen
/// then. Rows newer than these, above the cursor, are counted in the `↑ N new` marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScrollMark {
    alert_seq: usize,
    incident_id: u64,
}

/// What an event asks of the event loop.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) quit: bool,
    pub(crate) redraw: bool,
    pub(crate) command: Option<UiCommand>,
    /// Text for the terminal's clipboard (written as OSC 52 by the event loop).
    pub(crate) copy: Option<String>,
}

impl Outcome {
    fn redraw() -> Self {
        Outcome {
            redraw: true,
            ..Outcome::default()
        }
    }
}

/// A cursor movement.
#[derive(Debug, Clone, Copy)]
enum Move {
    Down(usize),
    Up(usize),
    Top,
    Bottom,
}

/// The whole state of the UI.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) options: TuiOptions,
    pub(crate) theme: Theme,
    live: Snapshot,
    /// Set while paused: what the screen keeps showing.
    frozen: Option<Snapshot>,
    /// Set while a past window is shown or asked for (`[`, `]`; `End` clears it).
    travel: Option<Travel>,
    /// The number of the last [`UiCommand::View`] sent.
    requests: u64,
    /// How many windows the trends show (`+`/`-`).
    pub(crate) trend_zoom: super::trend_scale::Zoom,
    pub(crate) now: DateTime<Utc>,
    pub(crate) size: (u16, u16),
    pub(crate) focus: Focus,
    pub(crate) view: View,
    /// The views Esc returns to, the most recent last (a histogram opened from a detail
    /// returns to the detail, not to the main screen).
    back: Vec<View>,
    pub(crate) sort: SortMode,
    pub(crate) filter: AlertFilter,
    pub(crate) alert_view: AlertView,
    pub(crate) help: bool,
    /// First row of the help shown (it scrolls when the terminal is short).
    pub(crate) help_scroll: usize,
    selected_feature: Option<String>,
    selected_alert: Option<AlertKey>,
    acknowledged: HashSet<AlertKey>,
    selected_incident: Option<u64>,
    acknowledged_incidents: HashSet<u64>,
    /// The silences in force (from the history; `S` adds a provisional one at once).
    silences: Vec<crate::silences::Silence>,
    pub(crate) watcher_trouble: Option<String>,
    /// Set when the reader moved off the alert pane's first row; cleared back on it.
    scroll_mark: Option<ScrollMark>,
    /// The `/` query while it is typed (the drift table shows the features that hold it).
    pub(crate) search: Option<String>,
    /// The last query kept with Enter, for `n` / `N`, and which of its matches is selected.
    last_query: Option<String>,
    match_at: usize,
    /// A one-line message for the footer until the next key (`copied …`, `no match …`).
    pub(crate) notice: Option<String>,
    /// The drift table's column widths so far this run (they only grow).
    column_widths: Widths,
}

impl App {
    /// The state at start: the history so far (oldest first) already taken in.
    pub(crate) fn new(
        options: TuiOptions,
        initial: Vec<MonitoringResult>,
        acknowledged: HashSet<AlertKey>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut live = Snapshot::default();
        for result in initial {
            live.push(WindowReport {
                firing: Vec::new(),
                failing_sinks: Vec::new(),
                result,
                histograms: Default::default(),
            });
        }
        let mut app = App {
            theme: Theme::with_background(options.no_color, options.light),
            options,
            live,
            frozen: None,
            travel: None,
            requests: 0,
            trend_zoom: Default::default(),
            now,
            size: (0, 0),
            focus: Focus::Drift,
            view: View::Main,
            back: Vec::new(),
            sort: SortMode::Worst,
            filter: AlertFilter::All,
            alert_view: AlertView::Incidents,
            help: false,
            help_scroll: 0,
            selected_feature: None,
            selected_alert: None,
            selected_incident: None,
            acknowledged_incidents: HashSet::new(),
            silences: Vec::new(),
            acknowledged,
            watcher_trouble: None,
            scroll_mark: None,
            search: None,
            last_query: None,
            match_at: 0,
            notice: None,
            column_widths: Widths::default(),
        };
        app.widen_columns();
        app
    }

    /// Applies one event.
    pub(crate) fn handle(&mut self, event: AppEvent) -> Outcome {
        match event {
            AppEvent::Key(key) => {
                let had_notice = self.notice.take().is_some();
                let mut outcome = if self.search.is_some() {
                    self.search_key(&key)
                } else {
                    match keys::action_for(&key) {
                        Some(action) => self.act(action),
                        None => Outcome::default(),
                    }
                };
                outcome.redraw |= had_notice;
                outcome
            }
            AppEvent::Resize(width, height) => {
                self.size = (width, height);
                Outcome::redraw()
            }
            // The clock is read by the event loop, which calls `tick` with it.
            AppEvent::Tick => Outcome::default(),
            AppEvent::Window(report) => {
                self.live.push(*report);
                self.widen_columns();
                self.window_arrived();
                Outcome::redraw()
            }
            AppEvent::Past(request, past) => {
                let outcome = self.past_arrived(request, past);
                self.widen_columns();
                outcome
            }
            AppEvent::Realised(realised) => self.realised_arrived(&realised),
            AppEvent::WatcherTrouble(message) => {
                self.watcher_trouble = Some(message);
                Outcome::redraw()
            }
            AppEvent::WatcherRecovered => {
                let was = self.watcher_trouble.take().is_some();
                Outcome {
                    redraw: was,
                    ..Outcome::default()
                }
            }
            AppEvent::Shutdown => Outcome {
                quit: true,
                ..Outcome::default()
            },
            AppEvent::Sinks(failing) => {
                let changed = self.live.failing_sinks != failing;
                self.live.failing_sinks = failing;
                Outcome {
                    redraw: changed,
                    ..Outcome::default()
                }
            }
            AppEvent::Incidents(incidents, acknowledged) => {
                self.live.set_incidents(incidents);
                self.acknowledged_incidents.extend(acknowledged);
                Outcome::redraw()
            }
            AppEvent::Silences(silences) => self.set_silences(silences),
            // A fleet routes its models' events; one model's screen takes them as its own.
            AppEvent::Model(_, event) => self.handle(*event),
        }
    }

    /// Moves the clock; a redraw is asked for only when a time on screen changes.
    pub(crate) fn tick(&mut self, now: DateTime<Utc>) -> Outcome {
        let before = self.time_texts();
        self.now = now;
        Outcome {
            redraw: self.time_texts() != before,
            ..Outcome::default()
        }
    }

    /// The clock and the last window's age, as the status line shows them.
    pub(crate) fn time_texts(&self) -> (String, Option<String>) {
        let age = self
            .shown()
            .last
            .as_ref()
            .map(|l| format::age(self.now, l.timestamp));
        (local_time::clock(self.now, self.options.zone), age)
    }

    /// A time as the screen shows it: local (`TZ`), `14:05` today, with the date otherwise.
    pub(crate) fn time(&self, t: DateTime<Utc>) -> String {
        local_time::time_or_date(t, self.now, self.options.zone)
    }

    fn act(&mut self, action: Action) -> Outcome {
        if self.help {
            return match action {
                Action::Quit => self.act_main(Action::Quit),
                Action::Help | Action::Back => {
                    self.help = false;
                    Outcome::redraw()
                }
                Action::Down | Action::PageDown => {
                    let step = if action == Action::Down {
                        1
                    } else {
                        self.page()
                    };
                    self.help_scroll = (self.help_scroll + step).min(keys::BINDINGS.len() + 12);
                    Outcome::redraw()
                }
                Action::Up | Action::PageUp => {
                    let step = if action == Action::Up { 1 } else { self.page() };
                    self.help_scroll = self.help_scroll.saturating_sub(step);
                    Outcome::redraw()
                }
                Action::Top => {
                    self.help_scroll = 0;
                    Outcome::redraw()
                }
                Action::Bottom | Action::Live => {
                    self.help_scroll = keys::BINDINGS.len() + 12;
                    Outcome::redraw()
                }
                _ => Outcome::default(),
            };
        }
        self.act_main(action)
    }

    fn act_main(&mut self, action: Action) -> Outcome {
        match action {
            Action::Quit => {
                return Outcome {
                    quit: true,
                    ..Outcome::default()
                }
            }
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::Back => {
                if !self.close_view() {
                    return Outcome::default();
                }
            }
            Action::FocusNext | Action::FocusPrev => {
                if self.view != View::Main {
                    return Outcome::default();
                }
                let next = action == Action::FocusNext;
                self.focus = match (self.focus, next) {
                    (Focus::Drift, true) | (Focus::Trends, false) => Focus::Alerts,
                    (Focus::Alerts, true) | (Focus::Drift, false) => Focus::Trends,
                    (Focus::Trends, true) | (Focus::Alerts, false) => Focus::Drift,
                };
            }
            Action::Down => self.move_cursor(Move::Down(1)),
            Action::Up => self.move_cursor(Move::Up(1)),
            Action::PageDown => self.move_cursor(Move::Down(self.page())),
            Action::PageUp => self.move_cursor(Move::Up(self.page())),
            Action::Top => self.move_cursor(Move::Top),
            Action::Bottom => self.move_cursor(Move::Bottom),
            Action::Open => {
                if self.view != View::Main {
                    return Outcome::default();
                }
                if self.focus == Focus::Alerts {
                    if self.alert_view == AlertView::Incidents
                        && self.visible_incidents().is_empty()
                        || self.alert_view == AlertView::Log && self.visible_alerts().is_empty()
                    {
                        return Outcome::default();
                    }
                    self.open_view(View::Detail);
                    return Outcome::redraw();
                }
                let row = self.selected_feature_index();
                match self.feature_rows().get(row) {
                    Some(feature) => self.selected_feature = Some(feature.name.clone()),
                    None => return Outcome::default(),
                }
                self.open_view(View::Histogram);
            }
            Action::Older => return self.step(-1),
            Action::Newer => return self.step(1),
            Action::Left | Action::Right => {
                if self.view != View::Main || self.focus != Focus::Trends {
                    return Outcome::default();
                }
                return self.step(if action == Action::Left { -1 } else { 1 });
            }
            Action::Live => {
                if self.travel.is_none() && self.frozen.is_none() {
                    self.move_cursor(Move::Bottom);
                } else {
                    self.travel = None;
                    self.frozen = None;
                }
            }
            Action::Pause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(self.live.clone()),
                };
            }
            Action::ZoomIn => return self.zoom(1),
            Action::ZoomOut => return self.zoom(-1),
            Action::Sort => self.sort = self.sort.next(),
            Action::Filter => {
                self.filter = self.filter.next();
                self.selected_alert = None;
                self.selected_incident = None;
                self.scroll_mark = None;
            }
            Action::Acknowledge => return self.acknowledge(),
            Action::Silence => return self.toggle_silence(),
            Action::AlertLog => {
                self.alert_view = match self.alert_view {
                    AlertView::Incidents => AlertView::Log,
                    AlertView::Log => AlertView::Incidents,
                };
                self.scroll_mark = None;
            }
            Action::Search => {
                if self.view == View::Detail {
                    self.back_to_main();
                }
                self.search = Some(String::new());
            }
            Action::Copy => return self.copy(),
            Action::NextMatch => return self.next_match(true),
            Action::PrevMatch => return self.next_match(false),
            Action::FeatureHistogram => {
                let feature = match self.view {
                    View::Detail => self.selected_incident_or_alert_feature(),
                    _ => None,
                };
                let Some(feature) = feature else {
                    return Outcome::default();
                };
                if !self.feature_rows().iter().any(|r| r.name == feature) {
                    self.notice = Some(format!("{} is not in the drift table", feature));
                    return Outcome::redraw();
                }
                self.selected_feature = Some(feature);
                self.open_view(View::Histogram);
            }
        }
        Outcome::redraw()
    }

    /// Shows `view`, remembering the one it replaces for Esc.
    fn open_view(&mut self, view: View) {
        if view != self.view {
            self.back.push(self.view);
            self.view = view;
        }
    }

    /// Esc: back to the view the current one was opened from; whether there was one.
    fn close_view(&mut self) -> bool {
        if self.view == View::Main {
            self.back.clear();
            return false;
        }
        self.view = self.back.pop().unwrap_or(View::Main);
        true
    }

    /// Straight to the main screen, forgetting the way back (a search, a jump to a match).
    pub(super) fn back_to_main(&mut self) {
        self.view = View::Main;
        self.back.clear();
    }

    /// Rows a page key moves.
    fn page(&self) -> usize {
        usize::from(self.size.1 / 3).max(1)
    }

    fn move_cursor(&mut self, m: Move) {
        let step = |current: usize, len: usize| -> usize {
            let last = len.saturating_sub(1);
            match m {
                Move::Down(n) => current.saturating_add(n).min(last),
                Move::Up(n) => current.saturating_sub(n),
                Move::Top => 0,
                Move::Bottom => last,
            }
        };
        let drift = self.view == View::Histogram || self.focus == Focus::Drift;
        if self.view == View::Main && self.focus == Focus::Trends {
            // The trends have no rows: ←/→ move in time.
        } else if drift {
            let rows = self.feature_rows();
            let to = step(self.selected_feature_index(), rows.len());
            self.selected_feature = rows.get(to).map(|r| r.name.clone());
        } else if self.alert_view == AlertView::Incidents {
            let to = step(
                self.selected_incident_index(),
                self.visible_incidents().len(),
            );
            self.select_alert_row(to);
        } else {
            let to = step(self.selected_alert_index(), self.visible_alerts().len());
            self.select_alert_row(to);
        }
    }

    /// The drift table's column widths so far this run.
    pub(crate) fn column_widths(&self) -> &Widths {
        &self.column_widths
    }

    /// Takes the newest window's and the shown window's drift-table cells into the run's
    /// column widths.
    fn widen_columns(&mut self) {
        let mut widths = std::mem::take(&mut self.column_widths);
        for snapshot in [&self.live, self.shown()] {
            if let Some(result) = snapshot.latest_result() {
                let rows = rows::feature_rows(result, self.sort);
                widths.widen(&table_cells::columns(&rows, &self.options));
            }
        }
        self.column_widths = widths;
    }

    /// The snapshot on screen: a past window's while travelling, frozen while paused, live
    /// otherwise.
    pub(crate) fn shown(&self) -> &Snapshot {
        match self.past() {
            Some(past) => &past.snapshot,
            None => self.present(),
        }
    }

    /// The snapshot of now: frozen while paused, live otherwise (the fleet list's rows).
    pub(crate) fn present(&self) -> &Snapshot {
        self.frozen.as_ref().unwrap_or(&self.live)
    }

    /// The sinks failing now, whatever window is on screen: a failing pager is news in the past
    /// too.
    pub(crate) fn failing_sinks(&self) -> &[String] {
        &self.live.failing_sinks
    }

    /// Paused, and how many windows arrived since.
    pub(crate) fn paused(&self) -> Option<usize> {
        self.frozen
            .as_ref()
            .map(|f| self.live.windows_seen.saturating_sub(f.windows_seen))
    }

    /// The drift table's rows, in the current sort; while a `/` query is typed, only the
    /// features whose name holds it.
    pub(crate) fn feature_rows(&self) -> Vec<FeatureRow> {
        let mut rows = self.all_feature_rows();
        if let Some(query) = self.search.as_deref().filter(|q| !q.is_empty()) {
            let q = query.to_lowercase();
            rows.retain(|r| r.name.to_lowercase().contains(&q));
        }
        rows
    }

    /// Every feature's row, in the current sort (the verdict's and the title's counts).
    pub(crate) fn all_feature_rows(&self) -> Vec<FeatureRow> {
        self.shown()
            .latest_result()
            .map(|r| rows::feature_rows(r, self.sort))
            .unwrap_or_default()
    }

    /// Row index of the selected feature (the first row when none is or it vanished).
    pub(crate) fn selected_feature_index(&self) -> usize {
        let Some(name) = &self.selected_feature else {
            return 0;
        };
        self.feature_rows()
            .iter()
            .position(|r| &r.name == name)
            .unwrap_or(0)
    }

    /// The selected feature's name.
    pub(crate) fn selected_feature(&self) -> Option<String> {
        self.feature_rows()
            .into_iter()
            .nth(self.selected_feature_index())
            .map(|r| r.name)
    }

    /// The alert list under the filter, newest first.
    pub(crate) fn visible_alerts(&self) -> Vec<&AlertEntry> {
        self.shown()
            .alerts
            .iter()
            .filter(|e| self.filter.admits(e.alert.level))
            .collect()
    }

    /// Index of the selected alert in [`Self::visible_alerts`].
    pub(crate) fn selected_alert_index(&self) -> usize {
        let Some(key) = &self.selected_alert else {
            return 0;
        };
        self.visible_alerts()
            .iter()
            .position(|e| &e.key == key)
            .unwrap_or(0)
    }

    pub(crate) fn is_acknowledged(&self, key: &AlertKey) -> bool {
        self.acknowledged.contains(key)
    }

    /// The incidents under the filter: firing ones (worst first), then resolved ones.
    pub(crate) fn visible_incidents(&self) -> Vec<&Incident> {
        let shown = self.shown();
        shown
            .firing
            .iter()
            .chain(shown.resolved.iter())
            .filter(|i| self.filter.admits(i.level))
            .collect()
    }

    /// Index of the selected incident in [`Self::visible_incidents`].
    pub(crate) fn selected_incident_index(&self) -> usize {
        let Some(id) = self.selected_incident else {
            return 0;
        };
        self.visible_incidents()
            .iter()
            .position(|i| i.id == id)
            .unwrap_or(0)
    }

    pub(crate) fn is_incident_acknowledged(&self, id: u64) -> bool {
        self.acknowledged_incidents.contains(&id)
    }
}
