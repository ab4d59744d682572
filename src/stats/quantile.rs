//! Quantiles of sorted data, bit for bit as numpy computes them.
//!
//! PSI takes its bin edges from the reference's quantiles, and with heavy ties an edge that is
//! one ulp off moves whole groups of rows between bins, so the interpolation follows numpy's
//! `_lerp` exactly (from the nearer end).

/// numpy's `'linear'` quantile (Hyndman & Fan type 7) of sorted, non-empty data.
pub fn linear_quantile(sorted: &[f64], q: f64) -> f64 {
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
