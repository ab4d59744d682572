//! Isotonic regression with scikit-learn's semantics (`IsotonicRegression(increasing=True,
//! out_of_bounds="clip")`), the calibration map of confidence-based performance estimation.
//!
//! Why our own: the estimate must equal NannyML's, which calibrates with scikit-learn. Fitting
//! sorts the points by x (then y), averages y over x values within 1e-15 of a group's first
//! (numpy's float64 resolution, as `_make_unique` does), runs weighted pool-adjacent-violators,
//! and keeps the points where the fitted step changes. Prediction clips x to the fitted range
//! and interpolates linearly between the kept points exactly as `numpy.interp` does.

use serde::{Deserialize, Serialize};

/// numpy's `finfo(float64).resolution`: x values closer than this to a group's first are tied.
const TIE_RESOLUTION: f64 = 1e-15;

/// A fitted non-decreasing map from scores to probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsotonicRegression {
    /// Fitted x points, strictly increasing (scikit-learn's `X_thresholds_`).
    pub x: Vec<f64>,
    /// Fitted values at `x`, non-decreasing (`y_thresholds_`).
    pub y: Vec<f64>,
}

impl IsotonicRegression {
    /// Fits on the pairs whose x and y are both finite; `None` when there are none.
    pub fn fit(x: &[f64], y: &[f64]) -> Option<Self> {
        let mut pairs: Vec<(f64, f64)> = x
            .iter()
            .zip(y)
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|(&a, &b)| (a, b))
            .collect();
        if pairs.is_empty() {
            return None;
        }
        // `np.lexsort((y, X))`: by x, then by y (the order in which tied y are summed).
        pairs.sort_by(by_x_then_y);
        IsotonicRegression::fit_sorted(&pairs)
    }

    /// [`IsotonicRegression::fit`] on finite pairs already in its order ([`by_x_then_y`]): any
    /// subsequence of pairs sorted once is, so fits on many subsets of one sample sort once.
    /// `None` when there are none.
    pub(crate) fn fit_sorted(pairs: &[(f64, f64)]) -> Option<Self> {
        if pairs.is_empty() {
            return None;
        }
        let (ux, mut uy, mut uw) = make_unique(pairs);
        pool_adjacent_violators(&mut uy, &mut uw);
        let (x, y) = trim_duplicates(ux, uy);
        Some(IsotonicRegression { x, y })
    }

    /// The calibrated value of one score (NaN stays NaN).
    pub fn predict(&self, value: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        let n = x.len();
        if value.is_nan() || n == 0 {
            return f64::NAN;
        }
        if n == 1 {
            return y[0];
        }
        // `np.clip` to [X_min_, X_max_] then `np.interp`.
        let v = value.clamp(x[0], x[n - 1]);
        if v >= x[n - 1] {
            return y[n - 1];
        }
        if v <= x[0] {
            return y[0];
        }
        // j with x[j] <= v < x[j + 1].
        let j = x.partition_point(|&t| t <= v) - 1;
        self.between(j, v)
    }

    /// `np.interp` on the segment `x[j] <= v < x[j + 1]`.
    fn between(&self, j: usize, v: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        if x[j] == v {
            return y[j];
        }
        interpolate(x, y, j, v, self.slope(j))
    }

    /// Calibrates every value.
    pub(crate) fn predict_all(&self, values: &[f64]) -> Vec<f64> {
        values.iter().map(|&v| self.predict(v)).collect()
    }

    /// [`IsotonicRegression::predict`] for values visited in descending order: see
    /// [`Descending`].
    pub fn descending(&self) -> Descending<'_> {
        let top = self.x.len().saturating_sub(2);
        Descending {
            map: self,
            segment: top,
            slope: self.slope(top),
        }
    }

    /// The slope of segment `j` (`x[j]..x[j + 1]`), as `np.interp` computes it; NaN when there
    /// is no such segment.
    fn slope(&self, j: usize) -> f64 {
        let (x, y) = (&self.x, &self.y);
        if j + 1 >= x.len() {
            return f64::NAN;
        }
        (y[j + 1] - y[j]) / (x[j + 1] - x[j])
    }
}

/// The order [`IsotonicRegression::fit`] sorts its (x, y) pairs in: by x, then by y.
pub(crate) fn by_x_then_y(a: &(f64, f64), b: &(f64, f64)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1))
}

/// The calibration map applied along a sweep of descending values: the segment index only moves
/// down from where the previous value left it, and its slope is computed once per segment, so
/// calibrating n sorted values costs O(n + points) and no division per value. Each value gets
/// exactly what [`IsotonicRegression::predict`] gives it.
#[derive(Debug, Clone)]
pub struct Descending<'a> {
    map: &'a IsotonicRegression,
    /// The segment of the last value (`x[segment] <= v < x[segment + 1]`) or above it.
    segment: usize,
    /// `map.slope(segment)`.
    slope: f64,
}

impl Descending<'_> {
    /// The calibrated value of `value`, which must not be above the previous call's.
    pub fn predict(&mut self, value: f64) -> f64 {
        let (x, y) = (&self.map.x, &self.map.y);
        let n = x.len();
        if value.is_nan() || n < 2 {
            return self.map.predict(value);
        }
        let v = value.clamp(x[0], x[n - 1]);
        if v >= x[n - 1] {
            return y[n - 1];
        }
        if v <= x[0] {
            return y[0];
        }
        let mut j = self.segment;
        if x[j] > v {
            while x[j] > v {
                j -= 1;
            }
            self.segment = j;
            self.slope = self.map.slope(j);
        }
        if x[j] == v {
            return y[j];
        }
        interpolate(x, y, j, v, self.slope)
    }
}

/// `np.interp` on the segment `x[j] < v < x[j + 1]` whose slope is `slope`.
#[inline]
fn interpolate(x: &[f64], y: &[f64], j: usize, v: f64, slope: f64) -> f64 {
    let mut r = slope * (v - x[j]) + y[j];
    if r.is_nan() {
        r = slope * (v - x[j + 1]) + y[j + 1];
        if r.is_nan() && y[j] == y[j + 1] {
            r = y[j];
        }
    }
    r
}

/// scikit-learn's `_make_unique`: one point per distinct x, y averaged, weight = count.
fn make_unique(pairs: &[(f64, f64)]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    let mut ws = Vec::new();
    let (mut current_x, mut sum_y, mut weight) = (pairs[0].0, 0.0, 0.0);
    for &(x, y) in pairs {
        if x - current_x >= TIE_RESOLUTION {
            xs.push(current_x);
            ys.push(sum_y / weight);
            ws.push(weight);
            current_x = x;
            sum_y = y;
            weight = 1.0;
        } else {
            sum_y += y;
            weight += 1.0;
        }
    }
    xs.push(current_x);
    ys.push(sum_y / weight);
    ws.push(weight);
    (xs, ys, ws)
}

/// scikit-learn's `_inplace_contiguous_isotonic_regression`: weighted PAV, in place.
fn pool_adjacent_violators(y: &mut [f64], w: &mut [f64]) {
    let n = y.len();
    if n == 0 {
        return;
    }
    // target[i]: the last index of the block starting at i (and the first, at its last).
    let mut target: Vec<usize> = (0..n).collect();
    let mut i = 0;
    while i < n {
        let mut k = target[i] + 1;
        if k == n {
            break;
        }
        if y[i] < y[k] {
            i = k;
            continue;
        }
        let mut sum_wy = w[i] * y[i];
        let mut sum_w = w[i];
        loop {
            let prev_y = y[k];
            sum_wy += w[k] * y[k];
            sum_w += w[k];
            k = target[k] + 1;
            if k == n || prev_y < y[k] {
                y[i] = sum_wy / sum_w;
                w[i] = sum_w;
                target[i] = k - 1;
                target[k - 1] = i;
                if i > 0 {
                    i = target[i - 1];
                }
                break;
            }
        }
    }
    let mut i = 0;
    while i < n {
        let k = target[i] + 1;
        let value = y[i];
        y[i + 1..k].fill(value);
        i = k;
    }
}

/// Keeps the first and last points and every point whose value differs from a neighbour's.
fn trim_duplicates(x: Vec<f64>, y: Vec<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    if n <= 2 {
        return (x, y);
    }
    let keep = |i: usize| i == 0 || i == n - 1 || y[i] != y[i - 1] || y[i] != y[i + 1];
    let kept: Vec<usize> = (0..n).filter(|&i| keep(i)).collect();
    (
        kept.iter().map(|&i| x[i]).collect(),
        kept.iter().map(|&i| y[i]).collect(),
    )
}

#[cfg(test)]
#[path = "isotonic_tests.rs"]
mod tests;
