//! The per-window estimate in one pass: the rows sorted once by score (radix sort on the
//! scores' bits), then walked from the highest score down, calibrating as it goes (the
//! calibration map is monotone, so its segment index only moves one way) and summing what
//! accuracy, F1 and the ROC AUC need. The same formulas as [`super::metrics`], which stay the
//! readable reference (and the unit tests compare the two); this is the one that is fast enough
//! for a 100,000-row window.

use crate::stats::isotonic::IsotonicRegression;

/// Estimated accuracy, F1 and ROC AUC (NaN where undefined) of `rows`: (score, predicted label).
pub fn estimate(rows: &mut Vec<(u64, bool)>, calibrator: Option<&IsotonicRegression>) -> [f64; 3] {
    radix_sort(rows);
    let n = rows.len();
    let (mut correct, mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0, 0.0);
    let (mut cum, mut prev_tps, mut prev_fps, mut area) = (0.0, 0.0, 0.0, 0.0);
    let mut cursor = usize::MAX;
    for (i, &(key, label)) in rows.iter().rev().enumerate() {
        let score = from_key(key);
        let p = match calibrator {
            Some(c) => c.predict_descending(score, &mut cursor),
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
    [correct / n as f64, f1, auc]
}

fn round5(x: f64) -> f64 {
    (x * 1e5).round_ties_even() / 1e5
}

/// A key whose unsigned order is the scores' numeric order (NaN excluded by the caller).
pub fn key(score: f64) -> u64 {
    let b = score.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

fn from_key(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// Stable LSD radix sort by key, 16 bits a pass; a pass where every key has the same digit is
/// skipped (the high digits of scores in [0, 1] mostly are).
fn radix_sort(rows: &mut Vec<(u64, bool)>) {
    let mut buffer = vec![(0u64, false); rows.len()];
    let mut counts = vec![0usize; 1 << 16];
    for pass in 0..4 {
        let shift = pass * 16;
        counts.fill(0);
        for &(k, _) in rows.iter() {
            counts[((k >> shift) & 0xFFFF) as usize] += 1;
        }
        if counts.contains(&rows.len()) {
            continue;
        }
        let mut total = 0;
        for c in counts.iter_mut() {
            let here = *c;
            *c = total;
            total += here;
        }
        for &row in rows.iter() {
            let d = ((row.0 >> shift) & 0xFFFF) as usize;
            buffer[counts[d]] = row;
            counts[d] += 1;
        }
        std::mem::swap(rows, &mut buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::estimation::metrics;

    #[test]
    fn keys_keep_order_and_value() {
        let v = [-2.0, -0.5, 0.0, 1e-300, 0.25, 0.5, 1.0, 3.0];
        for w in v.windows(2) {
            assert!(key(w[0]) < key(w[1]));
        }
        for x in v {
            assert_eq!(from_key(key(x)), x);
        }
    }

    #[test]
    fn one_pass_equals_the_reference_formulas() {
        let mut x = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        // Ties too: scores rounded to 3 decimals.
        let scores: Vec<f64> = (0..5000)
            .map(|_| (next() * 1000.0).round() / 1000.0)
            .collect();
        let labels: Vec<bool> = scores.iter().map(|&s| s >= 0.4).collect();
        let targets: Vec<f64> = scores
            .iter()
            .map(|&s| f64::from(u8::from(next() < s * s)))
            .collect();
        let calibrator = IsotonicRegression::fit(&scores, &targets).expect("fits");
        for c in [None, Some(&calibrator)] {
            let p: Vec<f64> = match c {
                Some(c) => c.predict_all(&scores),
                None => scores.clone(),
            };
            let want = [
                metrics::estimated_accuracy(&p, &labels),
                metrics::estimated_f1(&p, &labels),
                metrics::estimated_roc_auc(&p, &scores),
            ];
            let mut rows: Vec<(u64, bool)> = scores
                .iter()
                .zip(&labels)
                .map(|(&s, &l)| (key(s), l))
                .collect();
            let got = estimate(&mut rows, c);
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-12, "{g} vs {w}");
            }
        }
    }
}
