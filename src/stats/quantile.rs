//! Quantiles of sorted data, bit for bit as numpy computes them.
//!
//! PSI takes its bin edges from the reference's quantiles, and with heavy ties an edge that is
//! one ulp off moves whole groups of rows between bins, so the interpolation follows numpy's
//! `_lerp` exactly (from the nearer end).

/// numpy's `'linear'` quantile (Hyndman & Fan type 7) of sorted, non-empty data.
pub(crate) fn linear_quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let last = n - 1;
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index >= last as f64 {
        return sorted[last];
    }
    let previous = virtual_index.floor();
    let gamma = virtual_index - previous;
    // `previous` is an integer in [0, n - 2] here, so the conversion is exact.
    let i = previous as usize;
    lerp(sorted[i], sorted[i + 1], gamma)
}

/// Bin edges from the reference's quantiles: `bins` quantiles at k/bins, k=1..bins-1, by linear
/// interpolation between order statistics (numpy's default 'linear' method), duplicates merged.
/// Input sorted ascending, no NaN. Returns the inner edges only (the outer ones are ±inf).
///
/// An empty reference or `bins < 2` gives no edges (a single bin).
pub fn quantile_edges(sorted_reference: &[f64], bins: usize) -> Vec<f64> {
    let n = sorted_reference.len();
    if n == 0 || bins < 2 {
        return Vec::new();
    }
    let mut edges: Vec<f64> = Vec::with_capacity(bins - 1);
    for k in 1..bins {
        let q = k as f64 / bins as f64;
        let edge = linear_quantile(sorted_reference, q);
        // Quantiles of sorted data are non-decreasing in q, so merging neighbours suffices.
        if edges.last() != Some(&edge) {
            edges.push(edge);
        }
    }
    edges
}

/// numpy's `_lerp`: interpolate from the nearer end, which keeps the result monotone and exact
/// at both ends.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a == b {
        // Also keeps infinite order statistics finite-safe (inf - inf would be NaN).
        return a;
    }
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}
