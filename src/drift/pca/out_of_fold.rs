//! Out-of-fold reconstruction errors of the reference rows, the basis of
//! `thresholds = "window"`'s z-test.
//!
//! The PCA is fitted on the reference rows, so their own errors are smaller than those of a
//! fresh sample from the same distribution: the kept components are the directions those very
//! rows vary most along, and with near-equal eigenvalues the choice itself follows their noise.
//! Measured with `benches/measure_detectors.py` (20 references of 5,000 rows, 1,000 clean
//! windows per size), clean windows sat on average 0.6 (500 rows) and 1.5 (5,000 rows) spreads
//! above the reference rows' mean error, and 9.9 % and 30.6 % of them alarmed at 0.05.
//!
//! So the window is compared with errors each reference row gets from a PCA it did not shape:
//! row `i` belongs to fold `i mod k` (`k = reference_chunks`), and its error comes from a PCA
//! fitted (same explained-variance share) on the other folds' rows, in the same standardised
//! space. A fold's covariance is the whole reference's sums minus the fold's own, so the k fits
//! cost one pass over the rows and k small eigen problems.

// Matrix code reads best in index notation.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::BLOCK_ROWS;
use crate::stats::pca::Pca;

/// One fold's rows, column sums and upper triangle of raw cross-products.
struct FoldSums {
    rows: usize,
    sum: Vec<f64>,
    upper: Vec<f64>,
}

impl FoldSums {
    fn of(rows: &[f64], d: usize, fold: usize, folds: usize) -> FoldSums {
        let mut sums = FoldSums {
            rows: 0,
            sum: vec![0.0; d],
            upper: vec![0.0; d * d],
        };
        for row in rows.chunks_exact(d).skip(fold).step_by(folds) {
            sums.rows += 1;
            for i in 0..d {
                let ri = row[i];
                sums.sum[i] += ri;
                for j in i..d {
                    sums.upper[i * d + j] += ri * row[j];
                }
            }
        }
        sums
    }
}

/// Every row's error under a PCA fitted without its fold (`rows`: `d` standardised values per
/// row). `None` when a fold's fit is impossible (fewer than two rows per fold on either side,
/// or no variance left without the fold): the caller keeps the in-sample errors.
pub(super) fn out_of_fold_errors(
    rows: &[f64],
    d: usize,
    folds: usize,
    share: f64,
) -> Option<Vec<f64>> {
    let n = rows.len().checked_div(d)?;
    if folds < 2 || n < 2 * folds {
        return None;
    }
    let sums: Vec<FoldSums> = (0..folds)
        .into_par_iter()
        .map(|f| FoldSums::of(rows, d, f, folds))
        .collect();
    let mut total = FoldSums {
        rows: 0,
        sum: vec![0.0; d],
        upper: vec![0.0; d * d],
    };
    for s in &sums {
        total.rows += s.rows;
        total.sum.iter_mut().zip(&s.sum).for_each(|(t, v)| *t += v);
        total
            .upper
            .iter_mut()
            .zip(&s.upper)
            .for_each(|(t, v)| *t += v);
    }
    let fits: Vec<Pca> = sums
        .iter()
        .map(|fold| {
            let m = total.rows - fold.rows;
            if m < 2 {
                return None;
            }
            let mf = m as f64;
            let mean: Vec<f64> = (0..d).map(|i| (total.sum[i] - fold.sum[i]) / mf).collect();
            let mut cov = vec![vec![0.0; d]; d];
            for i in 0..d {
                for j in i..d {
                    let raw = total.upper[i * d + j] - fold.upper[i * d + j];
                    cov[i][j] = (raw - mf * mean[i] * mean[j]) / (mf - 1.0);
                    cov[j][i] = cov[i][j];
                }
            }
            Pca::from_covariance(mean, &cov, share)
        })
        .collect::<Option<_>>()?;
    Some(
        rows.par_chunks(d * BLOCK_ROWS)
            .enumerate()
            .flat_map_iter(|(b, block)| {
                let mut scratch = Vec::new();
                block
                    .chunks_exact(d)
                    .enumerate()
                    .map(|(j, row)| {
                        fits[(b * BLOCK_ROWS + j) % folds].reconstruction_error(row, &mut scratch)
                    })
                    .collect::<Vec<f64>>()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows from a fixed, seeded sequence: three independent unit columns and one strongly
    /// tied to the first.
    fn rows(n: usize) -> Vec<f64> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        (0..n)
            .flat_map(|_| {
                let (a, b, c, e) = (next(), next(), next(), next());
                [a, b, c, 0.9 * a + 0.1 * e]
            })
            .collect()
    }

    #[test]
    fn out_of_fold_errors_exceed_in_sample_ones_and_equal_a_fit_without_the_fold() {
        let data = rows(2_000);
        let d = 4;
        let errors = out_of_fold_errors(&data, d, 10, 0.65).expect("fits");
        assert_eq!(errors.len(), 2_000);
        let whole = Pca::fit_flat(&data, d, 0.65).expect("fits");
        let mut scratch = Vec::new();
        let in_sample: f64 = data
            .chunks_exact(d)
            .map(|r| whole.reconstruction_error(r, &mut scratch))
            .sum::<f64>();
        assert!(errors.iter().sum::<f64>() > in_sample);
        // Fold 3 by a direct fit on the other rows.
        let others: Vec<f64> = data
            .chunks_exact(d)
            .enumerate()
            .filter(|(i, _)| i % 10 != 3)
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        let direct = Pca::fit_flat(&others, d, 0.65).expect("fits");
        for i in (3..2_000).step_by(10) {
            let want = direct.reconstruction_error(&data[i * d..(i + 1) * d], &mut scratch);
            assert!((errors[i] - want).abs() <= 1e-9 * want.max(1.0), "row {i}");
        }
    }

    #[test]
    fn too_few_rows_for_the_folds_is_none() {
        assert!(out_of_fold_errors(&rows(19), 4, 10, 0.65).is_none());
        assert!(out_of_fold_errors(&rows(20), 4, 10, 0.65).is_some());
        assert!(out_of_fold_errors(&[], 0, 10, 0.65).is_none());
    }
}
