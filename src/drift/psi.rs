//! Population Stability Index on numeric features: quantile bin edges from the reference,
//! bin counts, and the index itself.
//!
//! The edges reproduce `numpy.quantile(reference, k / bins)` (method `'linear'`) bit for bit,
//! including numpy's two-sided interpolation (`b - (b - a) * (1 - t)` when `t >= 0.5`), so that
//! a value lying exactly on an edge lands in the same bin as in the Python toolkit: with heavy
//! ties, edges coincide with data values and a single ulp moves whole groups of rows between
//! bins. Quantiles are taken at `k as f64 / bins as f64`, not at `numpy.linspace` points
//! (`linspace(0, 1, 11)[3]` is `0.30000000000000004`, not `0.3`).
//!
//! Binning follows `numpy.searchsorted(edges, v, side="right")`: a value equal to an edge falls
//! in the bin to its right, and the outer bins are open to ±infinity.

/// Floor applied to every bin proportion before the logarithm, so that an empty bin on one side
/// gives a large but finite contribution instead of an infinite one.
pub const PROPORTION_FLOOR: f64 = 1e-4;

// The edges moved to the numeric floor, where the display histograms use them too.
pub use crate::stats::quantile::quantile_edges;

/// Counts per bin; a value equal to an edge falls in the bin to its right (bin index = number of
/// edges <= v). Input need not be sorted; NaN skipped. Returns `edges.len() + 1` counts.
pub fn bin_counts(values: &[f64], edges: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; edges.len() + 1];
    for &v in values.iter().filter(|v| !v.is_nan()) {
        counts[edges.partition_point(|&e| e <= v)] += 1;
    }
    counts
}

/// Same as [`bin_counts`] for input sorted ascending without NaN, in O(bins * log n).
pub fn bin_counts_sorted(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    let mut counts = Vec::with_capacity(edges.len() + 1);
    let mut below_previous = 0usize;
    for &edge in edges {
        let below = sorted.partition_point(|&v| v < edge);
        counts.push((below - below_previous) as u64);
        below_previous = below;
    }
    counts.push((sorted.len() - below_previous) as u64);
    counts
}

/// PSI from counts: proportions floored at [`PROPORTION_FLOOR`], `Σ (cur − ref) · ln(cur / ref)`.
///
/// `None` when either side has no observation (or there are no bins). The slices are bins in
/// the same order; a bin missing from the shorter slice counts as empty.
pub fn psi_from_counts(reference: &[u64], current: &[u64]) -> Option<f64> {
    let ref_total: u64 = reference.iter().sum();
    let cur_total: u64 = current.iter().sum();
    if ref_total == 0 || cur_total == 0 {
        return None;
    }
    let bins = reference.len().max(current.len());
    let proportion = |counts: &[u64], i: usize, total: u64| {
        let count = counts.get(i).copied().unwrap_or(0);
        (count as f64 / total as f64).max(PROPORTION_FLOOR)
    };
    let psi = (0..bins)
        .map(|i| {
            let r = proportion(reference, i, ref_total);
            let c = proportion(current, i, cur_total);
            (c - r) * (c / r).ln()
        })
        .sum();
    Some(psi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciles_of_0_to_10() {
        let data: Vec<f64> = (0..=10).map(f64::from).collect();
        assert_eq!(
            quantile_edges(&data, 10),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
        );
    }

    #[test]
    fn ties_merge_edges() {
        let data = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_edges(&data, 4), vec![1.0, 2.75]);
        assert!(quantile_edges(&[5.0; 7], 10) == vec![5.0]);
    }

    #[test]
    fn degenerate_edges() {
        assert!(quantile_edges(&[], 10).is_empty());
        assert!(quantile_edges(&[1.0, 2.0], 1).is_empty());
        assert_eq!(quantile_edges(&[3.0], 4), vec![3.0]);
    }

    #[test]
    fn value_on_edge_goes_right() {
        let edges = [1.0, 2.0];
        assert_eq!(
            bin_counts(&[0.5, 1.0, 1.5, 2.0, 3.0], &edges),
            vec![1, 2, 2]
        );
        assert_eq!(
            bin_counts_sorted(&[0.5, 1.0, 1.5, 2.0, 3.0], &edges),
            vec![1, 2, 2]
        );
        assert_eq!(bin_counts(&[f64::NAN, 1.0], &edges), vec![0, 1, 0]);
        assert_eq!(bin_counts_sorted(&[], &edges), vec![0, 0, 0]);
        assert_eq!(bin_counts(&[4.0], &[]), vec![1]);
    }

    #[test]
    fn psi_known_value() {
        // ref 50/50, cur 10/90: (0.1-0.5)ln(0.2) + (0.9-0.5)ln(1.8)
        let expected = -0.4 * (0.1f64 / 0.5).ln() + 0.4 * (0.9f64 / 0.5).ln();
        let psi = psi_from_counts(&[50, 50], &[10, 90]);
        assert!(psi.is_some_and(|p| (p - expected).abs() < 1e-15));
    }

    #[test]
    fn psi_floor_and_degenerate() {
        let floored = psi_from_counts(&[100, 0], &[0, 100]);
        let r = (1.0f64 - 1e-4) * (1.0f64 / 1e-4).ln() * 2.0;
        assert!(floored.is_some_and(|p| (p - r).abs() < 1e-12));
        assert_eq!(psi_from_counts(&[0, 0], &[1, 2]), None);
        assert_eq!(psi_from_counts(&[1, 2], &[]), None);
        assert_eq!(psi_from_counts(&[3, 4], &[3, 4]), Some(0.0));
        assert_eq!(
            psi_from_counts(&[3, 4], &[3, 4, 0]),
            psi_from_counts(&[3, 4, 0], &[3, 4, 0])
        );
    }
}
