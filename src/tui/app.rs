//! The UI's state and the one function that changes it.
//!
//! [`App::handle`] takes an [`AppEvent`] and says what follows (quit, redraw, a command for the
//! processing side); it touches no terminal and reads no clock, so key handling is tested by
//! feeding events. Selections are kept by name, not by row number, so a new window that
//! reorders the table or pushes new alerts on top does not move the cursor to another feature
//! or alert.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use ml_monitor::{AlertLevel, MonitoringResult};

use super::keys::{self, Action};
use super::model::{AlertEntry, AlertKey, Snapshot};
use super::rows::{self, FeatureRow, SortMode};
use super::theme::Theme;
use super::{format, TuiOptions};
use crate::app_event::{AppEvent, UiCommand, WindowReport};

/// The panes that take the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Focus {
    Drift,
    Alerts,
}

/// What fills the body of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Main,
    Histogram,
}

/// Which alerts the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlertFilter {
    All,
    Only(AlertLevel),
}

impl AlertFilter {
    fn next(self) -> Self {
        match self {
            AlertFilter::All => AlertFilter::Only(AlertLevel::Critical),
            AlertFilter::Only(AlertLevel::Critical) => AlertFilter::Only(AlertLevel::Warning),
            AlertFilter::Only(AlertLevel::Warning) => AlertFilter::Only(AlertLevel::Info),
            AlertFilter::Only(AlertLevel::Info) => AlertFilter::All,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            AlertFilter::All => "all",
            AlertFilter::Only(level) => level.as_str(),
        }
    }

    fn admits(self, level: AlertLevel) -> bool {
        match self {
            AlertFilter::All => true,
            AlertFilter::Only(l) => l == level,
        }
    }
}

/// What an event asks of the event loop.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) quit: bool,
    pub(crate) redraw: bool,
    pub(crate) command: Option<UiCommand>,
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
    pub(crate) now: DateTime<Utc>,
    pub(crate) size: (u16, u16),
    pub(crate) focus: Focus,
    pub(crate) view: View,
    pub(crate) sort: SortMode,
    pub(crate) filter: AlertFilter,
    pub(crate) help: bool,
    selected_feature: Option<String>,
    selected_alert: Option<AlertKey>,
    acknowledged: HashSet<AlertKey>,
    pub(crate) watcher_trouble: Option<String>,
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
                result,
                histograms: Default::default(),
            });
        }
        App {
            theme: Theme::new(options.no_color),
            options,
            live,
            frozen: None,
            now,
            size: (0, 0),
            focus: Focus::Drift,
            view: View::Main,
            sort: SortMode::Worst,
            filter: AlertFilter::All,
            help: false,
            selected_feature: None,
            selected_alert: None,
            acknowledged,
            watcher_trouble: None,
        }
    }

    /// Applies one event.
    pub(crate) fn handle(&mut self, event: AppEvent) -> Outcome {
        match event {
            AppEvent::Key(key) => match keys::action_for(&key) {
                Some(action) => self.act(action),
                None => Outcome::default(),
            },
            AppEvent::Resize(width, height) => {
                self.size = (width, height);
                Outcome::redraw()
            }
            // The clock is read by the event loop, which calls `tick` with it.
            AppEvent::Tick => Outcome::default(),
            AppEvent::Window(report) => {
                self.live.push(*report);
                Outcome::redraw()
            }
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
        (format::clock(self.now), age)
    }

    fn act(&mut self, action: Action) -> Outcome {
        if self.help {
            return match action {
                Action::Quit => self.act_main(Action::Quit),
                Action::Help | Action::Back => {
                    self.help = false;
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
            Action::Help => self.help = true,
            Action::Back => match self.view {
                View::Histogram => self.view = View::Main,
                View::Main => return Outcome::default(),
            },
            Action::FocusNext | Action::FocusPrev => {
                if self.view != View::Main {
                    return Outcome::default();
                }
                self.focus = match self.focus {
                    Focus::Drift => Focus::Alerts,
                    Focus::Alerts => Focus::Drift,
                };
            }
            Action::Down => self.move_cursor(Move::Down(1)),
            Action::Up => self.move_cursor(Move::Up(1)),
            Action::PageDown => self.move_cursor(Move::Down(self.page())),
            Action::PageUp => self.move_cursor(Move::Up(self.page())),
            Action::Top => self.move_cursor(Move::Top),
            Action::Bottom => self.move_cursor(Move::Bottom),
            Action::Open => {
                if self.view != View::Main || self.focus != Focus::Drift {
                    return Outcome::default();
                }
                let row = self.selected_feature_index();
                match self.feature_rows().get(row) {
                    Some(feature) => self.selected_feature = Some(feature.name.clone()),
                    None => return Outcome::default(),
                }
                self.view = View::Histogram;
            }
            Action::Pause => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(self.live.clone()),
                };
            }
            Action::Sort => self.sort = self.sort.next(),
            Action::Filter => {
                self.filter = self.filter.next();
                self.selected_alert = None;
            }
            Action::Acknowledge => return self.acknowledge(),
        }
        Outcome::redraw()
    }

    fn acknowledge(&mut self) -> Outcome {
        if self.view != View::Main || self.focus != Focus::Alerts {
            return Outcome::default();
        }
        let index = self.selected_alert_index();
        let Some(key) = self.visible_alerts().get(index).map(|e| e.key.clone()) else {
            return Outcome::default();
        };
        if !self.acknowledged.insert(key.clone()) {
            return Outcome::default();
        }
        Outcome {
            redraw: true,
            command: Some(UiCommand::Acknowledge {
                window: key.0,
                alert_index: key.1,
            }),
            ..Outcome::default()
        }
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
        if drift {
            let rows = self.feature_rows();
            let to = step(self.selected_feature_index(), rows.len());
            self.selected_feature = rows.get(to).map(|r| r.name.clone());
        } else {
            let to = step(self.selected_alert_index(), self.visible_alerts().len());
            self.selected_alert = self.visible_alerts().get(to).map(|e| e.key.clone());
        }
    }

    /// The snapshot on screen: frozen while paused, live otherwise.
    pub(crate) fn shown(&self) -> &Snapshot {
        self.frozen.as_ref().unwrap_or(&self.live)
    }

    /// Paused, and how many windows arrived since.
    pub(crate) fn paused(&self) -> Option<usize> {
        self.frozen
            .as_ref()
            .map(|f| self.live.windows_seen.saturating_sub(f.windows_seen))
    }

    /// The drift table's rows, in the current sort.
    pub(crate) fn feature_rows(&self) -> Vec<FeatureRow> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures::{self, key};
    use crossterm::event::KeyCode;

    fn press(app: &mut App, code: KeyCode) -> Outcome {
        app.handle(key(code))
    }

    #[test]
    fn q_ctrl_c_and_shutdown_quit() {
        let mut app = fixtures::app(3, false);
        assert!(press(&mut app, KeyCode::Char('q')).quit);
        let ctrl_c = AppEvent::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('c'),
            crossterm::event::KeyModifiers::CONTROL,
        ));
        assert!(app.handle(ctrl_c).quit);
        assert!(app.handle(AppEvent::Shutdown).quit);
        assert!(!press(&mut app, KeyCode::Char('x')).quit);
    }

    #[test]
    fn unbound_keys_and_ticks_do_not_redraw() {
        let mut app = fixtures::app(3, false);
        assert_eq!(press(&mut app, KeyCode::Char('x')), Outcome::default());
        assert_eq!(app.handle(AppEvent::Tick), Outcome::default());
        assert_eq!(press(&mut app, KeyCode::Esc), Outcome::default());
    }

    #[test]
    fn tick_redraws_only_when_a_shown_time_changes() {
        let mut app = fixtures::app(3, false);
        let now = app.now;
        // Last window is 2 minutes old: "2m ago" until 3 minutes, clock shows minutes.
        assert!(!app.tick(now + chrono::Duration::seconds(1)).redraw);
        assert!(app.tick(now + chrono::Duration::seconds(61)).redraw);
        assert!(!app.tick(now + chrono::Duration::seconds(62)).redraw);
    }

    #[test]
    fn tab_moves_focus_and_arrows_move_within_the_focused_pane() {
        let mut app = fixtures::app(3, false);
        assert_eq!(app.focus, Focus::Drift);
        let first = app.selected_feature();
        assert!(press(&mut app, KeyCode::Char('j')).redraw);
        let second = app.selected_feature();
        assert_ne!(first, second);
        assert_eq!(app.selected_feature_index(), 1);
        press(&mut app, KeyCode::Char('G'));
        assert_eq!(app.selected_feature_index(), app.feature_rows().len() - 1);
        press(&mut app, KeyCode::Down);
        assert_eq!(
            app.selected_feature_index(),
            app.feature_rows().len() - 1,
            "stops at the end"
        );
        press(&mut app, KeyCode::Char('g'));
        assert_eq!(app.selected_feature_index(), 0);
        press(&mut app, KeyCode::Up);
        assert_eq!(app.selected_feature_index(), 0, "stops at the top");
        press(&mut app, KeyCode::PageDown);
        assert!(app.selected_feature_index() > 0);

        press(&mut app, KeyCode::Tab);
        assert_eq!(app.focus, Focus::Alerts);
        press(&mut app, KeyCode::Char('j'));
        assert_eq!(app.selected_alert_index(), 1);
        press(&mut app, KeyCode::BackTab);
        assert_eq!(app.focus, Focus::Drift);
    }

    #[test]
    fn selection_follows_the_feature_when_a_new_window_reorders_rows() {
        let mut app = fixtures::app(2, false);
        press(&mut app, KeyCode::Char('j'));
        press(&mut app, KeyCode::Char('k'));
        let chosen = app.selected_feature().expect("a feature");
        app.handle(AppEvent::Window(Box::new(fixtures::report(9, true))));
        assert_eq!(app.selected_feature(), Some(chosen));
        assert_ne!(app.selected_feature_index(), 0, "the rows were reordered");
    }

    #[test]
    fn selected_alert_stays_put_when_new_alerts_arrive_on_top() {
        let mut app = fixtures::app(3, false);
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Char('j'));
        let chosen = app.visible_alerts()[app.selected_alert_index()].key.clone();
        app.handle(AppEvent::Window(Box::new(fixtures::report(9, true))));
        assert_eq!(app.visible_alerts()[app.selected_alert_index()].key, chosen);
        assert!(app.selected_alert_index() > 1);
    }

    #[test]
    fn s_cycles_the_sort() {
        let mut app = fixtures::app(3, false);
        let modes: Vec<SortMode> = (0..4)
            .map(|_| {
                press(&mut app, KeyCode::Char('s'));
                app.sort
            })
            .collect();
        assert_eq!(
            modes,
            [
                SortMode::Name,
                SortMode::Psi,
                SortMode::Missing,
                SortMode::Worst
            ]
        );
    }

    #[test]
    fn f_cycles_the_alert_filter_and_the_list_follows() {
        let mut app = fixtures::app(3, false);
        let all = app.visible_alerts().len();
        press(&mut app, KeyCode::Char('f'));
        assert_eq!(app.filter, AlertFilter::Only(AlertLevel::Critical));
        let critical = app.visible_alerts();
        assert!(!critical.is_empty() && critical.len() < all);
        assert!(critical
            .iter()
            .all(|e| e.alert.level == AlertLevel::Critical));
        press(&mut app, KeyCode::Char('f'));
        press(&mut app, KeyCode::Char('f'));
        assert!(app
            .visible_alerts()
            .iter()
            .all(|e| e.alert.level == AlertLevel::Info));
        press(&mut app, KeyCode::Char('f'));
        assert_eq!(app.filter, AlertFilter::All);
        assert_eq!(app.visible_alerts().len(), all);
    }

    #[test]
    fn a_acknowledges_the_selected_alert_once_and_sends_the_command() {
        let mut app = fixtures::app(3, false);
        assert_eq!(
            press(&mut app, KeyCode::Char('a')).command,
            None,
            "needs the alert pane"
        );
        press(&mut app, KeyCode::Tab);
        let key = app.visible_alerts()[0].key.clone();
        let outcome = press(&mut app, KeyCode::Char('a'));
        assert_eq!(
            outcome.command,
            Some(UiCommand::Acknowledge {
                window: key.0.clone(),
                alert_index: key.1
            })
        );
        assert!(app.is_acknowledged(&key));
        assert_eq!(
            press(&mut app, KeyCode::Char('a')).command,
            None,
            "only once"
        );
    }

    #[test]
    fn enter_opens_the_selected_features_histogram_and_esc_returns() {
        let mut app = fixtures::app(3, false);
        press(&mut app, KeyCode::Char('j'));
        let feature = app.selected_feature();
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.view, View::Histogram);
        assert_eq!(app.selected_feature(), feature);
        press(&mut app, KeyCode::Char('j'));
        assert_ne!(
            app.selected_feature(),
            feature,
            "arrows step through features"
        );
        assert_eq!(press(&mut app, KeyCode::Tab), Outcome::default());
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.view, View::Main);
    }

    #[test]
    fn enter_does_nothing_without_a_window_or_from_the_alert_pane() {
        let mut empty = fixtures::app(0, false);
        assert_eq!(press(&mut empty, KeyCode::Enter), Outcome::default());
        assert_eq!(empty.view, View::Main);
        let mut app = fixtures::app(3, false);
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.view, View::Main);
    }

    #[test]
    fn help_swallows_other_keys_and_closes_with_question_mark_or_esc() {
        let mut app = fixtures::app(3, false);
        press(&mut app, KeyCode::Char('?'));
        assert!(app.help);
        assert_eq!(press(&mut app, KeyCode::Char('s')), Outcome::default());
        assert_eq!(app.sort, SortMode::Worst);
        press(&mut app, KeyCode::Esc);
        assert!(!app.help);
        press(&mut app, KeyCode::Char('?'));
        press(&mut app, KeyCode::Char('?'));
        assert!(!app.help);
        press(&mut app, KeyCode::Char('?'));
        assert!(press(&mut app, KeyCode::Char('q')).quit);
    }

    #[test]
    fn pause_freezes_the_display_while_windows_are_still_kept() {
        let mut app = fixtures::app(3, false);
        press(&mut app, KeyCode::Char('p'));
        assert_eq!(app.paused(), Some(0));
        app.handle(AppEvent::Window(Box::new(fixtures::report(7, true))));
        app.handle(AppEvent::Window(Box::new(fixtures::report(8, true))));
        assert_eq!(app.paused(), Some(2));
        assert_eq!(app.shown().windows_seen, 3);
        assert_eq!(
            app.shown().latest_result().map(|r| r.window.as_str()),
            Some("window_0003.csv")
        );
        press(&mut app, KeyCode::Char('p'));
        assert_eq!(app.paused(), None);
        assert_eq!(app.shown().windows_seen, 5);
        assert_eq!(
            app.shown().latest_result().map(|r| r.window.as_str()),
            Some("window_0008.csv")
        );
    }

    #[test]
    fn watcher_trouble_is_shown_until_recovery() {
        let mut app = fixtures::app(1, false);
        assert!(
            app.handle(AppEvent::WatcherTrouble("directory gone".into()))
                .redraw
        );
        assert_eq!(app.watcher_trouble.as_deref(), Some("directory gone"));
        assert!(app.handle(AppEvent::WatcherRecovered).redraw);
        assert_eq!(app.watcher_trouble, None);
        assert!(!app.handle(AppEvent::WatcherRecovered).redraw);
    }

    #[test]
    fn resize_records_the_size_and_redraws() {
        let mut app = fixtures::app(1, false);
        assert!(app.handle(AppEvent::Resize(100, 30)).redraw);
        assert_eq!(app.size, (100, 30));
    }

    #[test]
    fn acknowledged_alerts_from_the_history_are_known() {
        let mut acked = HashSet::new();
        acked.insert(("window_0002.csv".to_string(), 1));
        let app = App::new(
            fixtures::options(false),
            fixtures::history(3),
            acked,
            fixtures::now(),
        );
        assert!(app.is_acknowledged(&("window_0002.csv".to_string(), 1)));
        assert!(!app.is_acknowledged(&("window_0002.csv".to_string(), 0)));
    }
}
