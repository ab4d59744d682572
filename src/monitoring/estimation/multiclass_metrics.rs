//! The per-class pieces of multiclass CBPE, as NannyML 0.13's `MulticlassClassification*`
//! metrics and `sampling_error/multiclass_classification.py` build them: one-vs-rest estimates
//! macro-averaged, realised macro metrics per reference chunk (for the thresholds), and the
//! per-class sampling-error components.
//!
//! Unlike the binary F1, an empty denominator makes a class's estimate 0 (NannyML's
//! `estimate_f1` / `estimate_precision` / `estimate_recall`), not undefined: the macro mean of
//! NannyML includes it.

use super::metrics::{estimated_roc_auc, realised_roc_auc};
use super::sampling_error::{self, SamplingError};

/// One class's expected confusion counts from the calibrated probabilities `q` of the class and
/// whether each row was predicted as it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExpectedCounts {
    tp: f64,
    fp: f64,
    fn_: f64,
}

impl ExpectedCounts {
    pub(crate) fn add(&mut self, q: f64, predicted: bool) {
        if predicted {
            self.tp += q;
            self.fp += 1.0 - q;
        } else {
            self.fn_ += q;
        }
    }

    fn ratio(numerator: f64, denominator: f64) -> f64 {
        if denominator == 0.0 {
            0.0
        } else {
            numerator / denominator
        }
    }

    pub(crate) fn precision(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fp)
    }

    pub(crate) fn recall(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fn_)
    }

    pub(crate) fn f1(&self) -> f64 {
        Self::ratio(self.tp, self.tp + 0.5 * (self.fp + self.fn_))
    }
}

/// Mean of the one-vs-rest estimated ROC AUCs: per class, the calibrated probabilities in the
/// order of the uncalibrated ones (the binary [`estimated_roc_auc`]).
pub(crate) fn estimated_macro_roc_auc(calibrated: &[Vec<f64>], uncalibrated: &[Vec<f64>]) -> f64 {
    let k = calibrated.len() as f64;
    calibrated
        .iter()
        .zip(uncalibrated)
        .map(|(q, p)| estimated_roc_auc(q, p))
        .sum::<f64>()
        / k
}

/// Realised macro accuracy, precision, recall and F1 of one reference chunk (scikit-learn with
/// `labels` = every class, `zero_division` 0); NaN when the targets or the predictions hold a
/// single class, as NannyML. `y` and `y_hat` are class indices below `k`.
pub(crate) fn realised_macro(y: &[usize], y_hat: &[usize], k: usize) -> [f64; 4] {
    let single = |v: &[usize]| v.iter().all(|&c| Some(&c) == v.first());
    if y.is_empty() || single(y) || single(y_hat) {
        return [f64::NAN; 4];
    }
    let (mut tp, mut pred, mut truth) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
    let mut correct = 0usize;
    for (&t, &p) in y.iter().zip(y_hat) {
        truth[t] += 1;
        pred[p] += 1;
        if t == p {
            tp[t] += 1;
            correct += 1;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mean = |f: &dyn Fn(usize) -> f64| (0..k).map(f).sum::<f64>() / k as f64;
    [
        correct as f64 / y.len() as f64,
        mean(&|c| ratio(tp[c], pred[c])),
        mean(&|c| ratio(tp[c], truth[c])),
        mean(&|c| ratio(2 * tp[c], truth[c] + pred[c])),
    ]
}

/// Realised one-vs-rest macro ROC AUC of one reference chunk (scikit-learn's
/// `roc_auc_score(multi_class="ovr", average="macro")`); NaN unless every class is among the
/// targets, as NannyML. `scores[c]` are the uncalibrated probabilities of class `c`.
pub(crate) fn realised_macro_roc_auc(y: &[usize], scores: &[&[f64]]) -> f64 {
    let k = scores.len();
    let mut seen = vec![false; k];
    for &t in y {
        seen[t] = true;
    }
    if seen.iter().any(|s| !s) {
        return f64::NAN;
    }
    (0..k)
        .map(|c| {
            let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
            realised_roc_auc(&positive, scores[c])
        })
        .sum::<f64>()
        / k as f64
}

/// The reference rows of one class, one-vs-rest: (is the target, is predicted).
fn one_vs_rest<'a>(
    y: &'a [usize],
    y_hat: &'a [usize],
    c: usize,
) -> impl Iterator<Item = (bool, bool)> + 'a {
    y.iter().zip(y_hat).map(move |(&t, &p)| (t == c, p == c))
}

/// A sampling-error component: the population std of 0/1 outcomes (1 for `ones` rows, 0 for
/// `zeros`) and the fraction of the reference they are.
fn component(ones: usize, zeros: usize, fraction: f64) -> SamplingError {
    let n = (ones + zeros) as f64;
    let mean = ones as f64 / n;
    // np.var of `ones` ones and `zeros` zeros, summed as numpy's two-pass variance does.
    let var = (ones as f64 * (1.0 - mean) * (1.0 - mean) + zeros as f64 * mean * mean) / n;
    SamplingError {
        std: var.sqrt(),
        fraction,
    }
}

/// Per-class components of precision: outcomes 1 for TP, 0 for FP; fraction = predicted / rows.
pub(crate) fn precision_components(y: &[usize], y_hat: &[usize], k: usize) -> Vec<SamplingError> {
    (0..k)
        .map(|c| {
            let (mut tp, mut fp) = (0, 0);
            for (t, p) in one_vs_rest(y, y_hat, c) {
                match (t, p) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    _ => {}
                }
            }
            component(tp, fp, (tp + fp) as f64 / y.len() as f64)
        })
        .collect()
}

/// Per-class components of recall: outcomes 1 for TP, 0 for FN; fraction = class rows / rows.
pub(crate) fn recall_components(y: &[usize], y_hat: &[usize], k: usize) -> Vec<SamplingError> {
    (0..k)
        .map(|c| {
            let (mut tp, mut fn_) = (0, 0);
            for (t, p) in one_vs_rest(y, y_hat, c) {
                match (t, p) {
                    (true, true) => tp += 1,
                    (true, false) => fn_ += 1,
                    _ => {}
                }
            }
            component(tp, fn_, (tp + fn_) as f64 / y.len() as f64)
        })
        .collect()
}

/// Per-class components of F1: outcomes 1 for TP, 0 for FP and FN (unscaled, unlike the
/// binary case); fraction = those rows / rows.
pub(crate) fn f1_components(y: &[usize], y_hat: &[usize], k: usize) -> Vec<SamplingError> {
    (0..k)
        .map(|c| {
            let (mut tp, mut other) = (0, 0);
            for (t, p) in one_vs_rest(y, y_hat, c) {
                match (t, p) {
                    (true, true) => tp += 1,
                    (true, false) | (false, true) => other += 1,
                    (false, false) => {}
                }
            }
            component(tp, other, (tp + other) as f64 / y.len() as f64)
        })
        .collect()
}

/// Per-class components of ROC AUC: the binary Mann–Whitney components one-vs-rest on the
/// uncalibrated probabilities.
pub(crate) fn roc_auc_components(y: &[usize], scores: &[&[f64]]) -> Vec<SamplingError> {
    scores
        .iter()
        .enumerate()
        .map(|(c, s)| {
            let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
            sampling_error::roc_auc(&positive, s)
        })
        .collect()
}

/// NannyML's `_standard_deviation_of_variances`: √(Σ_c σ_c²) / K for a window of `rows` rows,
/// σ_c the class's binary-style σ; times `factor` (1.2 for ROC AUC, which NannyML found to be
/// underestimated by 20 %).
pub(crate) fn combined_sigma(components: &[SamplingError], rows: usize, factor: f64) -> f64 {
    let sum: f64 = components
        .iter()
        .map(|c| c.std * c.std / (rows as f64 * c.fraction))
        .sum();
    sum.sqrt() / components.len() as f64 * factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realised_macro_as_sklearn() {
        // sklearn: y = [0,1,2,2,1,0], ŷ = [0,2,2,2,0,0]:
        // accuracy 4/6; precision macro (2/3 + 0 + 2/3)/3; recall (1 + 0 + 1)/3;
        // f1 (0.8 + 0 + 0.8)/3.
        let got = realised_macro(&[0, 1, 2, 2, 1, 0], &[0, 2, 2, 2, 0, 0], 3);
        let want = [4.0 / 6.0, (4.0 / 3.0) / 3.0, 2.0 / 3.0, 1.6 / 3.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{g} vs {w}");
        }
        assert!(realised_macro(&[1, 1], &[0, 1], 3)[0].is_nan());
    }

    #[test]
    fn expected_counts_of_certain_rows() {
        let mut c = ExpectedCounts::default();
        c.add(1.0, true);
        c.add(0.0, true);
        c.add(1.0, false);
        assert_eq!(c.precision(), 0.5);
        assert_eq!(c.recall(), 0.5);
        assert_eq!(c.f1(), 0.5);
        assert_eq!(ExpectedCounts::default().f1(), 0.0);
    }

    #[test]
    fn components_are_bernoulli_std() {
        let c = component(1, 3, 0.5);
        assert!((c.std - (0.25f64 * 0.75).sqrt()).abs() < 1e-15);
        let sigma = combined_sigma(&[c, c], 100, 1.0);
        let one = c.std / (100.0f64 * 0.5).sqrt();
        assert!((sigma - (2.0 * one * one).sqrt() / 2.0).abs() < 1e-15);
    }
}
