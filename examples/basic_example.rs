//! Basic use: synthetic churn data, a classifier trained on the reference, then each window
//! checked for statistical drift (KS, PSI, chi-square), scored against its labels, and alerted on.
//!
//! `cargo run --release --example basic_example`

use std::error::Error;
use std::sync::Arc;

use ml_monitor::data;
use ml_monitor::generator::{Generator, GeneratorConfig, Scenario};
use ml_monitor::model::{self, Model};
use ml_monitor::{
    config::{MonitorConfig, Task},
    ModelMonitor, MonitoringResult,
};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let generator = Generator::new(GeneratorConfig {
        rows: 2000,
        windows: 6,
        seed: 42,
        scenario: Scenario::Sudden,
        drift_start: 4,
    });
    let paths = generator.write_all(dir.path())?;
    println!(
        "Synthetic churn data: a reference and 6 windows of 2000 rows, sudden drift from window 4."
    );

    let config = MonitorConfig::default();
    let (reference, schema) = data::read_reference(&paths[0], &config.columns)?;
    let target = reference
        .target_values()
        .ok_or("the reference has no target column")?;
    let classifier = model::train(&reference, target, Task::Classification)?;
    println!(
        "Trained a logistic regression on {} rows and {} features.",
        classifier.training_rows(),
        classifier.feature_names().len()
    );

    let mut monitor = ModelMonitor::builder(config)
        .model(Arc::new(classifier))
        .build(&reference)?;
    println!("Detectors: {}\n", monitor.detector_names().join(", "));
    for path in &paths[1..] {
        let window = data::read_window(path, &schema)?;
        let result = monitor.monitor(&window);
        println!("{}", summary(&result));
    }

    let alerts = monitor.alert_manager().history();
    println!(
        "\n{} alerts raised; those of the last window:",
        alerts.len()
    );
    if let Some(last) = monitor.history().last() {
        for alert in &last.alerts {
            println!(
                "  {:<8} {:<24} {}",
                alert.level.as_str(),
                alert.kind.as_str(),
                alert.message
            );
        }
    }
    Ok(())
}

/// One line per window: drifted features per test, accuracy, prediction shift, alerts.
fn summary(result: &MonitoringResult) -> String {
    let drift: Vec<String> = result
        .drift
        .iter()
        .map(|(name, d)| format!("{name} {}/{}", d.n_drifted, d.n_features))
        .collect();
    let performance = result
        .performance
        .as_ref()
        .map(|p| format!("{} {:.3}", p.headline().0, p.headline().1))
        .unwrap_or_else(|| "no labels".into());
    let shift = result
        .prediction_shift
        .map_or("-".into(), |s| format!("{s:.3}"));
    let alerts: Vec<&str> = result.alerts.iter().map(|a| a.kind.as_str()).collect();
    format!(
        "{}  drifted: {}  {performance}  shift {shift}  alerts: {}",
        result.window,
        drift.join(", "),
        if alerts.is_empty() {
            "none".into()
        } else {
            alerts.join(", ")
        }
    )
}
