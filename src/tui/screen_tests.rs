//! Whole-screen tests: snapshots at 80x24 and 120x40, every size down to 1x1 without a panic,
//! and hostile text from a data file drawn without its escape bytes.
//!
//! Snapshots hold text only (insta renders the `TestBackend` buffer); styles are asserted in the
//! pane tests. Times are fixed by the fixtures, so no filtering is needed. Regenerate with
//! `INSTA_UPDATE=always cargo test --bin ml-monitor tui` and review the diff.

use std::collections::BTreeMap;
use std::io::Write;

use crossterm::event::KeyCode;
use ml_monitor::stats::histogram;
use ml_monitor::{config::MonitorConfig, data, ModelMonitor};
use ratatui::buffer::Buffer;

use super::app::App;
use super::fixtures::{self, key};
use super::render::testing::{find, screen, shows};
use crate::app_event::{AppEvent, WindowReport};

fn with_window(mut app: App, report: WindowReport) -> App {
    app.handle(AppEvent::Window(Box::new(report)));
    app
}

#[test]
fn snapshot_main_80x24() {
    let app = with_window(fixtures::app(5, false), fixtures::report(6, true));
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn snapshot_main_120x40() {
    let app = with_window(fixtures::app(12, false), fixtures::report(13, true));
    insta::assert_snapshot!(screen(&app, 120, 40).backend());
}

#[test]
fn snapshot_estimated_accuracy_without_labels_120x40() {
    // Windows 1-3 labelled, 4-6 not: the quality sparkline goes on with the estimate.
    let app = fixtures::estimated_app(6, 3);
    insta::assert_snapshot!(screen(&app, 120, 40).backend());
}

#[test]
fn snapshot_waiting_for_the_first_window_80x24() {
    insta::assert_snapshot!(screen(&fixtures::app(0, false), 80, 24).backend());
}

#[test]
fn snapshot_histogram_80x24() {
    let mut app = with_window(fixtures::app(3, false), fixtures::report(4, true));
    app.handle(key(KeyCode::Enter));
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn snapshot_help_80x24() {
    let mut app = fixtures::app(3, false);
    app.handle(key(KeyCode::Char('?')));
    insta::assert_snapshot!(screen(&app, 80, 24).backend());
}

#[test]
fn snapshot_paused_with_watcher_trouble_and_filter_120x40() {
    let mut app = fixtures::app(7, true);
    app.handle(key(KeyCode::Char('p')));
    app.handle(key(KeyCode::Char('f')));
    app.handle(key(KeyCode::Tab));
    app.handle(AppEvent::Window(Box::new(fixtures::report(8, false))));
    app.handle(AppEvent::WatcherTrouble(
        "/data/incoming: no such directory".into(),
    ));
    insta::assert_snapshot!(screen(&app, 120, 40).backend());
}

#[test]
fn snapshot_too_small_79x23() {
    insta::assert_snapshot!(screen(&fixtures::app(3, false), 79, 23).backend());
}

#[test]
fn below_80x24_says_so_instead_of_drawing_the_layout() {
    for (w, h) in [(79, 24), (80, 23), (40, 12)] {
        let t = screen(&fixtures::app(3, false), w, h);
        assert!(shows(t.backend().buffer(), "Terminal too small"), "{w}x{h}");
        assert!(!shows(t.backend().buffer(), "Drift"), "{w}x{h}");
    }
    let t = screen(&fixtures::app(3, false), 80, 24);
    assert!(!shows(t.backend().buffer(), "Terminal too small"));
}

/// The app in each view, for the size sweep.
fn every_view() -> Vec<App> {
    let main = with_window(fixtures::app(4, false), fixtures::report(5, true));
    let mut help = with_window(fixtures::app(4, true), fixtures::report(5, true));
    help.handle(key(KeyCode::Char('?')));
    let mut hist = with_window(fixtures::app(4, false), fixtures::report(5, true));
    hist.handle(key(KeyCode::Enter));
    let mut alerts = fixtures::app(40, false);
    alerts.handle(key(KeyCode::Tab));
    alerts.handle(key(KeyCode::Char('G')));
    vec![main, help, hist, alerts, fixtures::app(0, false)]
}

#[test]
fn no_size_down_to_1x1_panics() {
    let apps = every_view();
    let named = [
        (1, 1),
        (2, 1),
        (1, 2),
        (20, 5),
        (79, 23),
        (80, 24),
        (81, 25),
        (300, 90),
    ];
    let sweep = (1..=130u16)
        .step_by(9)
        .flat_map(|w| (1..=50u16).step_by(7).map(move |h| (w, h)));
    for (w, h) in named.into_iter().chain(sweep) {
        for app in &apps {
            screen(app, w, h);
        }
    }
}

fn assert_no_control_characters(buffer: &Buffer) {
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "control character drawn: {:?}",
            cell.symbol()
        );
    }
}

#[test]
fn escape_sequences_in_names_and_messages_are_not_drawn() {
    let mut report = fixtures::report(4, true);
    let evil_window = "win\u{1b}]0;pwned\u{7}dow_0004.csv\u{1b}[2J";
    report.result.window = evil_window.into();
    let ks = report.result.drift.get_mut("ks").expect("ks detector");
    let income = ks.features.remove("income").expect("income");
    ks.features
        .insert("inc\u{1b}[31mome\u{9b}1m".into(), income);
    for alert in &mut report.result.alerts {
        alert.window = evil_window.into();
        alert.message.push_str("\u{1b}[?1049l\r\nboom");
    }
    let mut app = with_window(fixtures::app(2, false), report);
    app.handle(AppEvent::WatcherTrouble("gone\u{1b}[5n".into()));
    let t = screen(&app, 120, 40);
    assert_no_control_characters(t.backend().buffer());
    assert!(
        shows(t.backend().buffer(), "performance_degradation accuracy"),
        "incident pane:\n{}",
        t.backend()
    );
    app.handle(fixtures::key(crossterm::event::KeyCode::Char('l')));
    let t = screen(&app, 120, 40);
    let buffer = t.backend().buffer();
    assert_no_control_characters(buffer);
    assert!(shows(buffer, "window_0004.csv"));
    assert!(shows(buffer, "income"));
    assert!(!shows(buffer, "[31m") && !shows(buffer, "pwned") && !shows(buffer, "1049"));
    assert!(shows(buffer, "boom"));
}

#[test]
fn a_data_file_whose_header_holds_an_escape_sequence_renders_without_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let header = "inc\u{1b}[31mome,ci\u{1b}]0;pwned\u{7}ty,prediction";
    let write = |name: &str, shift: f64| {
        let path = dir.path().join(name);
        let mut file = std::fs::File::create(&path).expect("create csv");
        writeln!(file, "{header}").expect("write header");
        for i in 0..80 {
            let city = ["Par\u{1b}[1mis", "Lyon", "Nice"][i % 3];
            writeln!(
                file,
                "{},{city},{}",
                i as f64 + shift,
                (i % 10) as f64 / 10.0
            )
            .expect("write row");
        }
        path
    };
    let reference_path = write("reference.csv", 0.0);
    let window_path = write("window_0001.csv", 40.0);
    let config = MonitorConfig::default();
    let (reference, schema) =
        data::read_reference(&reference_path, &config.columns).expect("reference reads");
    let mut monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("reference is usable");
    let window = data::read_window(&window_path, &schema).expect("window reads");
    let result = monitor.monitor(&window);
    let histograms: BTreeMap<_, _> = reference
        .features()
        .iter()
        .filter_map(|r| {
            let c = window.feature(&r.name)?;
            Some((r.name.clone(), histogram(r, c, 10)?))
        })
        .collect();
    assert!(!histograms.is_empty());
    let mut app = with_window(
        fixtures::app(0, false),
        WindowReport {
            result,
            histograms,
            firing: Vec::new(),
            failing_sinks: Vec::new(),
        },
    );
    let t = screen(&app, 120, 40);
    assert_no_control_characters(t.backend().buffer());
    assert!(
        find(t.backend().buffer(), "income").is_some(),
        "{}",
        t.backend()
    );
    for row in 0..2 {
        app.handle(key(KeyCode::Home));
        for _ in 0..row {
            app.handle(key(KeyCode::Down));
        }
        app.handle(key(KeyCode::Enter));
        let t = screen(&app, 120, 40);
        assert_no_control_characters(t.backend().buffer());
        assert!(!shows(t.backend().buffer(), "pwned"));
        app.handle(key(KeyCode::Esc));
    }
}

#[test]
fn a_window_whose_figures_are_not_finite_is_drawn_without_nan_or_inf() {
    // What the history gives back for a window whose figures overflowed: null, read as NaN.
    let mut report = fixtures::report(4, true);
    let json = serde_json::to_string(&report.result).expect("serialises");
    let mut value: serde_json::Value = serde_json::from_str(&json).expect("parses");
    fn nullify_numbers(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) if n.is_f64() => *v = serde_json::Value::Null,
            serde_json::Value::Array(items) => items.iter_mut().for_each(nullify_numbers),
            serde_json::Value::Object(map) => map.values_mut().for_each(nullify_numbers),
            _ => {}
        }
    }
    nullify_numbers(&mut value);
    report.result = serde_json::from_value(value).expect("nulls read back as NaN");
    let mut app = with_window(fixtures::app(3, false), report);
    for (w, h) in [(80, 24), (120, 40), (40, 12)] {
        let text = format!("{:?}", screen(&app, w, h).backend());
        assert!(
            !text.contains("NaN") && !text.contains(" inf") && !text.contains("-inf"),
            "{text}"
        );
    }
    app.handle(key(KeyCode::Enter));
    screen(&app, 80, 24);
}
