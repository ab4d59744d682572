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
use crate::config::{Correction, Task};
use crate::data::DataWindow;
use crate::drift::{DriftError, DriftResult, Prepared, PreparedDetector, SortBuffers};
use crate::model::{Model, ModelError};
use crate::stats::correction::adjust_together;

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
/// numeric columns are sorted already. Under `CorrectionScope::Window` the p-values of every
/// detector that has some are corrected together, so the window's verdict keeps `alpha`.
pub(super) fn detect_all(
    detectors: &mut [Box<dyn PreparedDetector>],
    window: &DataWindow,
    buffers: &SortBuffers,
    in_place: bool,
    family: Option<Correction>,
) -> Result<BTreeMap<String, DriftResult>, WindowError> {
    let prepared = if in_place {
        Prepared::sorted_in_place(window)
    } else {
        Prepared::with_buffers(window, buffers)
    };
    let failed = |name: &str, e: DriftError| {
        window_error(MonitorStage::Drift, window.name(), format!("{name}: {e}"))
    };
    let mut drift = BTreeMap::new();
    // Detectors that staged their p-values, and those p-values.
    let mut staged: Vec<usize> = Vec::new();
    let mut family_p: Vec<Vec<Option<f64>>> = Vec::new();
    for (i, detector) in detectors.iter_mut().enumerate() {
        let name = detector.name().to_string();
        if family.is_some() {
            if let Some(p) = detector.stage(&prepared).map_err(|e| failed(&name, e))? {
                staged.push(i);
                family_p.push(p);
                continue;
            }
        }
        let result = detector
            .detect_prepared(&prepared)
            .map_err(|e| failed(&name, e))?;
        drift.insert(name, result);
    }
    if let Some(method) = family {
        let tests = family_p.iter().flatten().flatten().count();
        for (&i, adjusted) in staged.iter().zip(adjust_together(&family_p, method)) {
            let detector = &mut detectors[i];
            let name = detector.name().to_string();
            let result = detector
                .finish_staged(&adjusted, tests)
                .map_err(|e| failed(&name, e))?;
            drift.insert(name, result);
        }
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
