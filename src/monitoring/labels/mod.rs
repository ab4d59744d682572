//! Late labels: a window's realised metrics from labels that arrive after it, joined by
//! `[columns] id`.
//!
//! The library keeps no state here: [`KeptRows`] is what a window leaves behind (its ids and
//! predictions, as a blob the caller stores), `join.rs` matches a label file to those rows and
//! holds labels that came first, and [`realised`] turns a window's labels so far into the same
//! metrics the monitor computes for a window with its target column. Where it is all stored
//! (the binary's SQLite history) is the caller's business.

use std::collections::BTreeMap;

use super::estimation::EstimatedPerformance;
use super::metrics::{classification_metrics, regression_metrics};
use super::result::Performance;
use crate::config::Task;

mod compact;
pub(crate) mod join;
mod kept;

pub use compact::{decode_labels, encode_labels};
pub use join::{apply, label_values, set_label, Held, JoinCounts, PendingLabels};
pub use kept::KeptRows;

/// Rows with a label (labels are NaN where there is none).
pub fn labelled_rows(labels: &[f64]) -> usize {
    labels.iter().filter(|v| !v.is_nan()).count()
}

/// A window's realised metrics from its labels so far (NaN: not labelled), computed as the
/// monitor computes them for a window with targets: classification against the prediction
/// column, regression likewise, a multiclass model (`multiclass`) by its predicted classes.
/// `None` when no labelled row has a prediction.
pub fn realised(
    task: Task,
    multiclass: bool,
    kept: &KeptRows,
    labels: &[f64],
) -> Option<Performance> {
    if multiclass {
        // Class indices shifted by 2, as the monitor does, so no class reads as binary 0/1.
        let shift = |v: &[f64]| v.iter().map(|x| x + 2.0).collect::<Vec<f64>>();
        let predicted = kept.predicted()?;
        return classification_metrics(&shift(labels), &shift(predicted))
            .map(Performance::Classification);
    }
    let scores = kept.scores()?;
    match task {
        Task::Classification => {
            classification_metrics(labels, scores).map(Performance::Classification)
        }
        Task::Regression => regression_metrics(labels, scores).map(Performance::Regression),
    }
}

/// Estimate − realised, per metric both have.
pub fn estimation_error(
    estimated: &EstimatedPerformance,
    realised: &Performance,
) -> BTreeMap<String, f64> {
    let Performance::Classification(m) = realised else {
        return BTreeMap::new();
    };
    estimated
        .metrics
        .named()
        .filter_map(|(name, e)| {
            let actual = match name {
                "accuracy" => Some(m.accuracy),
                "roc_auc" => m.roc_auc,
                "f1" => Some(m.f1),
                "precision" => Some(m.precision),
                "recall" => Some(m.recall),
                _ => None,
            }?;
            Some((name.to_string(), e.value - actual))
        })
        .collect()
}

#[cfg(test)]
mod tests;
