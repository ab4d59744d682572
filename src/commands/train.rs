//! `ml-monitor train`: fit a model on a CSV, save it, and optionally the reference statistics
//! that let `watch --reference-stats` run without the raw reference.

use std::process::ExitCode;

use ml_monitor::config::MonitorConfig;
use ml_monitor::data;
use ml_monitor::model::{train, Model};
use ml_monitor::monitoring::estimation::CbpeEstimator;
use ml_monitor::ReferenceStats;

use crate::cli::TrainArgs;
use crate::error::UsageError;
use crate::plan::config_file::ConfigFile;

pub(crate) fn run(args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => ConfigFile::read(path)?.config,
        None => MonitorConfig::default(),
    };
    config.columns.target = args.target.clone();
    config.task = args.task;
    let (window, _schema) = data::read_reference(&args.data, &config.columns)?;
    let target = window.target_values().ok_or_else(|| {
        UsageError(format!(
            "{}: no target column \"{}\"",
            args.data.display(),
            args.target
        ))
    })?;
    let model = train(&window, target, args.task)?;
    model.save(&args.out)?;
    eprintln!(
        "trained a {} model on {} rows x {} features: {}",
        match args.task {
            ml_monitor::config::Task::Classification => "logistic regression",
            ml_monitor::config::Task::Regression => "linear regression",
        },
        window.rows(),
        model.feature_names().len(),
        args.out.display()
    );
    if let Some(path) = &args.reference_stats {
        let predictions = model.predict(&window)?;
        let mut stats =
            ReferenceStats::from_window(&window, &config.drift.statistical, Some(&predictions));
        // The performance estimator (CBPE) travels with the statistics.
        stats.estimator = match args.task {
            ml_monitor::config::Task::Classification => match CbpeEstimator::fit(
                target,
                &predictions,
                window.predicted_label_values(),
                &config.estimation,
            ) {
                Ok(e) => Some(e),
                Err(e) => {
                    eprintln!("performance estimation off: {e}");
                    None
                }
            },
            ml_monitor::config::Task::Regression => None,
        };
        stats.save(path)?;
        eprintln!("reference statistics: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
