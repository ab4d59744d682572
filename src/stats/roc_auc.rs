//! ROC AUC as the Mann–Whitney statistic, exact in integers. Shared by the performance metrics
//! (a model's scores against its targets) and the classifier drift detector (out-of-fold scores
//! telling current rows from reference rows), so it lives below both.

use super::sort::sort_non_missing;

/// Area under the ROC curve of `scores` for the positives in `labels`: the probability that a
/// random positive scores above a random negative, ties counting half (Mann–Whitney U over
/// `n_pos · n_neg`). Exact: U is accumulated in integers, and only the final division rounds.
///
/// O(n log n). Pairs whose score is NaN are skipped, and the longer slice is truncated to the
/// shorter. `None` when either class is absent.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Option<f64> {
    // Sized exactly: grown by doubling, the two vectors would be copied a dozen times.
    let n_true = labels.iter().zip(scores).filter(|(&l, _)| l).count();
    let mut positives = Vec::with_capacity(n_true);
    let mut negatives = Vec::with_capacity(scores.len().min(labels.len()) - n_true);
    for (&s, &l) in scores.iter().zip(labels) {
        if l {
            positives.push(s);
        } else {
            negatives.push(s);
        }
    }
    roc_auc_of_classes(positives, negatives)
}

/// [`roc_auc`] of the two classes' scores, given apart (and given up: each is sorted in its
/// own memory).
pub(crate) fn roc_auc_of_classes(positives: Vec<f64>, negatives: Vec<f64>) -> Option<f64> {
    // Each class sorted in its own memory (the radix sort of `stats::sort`, which also
    // drops NaN); the sort is most of the cost.
    let positives = sort_non_missing(positives);
    let negatives = sort_non_missing(negatives);
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    // 2·U: each positive earns 2 per negative strictly below it and 1 per tied negative.
    // Ties are grouped by `==`, so -0.0 and 0.0 (adjacent under total_cmp) are one group.
    let mut twice_u: u128 = 0;
    let (mut below, mut not_above) = (0usize, 0usize);
    for group in positives.chunk_by(|a, b| a == b) {
        let v = group[0];
        while below < negatives.len() && negatives[below] < v {
            below += 1;
        }
        not_above = not_above.max(below);
        while not_above < negatives.len() && negatives[not_above] <= v {
            not_above += 1;
        }
        twice_u += group.len() as u128 * (2 * below + (not_above - below)) as u128;
    }
    let (n_pos, n_neg) = (positives.len() as u128, negatives.len() as u128);
    Some(twice_u as f64 / (2 * n_pos * n_neg) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_ties_and_degenerate() {
        assert_eq!(roc_auc(&[true, false], &[0.5, 0.5]), Some(0.5));
        assert_eq!(roc_auc(&[true, false], &[0.0, -0.0]), Some(0.5));
        assert_eq!(roc_auc(&[true, false, true], &[0.9, 0.1, 0.1]), Some(0.75));
        assert_eq!(roc_auc(&[true, true], &[0.9, 0.1]), None);
        assert_eq!(roc_auc(&[true, false, false], &[f64::NAN, 0.1, 0.2]), None);
    }
}
