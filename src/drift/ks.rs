//! Two-sample Kolmogorov–Smirnov test with p-values that agree with
//! `scipy.stats.ks_2samp(reference, current)` (two-sided, `method='auto'`).
//!
//! We implement it ourselves because no crate gives scipy's p-values: `statrs`
//! uses the limiting Kolmogorov series with an unrounded effective sample size
//! in its asymptotic branch (off by up to ~12 % relative at 20000 x 100) and
//! refuses its exact branch for `m·n > 10 000`; the `kolmogorov_smirnov` crate
//! uses a Numerical Recipes approximation and panics for small samples. Users
//! compare our figures with what the Python tools print, so we follow scipy's
//! algorithm step by step (the project notes' `ks-pvalue.md`; scipy's
//! `ks_2samp`, `_stats_pythran.py` and `_ksstats.py`):
//!
//! * statistic: `D = max |F_ref(v) − F_cur(v)|` over the pooled values, each
//!   ECDF counting values `<= v` (scipy's `searchsorted(side='right')`), each
//!   difference computed as `i / n1 − j / n2`;
//! * `max(n1, n2) <= 10 000`: exact. `D` is snapped to `h / lcm(n1, n2)`; equal
//!   sizes use the alternating-sum (Horner) formula, unequal sizes Hodges'
//!   lattice-path count in Viehmann's `1 − p` form, in O(m · band width). If
//!   the equal-size sum rounds outside `[0, 1]` scipy falls back to the
//!   asymptotic method, and so do we;
//! * otherwise asymptotic: `kstwo.sf(D, round_half_even(m·n / (m + n)))`, the
//!   finite-`N` one-sample two-sided Kolmogorov distribution of Simard &
//!   L'Ecuyer (Ruben–Gambino, Durbin/Marsaglia–Tsang–Wang, Pomeranz,
//!   Pelz–Good, Birnbaum–Tingey/Smirnov), with scipy's region boundaries.
//!
//! Results match scipy to ~1e-10 relative or better (`tests/it/ks_scipy.rs`
//! checks 1e-7 against fixtures recorded from scipy by
//! `tests/fixtures/make_ks_fixtures.py`). Only `std` is used.

use crate::stats::ecdf_gap::EcdfGap;
pub use crate::stats::kolmogorov::kstwo_sf;

/// Result of a two-sample, two-sided Kolmogorov–Smirnov test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsOutcome {
    /// `D = sup |F_ref − F_cur|`, in `[0, 1]` (as scipy reports it: in the exact
    /// branch snapped to a multiple of `1 / lcm(n1, n2)`).
    pub statistic: f64,
    /// Two-sided p-value, in `[0, 1]`.
    pub p_value: f64,
    /// Which computation produced `p_value`.
    pub method: KsMethod,
}

/// How the p-value was computed (scipy's `method='auto'` choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsMethod {
    /// Exact null distribution of the two-sample statistic.
    Exact,
    /// Finite-`N` one-sample Kolmogorov distribution at the effective size.
    Asymptotic,
}

/// scipy's `MAX_AUTO_N`: exact when both sample sizes are at most this.
const MAX_EXACT_N: usize = 10_000;

/// Two-sample two-sided KS test on samples that are already sorted ascending
/// and contain no NaN (unsorted input or NaN gives a meaningless, but finite
/// and in-range, result; it never panics). Returns `None` when either sample
/// is empty (scipy raises).
pub fn ks_2samp_sorted(reference: &[f64], current: &[f64]) -> Option<KsOutcome> {
    ks_2samp_sorted_with_statistic(reference, current).map(|(outcome, _)| outcome)
}

/// [`ks_2samp_sorted`] and the statistic before the exact branch snaps it (what
/// [`ks_asymptotic_sorted`] would compute again).
pub(crate) fn ks_2samp_sorted_with_statistic(
    reference: &[f64],
    current: &[f64],
) -> Option<(KsOutcome, f64)> {
    let n1 = reference.len();
    let n2 = current.len();
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let d = statistic_sorted(reference, current);
    let (statistic, p, method) = if n1.max(n2) <= MAX_EXACT_N {
        let (d_exact, p_exact) = exact_two_sided(n1 as u64, n2 as u64, d);
        match p_exact {
            Some(p) => (d_exact, p, KsMethod::Exact),
            None => (
                d_exact,
                asymptotic_two_sided(n1, n2, d_exact),
                KsMethod::Asymptotic,
            ),
        }
    } else {
        (d, asymptotic_two_sided(n1, n2, d), KsMethod::Asymptotic)
    };
    // scipy clips; NaN cannot occur for n1, n2 >= 1, but never report one.
    let p_value = if p.is_nan() { 1.0 } else { p.clamp(0.0, 1.0) };
    Some((
        KsOutcome {
            statistic,
            p_value,
            method,
        },
        d,
    ))
}

/// The two-sided p-value [`ks_2samp_sorted`] gives a statistic `d` between samples of sizes
/// `n1` and `n2` (both at least 1), by the same method choice. Used where only the statistic
/// is known (a profile's grid), so the p-value is as approximate as `d` is.
pub(crate) fn ks_p_value(n1: usize, n2: usize, d: f64) -> f64 {
    let p = if n1.max(n2) <= MAX_EXACT_N {
        let (d_exact, p_exact) = exact_two_sided(n1 as u64, n2 as u64, d);
        p_exact.unwrap_or_else(|| asymptotic_two_sided(n1, n2, d_exact))
    } else {
        asymptotic_two_sided(n1, n2, d)
    };
    if p.is_nan() {
        1.0
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// Convenience wrapper: copies both samples, drops NaN, sorts them
/// (`f64::total_cmp`) and calls [`ks_2samp_sorted`]. `None` when a sample has
/// no non-NaN value.
pub fn ks_2samp(reference: &[f64], current: &[f64]) -> Option<KsOutcome> {
    let prepare = |xs: &[f64]| {
        let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    ks_2samp_sorted(&prepare(reference), &prepare(current))
}

/// D and its asymptotic p-value (no exact branch: linear in the samples), for paging's
/// evidence beside another test; `None` when a side is empty.
pub(crate) fn ks_asymptotic_sorted(reference: &[f64], current: &[f64]) -> Option<(f64, f64)> {
    if reference.is_empty() || current.is_empty() {
        return None;
    }
    let d = statistic_sorted(reference, current);
    Some(ks_asymptotic(reference.len(), current.len(), d))
}

/// [`ks_asymptotic_sorted`] from the statistic `d` of samples of sizes `n1` and `n2` (both at
/// least 1), found by another merge of the same samples.
pub(crate) fn ks_asymptotic(n1: usize, n2: usize, d: f64) -> (f64, f64) {
    (d, asymptotic_two_sided(n1, n2, d))
}

// ---------------------------------------------------------------- statistic

/// `max |i/n1 − j/n2|` over the pooled values, by a linear merge.
fn statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len(), b.len());
    let mut gap = EcdfGap::new(n1, n2);
    let (mut i, mut j) = (0usize, 0usize);
    while i < n1 || j < n2 {
        // Next pooled value; always consume at least one element so that
        // malformed input (NaN) cannot stall the loop.
        let v = if j >= n2 || (i < n1 && a[i] <= b[j]) {
            i += 1;
            a[i - 1]
        } else {
            j += 1;
            b[j - 1]
        };
        while i < n1 && a[i] <= v {
            i += 1;
        }
        while j < n2 && b[j] <= v {
            j += 1;
        }
        gap.observe(i, j);
    }
    gap.statistic()
}

// ---------------------------------------------------------------- exact

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// scipy's `_attempt_exact_2kssamp` (two-sided): returns the snapped statistic
/// `h / lcm` and the exact p-value, or `None` for the p-value when scipy's
/// computation fails (result outside `[0, 1]`) and it falls back to the
/// asymptotic method.
fn exact_two_sided(n1: u64, n2: u64, d: f64) -> (f64, Option<f64>) {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let lcm_f = lcm as f64;
    let h_f = (d * lcm_f).round_ties_even();
    let h = if h_f <= 0.0 { 0 } else { (h_f as u64).min(lcm) };
    let d = h as f64 / lcm_f;
    if h == 0 {
        return (d, Some(1.0));
    }
    let p = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        outer_prob_inside_method(n1, n2, g, h)
    };
    if (0.0..=1.0).contains(&p) {
        (d, Some(p))
    } else {
        (d, None)
    }
}

/// `P(D_{n,n} >= h/n)`: `2 Σ_k (−1)^k C(2n, n−(k+1)h) / C(2n, n)` in the Horner
/// form scipy uses (same operations in the same order, so the same rounding;
/// this matters because scipy's fallback depends on the result exceeding 1).
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let (n, h) = (n as i64, h as i64);
    let mut p = 0.0f64;
    let mut k = n / h;
    loop {
        let kh = k * h;
        let mut p1 = 1.0f64;
        for j in 0..h {
            // n − kh − j reaches 0 (and then goes negative) for the largest k.
            p1 = (n - kh - j) as f64 * p1 / (n + kh + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        if k == 0 {
            break;
        }
        k -= 1;
    }
    2.0 * p
}

/// `[start, end)` of the longest run of exact zeros in `xs`.
fn longest_zero_run(xs: &[f64]) -> (usize, usize) {
    let (mut best, mut start) = ((0, 0), None);
    for (k, &x) in xs.iter().enumerate() {
        if x == 0.0 {
            start.get_or_insert(k);
        } else if let Some(s) = start.take() {
            if k - s > best.1 - best.0 {
                best = (s, k);
            }
        }
    }
    if let Some(s) = start {
        if xs.len() - s > best.1 - best.0 {
            best = (s, xs.len());
        }
    }
    best
}

fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

/// Proportion of lattice paths from (0,0) to (m,n) that do not stay strictly
/// inside `|x/m − y/n| < h / lcm(m, n)`, computed directly as `1 − inside`
/// (Hodges' inside method with Viehmann's recursion, arXiv 2102.08037; scipy's
/// `_compute_outer_prob_inside_method`).
///
/// Column `i` of `A(i, j)` is kept only inside the band window
/// `minj..maxj`, so the cost is O(m · band width). Entries just outside the
/// window are 1 (the path has left). Two differences from scipy's loop, both
/// for speed and neither changing the result beyond a few ulps:
/// `(prev·i + val·j) / (i + j)` is evaluated as `prev·(i·w) + val·(j·w)` with
/// `w = 1/(i + j)` from a table, so the loop-carried dependency is a multiply
/// and an add rather than a division; and runs of exact zeros (deep inside a
/// wide band the probabilities underflow) are carried over without
/// arithmetic, since they would compute to 0 anyway.
fn outer_prob_inside_method(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (m, n, g, h) = (m as i64, n as i64, g as i64, h as i64);
    let mg = m / g;
    let ng = n / g;
    // Window reads reach index maxj - lastminj - 1 <= n.
    let cap = n as usize + 2;
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    // prev: the last column, prev[prev_len..] == 1. cur: scratch, cur[cur_dirty..] == 1.
    let mut prev = vec![1.0f64; cap];
    let mut cur = vec![1.0f64; cap];
    let mut prev_len = maxj as usize;
    let mut cur_dirty = 0usize;
    prev[..prev_len].fill(0.0);
    // The longest run of exact zeros in `prev`, as [z0, z1).
    let (mut z0, mut z1) = (0usize, prev_len);
    // inv[k] = 1 / k for k = i + j <= m + n.
    let inv: Vec<f64> = (0..=(m + n) as usize)
        .map(|k| if k == 0 { 0.0 } else { 1.0 / k as f64 })
        .collect();
    for i in 1..=m {
        let lastminj = minj;
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let len = (maxj - minj) as usize;
        let off = (minj - lastminj) as usize;
        let first = (i + minj) as usize;
        let (Some(src), Some(w)) = (prev.get(off..off + len), inv.get(first..first + len)) else {
            // Unreachable (window bounds above); stay panic-free regardless.
            return f64::NAN;
        };
        let dst = &mut cur[..len];
        // The zero run of `prev`, in this column's coordinates.
        let (zs, ze) = if z1 > off {
            (z0.saturating_sub(off).min(len), (z1 - off).min(len))
        } else {
            (0, 0)
        };
        let fi = i as f64;
        let mut val: f64 = if minj == 0 { 0.0 } else { 1.0 };
        let mut jf = minj as f64;
        let step = |r: std::ops::Range<usize>, dst: &mut [f64], val: &mut f64, jf: &mut f64| {
            let (s, w, d) = (&src[r.clone()], &w[r.clone()], &mut dst[r]);
            for ((d, &s), &wj) in d.iter_mut().zip(s).zip(w) {
                *val = s * (fi * wj) + *val * (*jf * wj);
                *d = *val;
                *jf += 1.0;
            }
        };
        step(0..zs, dst, &mut val, &mut jf);
        // Into prev's zero run: val decays (typically to 0 within a few
        // entries, through subnormals), after which every output is 0.
        let mut k = zs;
        while k < ze && val != 0.0 {
            step(k..k + 1, dst, &mut val, &mut jf);
            k += 1;
        }
        let skipped = k < ze;
        if skipped {
            dst[k..ze].fill(0.0);
            jf += (ze - k) as f64;
        }
        step(ze.max(zs)..len, dst, &mut val, &mut jf);
        // The zero run of this column, for the next one: grow the skipped run
        // by its zero neighbours, or look for one.
        let (nz0, nz1) = if skipped {
            let a = k - dst[..k].iter().rev().take_while(|&&x| x == 0.0).count();
            let b = ze + dst[ze..].iter().take_while(|&&x| x == 0.0).count();
            (a, b)
        } else if dst.contains(&0.0) {
            longest_zero_run(dst)
        } else {
            (0, 0)
        };
        if cur_dirty > len {
            cur[len..cur_dirty].fill(1.0);
        }
        std::mem::swap(&mut prev, &mut cur);
        cur_dirty = prev_len;
        prev_len = len;
        (z0, z1) = (nz0, nz1);
    }
    // The rearranged arithmetic can land an ulp above 1 where scipy's cannot.
    prev[prev_len - 1].min(1.0)
}

// ---------------------------------------------------------------- asymptotic

fn asymptotic_two_sided(n1: usize, n2: usize, d: f64) -> f64 {
    let (a, b) = (n1 as f64, n2 as f64);
    let (m, n) = if a >= b { (a, b) } else { (b, a) };
    let en = m * n / (m + n);
    let big_n = en.round_ties_even();
    if big_n < 1.0 {
        return f64::NAN;
    }
    kstwo_sf(d, big_n as u64)
}

#[cfg(test)]
#[path = "ks_tests.rs"]
mod tests;
