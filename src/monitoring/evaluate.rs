//! What the monitor does with one window besides keeping state: predictions (from the model or
//! the window's column), data quality, prediction statistics and metrics, and every detector over
//! one shared [`Prepared`] window. Free functions, so `monitor.rs` reads as the monitor's life
//! cycle and this file as one window's evaluation.

use std::collections::BTreeMap;

use super::estimation::{CbpeEstimator, EstimatedPerformance};
use super::metrics::{classification_metrics, regression_metrics};
use super::quality::ReferenceProfile;
use super::result::{
    FeatureQuality, MonitorStage, Performance, PredictionSource, PredictionStats, WindowError,
    WindowErrorKind,
};
use crate::config::Task;
use crate::data::DataWindow;
use crate::drift::{DriftResult, Prepared, PreparedDetector, SortBuffers};
use crate::model::{Model, ModelError};

/// Predictions from the model, or else from the window's prediction column.
pub(super) fn predictions(
    model: Option<&dyn Model>,
    window: &DataWindow,
) -> Result<Option<(Vec<f64>, PredictionSource)>, ModelError> {
    if let Some(model) = model {
        return model
            .predict(window)
            .map(|p| Some((p, PredictionSource::Model)));
    }
    Ok(window
        .prediction_values()
        .map(|p| (p.to_vec(), PredictionSource::Column)))
}

/// What a window's predictions give.
pub(super) struct Predicted {
    pub(super) source: PredictionSource,
    pub(super) stats: Option<PredictionStats>,
    pub(super) shift: Option<f64>,
    pub(super) performance: Option<Performance>,
    pub(super) estimated: Option<EstimatedPerformance>,
}

/// Data quality, and prediction statistics, shift and performance when there are predictions.
pub(super) fn evaluate_predictions(
    profile: &ReferenceProfile,
    model: Option<&dyn Model>,
    task: Task,
    window: &DataWindow,
    estimator: Option<&CbpeEstimator>,
) -> Result<(BTreeMap<String, FeatureQuality>, Option<Predicted>), WindowError> {
    let quality = profile.quality(window);
    let predictions = predictions(model, window)
        .map_err(|e| window_error(MonitorStage::Model, window.name(), e.to_string()))?;
    let Some((predictions, source)) = predictions else {
        return Ok((quality, None));
    };
    let stats = PredictionStats::from_values(&predictions);
    let shift = match (&stats, profile.prediction_mean) {
        (Some(stats), Some(reference)) => Some((stats.mean - reference).abs()),
        _ => None,
    };
    let performance = window.target_values().and_then(|target| match task {
        Task::Classification => {
            classification_metrics(target, &predictions).map(Performance::Classification)
        }
        Task::Regression => regression_metrics(target, &predictions).map(Performance::Regression),
    });
    let estimated =
        estimator.and_then(|e| e.estimate(&predictions, window.predicted_label_values()));
    Ok((
        quality,
        Some(Predicted {
            source,
            stats,
            shift,
            performance,
            estimated,
        }),
    ))
}

/// Runs every detector on the window, sharing its sorted columns between them; the sorted
/// columns' memory goes back to `buffers` for the next window. `in_place`: the window's
/// numeric columns are sorted already.
pub(super) fn detect_all(
    detectors: &mut [Box<dyn PreparedDetector>],
    window: &DataWindow,
    buffers: &SortBuffers,
    in_place: bool,
) -> Result<BTreeMap<String, DriftResult>, WindowError> {
    let prepared = if in_place {
        Prepared::sorted_in_place(window)
    } else {
        Prepared::with_buffers(window, buffers)
    };
    let mut drift = BTreeMap::new();
    for detector in detectors {
        let name = detector.name().to_string();
        let result = detector.detect_prepared(&prepared).map_err(|e| {
            window_error(MonitorStage::Drift, window.name(), format!("{name}: {e}"))
        })?;
        drift.insert(name, result);
    }
    prepared.recycle();
    Ok(drift)
}

pub(super) fn window_error(stage: MonitorStage, window: &str, message: String) -> WindowError {
    WindowError {
        kind: WindowErrorKind::Monitor(stage),
        message,
        file: window.to_string(),
        line: None,
        column: None,
    }
}
