//! The estimated metrics of NannyML's `confidence_based/metrics.py` (from calibrated scores p̂
//! and predicted labels ŷ, no targets) and the realised ones its thresholds are learned from.

/// accuracy = (Σ_{ŷ=1} p̂ + Σ_{ŷ=0} (1 − p̂)) / n.
#[cfg(test)]
pub(crate) fn estimated_accuracy(p: &[f64], y_hat: &[bool]) -> f64 {
    let (mut tp, mut tn) = (0.0, 0.0);
    for (&p, &l) in p.iter().zip(y_hat) {
        if l {
            tp += p;
        } else {
            tn += 1.0 - p;
        }
    }
    (tp + tn) / p.len() as f64
}

/// F1 = TP / (TP + ½(FP + FN)) with TP = Σ_{ŷ=1} p̂, FP = Σ_{ŷ=1} (1 − p̂), FN = Σ_{ŷ=0} p̂;
/// NaN when the denominator is 0.
#[cfg(test)]
pub(crate) fn estimated_f1(p: &[f64], y_hat: &[bool]) -> f64 {
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for (&p, &l) in p.iter().zip(y_hat) {
        if l {
            tp += p;
            fp += 1.0 - p;
        } else {
            fn_ += p;
        }
    }
    let denominator = tp + 0.5 * (fp + fn_);
    if denominator == 0.0 {
        f64::NAN
    } else {
        tp / denominator
    }
}

/// numpy's `round(x, 5)`: scaled, rounded half to even, scaled back.
fn round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

/// ROC AUC from the calibrated scores in the order of the uncalibrated ones (descending):
/// cumulative expected true and false positives, both rounded to 5 decimals as NannyML does,
/// normalised by their totals, trapezoid area. NaN when a total is 0.
///
/// Rows with equal uncalibrated scores have equal calibrated ones, so the order among them
/// does not change the curve.
pub(crate) fn estimated_roc_auc(calibrated: &[f64], uncalibrated: &[f64]) -> f64 {
    let mut rows: Vec<(f64, f64)> = uncalibrated
        .iter()
        .copied()
        .zip(calibrated.iter().copied())
        .collect();
    rows.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut tps = Vec::with_capacity(rows.len() + 1);
    let mut fps = Vec::with_capacity(rows.len() + 1);
    tps.push(0.0);
    fps.push(0.0);
    let mut cum = 0.0;
    for (i, &(_, p)) in rows.iter().enumerate() {
        cum += p;
        tps.push(round5(cum));
        fps.push(round5((i + 1) as f64 - cum));
    }
    let (tp_total, fp_total) = (tps[tps.len() - 1], fps[fps.len() - 1]);
    if tp_total == 0.0 || fp_total == 0.0 {
        return f64::NAN;
    }
    let mut area = 0.0;
    for i in 1..tps.len() {
        let dx = fps[i] / fp_total - fps[i - 1] / fp_total;
        area += dx * (tps[i] / tp_total + tps[i - 1] / tp_total) / 2.0;
    }
    area
}

/// Share of rows with y = ŷ.
pub(crate) fn realised_accuracy(y: &[bool], y_hat: &[bool]) -> f64 {
    let correct = y.iter().zip(y_hat).filter(|(a, b)| a == b).count();
    correct as f64 / y.len() as f64
}

/// scikit-learn's binary F1; NaN when y or ŷ has a single class (as NannyML).
pub(crate) fn realised_f1(y: &[bool], y_hat: &[bool]) -> f64 {
    let single = |v: &[bool]| v.iter().all(|&x| x) || v.iter().all(|&x| !x);
    if single(y) || single(y_hat) {
        return f64::NAN;
    }
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (&t, &p) in y.iter().zip(y_hat) {
        match (t, p) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
}

/// ROC AUC of scores against labels (ties share their average rank, as scikit-learn's curve
/// does); NaN with a single class.
pub(crate) fn realised_roc_auc(y: &[bool], scores: &[f64]) -> f64 {
    let n_pos = y.iter().filter(|&&t| t).count();
    let n_neg = y.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    let mut rows: Vec<(f64, bool)> = scores.iter().copied().zip(y.iter().copied()).collect();
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < rows.len() {
        let mut j = i + 1;
        while j < rows.len() && rows[j].0 == rows[i].0 {
            j += 1;
        }
        // 1-based ranks i+1..=j share their mean.
        let mean_rank = (i + 1 + j) as f64 / 2.0;
        let positives = rows[i..j].iter().filter(|r| r.1).count();
        rank_sum += mean_rank * positives as f64;
        i = j;
    }
    let (p, q) = (n_pos as f64, n_neg as f64);
    (rank_sum - p * (p + 1.0) / 2.0) / (p * q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realised_roc_auc_with_ties() {
        // sklearn: roc_auc_score([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8]) = 0.875
        let y = [false, true, false, true];
        assert!((realised_roc_auc(&y, &[0.1, 0.4, 0.4, 0.8]) - 0.875).abs() < 1e-15);
        assert!(realised_roc_auc(&[true, true], &[0.1, 0.2]).is_nan());
    }

    #[test]
    fn estimated_metrics_on_certain_scores_are_exact() {
        // Scores of 0 and 1 are certainties: the estimate is the realised value.
        let p = [1.0, 0.0, 1.0, 0.0];
        let y_hat = [true, true, false, false];
        assert_eq!(estimated_accuracy(&p, &y_hat), 0.5);
        assert_eq!(estimated_f1(&p, &y_hat), 0.5);
        assert!(estimated_f1(&[0.0], &[false]).is_nan());
        assert!(estimated_roc_auc(&[1.0, 1.0], &[0.2, 0.3]).is_nan());
    }
}
