//! Whether calibrating the scores helps, decided as NannyML 0.13's `needs_calibration`: no when
//! the reference has one class or its ROC AUC exceeds 0.999; otherwise ten stratified shuffle
//! splits (10 % held out), isotonic regression fitted on each training part and applied to its
//! held-out part, the held-out parts pooled, and the expected calibration error (10 equal-count
//! bins of the sorted scores: Σ share · |mean score − mean label|) compared before and after.
//! Calibrate when it falls.
//!
//! The splits are our own, seeded (NannyML's come from numpy's generator): on data where the
//! decision is close the two may differ, which is why `[estimation] calibration` can force it.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::metrics::realised_roc_auc;
use crate::stats::isotonic::{by_x_then_y, IsotonicRegression};

/// Splits, held-out share and bins, as NannyML.
const SPLITS: usize = 10;
const TEST_SHARE: f64 = 0.1;
const BINS: usize = 10;

/// NannyML's decision for labels `y` and uncalibrated scores `p` (same length, no NaN).
pub fn needs_calibration(y: &[bool], p: &[f64], seed: u64) -> bool {
    let positives = y.iter().filter(|&&t| t).count();
    if positives == 0 || positives == y.len() {
        return false;
    }
    if realised_roc_auc(y, p) > 0.999 {
        return false;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut labels, mut before, mut after) = (Vec::new(), Vec::new(), Vec::new());
    // Every split's training rows in the isotonic fit's order, from one sort: they are a
    // subsequence of all rows in that order.
    let label = |i: usize| f64::from(u8::from(y[i]));
    let mut order: Vec<usize> = (0..y.len()).filter(|&i| p[i].is_finite()).collect();
    order.sort_by(|&a, &b| by_x_then_y(&(p[a], label(a)), &(p[b], label(b))));
    let mut in_test = vec![false; y.len()];
    let mut train: Vec<(f64, f64)> = Vec::with_capacity(order.len());
    for _ in 0..SPLITS {
        let test = stratified_test_rows(y, &mut rng);
        in_test.iter_mut().for_each(|t| *t = false);
        for &i in &test {
            in_test[i] = true;
        }
        train.clear();
        train.extend(
            order
                .iter()
                .filter(|&&i| !in_test[i])
                .map(|&i| (p[i], label(i))),
        );
        let Some(fitted) = IsotonicRegression::fit_sorted(&train) else {
            return false;
        };
        for &i in &test {
            labels.push(f64::from(u8::from(y[i])));
            before.push(p[i]);
            after.push(fitted.predict(p[i]));
        }
    }
    let Some(edges) = bin_edges(labels.len(), BINS) else {
        return false;
    };
    expected_calibration_error(&labels, &before, &edges)
        > expected_calibration_error(&labels, &after, &edges)
}

/// One stratified split's held-out rows: ⌈10 % of the rows⌉ in all, each class contributing in
/// proportion (largest remainders), drawn at random within the class.
fn stratified_test_rows(y: &[bool], rng: &mut StdRng) -> Vec<usize> {
    let n = y.len();
    let n_test = ((n as f64) * TEST_SHARE).ceil() as usize;
    let mut classes: Vec<Vec<usize>> = vec![Vec::new(), Vec::new()];
    for (i, &t) in y.iter().enumerate() {
        classes[usize::from(t)].push(i);
    }
    let exact: Vec<f64> = classes
        .iter()
        .map(|c| c.len() as f64 * n_test as f64 / n as f64)
        .collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let short = n_test.saturating_sub(take.iter().sum::<usize>());
    if short > 0 {
        // Give the missing rows to the class with the larger remainder.
        let k = usize::from(exact[1] - exact[1].floor() > exact[0] - exact[0].floor());
        take[k] = (take[k] + short).min(classes[k].len());
    }
    let mut test = Vec::with_capacity(n_test);
    for (class, &k) in classes.iter_mut().zip(&take) {
        class.shuffle(rng);
        test.extend_from_slice(&class[..k.min(class.len())]);
    }
    test
}

/// NannyML's `_get_bin_index_edges`: bins of `len / bins` rows, the last one taking the
/// remainder; fewer bins when there are at most 2 rows a bin; `None` below 2 bins.
fn bin_edges(len: usize, bins: usize) -> Option<Vec<(usize, usize)>> {
    let bins = if len <= 2 * bins { len / 2 } else { bins };
    if bins < 2 {
        return None;
    }
    let width = len / bins;
    let mut edges: Vec<usize> = (0..=len).step_by(width).collect();
    if let Some(last) = edges.last_mut() {
        *last = len;
    }
    Some(edges.windows(2).map(|w| (w[0], w[1])).collect())
}

/// Σ over bins of the sorted scores: share · |mean score − mean label|.
fn expected_calibration_error(y: &[f64], p: &[f64], edges: &[(usize, usize)]) -> f64 {
    let mut rows: Vec<(f64, f64)> = p.iter().copied().zip(y.iter().copied()).collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = rows.len() as f64;
    edges
        .iter()
        .map(|&(lo, hi)| {
            let bin = &rows[lo..hi];
            let m = bin.len() as f64;
            let mean_p = bin.iter().map(|r| r.0).sum::<f64>() / m;
            let mean_y = bin.iter().map(|r| r.1).sum::<f64>() / m;
            m / n * (mean_p - mean_y).abs()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_as_nannyml() {
        assert_eq!(
            bin_edges(20, 4),
            Some(vec![(0, 5), (5, 10), (10, 15), (15, 20)])
        );
        let e = bin_edges(105, 10).expect("bins");
        assert_eq!(e.len(), 10);
        assert_eq!(e[9], (90, 105));
        assert_eq!(bin_edges(3, 10), None);
    }

    #[test]
    fn splits_are_stratified() {
        let y: Vec<bool> = (0..1000).map(|i| i % 4 == 0).collect();
        let mut rng = StdRng::seed_from_u64(1);
        let test = stratified_test_rows(&y, &mut rng);
        assert_eq!(test.len(), 100);
        assert_eq!(test.iter().filter(|&&i| y[i]).count(), 25);
    }
}
