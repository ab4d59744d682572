//! The per-window estimate in one pass: the scores sorted once (the radix sort of
//! [`crate::stats::sort`]), then walked from the highest down, calibrating as they come (the
//! calibration map is non-decreasing, so the raw scores' order is also the calibrated scores'
//! order, and the map's segment only moves one way) and summing what accuracy, F1 and the ROC
//! AUC need. The same formulas as [`super::metrics`], which stay the readable reference (the unit
//! tests compare the two); this is the one that is fast enough for a 100,000-row window.
//!
//! Only the scores are sorted, never (score, label) pairs: without a predicted-label column the
//! label is `score ≥ threshold`, a function of the score; with one, the rows predicted 1 and
//! those predicted 0 are sorted apart and merged in the walk.

use std::iter::Peekable;

use crate::stats::isotonic::IsotonicRegression;
use crate::stats::sort::{sort_non_missing, sorted_non_missing};

/// Estimated accuracy, F1 and ROC AUC (NaN where undefined) of the rows with a usable score
/// (not NaN) and label (0 or 1, when `labels` is given; else `score ≥ threshold`), with how
/// many rows they are; `None` when there are none.
pub fn estimate(
    scores: &[f64],
    labels: Option<&[f64]>,
    threshold: f64,
    calibrator: Option<&IsotonicRegression>,
) -> Option<(usize, [f64; 3])> {
    match labels {
        None => {
            let sorted = sorted_non_missing(scores);
            let rows = sorted.iter().rev().map(|&s| (s, s >= threshold));
            sweep(sorted.len(), rows, calibrator)
        }
        Some(labels) => {
            let (mut ones, mut zeros) = (Vec::new(), Vec::new());
            for (&s, &l) in scores.iter().zip(labels) {
                if l == 1.0 {
                    ones.push(s);
                } else if l == 0.0 {
                    zeros.push(s);
                }
            }
            let (ones, zeros) = (sort_non_missing(ones), sort_non_missing(zeros));
            let rows = Merge {
                ones: ones.iter().rev().copied().peekable(),
                zeros: zeros.iter().rev().copied().peekable(),
            };
            sweep(ones.len() + zeros.len(), rows, calibrator)
        }
    }
}

/// Two descending score lists merged into one descending list of (score, label).
struct Merge<I: Iterator<Item = f64>> {
    ones: Peekable<I>,
    zeros: Peekable<I>,
}

impl<I: Iterator<Item = f64>> Iterator for Merge<I> {
    type Item = (f64, bool);

    fn next(&mut self) -> Option<(f64, bool)> {
        match (self.ones.peek(), self.zeros.peek()) {
            (Some(a), Some(b)) if a.total_cmp(b).is_ge() => self.ones.next().map(|s| (s, true)),
            (_, Some(_)) => self.zeros.next().map(|s| (s, false)),
            (Some(_), None) => self.ones.next().map(|s| (s, true)),
            (None, None) => None,
        }
    }
}

/// The walk over `n` rows in descending score order.
fn sweep(
    n: usize,
    rows: impl Iterator<Item = (f64, bool)>,
    calibrator: Option<&IsotonicRegression>,
) -> Option<(usize, [f64; 3])> {
    if n == 0 {
        return None;
    }
    let mut calibration = calibrator.map(IsotonicRegression::descending);
    let (mut correct, mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0, 0.0);
    let (mut cum, mut prev_tps, mut prev_fps, mut area) = (0.0, 0.0, 0.0, 0.0);
    for (i, (score, label)) in rows.enumerate() {
        let p = match &mut calibration {
            Some(c) => c.predict(score),
            None => score,
        };
        if label {
            correct += p;
            tp += p;
            fp += 1.0 - p;
        } else {
            correct += 1.0 - p;
            fn_ += p;
        }
        // NannyML's curve: cumulative expected positives and negatives, rounded to 5 decimals.
        cum += p;
        let tps = round5(cum);
        let fps = round5((i + 1) as f64 - cum);
        area += (fps - prev_fps) * (tps + prev_tps);
        prev_tps = tps;
        prev_fps = fps;
    }
    let f1_denominator = tp + 0.5 * (fp + fn_);
    let f1 = if f1_denominator == 0.0 {
        f64::NAN
    } else {
        tp / f1_denominator
    };
    let auc = if prev_tps == 0.0 || prev_fps == 0.0 {
        f64::NAN
    } else {
        area / (2.0 * prev_tps * prev_fps)
    };
    Some((n, [correct / n as f64, f1, auc]))
}

fn round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::estimation::metrics;

    #[test]
    fn one_pass_equals_the_reference_formulas() {
        let mut x = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        // Ties too: scores rounded to 3 decimals; and rows to leave out (NaN score or label).
        let mut scores: Vec<f64> = (0..5000)
            .map(|_| (next() * 1000.0).round() / 1000.0)
            .collect();
        let mut given: Vec<f64> = scores
            .iter()
            .map(|_| f64::from(u8::from(next() < 0.6)))
            .collect();
        let targets: Vec<f64> = scores
            .iter()
            .map(|&s| f64::from(u8::from(next() < s * s)))
            .collect();
        let calibrator = IsotonicRegression::fit(&scores, &targets).expect("fits");
        scores[7] = f64::NAN;
        given[11] = f64::NAN;
        given[12] = 0.5;
        let usable: Vec<usize> = (0..scores.len())
            .filter(|&i| !scores[i].is_nan() && (given[i] == 0.0 || given[i] == 1.0))
            .collect();
        for c in [None, Some(&calibrator)] {
            for labels in [None, Some(&given[..])] {
                let rows: Vec<usize> = match labels {
                    Some(_) => usable.clone(),
                    None => (0..scores.len()).filter(|&i| i != 7).collect(),
                };
                let s: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
                let l: Vec<bool> = rows
                    .iter()
                    .map(|&i| labels.map_or(scores[i] >= 0.4, |l| l[i] == 1.0))
                    .collect();
                let p: Vec<f64> = match c {
                    Some(c) => c.predict_all(&s),
                    None => s.clone(),
                };
                let want = [
                    metrics::estimated_accuracy(&p, &l),
                    metrics::estimated_f1(&p, &l),
                    metrics::estimated_roc_auc(&p, &s),
                ];
                let (n, got) = estimate(&scores, labels, 0.4, c).expect("rows");
                assert_eq!(n, rows.len());
                for (g, w) in got.iter().zip(want) {
                    assert!((g - w).abs() < 1e-12, "{g} vs {w}");
                }
            }
        }
        assert!(estimate(&[f64::NAN], None, 0.5, None).is_none());
        assert!(estimate(&[0.3], Some(&[f64::NAN]), 0.5, None).is_none());
    }
}
