//! A feature's `status` in the JSON is about the test (could it run?), `drifted` about its
//! outcome: `"drifted": true` beside `"status": "ok"` means "tested, and it drifted", and
//! docs/output.md says so in those words, so a reader cannot take the pair for a contradiction.

use std::path::Path;

use ml_monitor::config::DetectorKind;
use ml_monitor::config::StatisticalConfig;
use ml_monitor::data::{Column, DataWindow};
use ml_monitor::drift::DriftDetector;
use ml_monitor::StatisticalDriftDetector;

fn window(name: &str, shift: f64) -> DataWindow {
    let values = (0..400)
        .map(|i| f64::from(i % 100) / 10.0 + shift)
        .collect();
    DataWindow::new(name, vec![Column::numeric("x", values)], None, None).expect("one column")
}

#[test]
fn status_is_about_the_test_and_drifted_about_the_outcome() {
    let mut ks = StatisticalDriftDetector::new(DetectorKind::Ks, StatisticalConfig::default())
        .expect("a per-feature test");
    let result = ks
        .detect_pair(&window("reference", 0.0), &window("current", 5.0))
        .expect("runs");
    let json = serde_json::to_value(&result).expect("serialises");
    let x = &json["features"]["x"];
    assert_eq!(x["drifted"], true);
    assert_eq!(x["status"], "ok", "ok: the test ran");

    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/output.md"))
        .expect("docs/output.md");
    assert!(
        doc.contains("it is **not** a drift verdict"),
        "the doc says what status is"
    );
    assert!(doc.contains("reads \"tested, and it drifted\""));
}
