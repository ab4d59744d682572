//! Settings changes in the trends (issue 28 item 7): `┆` on the axis under the first window
//! computed under a new reference or thresholds, for windows read back from the history at
//! start and for live ones; the cursor on it says so in words. A snapshot at 80x24.

use std::collections::HashSet;

use ml_monitor::MonitoringResult;

use super::app::App;
use super::fixtures::{self, feed};
use super::render::testing::{find, screen, shows};
use crate::app_event::AppEvent;

/// Marks a result as the first under new settings, as the pipeline does.
fn first_under_new_settings(result: &mut MonitoringResult) {
    result.metadata.insert(
        "settings_changed".into(),
        serde_json::json!({ "changed": ["reference"], "reference": "reference.csv", "closed": 1 }),
    );
}

/// Six windows read back from the history, the fourth the first under new settings.
fn app_from_history() -> App {
    let mut history = fixtures::history(6);
    first_under_new_settings(&mut history[3]);
    let mut app = App::new(
        fixtures::options(false),
        history,
        HashSet::new(),
        fixtures::now(),
    );
    app.handle(AppEvent::Resize(80, 24));
    app
}

#[test]
fn the_axis_marks_the_first_window_under_new_settings_read_back_from_the_history() {
    let t = screen(&app_from_history(), 80, 24);
    let buffer = t.backend().buffer();
    let drifted = find(buffer, "drifted 0–100%").expect("label");
    let axis = find(buffer, "◆ window_0006").expect("the cursor on the axis");
    // Window 4 is the fourth column; the cursor is on the sixth.
    assert_eq!(axis.x, drifted.x + 5);
    assert_eq!(buffer[(drifted.x + 3, axis.y)].symbol(), "┆");
    let others: Vec<&str> = [0, 1, 2, 4]
        .iter()
        .map(|&c| buffer[(drifted.x + c, axis.y)].symbol())
        .collect();
    assert_eq!(others, ["─"; 4]);
}

#[test]
fn a_live_window_under_new_settings_is_marked_and_the_cursor_on_it_says_so() {
    let (mut app, mut tracker) = fixtures::app_and_tracker(4, false);
    let mut fifth = fixtures::result(5, false);
    first_under_new_settings(&mut fifth);
    feed(&mut app, &mut tracker, fifth);
    let t = screen(&app, 120, 40);
    assert!(
        shows(t.backend().buffer(), "◆ window_0005 ┆ new settings"),
        "the cursor covers the mark: said in words"
    );
    feed(&mut app, &mut tracker, fixtures::result(6, false));
    let t = screen(&app, 80, 24);
    let buffer = t.backend().buffer();
    let drifted = find(buffer, "drifted 0–100%").expect("label");
    let axis = find(buffer, "◆ window_0006").expect("the cursor on the axis");
    assert_eq!(buffer[(drifted.x + 4, axis.y)].symbol(), "┆");
}

#[test]
fn snapshot_settings_boundary_80x24() {
    insta::assert_snapshot!(screen(&app_from_history(), 80, 24).backend());
}

#[test]
fn a_problem_closed_by_new_settings_says_why_in_the_incidents_pane() {
    let (mut app, mut tracker) = fixtures::app_and_tracker(3, false);
    assert!(tracker.open().count() > 0, "window 3 drifted");
    let mut changes = tracker.close_all(ml_monitor::monitoring::SETTINGS_CHANGED, fixtures::now());
    let mut fourth = fixtures::result(4, false);
    first_under_new_settings(&mut fourth);
    changes.extend(tracker.observe(&fourth));
    fourth.incidents = changes;
    app.handle(AppEvent::Window(Box::new(crate::app_event::WindowReport {
        result: fourth,
        histograms: Default::default(),
        firing: tracker.open().cloned().collect(),
        failing_sinks: Vec::new(),
    })));
    let t = screen(&app, 200, 50);
    assert!(
        shows(
            t.backend().buffer(),
            "closed: the reference or thresholds changed"
        ),
        "{}",
        t.backend()
    );
}
