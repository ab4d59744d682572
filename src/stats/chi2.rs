//! Pearson's chi-square homogeneity test on the 2 x K table of category counts (reference,
//! current), equal to `scipy.stats.chi2_contingency(table, correction=False)` once the
//! categories seen on neither side are dropped (scipy rejects zero expected frequencies).
//!
//! For two rows the statistic has the closed form `Σ_j d_j² / (C_j · R₀ · R₁)` with
//! `d_j = a_j · R₁ − b_j · R₀` computed exactly in integers (a, b the two rows, R their totals,
//! C the column totals), which avoids the cancellation in `(observed − expected)²`. The p-value
//! is the upper tail `Q(k/2, x/2)` (regularized upper incomplete gamma), never `1 − cdf`, so
//! that p-values down to ~1e-300 keep their relative precision.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Result of [`chi2_homogeneity`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquareOutcome {
    /// Pearson's X² statistic.
    pub statistic: f64,
    /// Upper-tail probability of `statistic` under χ²(`dof`).
    pub p_value: f64,
    /// Degrees of freedom: the number of categories seen, minus one.
    pub dof: usize,
}

/// Homogeneity test on the 2 x K table (reference counts, current counts) over the categories
/// seen on either side (columns zero on both sides are dropped), without continuity
/// correction; equal to `scipy.stats.chi2_contingency(table, correction=False)`.
///
/// The slices are categories in the same order; a category missing from the shorter slice
/// counts as zero. Returns `None` when either side is empty (no test is possible, scipy raises).
/// When only one category is seen, the two samples cannot differ: the outcome is statistic 0,
/// p-value 1, dof 0, as scipy returns for a table with no degrees of freedom.
/// Half the L1 distance between the shares of two count vectors (a missing count is 0): the
/// largest difference in probability any set of categories shows, in [0, 1]; `None` when a side
/// counts nothing.
pub(crate) fn total_variation(reference: &[u64], current: &[u64]) -> Option<f64> {
    let (r, c) = (
        reference.iter().sum::<u64>() as f64,
        current.iter().sum::<u64>() as f64,
    );
    if r == 0.0 || c == 0.0 {
        return None;
    }
    let share =
        |counts: &[u64], j: usize, total: f64| counts.get(j).map_or(0.0, |&k| k as f64 / total);
    let columns = reference.len().max(current.len());
    let l1: f64 = (0..columns)
        .map(|j| (share(reference, j, r) - share(current, j, c)).abs())
        .sum();
    Some((0.5 * l1).min(1.0))
}

pub fn chi2_homogeneity(reference: &[u64], current: &[u64]) -> Option<ChiSquareOutcome> {
    let columns = reference.len().max(current.len());
    let column = |counts: &[u64], j: usize| u128::from(counts.get(j).copied().unwrap_or(0));
    let seen: Vec<(u128, u128)> = (0..columns)
        .map(|j| (column(reference, j), column(current, j)))
        .filter(|&(a, b)| a + b > 0)
        .collect();
    let ref_total: u128 = seen.iter().map(|&(a, _)| a).sum();
    let cur_total: u128 = seen.iter().map(|&(_, b)| b).sum();
    if ref_total == 0 || cur_total == 0 {
        return None;
    }
    let dof = seen.len() - 1;
    if dof == 0 {
        return Some(ChiSquareOutcome {
            statistic: 0.0,
            p_value: 1.0,
            dof,
        });
    }
    let row_product = ref_total as f64 * cur_total as f64;
    let statistic: f64 = seen
        .iter()
        .map(|&(a, b)| {
            let d = match (a.checked_mul(cur_total), b.checked_mul(ref_total)) {
                (Some(x), Some(y)) => x.abs_diff(y) as f64,
                // Only with totals beyond 2^64; f64 then loses the exactness, not the result.
                _ => (a as f64 * cur_total as f64 - b as f64 * ref_total as f64).abs(),
            };
            d * d / ((a + b) as f64 * row_product)
        })
        .sum();
    Some(ChiSquareOutcome {
        statistic,
        p_value: chi2_sf(statistic, dof),
        dof,
    })
}

/// Upper tail of χ²(dof) at `x`; `dof > 0`.
fn chi2_sf(x: f64, dof: usize) -> f64 {
    match ChiSquared::new(dof as f64) {
        // statrs computes the tail directly as `gamma_ur(dof / 2, x / 2)`, and returns 1 at x <= 0.
        Ok(distribution) => distribution.sf(x).clamp(0.0, 1.0),
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_by_two_known_value() {
        // scipy.stats.chi2_contingency([[10, 20], [30, 40]], correction=False)
        // -> statistic 0.7936507936507936, p 0.37299848361348686
        let out = chi2_homogeneity(&[10, 20], &[30, 40]);
        let out = out.unwrap_or(ChiSquareOutcome {
            statistic: f64::NAN,
            p_value: f64::NAN,
            dof: 0,
        });
        assert!((out.statistic - 0.7936507936507936).abs() < 1e-15);
        assert!((out.p_value - 0.37299848361348686).abs() < 1e-13);
        assert_eq!(out.dof, 1);
    }

    #[test]
    fn zero_columns_dropped_and_degenerate_tables() {
        assert_eq!(
            chi2_homogeneity(&[10, 0, 20], &[30, 0, 40]),
            chi2_homogeneity(&[10, 20], &[30, 40])
        );
        assert_eq!(chi2_homogeneity(&[0, 0], &[1, 2]), None);
        assert_eq!(chi2_homogeneity(&[], &[]), None);
        assert_eq!(
            chi2_homogeneity(&[5, 0], &[7]),
            Some(ChiSquareOutcome {
                statistic: 0.0,
                p_value: 1.0,
                dof: 0
            })
        );
    }

    #[test]
    fn identical_proportions_give_zero_statistic() {
        let out = chi2_homogeneity(&[10, 20, 30], &[20, 40, 60]);
        assert!(out.is_some_and(|o| o.statistic == 0.0 && o.p_value == 1.0 && o.dof == 2));
    }
}
