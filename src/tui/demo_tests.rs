//! The bundled demo's data through the real monitor and the app: after 14 windows the alert
//! pane lists each ongoing condition once, firing ones first.

use std::collections::{BTreeMap, HashSet};

use ml_monitor::config::DetectorKind;
use ml_monitor::generator::{Generator, GeneratorConfig};
use ml_monitor::{data, ModelMonitor, MonitorConfig};

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
        DetectorKind::Ks,
        DetectorKind::Psi,
        DetectorKind::Chi2,
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
    let firing = monitor.incidents().open().count();
    assert!(firing > 0, "the demo drifts");
    assert!(
        alerts > 2 * firing,
        "{alerts} alerts fold into {firing} incidents"
    );
    app.handle(AppEvent::Resize(120, 60));
    let t = screen(&app, 120, 60);
    let rows = lines(t.backend().buffer());
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
