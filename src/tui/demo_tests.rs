//! The bundled demo's data through the real monitor and the app: after 14 windows, at 120x36,
//! the verdict line names the worst condition and its start, the alert pane lists each ongoing
//! condition once, firing ones first, and nothing on screen is cut without an ellipsis (a
//! snapshot, with the verdict's wall-clock time masked).

use std::collections::{BTreeMap, HashSet};

use ml_monitor::config::DetectorKind;
use ml_monitor::generator::{Generator, GeneratorConfig};
use ml_monitor::{config::MonitorConfig, data, ModelMonitor};

use super::app::App;
use super::fixtures;
use super::render::testing::{lines, screen};
use crate::app_event::{AppEvent, WindowReport};

#[test]
fn after_14_demo_windows_each_ongoing_condition_is_listed_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let generator = Generator::new(GeneratorConfig {
        rows: 600,
        windows: 14,
        ..GeneratorConfig::default()
    });
    let reference_path = generator.write_reference(dir.path()).expect("reference");
    let windows = generator.write_all(dir.path()).expect("windows");
    let mut config = MonitorConfig::default();
    // The demo's detectors.
    config.drift.detectors = vec![
        DetectorKind::Ad,
        DetectorKind::Psi,
        DetectorKind::Chi2,
        DetectorKind::Pca,
        DetectorKind::Classifier,
    ];
    let (reference, schema) =
        data::read_reference(&reference_path, &config.columns).expect("reference reads");
    let mut monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("reference fits");
    let mut app = App::new(
        fixtures::options(false),
        Vec::new(),
        HashSet::new(),
        fixtures::now(),
    );
    let mut alerts = 0;
    for path in windows.iter().filter(|p| **p != reference_path) {
        let window = data::read_window(path, &schema).expect("window reads");
        let result = monitor.monitor(&window);
        alerts += result.alerts.len();
        app.handle(AppEvent::Window(Box::new(WindowReport {
            result,
            histograms: BTreeMap::new(),
            firing: monitor.incidents().open().cloned().collect(),
            failing_sinks: Vec::new(),
        })));
    }
    // The windows are stamped with the wall clock: "now" is the last one's time, so the
    // verdict's start reads as today's (masked below) and the ages as "just now".
    let last = app.shown().last.as_ref().map(|l| l.timestamp);
    if let Some(t) = last {
        app.tick(t);
    }
    let firing = monitor.incidents().open().count();
    assert!(firing > 0, "the demo drifts");
    assert!(
        alerts > 2 * firing,
        "{alerts} alerts fold into {firing} incidents"
    );
    app.handle(AppEvent::Resize(120, 36));
    let t = screen(&app, 120, 36);
    let rows = lines(t.backend().buffer());
    // The verdict: the worst firing incident, since its first window.
    let worst = app
        .shown()
        .firing
        .first()
        .cloned()
        .expect("a firing incident");
    let verdict = &rows[0];
    let start = format!(
        "{} since {} (",
        worst.level.as_str(),
        crate::tui::format::window_label(&worst.first_window)
    );
    assert!(verdict.starts_with(&start), "{verdict} / {start}");
    assert!(
        verdict.contains(&crate::tui::verdict::problem_condition(
            &worst,
            &app.options
        )),
        "{verdict}"
    );
    assert_nothing_cut_without_an_ellipsis(&rows, &app);
    // The same at 80x24.
    let small = lines(screen(&app, 80, 24).backend().buffer());
    assert_nothing_cut_without_an_ellipsis(&small, &app);
    assert!(
        !small.iter().any(|r| r.contains("hidden:")),
        "every running test keeps its column at 80x24: {small:#?}"
    );
    let masked: Vec<String> = rows.iter().map(|r| mask_clock(r)).collect();
    insta::assert_snapshot!("demo_after_14_windows_120x36", masked.join("\n"));
    let start = rows
        .iter()
        .position(|r| r.contains("Incidents:"))
        .expect("incident pane");
    let listed: Vec<&String> = rows[start + 1..]
        .iter()
        .take_while(|r| !r.starts_with('└'))
        .filter(|r| r.contains(" since ") || r.contains(" resolved"))
        .collect();
    let firing_rows: Vec<&&String> = listed.iter().filter(|r| r.contains(" since ")).collect();
    assert_eq!(firing_rows.len(), firing, "{listed:#?}");
    // No condition twice: the text up to " since" (level, kind, subject) is unique.
    let mut seen = HashSet::new();
    for row in &firing_rows {
        let condition = row
            .split(" since ")
            .next()
            .unwrap_or("")
            .trim_start_matches(['│', '>', ' ']);
        assert!(
            seen.insert(condition.to_string()),
            "{condition} twice: {listed:#?}"
        );
    }
    // Firing ones first.
    if let Some(first_resolved) = listed.iter().position(|r| r.contains(" resolved")) {
        assert!(listed[first_resolved..]
            .iter()
            .all(|r| !r.contains(" since ")));
    }
    eprintln!("demo after 14 windows: {alerts} alerts, {firing} firing incidents");
    for row in &listed {
        eprintln!("{}", row.trim_end());
    }
}

/// `(18:19,` → `(HH:MM,` and the clock `18:20 UTC` → `HH:MM UTC`: the demo's windows are
/// stamped with the wall clock.
fn mask_clock(row: &str) -> String {
    let row = mask_verdict_time(row);
    match row.trim_end().strip_suffix(" UTC") {
        Some(head) if head.len() >= 5 && head.is_char_boundary(head.len() - 5) => {
            let (before, clock) = head.split_at(head.len() - 5);
            let digits = clock.chars().filter(char::is_ascii_digit).count() == 4;
            if digits && clock.as_bytes()[2] == b':' {
                format!("{before}HH:MM UTC{}", &row[row.trim_end().len()..])
            } else {
                row
            }
        }
        _ => row,
    }
}

fn mask_verdict_time(row: &str) -> String {
    let chars: Vec<char> = row.chars().collect();
    let mut out = String::with_capacity(row.len());
    let mut i = 0;
    while i < chars.len() {
        let is_clock = i + 6 < chars.len()
            && chars[i] == '('
            && chars[i + 1].is_ascii_digit()
            && chars[i + 2].is_ascii_digit()
            && chars[i + 3] == ':'
            && chars[i + 4].is_ascii_digit()
            && chars[i + 5].is_ascii_digit()
            && chars[i + 6] == ',';
        if is_clock {
            out.push_str("(HH:MM,");
            i += 7;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// An incident row that fills its pane ends in `…`, and every feature of the table shows whole
/// or cut with `…`.
fn assert_nothing_cut_without_an_ellipsis(rows: &[String], app: &App) {
    let pane_top = rows
        .iter()
        .position(|r| r.contains("Incidents:"))
        .expect("incident pane");
    for row in rows[pane_top + 1..]
        .iter()
        .take_while(|r| r.starts_with('│'))
    {
        let inside = row.trim_start_matches('│').trim_end_matches('│');
        let last = inside.chars().last().unwrap_or(' ');
        assert!(last == ' ' || last == '…', "cut without an ellipsis: {row}");
    }
    let table: Vec<&String> = rows
        .iter()
        .skip(3)
        .take(pane_top.saturating_sub(4))
        .collect();
    for feature in app.feature_rows() {
        let whole = table
            .iter()
            .any(|r| r.split(['│', ' ', '>']).any(|w| w == feature.name));
        let cut = table.iter().any(|r| {
            r.split(['│', ' ', '>'])
                .any(|w| w.ends_with('…') && feature.name.starts_with(w.trim_end_matches('…')))
        });
        assert!(
            whole || cut,
            "{} neither whole nor cut with …: {rows:#?}",
            feature.name
        );
    }
}
