//! A multiclass model's window (`[columns] class_probabilities`): its columns turned into what
//! [`MulticlassEstimator`] reads (class indices, probability columns in class order), the
//! estimator fitted on the reference, and per window the estimate and the realised macro
//! metrics. Kept apart from `evaluate.rs` so that the binary path is untouched.

use super::estimation::{EstimatedPerformance, MulticlassEstimator};
use super::metrics::classification_metrics;
use super::result::Performance;
use crate::config::EstimationConfig;
use crate::data::{Column, ColumnData, DataWindow, MISSING_CODE};

/// The class index of each cell of a label column (`None`: missing or not a class). Labels are
/// matched as text; a numeric column's values as Rust prints them (`2.0` is `"2"`).
fn class_indices(column: &Column, classes: &[String]) -> Vec<Option<usize>> {
    match &column.data {
        ColumnData::Categorical { codes, dictionary } => {
            let index: Vec<Option<usize>> = dictionary
                .iter()
                .map(|label| MulticlassEstimator::index_in(classes, label))
                .collect();
            codes
                .iter()
                .map(|&c| {
                    if c == MISSING_CODE {
                        None
                    } else {
                        index.get(c as usize).copied().flatten()
                    }
                })
                .collect()
        }
        ColumnData::Numeric(values) => values
            .iter()
            .map(|v| {
                if v.is_nan() {
                    None
                } else {
                    MulticlassEstimator::index_in(classes, &v.to_string())
                }
            })
            .collect(),
    }
}

/// The window's probability columns in the estimator's class order; `None` when one is
/// missing or not numeric.
fn probability_columns<'a>(window: &'a DataWindow, classes: &[String]) -> Option<Vec<&'a [f64]>> {
    classes
        .iter()
        .map(|class| {
            window
                .class_probabilities()
                .iter()
                .find(|(c, _)| c == class)
                .and_then(|(_, column)| column.as_numeric())
        })
        .collect()
}

/// Fits the multiclass estimator on the reference; the reason when it cannot.
pub(crate) fn fit(
    classes: &[String],
    reference: &DataWindow,
    config: &EstimationConfig,
) -> Result<MulticlassEstimator, String> {
    let sorted = MulticlassEstimator::sorted_classes(classes);
    let target = reference
        .target()
        .ok_or("the reference has no target column")?;
    let predicted = reference
        .predicted_label()
        .ok_or("the reference has no predicted-label column ([columns] predicted_label)")?;
    let probabilities = probability_columns(reference, &sorted)
        .ok_or("the reference lacks a column of [columns] class_probabilities")?;
    MulticlassEstimator::fit(
        sorted.clone(),
        &class_indices(target, &sorted),
        &class_indices(predicted, &sorted),
        &probabilities,
        config,
    )
    .map_err(|e| e.to_string())
}

/// A window's estimated performance and, when it has targets, its realised macro metrics.
pub(crate) fn evaluate(
    estimator: &MulticlassEstimator,
    window: &DataWindow,
) -> (Option<Performance>, Option<EstimatedPerformance>) {
    let predicted = window
        .predicted_label()
        .filter(|c| c.len() == window.rows())
        .map(|c| class_indices(c, &estimator.classes));
    let estimated = match (probability_columns(window, &estimator.classes), &predicted) {
        (Some(p), Some(labels)) => estimator.estimate(&p, labels),
        (Some(p), None) => estimator.estimate(&p, &vec![None; window.rows()]),
        _ => None,
    };
    let realised = match (window.target(), &predicted) {
        (Some(target), Some(labels)) => {
            // Class indices shifted by 2, so that no class is read as the binary 0/1 labels.
            let as_number = |v: &Option<usize>| v.map_or(f64::NAN, |c| c as f64 + 2.0);
            let y: Vec<f64> = class_indices(target, &estimator.classes)
                .iter()
                .map(as_number)
                .collect();
            let y_hat: Vec<f64> = labels.iter().map(as_number).collect();
            classification_metrics(&y, &y_hat).map(Performance::Classification)
        }
        _ => None,
    };
    (realised, estimated)
}
