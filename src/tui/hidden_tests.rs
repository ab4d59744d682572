//! Issue 28 item 3, "nothing hidden": a failing sink is never cut from the status line (the
//! firing counts give way first), rows the incident pane cannot show are counted (`+4 more ↓`),
//! the footer says when key hints were left for `?`, the verdict gives up its clock before its
//! condition, below 80x24 the one-line verdict stays, and every cut ends in `…`. In the drift
//! table no two figures touch at any size, and the columns keep their place as windows arrive.

use std::collections::HashSet;

use crossterm::event::KeyCode;
use ml_monitor::monitoring::IncidentTracker;
use ml_monitor::AlertKind;
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

/// Window 3 of the fixture with an AD column of wide figures (565.9, 208.3, -0.234) before
/// χ² 68.275 and PSI 0.737, all but one over their thresholds: the figures that touched at
/// 80x24 (`▲68.275▲0.737`).
fn wide_figures_app() -> App {
    let mut report = fixtures::report(3, true);
    let drift = &mut report.result.drift;
    let mut ad = drift["ks"].clone();
    for (name, statistic, over) in [
        ("income", 565.9, true),
        ("score", -0.234, false),
        ("tenure", 208.3, true),
    ] {
        if let Some(f) = ad.features.get_mut(name) {
            f.statistic = Some(statistic);
            f.drifted = over;
        }
    }
    drift.insert("ad".into(), ad);
    for (detector, statistic) in [("chi2", 68.275), ("psi", 0.737)] {
        if let Some(f) = drift
            .get_mut(detector)
            .and_then(|d| d.features.get_mut("city"))
        {
            f.statistic = Some(statistic);
            f.drifted = true;
        }
    }
    let mut app = fixtures::app(2, false);
    app.handle(AppEvent::Window(Box::new(report)));
    app
}

/// The drift pane's rows inside its borders, from its heading row to its footer.
fn drift_table(rows: &[String]) -> Vec<String> {
    let inside = |r: &String| r.split('│').nth(1).unwrap_or("").to_string();
    rows.iter()
        .skip_while(|r| !r.contains("│ feature "))
        .take_while(|r| r.starts_with('│'))
        .map(inside)
        .collect()
}

/// The incident pane's rows inside its borders.
fn incident_rows(rows: &[String]) -> impl Iterator<Item = &str> {
    rows.iter()
        .skip_while(|r| !r.contains("Incidents:"))
        .skip(1)
        .take_while(|r| r.starts_with('│'))
        .map(|r| r.trim_start_matches('│').trim_end_matches('│'))
}

#[test]
fn at_every_size_no_two_figures_touch_and_every_cut_ends_in_an_ellipsis() {
    let app = wide_figures_app();
    let columns = crate::tui::table_cells::columns(&app.all_feature_rows(), &app.options);
    let figures: HashSet<&str> = columns
        .iter()
        .flat_map(|c| c.cells.iter().map(|(text, _)| text.as_str()))
        .collect();
    let headings = ["feature", "KS", "D", "AD", "χ²", "PSI", "p", "adj", "miss"];
    let names: Vec<String> = app.all_feature_rows().into_iter().map(|r| r.name).collect();
    let (_, verdicts) = crate::tui::verdict::verdict_variants(&app);
    // An incident row that fills its pane exactly is whole when the widest screen shows it.
    let wide = lines(screen(&app, 250, 50).backend().buffer());
    let whole_incidents: HashSet<&str> = incident_rows(&wide).map(str::trim).collect();
    let mut tables = 0;
    for w in 60..=200 {
        for h in 20..=50 {
            let t = screen(&app, w, h);
            let rows = lines(t.backend().buffer());
            let top = rows[0].trim_end();
            assert!(
                top.ends_with('…') || verdicts.iter().any(|v| top.starts_with(v.as_str())),
                "{w}x{h}: {top}"
            );
            let table = drift_table(&rows);
            if table.is_empty() {
                assert!(w < 80 || h < 24, "{w}x{h}: no drift table: {rows:#?}");
                continue;
            }
            tables += 1;
            let (footer, body) = table.split_last().unwrap_or_else(|| unreachable!());
            let footer = footer.trim_end();
            assert!(
                footer.ends_with('…') || footer.ends_with("miss +10%"),
                "{w}x{h}: {footer}"
            );
            for (i, row) in body.iter().enumerate() {
                let chars: Vec<char> = row.chars().collect();
                for (at, c) in chars.iter().enumerate() {
                    if *c == '▲' {
                        assert!(
                            at > 0 && chars[at - 1] == ' ',
                            "{w}x{h}: a figure touches a ▲: {row}"
                        );
                    }
                }
                let mut words = row.split([' ', '▲']).filter(|t| !t.is_empty());
                if i == 0 {
                    for word in words {
                        assert!(headings.contains(&word), "{w}x{h}: {word} in {row}");
                    }
                    continue;
                }
                let Some(name) = words.next() else {
                    continue;
                };
                let name = name.trim_start_matches('>');
                assert!(
                    names.iter().any(|n| n == name
                        || name.ends_with('…') && n.starts_with(name.trim_end_matches('…'))),
                    "{w}x{h}: {name} neither whole nor cut with …: {row}"
                );
                // Each word a whole figure: two that touched would read as one.
                for word in words.filter(|word| *word != "(const)") {
                    assert!(figures.contains(word), "{w}x{h}: {word} in {row}");
                }
            }
            for row in incident_rows(&rows) {
                let last = row.chars().last().unwrap_or(' ');
                assert!(
                    last == ' ' || last == '…' || whole_incidents.contains(row.trim()),
                    "{w}x{h}: cut without …: {row}"
                );
            }
        }
    }
    assert!(tables > 3000, "{tables} screens had the table");
    // At 80x24 four tests, p adj and miss do not all fit with their spacing: the least read
    // test gives way and the footer says so (three tests fit: the demo's test).
    let table = |w, h| drift_table(&lines(screen(&app, w, h).backend().buffer())).join("\n");
    let small = table(80, 24);
    assert!(small.contains("▲68.28 ▲0.737 ▲8.4e-8"), "{small}");
    assert!(small.contains("hidden: AD (widen)"), "{small}");
    let wide = table(100, 30);
    assert!(!wide.contains("hidden"), "{wide}");
    assert!(wide.contains("▲565.9"), "{wide}");
}

#[test]
fn the_drift_table_columns_keep_their_place_as_windows_arrive() {
    // Window 3 drifted (p adj 5.2e-30, χ² 48.70); window 4 is quiet, its figures narrower.
    let (mut app, mut tracker) = fixtures::app_and_tracker(3, false);
    let places = |app: &App, w: u16, h: u16| -> Vec<usize> {
        let rows = lines(screen(app, w, h).backend().buffer());
        let heading = rows
            .iter()
            .find(|r| r.contains("│ feature "))
            .cloned()
            .unwrap_or_default();
        ["KS D", "χ²", "PSI", "p adj", "miss"]
            .iter()
            .map(|h| {
                let byte = heading.find(h).unwrap_or_else(|| panic!("{h}: {heading}"));
                heading[..byte].chars().count()
            })
            .collect()
    };
    let before = [places(&app, 80, 24), places(&app, 120, 40)];
    fixtures::feed(&mut app, &mut tracker, fixtures::result(4, false));
    let quiet = lines(screen(&app, 80, 24).backend().buffer()).join("\n");
    assert!(!quiet.contains("5.2e-30"), "window 4 shows: {quiet}");
    assert_eq!([places(&app, 80, 24), places(&app, 120, 40)], before);
    // A run that has seen only quiet windows lays the table out narrower: the place is the
    // run's, not the frame's.
    let mut fresh = App::new(
        fixtures::options(false),
        Vec::new(),
        HashSet::new(),
        fixtures::now(),
    );
    fixtures::feed(
        &mut fresh,
        &mut IncidentTracker::new(2),
        fixtures::result(4, false),
    );
    assert_ne!(places(&fresh, 80, 24), before[0]);
}

/// A failing sink at every size, with colour and without (issue 28's snapshots).
#[test]
fn snapshot_failing_sink_matrix() {
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        for no_color in [false, true] {
            let mut app = failing_sink_app();
            app.theme = super::theme::Theme::new(no_color);
            let name = format!(
                "failing_sink_{w}x{h}{}",
                if no_color { "_no_color" } else { "_colour" }
            );
            insta::assert_snapshot!(name, screen(&app, w, h).backend());
        }
    }
}
