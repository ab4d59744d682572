//! Sampling error of the estimates, as NannyML's `sampling_error/binary_classification.py`: a
//! standard deviation and a fraction measured once on the reference, and for a window of n rows
//! σ = std / √(n · fraction). The band is estimate ± 3σ clipped to [0, 1].

use serde::{Deserialize, Serialize};

/// What the reference fixes of a metric's sampling error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplingError {
    pub std: f64,
    pub fraction: f64,
}

impl SamplingError {
    /// σ for a window of `rows` rows.
    pub(crate) fn for_rows(&self, rows: usize) -> f64 {
        self.std / (rows as f64 * self.fraction).sqrt()
    }
}

/// Population standard deviation (ddof 0).
fn std(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let (n, sum) = values
        .clone()
        .fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    if n == 0 {
        return f64::NAN;
    }
    let mean = sum / n as f64;
    (values.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt()
}

/// Accuracy: std of 1[y = ŷ] on the reference; σ = std / √n.
pub fn accuracy(y: &[bool], y_hat: &[bool]) -> SamplingError {
    SamplingError {
        std: std(y
            .iter()
            .zip(y_hat)
            .map(|(a, b)| f64::from(u8::from(a == b)))),
        fraction: 1.0,
    }
}

/// F1: over the reference rows that are TP, FP or FN, 1 for TP and 0 otherwise, times
/// count / (TP + ½(FP + FN)); fraction = that count / rows.
pub fn f1(y: &[bool], y_hat: &[bool]) -> SamplingError {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (&t, &p) in y.iter().zip(y_hat) {
        match (t, p) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    let relevant = tp + fp + fn_;
    let factor = relevant as f64 / ((fn_ + fp) as f64 * 0.5 + tp as f64);
    let values = (0..relevant).map(move |i| if i < tp { factor } else { 0.0 });
    SamplingError {
        std: std(values),
        fraction: relevant as f64 / y.len() as f64,
    }
}

/// ROC AUC, from the Mann–Whitney form: labels (and scores) flipped when most rows are positive;
/// rows sorted by score; for the positives at 0-based ranks r (rank 0 dropped, as NannyML's
/// `np.unique(...)[1:]` does), the i-th kept one gives (r − i) / n_negative; fraction = positives
/// / rows.
pub fn roc_auc(y: &[bool], scores: &[f64]) -> SamplingError {
    let n = y.len();
    let positives = y.iter().filter(|&&t| t).count();
    let flip = positives as f64 / n as f64 > 0.5;
    let mut rows: Vec<(f64, bool)> = y
        .iter()
        .zip(scores)
        .map(|(&t, &s)| if flip { (1.0 - s, !t) } else { (s, t) })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n_pos = rows.iter().filter(|r| r.1).count();
    let n_neg = (n - n_pos) as f64;
    let ranks: Vec<f64> = rows
        .iter()
        .enumerate()
        .filter(|(r, row)| row.1 && *r > 0)
        .enumerate()
        .map(|(i, (r, _))| (r - i) as f64 / n_neg)
        .collect();
    SamplingError {
        std: std(ranks.iter().copied()),
        fraction: n_pos as f64 / n as f64,
    }
}

/// The band `value ± 3σ`, clipped to [0, 1].
pub fn band(value: f64, sigma: f64) -> (f64, f64) {
    (
        (value - 3.0 * sigma).max(0.0),
        (value + 3.0 * sigma).min(1.0),
    )
}
