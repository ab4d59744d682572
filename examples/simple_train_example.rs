//! Training: fit a classifier on a reference with labels, then save the model and the reference
//! statistics — the two files `load_and_use_model` (and `ml-monitor watch --model ...
//! --reference-stats ...`) monitor with.
//!
//! `cargo run --release --example simple_train_example [OUT_DIR]` (default: a temporary directory,
//! removed at the end).

use std::error::Error;
use std::path::PathBuf;

use ml_monitor::config::{MonitorConfig, Task};
use ml_monitor::data;
use ml_monitor::generator::{Generator, GeneratorConfig, Scenario};
use ml_monitor::model::{self, Model};
use ml_monitor::ReferenceStats;

fn main() -> Result<(), Box<dyn Error>> {
    let temp = tempfile::tempdir()?;
    let out: PathBuf = match std::env::args_os().nth(1) {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            dir.into()
        }
        None => temp.path().to_path_buf(),
    };

    let generator = Generator::new(GeneratorConfig {
        rows: 5000,
        windows: 0,
        seed: 42,
        scenario: Scenario::None,
        drift_start: 1,
    });
    let reference_path = generator.write_reference(temp.path())?;
    let config = MonitorConfig::default();
    let (reference, _) = data::read_reference(&reference_path, &config.columns)?;
    let target = reference
        .target_values()
        .ok_or("the reference has no target column")?;

    let classifier = model::train(&reference, target, Task::Classification)?;
    let probabilities = classifier.predict(&reference)?;
    let correct = probabilities
        .iter()
        .zip(target)
        .filter(|(p, y)| (**p >= 0.5) == (**y == 1.0))
        .count();
    println!(
        "Trained a logistic regression on {} rows: training accuracy {:.3}.",
        classifier.training_rows(),
        correct as f64 / target.len() as f64
    );
    let (intercept, mut coefficients) = classifier.coefficients();
    coefficients.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let top: Vec<String> = coefficients
        .iter()
        .take(4)
        .map(|(c, w)| format!("{c} {w:+.2}"))
        .collect();
    println!(
        "Intercept {intercept:+.2}; largest coefficients: {}.",
        top.join(", ")
    );

    let model_path = out.join("model.json");
    classifier.save(&model_path)?;
    let stats =
        ReferenceStats::from_window(&reference, &config.drift.statistical, Some(&probabilities));
    let stats_path = out.join("reference_stats.json");
    stats.save(&stats_path)?;
    for path in [&model_path, &stats_path] {
        println!(
            "Wrote {} ({} bytes).",
            path.display(),
            std::fs::metadata(path)?.len()
        );
    }
    if std::env::args_os().nth(1).is_none() {
        println!("(A temporary directory: pass a directory to keep the files.)");
    }
    Ok(())
}
