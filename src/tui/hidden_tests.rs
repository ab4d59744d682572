//! Issue 28 item 3, "nothing hidden": a failing sink is never cut from the status line (the
//! firing counts give way first), rows the incident pane cannot show are counted (`+4 more ↓`),
//! the footer says when key hints were left for `?`, the verdict gives up its clock before its
//! condition, below 80x24 the one-line verdict stays, and every cut ends in `…`.

use std::collections::HashSet;

use crossterm::event::KeyCode;
use ml_monitor::monitoring::alerts::AlertKind;
use ml_monitor::monitoring::IncidentTracker;
use ml_monitor::{Alert, AlertLevel};

use super::app::App;
use super::fixtures::{self, key};
use super::render::testing::{lines, screen};
use crate::app_event::AppEvent;

const SINK: &str = "webhook: retrying, 9 queued";

/// Windows 1..=n; window i adds a data-quality problem on feature `f{i}` (all kept firing), so
/// each problem opens in a window of its own: n problems, every third CRITICAL.
fn many_problems(n: usize) -> App {
    let mut app = App::new(
        fixtures::options(false),
        Vec::new(),
        HashSet::new(),
        fixtures::now(),
    );
    let mut tracker = IncidentTracker::new(2);
    for i in 1..=n {
        let mut result = fixtures::result(i, false);
        result.alerts = (1..=i)
            .map(|f| {
                let level = if f % 3 == 0 {
                    AlertLevel::Critical
                } else {
                    AlertLevel::Warning
                };
                let mut a = Alert::new(
                    level,
                    AlertKind::DataQuality,
                    &result.window,
                    format!("missing rate of f{f} up by 0.3"),
                    result.timestamp,
                );
                a.feature = Some(format!("f{f}"));
                a.metric = Some("missing_rate_increase".into());
                a.value = Some(0.3);
                a.threshold = Some(0.1);
                a
            })
            .collect();
        fixtures::feed(&mut app, &mut tracker, result);
    }
    app.handle(AppEvent::Resize(80, 24));
    app
}

fn failing_sink_app() -> App {
    let mut app = many_problems(10);
    app.handle(AppEvent::Sinks(vec![SINK.into()]));
    app
}

#[test]
fn a_failing_sink_is_whole_at_every_width_and_apart_from_the_counts() {
    let app = failing_sink_app();
    for width in 80..=200 {
        let t = screen(&app, width, 24);
        let status = &lines(t.backend().buffer())[1];
        assert!(status.contains(SINK), "{width}: {status}");
        assert!(status.starts_with("LIVE"), "{width}: {status}");
        // Whatever was cut before it ends in `…`; nothing runs into the sink or the counts.
        let before = status[..status.find(SINK).unwrap_or(0)].trim_end();
        assert!(
            before == "LIVE" || before.ends_with('…') || before.ends_with("just now"),
            "{width}: {status}"
        );
        assert!(!status.contains("queued firing"), "{width}: {status}");
    }
    // At 80 columns the counts still fit beside it.
    let t = screen(&app, 80, 24);
    let status = &lines(t.backend().buffer())[1];
    assert!(
        status.trim_end().ends_with("CRITICAL 3 WARNING 7"),
        "{status}"
    );
}

#[test]
fn a_sink_too_long_for_the_counts_pushes_them_out_and_is_cut_only_last() {
    let mut app = many_problems(3);
    let long = "alertmanager: retrying, 12 queued, last error: connection refused (os error 111)";
    app.handle(AppEvent::Sinks(vec![long.into()]));
    let t = screen(&app, 100, 24);
    let status = &lines(t.backend().buffer())[1];
    assert!(status.contains(long), "{status}");
    assert!(!status.contains("firing"), "the counts gave way: {status}");
    let t = screen(&app, 80, 24);
    let status = lines(t.backend().buffer())[1].trim_end().to_string();
    assert!(
        status.starts_with("LIVE  alertmanager: retrying, 12 queued"),
        "{status}"
    );
    assert!(status.ends_with('…'), "{status}");
}

#[test]
fn hidden_incident_rows_are_counted_on_the_pane_border() {
    let mut app = failing_sink_app();
    let t = screen(&app, 80, 24);
    let rows = lines(t.backend().buffer());
    let pane = rows
        .iter()
        .position(|r| r.contains("Incidents: 10 firing"))
        .expect("incident pane");
    let shown = rows[pane + 1..]
        .iter()
        .take_while(|r| r.starts_with('│'))
        .count();
    let border = &rows[pane + 1 + shown];
    assert!(
        border.contains(&format!("+{} more ↓", 10 - shown)),
        "{border}\n{rows:#?}"
    );
    // Scrolled to the last row: the ones above are counted instead.
    app.handle(key(KeyCode::Tab));
    for _ in 0..9 {
        app.handle(key(KeyCode::Down));
    }
    let t = screen(&app, 80, 24);
    let rows = lines(t.backend().buffer());
    let border = &rows[pane + 1 + shown];
    // The selected row is wrapped onto more lines, so at least as many are above.
    let above: usize = border
        .split("↑ ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ↑ N above: {border}"));
    assert!(above >= 10 - shown, "{border}");
    assert!(border.contains(" above"), "{border}");
    assert!(!border.contains("more"), "{border}");
    // Room for all: no note.
    let t = screen(&app, 120, 40);
    assert!(!lines(t.backend().buffer())
        .iter()
        .any(|r| r.contains("more ↓") || r.contains("above")));
}

#[test]
fn the_footer_says_when_hints_were_left_for_help() {
    let app = failing_sink_app();
    let t = screen(&app, 80, 24);
    let footer = lines(t.backend().buffer()).pop().unwrap_or_default();
    assert!(footer.trim_end().ends_with("  …"), "{footer}");
    assert!(footer.starts_with("q quit  ? help"), "{footer}");
    let t = screen(&app, 200, 24);
    let footer = lines(t.backend().buffer()).pop().unwrap_or_default();
    assert!(!footer.contains('…'), "{footer}");
}

#[test]
fn the_verdict_gives_up_its_clock_before_its_condition() {
    let app = fixtures::app(5, false);
    let t = screen(&app, 80, 24);
    let top = lines(t.backend().buffer())[0].trim_end().to_string();
    assert_eq!(
        top,
        "CRITICAL since window_0001 (20:01, 3 windows): accuracy 0.640 < 0.700 (+2 more)"
    );
    // Wide enough for both: the clock is back.
    let t = screen(&app, 120, 24);
    assert!(lines(t.backend().buffer())[0]
        .trim_end()
        .ends_with("20:05 UTC"));
}

#[test]
fn below_80x24_the_verdict_stays_on_the_first_line() {
    let app = fixtures::app(5, false);
    let t = screen(&app, 60, 20);
    let rows = lines(t.backend().buffer());
    assert_eq!(
        rows[0].trim_end(),
        "CRITICAL since window_0001: accuracy 0.640 < 0.700 (+2 more)"
    );
    assert!(rows.iter().any(|r| r.contains("Terminal too small")));
    let t = screen(&app, 30, 5);
    let top = lines(t.backend().buffer())[0].clone();
    assert!(top.starts_with("CRITICAL: accuracy"), "{top}");
    assert!(top.ends_with('…'), "{top}");
    for (w, h) in [(1, 1), (0, 0), (5, 2)] {
        let _ = screen(&app, w, h);
    }
}

#[test]
fn at_every_size_rows_and_status_cut_only_with_an_ellipsis() {
    let app = failing_sink_app();
    for (w, h) in [
        (80, 24),
        (90, 30),
        (100, 24),
        (120, 36),
        (160, 40),
        (200, 50),
    ] {
        let t = screen(&app, w, h);
        let rows = lines(t.backend().buffer());
        let pane = rows
            .iter()
            .position(|r| r.contains("Incidents:"))
            .expect("incident pane");
        for row in rows[pane + 1..].iter().take_while(|r| r.starts_with('│')) {
            let inside = row.trim_start_matches('│').trim_end_matches('│');
            let last = inside.chars().last().unwrap_or(' ');
            assert!(last == ' ' || last == '…', "{w}x{h}: cut without …: {row}");
        }
        for row in &rows[..2] {
            let full = row.chars().count() == usize::from(w);
            let last = row.chars().last().unwrap_or(' ');
            assert!(
                !full
                    || last == ' '
                    || last == '…'
                    || last.is_ascii_digit()
                    || row.ends_with("UTC"),
                "{w}x{h}: {row}"
            );
        }
    }
}
