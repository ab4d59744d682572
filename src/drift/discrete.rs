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
//! "ordinal"). So `ks` and `ad` also run their own test on the values — both valid with ties
//! (KS conservatively, AD by midranks) — and both p-values join the window's correction; the
//! result shows the one that decided (`fitted.rs`, `statistical.rs`). `cvm` (its p-value assumes
//! no ties) and `wasserstein` (no p-value) keep chi-square alone.

use super::chi2::{chi2_homogeneity, ChiSquareOutcome};
use crate::stats::chi2::total_variation;

/// The name results give the test that decided (`"test": "chi2"`).
pub const TEST_NAME: &str = "chi2";

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
    pub fn test_with_effect(&self, current_sorted: &[f64]) -> Option<(ChiSquareOutcome, f64)> {
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
}
