//! Performance metrics of a window with targets: classification (accuracy, precision, recall,
//! F1, ROC AUC, log loss) and regression (MSE, RMSE, MAE, R²).
//!
//! The figures are scikit-learn's (checked against 1.9 in `tests/it/stats_reference.rs`), with its
//! edge cases made explicit, because users compare them with their notebooks:
//!
//! - Predictions are probabilities of class 1 when all lie in [0, 1] and not all are integers;
//!   the label is then `p >= 0.5`. Otherwise they are class labels. Rows where the target or
//!   the prediction is NaN are skipped.
//! - Precision, recall and F1 use `zero_division = 0`. F1 is `2·tp / (2·tp + fp + fn)`, as in
//!   sklearn, so it is 0 (not undefined) when precision and recall are both 0.
//! - `average = "binary"` (the figures of class 1, like sklearn's `pos_label = 1`) when the
//!   classes seen in targets and predictions are a subset of {0, 1}, or are two classes one of
//!   which is 1; otherwise `"macro"`: the unweighted mean over the classes present in targets
//!   ∪ predictions (sklearn's default `labels`).
//! - ROC AUC and log loss only for probabilities with 0/1 targets. ROC AUC is the Mann–Whitney
//!   statistic (ties count half; equal to sklearn's trapezoidal ROC area), `None` when the window
//!   holds a single class. Log loss clips as sklearn ≥ 1.5 does: the probability of the true
//!   class is clipped to `[ε, 1 − ε]` with ε = `f64::EPSILON` (the dtype's machine epsilon; the
//!   old fixed `eps = 1e-15` is gone); it is reported even when the window holds a single
//!   class, as sklearn does with `labels = [0, 1]`.
//! - R² when the target is constant: 1.0 if the predictions are exact, 0.0 otherwise (sklearn's
//!   `force_finite = True`). Constancy is tested on the values themselves, not on a computed
//!   variance, whose rounding can make it a tiny positive number and R² a huge negative one. A
//!   single row is a constant target here, where sklearn returns NaN with a warning: the field
//!   stays a finite, serialisable number.
//!
//! Sums of floating-point terms are compensated (Neumaier), so results are within an ulp or two
//! of the exact value whatever the window size.

use serde::{Deserialize, Serialize};

pub use crate::stats::roc_auc::roc_auc;
use crate::stats::roc_auc::roc_auc_of_classes;

/// Classification metrics of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub accuracy: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub precision: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub recall: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub f1: f64,
    /// Only when the predictions are probabilities, the targets 0/1 and both classes present.
    pub roc_auc: Option<f64>,
    /// Only when the predictions are probabilities and the targets 0/1.
    pub log_loss: Option<f64>,
    /// Distinct classes among targets and predicted labels.
    pub n_classes: usize,
    /// `"binary"` or `"macro"`.
    pub average: String,
}

/// Regression metrics of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub mse: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub rmse: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub mae: f64,
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub r2: f64,
}

/// Threshold turning a probability of class 1 into a label.
const DECISION_THRESHOLD: f64 = 0.5;

/// Classification metrics of targets `y_true` (class labels as numbers: 0/1 or 0..K-1) against
/// `y_pred` (probabilities of class 1, or class labels; see the module docs). Rows where either
/// is NaN are skipped; `None` when no row is left.
pub fn classification_metrics(y_true: &[f64], y_pred: &[f64]) -> Option<ClassificationMetrics> {
    // The rows are read again for each figure rather than collected: a million rows would be
    // 16 MB held while the scores are sorted.
    let rows = || {
        y_true
            .iter()
            .zip(y_pred)
            .filter(|(t, p)| !t.is_nan() && !p.is_nan())
            // `+ 0.0` turns -0.0 into 0.0, so that the two are one class.
            .map(|(&t, &p)| (t + 0.0, p + 0.0))
    };
    let count = rows().count();
    if count == 0 {
        return None;
    }
    let probabilistic =
        rows().all(|(_, p)| (0.0..=1.0).contains(&p)) && rows().any(|(_, p)| p.fract() != 0.0);
    let label_of = |p: f64| match (probabilistic, p >= DECISION_THRESHOLD) {
        (false, _) => p,
        (true, true) => 1.0,
        (true, false) => 0.0,
    };
    let labelled = || rows().map(|(t, p)| (t, label_of(p)));

    let scores = label_scores(labelled().map(|(t, p)| (t, p, 1)));
    let is_binary_label = |c: &f64| *c == 0.0 || *c == 1.0;
    let zero_one_targets = rows().all(|(t, _)| is_binary_label(&t));
    let (roc_auc_value, log_loss) = if probabilistic && zero_one_targets {
        let log_loss = binary_log_loss(rows(), count);
        // Each class's scores in row order, as `roc_auc` splits them.
        let n_true = rows().filter(|&(t, _)| t == 1.0).count();
        let mut positives = Vec::with_capacity(n_true);
        let mut negatives = Vec::with_capacity(count - n_true);
        for (t, p) in rows() {
            if t == 1.0 {
                positives.push(p);
            } else {
                negatives.push(p);
            }
        }
        (roc_auc_of_classes(positives, negatives), Some(log_loss))
    } else {
        (None, None)
    };

    Some(ClassificationMetrics {
        accuracy: scores.accuracy,
        precision: scores.precision,
        recall: scores.recall,
        f1: scores.f1,
        roc_auc: roc_auc_value,
        log_loss,
        n_classes: scores.n_classes,
        average: if scores.binary { "binary" } else { "macro" }.to_string(),
    })
}

/// The figures of a classifier's labels alone: accuracy, and precision, recall and F1 of class
/// 1 when the classes are 0/1 (or two classes, one of them 1), else their macro average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LabelScores {
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub n_classes: usize,
    /// Scored on class 1 (`"average": "binary"`) rather than macro-averaged.
    pub binary: bool,
}

/// [`LabelScores`] of `(target, predicted label, rows)` triples: rows one at a time (weight 1)
/// or a profile's groups of equal target and label (their counts), by one implementation.
/// `labelled` is not empty.
pub(crate) fn label_scores(labelled: impl Iterator<Item = (f64, f64, u64)> + Clone) -> LabelScores {
    let classes = distinct_sorted(labelled.clone().flat_map(|(t, p, _)| [t, p]));
    let class_index = |v: f64| classes.partition_point(|c| c.total_cmp(&v).is_lt());
    let mut counts = vec![ClassCounts::default(); classes.len()];
    let (mut correct, mut rows) = (0u64, 0u64);
    for (t, p, n) in labelled {
        counts[class_index(t)].true_sum += n;
        counts[class_index(p)].pred_sum += n;
        rows += n;
        if t == p {
            counts[class_index(t)].true_positive += n;
            correct += n;
        }
    }
    let is_binary_label = |c: &f64| *c == 0.0 || *c == 1.0;
    let binary =
        classes.iter().all(is_binary_label) || (classes.len() == 2 && classes.contains(&1.0));
    let (precision, recall, f1) = if binary {
        let positive = classes
            .iter()
            .position(|&c| c == 1.0)
            .map(|i| counts[i])
            .unwrap_or_default();
        (positive.precision(), positive.recall(), positive.f1())
    } else {
        let k = counts.len() as f64;
        let mean = |score: fn(&ClassCounts) -> f64| counts.iter().map(score).sum::<f64>() / k;
        (
            mean(ClassCounts::precision),
            mean(ClassCounts::recall),
            mean(ClassCounts::f1),
        )
    };
    LabelScores {
        accuracy: ratio_or_zero(correct, rows),
        precision,
        recall,
        f1,
        n_classes: classes.len(),
        binary,
    }
}

/// One class's confusion counts, one-vs-rest.
#[derive(Debug, Clone, Copy, Default)]
struct ClassCounts {
    true_positive: u64,
    true_sum: u64,
    pred_sum: u64,
}

impl ClassCounts {
    fn precision(&self) -> f64 {
        ratio_or_zero(self.true_positive, self.pred_sum)
    }

    fn recall(&self) -> f64 {
        ratio_or_zero(self.true_positive, self.true_sum)
    }

    fn f1(&self) -> f64 {
        ratio_or_zero(2 * self.true_positive, self.true_sum + self.pred_sum)
    }
}

/// `numerator / denominator`, 0 when the denominator is 0 (sklearn's `zero_division = 0`).
fn ratio_or_zero(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Mean negative log-likelihood of 0/1 targets under probabilities of class 1, clipped as
/// sklearn clips them. `rows` is non-empty.
fn binary_log_loss(rows: impl Iterator<Item = (f64, f64)>, count: usize) -> f64 {
    let eps = f64::EPSILON;
    let losses = rows.map(|(t, p)| {
        let p_true_class = if t == 1.0 { p } else { 1.0 - p };
        -p_true_class.clamp(eps, 1.0 - eps).ln()
    });
    compensated_sum(losses) / count as f64
}

/// Regression metrics of `y_pred` against `y_true`. Rows where either is NaN are skipped;
/// `None` when no row is left.
pub fn regression_metrics(y_true: &[f64], y_pred: &[f64]) -> Option<RegressionMetrics> {
    let rows: Vec<(f64, f64)> = y_true
        .iter()
        .zip(y_pred)
        .filter(|(t, p)| !t.is_nan() && !p.is_nan())
        .map(|(&t, &p)| (t, p))
        .collect();
    let first_target = rows.first()?.0;
    let n = rows.len() as f64;
    let squared_error = compensated_sum(rows.iter().map(|&(t, p)| (t - p) * (t - p)));
    let absolute_error = compensated_sum(rows.iter().map(|&(t, p)| (t - p).abs()));
    let mse = squared_error / n;

    let target_mean = compensated_sum(rows.iter().map(|&(t, _)| t)) / n;
    let total_variation = compensated_sum(
        rows.iter()
            .map(|&(t, _)| (t - target_mean) * (t - target_mean)),
    );
    let constant_target = rows.iter().all(|&(t, _)| t == first_target);
    let r2 = if constant_target || total_variation == 0.0 {
        if squared_error == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - squared_error / total_variation
    };

    Some(RegressionMetrics {
        mse,
        rmse: mse.sqrt(),
        mae: absolute_error / n,
        r2,
    })
}

/// The distinct values (no NaN, no -0.0), ascending. Labels have few classes, so they are
/// collected by a linear scan; past [`FEW_CLASSES`] it falls back to sorting everything.
fn distinct_sorted(values: impl Iterator<Item = f64> + Clone) -> Vec<f64> {
    let mut classes: Vec<f64> = Vec::new();
    for v in values.clone() {
        if !classes.contains(&v) {
            if classes.len() == FEW_CLASSES {
                let mut all: Vec<f64> = values.collect();
                all.sort_unstable_by(f64::total_cmp);
                all.dedup();
                return all;
            }
            classes.push(v);
        }
    }
    classes.sort_unstable_by(f64::total_cmp);
    classes
}

/// Class count up to which [`distinct_sorted`] scans linearly.
const FEW_CLASSES: usize = 32;

/// Neumaier's compensated sum; non-finite sums are returned as they are.
fn compensated_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut sum = 0.0f64;
    let mut compensation = 0.0f64;
    for v in values {
        let t = sum + v;
        if sum.abs() >= v.abs() {
            compensation += (sum - t) + v;
        } else {
            compensation += (v - t) + sum;
        }
        sum = t;
    }
    if sum.is_finite() {
        sum + compensation
    } else {
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_values_are_sorted_and_unique_either_way() {
        let few = [3.0, 1.0, 3.0, 0.0, 1.0, 2.0];
        assert_eq!(distinct_sorted(few.into_iter()), vec![0.0, 1.0, 2.0, 3.0]);
        // More than FEW_CLASSES distinct values: the sorting fallback.
        let many: Vec<f64> = (0..200).map(|i| f64::from((i * 37) % 100)).collect();
        let expected: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(distinct_sorted(many.iter().copied()), expected);
    }

    #[test]
    fn binary_labels() {
        // tp = 2, fp = 1, fn = 1, tn = 1
        let m = classification_metrics(&[1.0, 1.0, 1.0, 0.0, 0.0], &[1.0, 1.0, 0.0, 1.0, 0.0]);
        let m = m.as_ref();
        assert_eq!(m.map(|m| m.accuracy), Some(0.6));
        assert_eq!(
            m.map(|m| (m.precision, m.recall)),
            Some((2.0 / 3.0, 2.0 / 3.0))
        );
        assert_eq!(m.map(|m| m.f1), Some(2.0 / 3.0));
        assert_eq!(m.map(|m| m.average.as_str()), Some("binary"));
        assert_eq!(m.and_then(|m| m.roc_auc), None);
        assert_eq!(m.and_then(|m| m.log_loss), None);
    }

    #[test]
    fn zero_division_is_zero() {
        let m = classification_metrics(&[0.0, 0.0], &[0.0, 0.0]);
        assert_eq!(
            m.map(|m| (m.accuracy, m.precision, m.recall, m.f1, m.n_classes)),
            Some((1.0, 0.0, 0.0, 0.0, 1))
        );
    }

    #[test]
    fn probabilities_are_thresholded() {
        let m = classification_metrics(&[0.0, 1.0, 1.0, 0.0], &[0.2, 0.5, 0.9, 0.7]);
        let m = m.as_ref();
        assert_eq!(m.map(|m| m.accuracy), Some(0.75));
        assert_eq!(m.and_then(|m| m.roc_auc), Some(0.75));
        let expected = -((0.8f64).ln() + (0.5f64).ln() + (0.9f64).ln() + (0.3f64).ln()) / 4.0;
        assert!(m
            .and_then(|m| m.log_loss)
            .is_some_and(|l| (l - expected).abs() < 1e-15));
    }

    #[test]
    fn macro_over_classes_present() {
        // class 0: tp 1, true 2, pred 1; class 1: tp 1, true 1, pred 2; class 2: tp 1, true 1, pred 1
        let m = classification_metrics(&[0.0, 0.0, 1.0, 2.0], &[0.0, 1.0, 1.0, 2.0]);
        let m = m.as_ref();
        assert_eq!(m.map(|m| m.average.as_str()), Some("macro"));
        assert_eq!(m.map(|m| m.n_classes), Some(3));
        let precision = (1.0 + 0.5 + 1.0) / 3.0;
        assert!(m.is_some_and(|m| (m.precision - precision).abs() < 1e-15));
    }

    #[test]
    fn nan_rows_skipped_and_empty_is_none() {
        assert_eq!(classification_metrics(&[f64::NAN], &[1.0]), None);
        assert_eq!(regression_metrics(&[1.0, f64::NAN], &[f64::NAN, 2.0]), None);
        let m = classification_metrics(&[1.0, f64::NAN], &[1.0, 0.0]);
        assert_eq!(m.map(|m| m.accuracy), Some(1.0));
    }

    #[test]
    fn regression_known_values() {
        // sklearn: r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.9486081370449679
        let m = regression_metrics(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]);
        let m = m.as_ref();
        assert_eq!(m.map(|m| m.mse), Some(0.375));
        assert_eq!(m.map(|m| m.mae), Some(0.5));
        assert!(m.is_some_and(|m| (m.r2 - 0.9486081370449679).abs() < 1e-15));
    }

    #[test]
    fn constant_target_r2() {
        let exact = regression_metrics(&[0.1, 0.1, 0.1], &[0.1, 0.1, 0.1]);
        assert_eq!(exact.map(|m| m.r2), Some(1.0));
        let off = regression_metrics(&[0.1, 0.1, 0.1], &[0.1, 0.1, 0.2]);
        assert_eq!(off.map(|m| m.r2), Some(0.0));
        assert_eq!(regression_metrics(&[4.0], &[5.0]).map(|m| m.r2), Some(0.0));
    }

    #[test]
    fn compensated_sum_is_exact_where_naive_is_not() {
        assert_eq!(compensated_sum([1.0, 1e100, 1.0, -1e100]), 2.0);
        assert_eq!(compensated_sum([1.0, f64::INFINITY]), f64::INFINITY);
    }
}
