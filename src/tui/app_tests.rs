//! Key handling and event tests of [`App`](super::app::App), without a terminal.

use std::collections::HashSet;

use crossterm::event::KeyCode;
use ml_monitor::AlertLevel;

use super::app::{AlertFilter, App, Focus, Outcome, View};
use super::fixtures::{self, key};
use super::rows::SortMode;
use crate::app_event::{AppEvent, UiCommand};

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
    assert_eq!(app.selected_incident_index(), 1);
    press(&mut app, KeyCode::Char('l'));
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
    press(&mut app, KeyCode::Char('l'));
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
fn f_cycles_this_level_and_above_and_the_list_follows() {
    let mut app = fixtures::app(3, false);
    let all = app.visible_alerts().len();
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.filter, AlertFilter::AtLeast(AlertLevel::Warning));
    let warning_up = app.visible_alerts();
    assert!(!warning_up.is_empty() && warning_up.len() < all);
    assert!(warning_up
        .iter()
        .all(|e| e.alert.level >= AlertLevel::Warning));
    assert!(warning_up
        .iter()
        .any(|e| e.alert.level == AlertLevel::Critical));
    assert!(app
        .visible_incidents()
        .iter()
        .all(|i| i.level >= AlertLevel::Warning));
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.filter, AlertFilter::AtLeast(AlertLevel::Critical));
    let critical = app.visible_alerts();
    assert!(!critical.is_empty());
    assert!(critical
        .iter()
        .all(|e| e.alert.level == AlertLevel::Critical));
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.filter, AlertFilter::All);
    assert_eq!(app.visible_alerts().len(), all);
}

#[test]
fn a_acknowledges_the_selected_alert_and_a_second_a_takes_it_back() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Char('l'));
    let outcome = press(&mut app, KeyCode::Char('a'));
    assert_eq!(outcome.command, None, "needs the alert pane");
    assert!(outcome.redraw, "and says so");
    assert_eq!(
        app.notice.as_deref(),
        Some("a acknowledges an incident: Tab to the alerts pane first")
    );
    press(&mut app, KeyCode::Tab);
    let key = app.visible_alerts()[0].key.clone();
    let outcome = press(&mut app, KeyCode::Char('a'));
    assert_eq!(
        outcome.command,
        Some(UiCommand::Acknowledge {
            window: key.0.clone(),
            alert_index: key.1,
            acknowledged: true,
        })
    );
    assert!(app.is_acknowledged(&key));
    assert_eq!(
        press(&mut app, KeyCode::Char('a')).command,
        Some(UiCommand::Acknowledge {
            window: key.0.clone(),
            alert_index: key.1,
            acknowledged: false,
        }),
        "a second a takes it back"
    );
    assert!(!app.is_acknowledged(&key));
}

#[test]
fn a_in_a_histogram_says_where_it_acts() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Histogram);
    let outcome = press(&mut app, KeyCode::Char('a'));
    assert_eq!(outcome.command, None);
    assert_eq!(
        app.notice.as_deref(),
        Some("a acknowledges an incident: Esc, then Tab to the alerts pane")
    );
}

#[test]
fn esc_returns_to_the_view_it_came_from() {
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Alerts);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail);
    press(&mut app, KeyCode::Char('h'));
    assert_eq!(app.view, View::Histogram, "h opens the incident's feature");
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        app.view,
        View::Detail,
        "back to the detail, not the main screen"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Main);
    assert_eq!(app.focus, Focus::Alerts, "focus kept");
    assert_eq!(
        press(&mut app, KeyCode::Esc),
        Outcome::default(),
        "nothing left"
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
fn enter_does_nothing_without_a_window_and_opens_the_detail_from_the_alert_pane() {
    let mut empty = fixtures::app(0, false);
    assert_eq!(press(&mut empty, KeyCode::Enter), Outcome::default());
    assert_eq!(empty.view, View::Main);
    press(&mut empty, KeyCode::Tab);
    assert_eq!(press(&mut empty, KeyCode::Enter), Outcome::default());
    let mut app = fixtures::app(3, false);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail);
    press(&mut app, KeyCode::Esc);
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
