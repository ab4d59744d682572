//! Using saved artefacts: load a model and reference statistics, make new data, and monitor it
//! with PSI and chi-square fitted from the statistics alone (no reference rows), printing drift,
//! metrics and alerts per window.
//!
//! `cargo run --release --example load_and_use_model [DIR]`, where DIR holds `model.json` and
//! `reference_stats.json` from `simple_train_example DIR`. Without DIR it trains them first,
//! in a temporary directory.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ml_monitor::config::DetectorKind;
use ml_monitor::data;
use ml_monitor::generator::{Generator, GeneratorConfig, Scenario};
use ml_monitor::model::{self, Model, TrainedModel};
use ml_monitor::ReferenceStats;
use ml_monitor::{
    config::{MonitorConfig, Task},
    ModelMonitor,
};

fn main() -> Result<(), Box<dyn Error>> {
    let temp = tempfile::tempdir()?;
    let mut config = MonitorConfig::default();
    let dir: PathBuf = match std::env::args_os().nth(1) {
        Some(dir) => dir.into(),
        None => {
            println!("No directory given: training a model into a temporary directory first.");
            train_into(temp.path(), &config)?;
            temp.path().to_path_buf()
        }
    };

    let model = TrainedModel::load(&dir.join("model.json"))?;
    let stats = ReferenceStats::load(&dir.join("reference_stats.json"))?;
    println!(
        "Loaded a {:?} model on {} features and statistics of a {}-row reference.",
        model.task(),
        model.feature_names().len(),
        stats.rows
    );

    // New production data: windows from the same population, drifting from window 3.
    let generator = Generator::new(GeneratorConfig {
        rows: 3000,
        windows: 5,
        seed: 7,
        scenario: Scenario::Sudden,
        drift_start: 3,
    });
    let data_dir = tempfile::tempdir()?;
    let schema = stats.schema(&config.columns);

    config.drift.detectors = vec![DetectorKind::Psi, DetectorKind::Chi2];
    let mut monitor = ModelMonitor::builder(config)
        .model(Arc::new(model))
        .build_from_stats(&stats)?;
    for k in 1..=5 {
        let path = generator.write_window(data_dir.path(), k)?;
        let window = data::read_window(&path, &schema)?;
        let result = monitor.monitor(&window);
        let psi = &result.drift["psi"];
        let mut worst: Vec<(&String, f64)> = psi
            .features
            .iter()
            .filter_map(|(name, f)| f.statistic.map(|s| (name, s)))
            .collect();
        worst.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (name, value) = worst.first().map_or(("-", 0.0), |(n, v)| (n.as_str(), *v));
        println!(
            "{}: PSI drifted {}/{} (worst {name} {value:.3}), chi-square drifted {}/{}, {}, prediction mean {:.3}",
            result.window,
            psi.n_drifted,
            psi.n_features,
            result.drift["chi2"].n_drifted,
            result.drift["chi2"].n_features,
            result
                .performance
                .as_ref()
                .map_or("no labels".into(), |p| format!("{} {:.3}", p.headline().0, p.headline().1)),
            result.predictions.as_ref().map_or(f64::NAN, |p| p.mean),
        );
        for alert in &result.alerts {
            println!(
                "    {:<8} {}: {}",
                alert.level.as_str(),
                alert.kind.as_str(),
                alert.message
            );
        }
    }
    Ok(())
}

/// What `simple_train_example` does, in short.
fn train_into(dir: &Path, config: &MonitorConfig) -> Result<(), Box<dyn Error>> {
    let generator = Generator::new(GeneratorConfig {
        rows: 5000,
        windows: 0,
        seed: 42,
        scenario: Scenario::None,
        drift_start: 1,
    });
    let (reference, _) = data::read_reference(&generator.write_reference(dir)?, &config.columns)?;
    let target = reference
        .target_values()
        .ok_or("the reference has no target column")?;
    let classifier = model::train(&reference, target, Task::Classification)?;
    let probabilities = classifier.predict(&reference)?;
    classifier.save(&dir.join("model.json"))?;
    ReferenceStats::from_window(&reference, &config.drift.statistical, Some(&probabilities))
        .save(&dir.join("reference_stats.json"))?;
    Ok(())
}
