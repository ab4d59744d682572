//! Discrete numeric features: a numeric feature whose reference holds at most
//! `discrete_max_values` distinct values is tested like a categorical one — chi-square on the
//! counts of each value — instead of with a continuous test.
//!
//! Continuous tests lose power on heavy ties (KS is conservative there) and a shift between a
//! few integer values is exactly a change of category shares. Values of the window that the
//! reference never holds are categories of their own (each distinct one), as unseen categories
//! are for categorical features.
//!
//! The values are ordered, though, and chi-square ignores the order: when one end gains a few
//! points from every other value, it spreads the change over all the values' cells and saw it
//! less often than KS on the values (issue 24, `benches/measure_detectors.py`, scenario
//! "ordinal"). So under `ks` and `ad`, the detectors that read the values' order, a discrete
//! feature is also tested by Mann–Whitney's rank sum ([`DiscreteValues::rank_sum`]: midranks,
//! the variance corrected for ties, so it keeps its level on a few values), and both p-values
//! join the window's correction; the result shows the one that decided (`fitted.rs`,
//! `statistical.rs`). Measured against the alternatives: KS on the values is too conservative
//! with ties to help, and AD on the values (whose p-value runs two to three times its nominal
//! rate there) raised the default's false alarms above 5 %. `cvm` and `wasserstein` keep
//! chi-square alone.

use serde::{Deserialize, Serialize};

use crate::stats::chi2::total_variation;
use crate::stats::chi2::{chi2_homogeneity, ChiSquareOutcome};

/// The test that decided a discrete feature, named in its result (`"test"`): chi-square on its
/// values, or Mann–Whitney's rank sum of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FeatureTest {
    #[serde(rename = "chi2")]
    Chi2,
    #[serde(rename = "mwu")]
    RankSum,
}

/// The reference's distinct values and their counts, ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteValues {
    values: Vec<f64>,
    counts: Vec<u64>,
}

impl DiscreteValues {
    /// From the reference's sorted non-missing values; `None` when they hold more than
    /// `max_values` distinct values (or none, or `max_values` is 0: the feature is continuous).
    pub fn from_sorted(sorted: &[f64], max_values: usize) -> Option<Self> {
        if max_values == 0 || sorted.is_empty() {
            return None;
        }
        let mut values: Vec<f64> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        let mut start = 0;
        while start < sorted.len() {
            if values.len() == max_values {
                return None;
            }
            let v = sorted[start];
            let end = start + sorted[start..].partition_point(|&x| x <= v);
            values.push(v);
            counts.push((end - start) as u64);
            start = end;
        }
        Some(DiscreteValues { values, counts })
    }

    /// Chi-square homogeneity of the reference's value counts against a window's sorted
    /// non-missing values; `None` when the window has none.
    pub fn test(&self, current_sorted: &[f64]) -> Option<ChiSquareOutcome> {
        self.test_with_effect(current_sorted).map(|(o, _)| o)
    }

    /// As [`test`](Self::test), with the total variation distance of the value shares.
    pub(crate) fn test_with_effect(
        &self,
        current_sorted: &[f64],
    ) -> Option<(ChiSquareOutcome, f64)> {
        let mut reference = self.counts.clone();
        let mut current = vec![0u64; self.values.len()];
        let mut start = 0;
        while start < current_sorted.len() {
            let v = current_sorted[start];
            let end = start + current_sorted[start..].partition_point(|&x| x <= v);
            let count = (end - start) as u64;
            match self.values.binary_search_by(|x| x.total_cmp(&v)) {
                Ok(i) => current[i] += count,
                Err(_) => {
                    reference.push(0);
                    current.push(count);
                }
            }
            start = end;
        }
        let effect = total_variation(&reference, &current)?;
        chi2_homogeneity(&reference, &current).map(|o| (o, effect))
    }

    /// Mann–Whitney U (the Wilcoxon rank-sum test) of the reference's values against a
    /// window's sorted non-missing values, ties at their midranks and the variance corrected for
    /// them, two-sided, from the normal approximation without continuity correction:
    /// `scipy.stats.mannwhitneyu(reference, current, method="asymptotic", use_continuity=False)`.
    /// The statistic is the reference's U. `None` when the window has no values.
    pub(crate) fn rank_sum(&self, current_sorted: &[f64]) -> Option<(f64, f64)> {
        if current_sorted.is_empty() {
            return None;
        }
        let n1: f64 = self.counts.iter().sum::<u64>() as f64;
        let n2 = current_sorted.len() as f64;
        let n = n1 + n2;
        // Merge the reference's value table with the window's values, in order.
        let (mut below, mut r1, mut ties) = (0.0f64, 0.0f64, 0.0f64);
        let (mut i, mut start) = (0, 0);
        while i < self.values.len() || start < current_sorted.len() {
            let next_ref = self.values.get(i).copied();
            let next_cur = current_sorted.get(start).copied();
            let v = match (next_ref, next_cur) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => break,
            };
            let in_ref = if next_ref == Some(v) {
                i += 1;
                self.counts[i - 1] as f64
            } else {
                0.0
            };
            let end = start + current_sorted[start..].partition_point(|&x| x <= v);
            let in_cur = (end - start) as f64;
            start = end;
            let t = in_ref + in_cur;
            let midrank = below + (t + 1.0) / 2.0;
            r1 += in_ref * midrank;
            ties += t * t * t - t;
            below += t;
        }
        let u1 = r1 - n1 * (n1 + 1.0) / 2.0;
        let variance = n1 * n2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)));
        if variance.is_nan() || variance <= 0.0 {
            return Some((u1, 1.0));
        }
        let z = (u1 - n1 * n2 / 2.0).abs() / variance.sqrt();
        let p = statrs::function::erf::erfc(z / std::f64::consts::SQRT_2).min(1.0);
        Some((u1, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_values_and_stops_past_the_limit() {
        let d = DiscreteValues::from_sorted(&[0.0, 0.0, 1.0, 2.0, 2.0, 2.0], 3).expect("3 values");
        assert_eq!(d.values, vec![0.0, 1.0, 2.0]);
        assert_eq!(d.counts, vec![2, 1, 3]);
        assert!(DiscreteValues::from_sorted(&[0.0, 1.0, 2.0, 3.0], 3).is_none());
        assert!(DiscreteValues::from_sorted(&[0.0, 1.0], 0).is_none());
    }

    #[test]
    fn equals_chi_square_on_the_value_table_with_unseen_values_apart() {
        let d = DiscreteValues::from_sorted(&[0.0, 0.0, 1.0, 1.0, 1.0], 10).expect("discrete");
        let got = d.test(&[0.0, 1.0, 1.0, 5.0, 7.0, 7.0]).expect("runs");
        let want = chi2_homogeneity(&[2, 3, 0, 0], &[1, 2, 1, 2]).expect("runs");
        assert_eq!(got, want);
        let same = d.test(&[0.0, 0.0, 1.0, 1.0, 1.0]).expect("runs");
        assert_eq!(same.statistic, 0.0);
    }

    #[test]
    fn rank_sum_equals_scipy_with_ties_and_unseen_values() {
        // scipy.stats.mannwhitneyu(ref, cur, method="asymptotic", use_continuity=False):
        // U = 24.5, p = 0.04765410158011389 (the window's 5 is a value the reference never held).
        let reference = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0];
        let current = [0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 5.0];
        let d = DiscreteValues::from_sorted(&reference, 10).expect("discrete");
        let (u, p) = d.rank_sum(&current).expect("runs");
        assert_eq!(u, 24.5);
        assert!((p - 0.04765410158011389).abs() < 1e-10, "{p}");
        // The same values: U = n1 n2 / 2, p = 1.
        let d = DiscreteValues::from_sorted(&[0.0, 0.0, 1.0, 1.0, 1.0], 10).expect("discrete");
        assert_eq!(d.rank_sum(&[0.0, 0.0, 1.0, 1.0, 1.0]), Some((12.5, 1.0)));
        // One value on both sides: nothing to rank.
        let d = DiscreteValues::from_sorted(&[2.0; 5], 10).expect("discrete");
        assert_eq!(d.rank_sum(&[2.0; 4]), Some((10.0, 1.0)));
        assert_eq!(d.rank_sum(&[]), None);
    }
}
