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
//! Results match scipy to ~1e-10 relative or better (`tests/ks_scipy.rs`
//! checks 1e-7 against fixtures recorded from scipy by
//! `tests/fixtures/make_ks_fixtures.py`). Only `std` is used.

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
    Some(KsOutcome {
        statistic,
        p_value,
        method,
    })
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

/// Survival function `P(D_n >= d)` of the one-sample two-sided Kolmogorov
/// statistic for a finite sample size `n`, as `scipy.stats.kstwo.sf(d, n)`.
/// NaN for `n == 0` or NaN `d` (scipy: NaN); 1 for `d <= 0.5 / n`, 0 for
/// `d >= 1`.
pub fn kstwo_sf(d: f64, n: u64) -> f64 {
    if n == 0 || d.is_nan() {
        return f64::NAN;
    }
    // rv_continuous.sf: support is [0.5/n, 1].
    if d <= 0.5 / n as f64 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    kolmogn_sf(n, d)
}

// ---------------------------------------------------------------- statistic

/// `max |i/n1 − j/n2|` over the pooled values, by a linear merge.
fn statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len(), b.len());
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    // The difference of the ECDFs is (i·n2 − j·n1) / (n1·n2). While n1·n2 < 2^50, distinct
    // numerators are at least 1/(n1·n2) > 2^-50 apart after division, far more than the few
    // ulps by which `i / n1 − j / n2` can be off in floating point; so only a position whose
    // numerator ties the largest so far can hold the largest float, and the loop divides only
    // there. The result is the float maximum scipy takes, bit for bit, without two divisions
    // per step.
    let exact_numerators = (n1 as u128) * (n2 as u128) < (1 << 50);
    let (n1i, n2i) = (n1 as i64, n2 as i64);
    let mut best = 0i64;
    let (mut i, mut j) = (0usize, 0usize);
    let mut dmax = 0.0f64;
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
        if exact_numerators {
            let numerator = (i as i64 * n2i - j as i64 * n1i).abs();
            if numerator < best {
                continue;
            }
            best = numerator;
        }
        let diff = i as f64 / n1f - j as f64 / n2f;
        if diff.abs() > dmax {
            dmax = diff.abs();
        }
    }
    dmax.min(1.0)
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

/// 2^128 and 2^-128, scipy's rescaling constants.
const EP128: f64 = 3.402_823_669_209_385e38;
const EM128: f64 = 2.938_735_877_055_719e-39;
const E128: i64 = 128;

/// `x · 2^e` without intermediate overflow/underflow for large |e|.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    // 2^k for k in [-1022, 1023], built from its bit pattern.
    let pow2 = |k: i64| f64::from_bits(((1023 + k) as u64) << 52);
    while e > 1023 {
        x *= pow2(1023);
        e -= 1023;
        if !x.is_finite() || x == 0.0 {
            return x;
        }
    }
    while e < -1022 {
        x *= pow2(-1022);
        e += 1022;
        if x == 0.0 {
            return x;
        }
    }
    x * pow2(e)
}

fn clip01(p: f64) -> f64 {
    if p.is_nan() {
        p
    } else {
        p.clamp(0.0, 1.0)
    }
}

/// scipy `_kolmogn(n, x, cdf=False)`.
fn kolmogn_sf(n: u64, x: f64) -> f64 {
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: 1/2n <= x <= 1/n
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            let step = 1.0 / nf;
            let c = 2.0 * t - 1.0;
            (1..=n).fold(1.0f64, |acc, i| acc * ((i as f64 * step) * c))
        } else {
            (log_nfactorial_div_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip01(1.0 - prob);
    }
    if t >= nf - 1.0 {
        // Ruben–Gambino
        return clip01(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        return clip01(2.0 * smirnov_sf(n, x));
    }
    let nxsquared = t * x;
    if n <= 140 {
        if nxsquared <= 0.754_693 {
            return clip01(1.0 - kolmogn_dmtw_cdf(n, x));
        }
        if nxsquared <= 4.0 {
            return clip01(1.0 - kolmogn_pomeranz_cdf(n, x));
        }
        return clip01(2.0 * smirnov_sf(n, x));
    }
    if nxsquared >= 370.0 {
        return 0.0;
    }
    if nxsquared >= 2.2 {
        return clip01(2.0 * smirnov_sf(n, x));
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        kolmogn_dmtw_cdf(n, x)
    } else {
        kolmogn_pelz_good_cdf(nf, x)
    };
    clip01(1.0 - cdf)
}

/// `ln(n! / n^n)` by Stirling's series with `n ln n` removed (scipy's
/// `_log_nfactorial_div_n_pow_n`).
fn log_nfactorial_div_n_pow_n(n: f64) -> f64 {
    // B_{2j} / (2j (2j - 1)) for j = 8, ..., 1 (scipy's _STIRLING_COEFFS)
    const STIRLING: [f64; 8] = [
        -0.029_550_653_594_771_242,
        0.006_410_256_410_256_41,
        -0.001_917_526_917_526_917_6,
        0.000_841_750_841_750_841_7,
        -0.000_595_238_095_238_095_3,
        0.000_793_650_793_650_793_7,
        -0.002_777_777_777_777_778,
        0.083_333_333_333_333_33,
    ];
    let rn = 1.0 / n;
    let x = rn / n;
    let poly = STIRLING.iter().fold(0.0f64, |acc, &c| acc * x + c);
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * poly
}

/// `c = a · b` for row-major `m × m` matrices.
fn mat_mul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0f64; m * m];
    for i in 0..m {
        let crow = &mut c[i * m..(i + 1) * m];
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            let brow = &b[k * m..(k + 1) * m];
            for (cj, bj) in crow.iter_mut().zip(brow) {
                *cj += aik * bj;
            }
        }
    }
    c
}

/// `P(D_n <= d)` by Durbin's matrix method as organised by Marsaglia, Tsang &
/// Wang (scipy `_kolmogn_DMTW`). O(k^3 log n) with k = ceil(n d).
fn kolmogn_dmtw_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;

    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powf(j as f64)).collect();
    let mut w = vec![0.0f64; m];
    let mut fac = 1.0f64;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powf(m as f64) - 2.0 * h.powf(m as f64);
    v[m - 1] = (1.0 + tt) * fac;

    let mut hm = vec![0.0f64; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }

    let mut hpwr = vec![0.0f64; m * m];
    for i in 0..m {
        hpwr[i * m + i] = 1.0;
    }
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut hexpnt: i64 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            hpwr = mat_mul(&hpwr, &hm, m);
            expnt += hexpnt;
        }
        nn /= 2;
        if nn == 0 {
            break; // the next square would not be used
        }
        hm = mat_mul(&hm, &hm, m);
        hexpnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > EP128 {
            for x in hm.iter_mut() {
                *x /= EP128;
            }
            hexpnt += E128;
        }
    }
    let mut p = hpwr[(k - 1) * m + (k - 1)];
    // multiply by n!/n^n
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < EM128 {
            p *= EP128;
            expnt -= E128;
        }
    }
    if expnt != 0 {
        p = ldexp(p, expnt);
    }
    clip01(p)
}

/// Row interval of the Pomeranz recursion (scipy `_pomeranz_compute_j1j2`).
fn pomeranz_j1j2(i: i64, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let ip1div2 = (i + 1) / 2;
        let ip1mod2 = (i + 1) % 2;
        if ip1mod2 == 0 {
            if ip1div2 == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (ip1div2 - 1 - ll - roundf - 1, ip1div2 + ll - 1 + ceilf - 1)
            }
        } else {
            (ip1div2 - 1 - ll - 1, ip1div2 + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n <= x)` by the Pomeranz recursion (scipy `_kolmogn_Pomeranz`); used
/// for n <= 140 only.
fn kolmogn_pomeranz_cdf(n: u64, x: f64) -> f64 {
    let nf = n as f64;
    let ni = n as i64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![0.0f64; npwrs];
    let mut twogpower = vec![0.0f64; npwrs];
    let mut onem2gpower = vec![0.0f64; npwrs];
    gpower[0] = 1.0;
    twogpower[0] = 1.0;
    onem2gpower[0] = 1.0;
    let mut expnt: i64 = 0;
    let (g_over_n, two_g_over_n, one_minus_two_g_over_n) =
        (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        let mf = m as f64;
        gpower[m] = gpower[m - 1] * g_over_n / mf;
        twogpower[m] = twogpower[m - 1] * two_g_over_n / mf;
        onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / mf;
    }

    let mut v0 = vec![0.0f64; npwrs];
    let mut v1 = vec![0.0f64; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s): (i64, i64) = (0, 0);
    let (mut j1, _) = pomeranz_j1j2(0, ni, ll, ceilf, roundf);
    for i in 1..(2 * ni + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|x| *x = 0.0);
        let (nj1, j2) = pomeranz_j1j2(i, ni, ll, ceilf, roundf);
        j1 = nj1;
        let pwrs = if i == 1 || i == 2 * ni + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            // numpy slice semantics: clipped to the array.
            let start = (k1 - v0s).clamp(0, npwrs as i64) as usize;
            let end = ((k1 - v0s + ln2).max(0) as usize).min(npwrs);
            let sig = &v0[start..end.max(start)];
            let ker = &pwrs[..(ln2 as usize).min(npwrs)];
            let conv_start = j1 - k1;
            let conv_len = j2 - j1 + 1;
            let full = (sig.len() + ker.len()).saturating_sub(1) as i64;
            for c in 0..conv_len.max(0) {
                let idx = conv_start + c;
                if idx < 0 || idx >= full || c as usize >= npwrs {
                    continue;
                }
                let idx = idx as usize;
                let lo = idx.saturating_sub(ker.len() - 1);
                let hi = idx.min(sig.len() - 1);
                let mut s = 0.0f64;
                for q in lo..=hi {
                    s += sig[q] * ker[idx - q];
                }
                v1[c as usize] = s;
            }
            let vmax = v1.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < vmax && vmax < EM128 {
                v1.iter_mut().for_each(|x| *x *= EP128);
                expnt -= E128;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let idx = ni - v1s;
    let mut ans = if idx >= 0 && (idx as usize) < npwrs {
        v1[idx as usize]
    } else {
        0.0
    };
    for m in 1..=n {
        if ans.abs() > EP128 {
            ans *= EM128;
            expnt += E128;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans = ldexp(ans, expnt);
    }
    clip01(ans)
}

/// Pelz–Good approximation to `P(D_n <= x)` (scipy `_kolmogn_PelzGood`, cdf).
fn kolmogn_pelz_good_cdf(n: f64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let sqrt2pi = (2.0 * PI).sqrt();
    let pi2 = PI.powf(2.0);
    let pi4 = PI.powf(4.0);
    let pi6 = PI.powf(6.0);
    let z = n.sqrt() * x;
    let (zsquared, zthree, zfour, zsix) = (z.powf(2.0), z.powf(3.0), z.powf(4.0), z.powf(6.0));

    let qlog = -pi2 / 8.0 / zsquared;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();

    let k1a = -zsquared;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * zsix + 2.0 * zfour;
    let k2b = (2.0 * zfour - 5.0 * zsquared) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * zsquared) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * zsquared) / 64.0;
    let k3c = pi4 * (-60.0 * zsquared + 212.0 * zfour) / 16.0;
    let k3b = pi2 * (135.0 * zfour - 96.0 * zsix) / 4.0;
    let k3a = -30.0 * zsix - 90.0 * z.powf(8.0);

    let mut kk = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = 2 * k - 1;
        let (msquared, mfour, msix) = ((m * m) as f64, m.pow(4) as f64, m.pow(6) as f64);
        let qpower = q.powf((8 * k) as f64);
        let coeffs = [
            1.0,
            k1a + k1b * msquared,
            k2a + k2b * msquared + k2c * mfour,
            k3a + k3b * msquared + k3c * mfour + k3d * msix,
        ];
        for (kv, c) in kk.iter_mut().zip(coeffs) {
            *kv = *kv * qpower + c;
        }
    }
    let denom = [z, 6.0 * zfour, 72.0 * z.powf(7.0), 6480.0 * z.powf(10.0)];
    for (kv, dn) in kk.iter_mut().zip(denom) {
        *kv = *kv * q * sqrt2pi / dn;
    }

    let q2 = (-pi2 / 2.0 / zsquared).exp();
    let sqrt3z = 3.0f64.sqrt() * z;
    let mut k2extra = 0.0f64;
    let mut k3extra = 0.0f64;
    for k in (1..=maxk).rev() {
        let ksq = (k * k) as f64;
        let qp = q2.powf(ksq);
        let kspi = PI * k as f64;
        k2extra += ksq * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
    }
    kk[2] += k2extra * (pi2 * sqrt2pi / (-36.0 * zthree));
    kk[3] += k3extra * (pi2 * sqrt2pi / (216.0 * zsix));
    let powers_of_n = [1.0, n.powf(0.5), n, n.powf(1.5)];
    for (kv, pn) in kk.iter_mut().zip(powers_of_n) {
        *kv /= pn;
    }
    kk.iter().sum()
}

/// Adds the term `e^lt` to the running sum `s · e^scale`; returns the term
/// relative to the (possibly new) scale.
fn add_scaled(lt: f64, scale: &mut f64, s: &mut f64) -> f64 {
    if lt > *scale {
        *s = *s * (*scale - lt).exp() + 1.0;
        *scale = lt;
        1.0
    } else {
        let r = (lt - *scale).exp();
        *s += r;
        r
    }
}

/// cephes' `MINLOG`, ln(2^-1022).
const MINLOG: f64 = -708.396_418_532_264_1;
/// Terms below the smallest subnormal are zero in scipy's double arithmetic.
const LN_SMALLEST_SUBNORMAL: f64 = -744.440_071_921_381_2;

/// `P(D_n^+ >= x)`, the exact one-sided Smirnov tail (scipy.special.smirnov)
/// for the arguments `kolmogn` passes it (`x >= 0.5` or `n x^2 > 2`), by the
/// Birnbaum–Tingey sum
/// `x Σ_{j=0}^{⌊n(1−x)⌋} C(n,j) (x + j/n)^{j−1} (1 − x − j/n)^{n−j}`
/// evaluated in log space with a running scale, and cephes' special cases.
fn smirnov_sf(n: u64, x: f64) -> f64 {
    if !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if n == 1 {
        return 1.0 - x;
    }
    if x == 0.0 {
        return 1.0;
    }
    if x == 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    // n·x exactly as hi + lo; floor and fractional part alpha.
    let nx_hi = nf * x;
    let nx_lo = nf.mul_add(x, -nx_hi);
    let mut fl = nx_hi.floor();
    let mut alpha = (nx_hi - fl) + nx_lo;
    if alpha < 0.0 {
        fl -= 1.0;
        alpha += 1.0;
    }
    if alpha >= 1.0 {
        fl += 1.0;
        alpha = 0.0;
    }
    let nxfl = fl as u64;

    // x <= 1/n
    if nxfl == 0 || (nxfl == 1 && alpha == 0.0) {
        let t = ((nf - 1.0) * x.ln_1p()).exp();
        return 1.0 - x * t;
    }
    // sf underflows
    if -2.0 * nf * x * x < MINLOG {
        return 0.0;
    }
    // x >= 1 - 1/n
    if nxfl >= n - 1 {
        return (1.0 - x).powf(nf);
    }
    // n too large to sum: cephes' approximation
    if n > 1_000_000 {
        let logp = -(6.0 * nf * x + 1.0).powf(2.0) / 18.0 / nf;
        return if logp < -std::f64::consts::LN_2 {
            logp.exp()
        } else {
            1.0 - (-logp.exp_m1())
        };
    }

    // Terms j = 0..=floor(n(1 - x)), without the last one when n(1-x) is an
    // integer (where it vanishes). Here 2 <= n <= 1e6 and 1 < n x < n - 1.
    let n1mxfl = n as i64 - nxfl as i64 - 1;
    let n_terms = n1mxfl + 1;
    let vmid = (n / 2) as i64;
    // Running sum S · e^scale of the terms A_j.
    let mut scale = f64::NEG_INFINITY;
    let mut s = 0.0f64;
    // j = 0: (1 - x)^n / x
    let l0 = nf * (-x).ln_1p() - x.ln();
    if l0 >= LN_SMALLEST_SUBNORMAL {
        add_scaled(l0, &mut scale, &mut s);
    }
    // ln C(n, j) kept as mantissa * 2^exponent, updated multiplicatively.
    let mut c_man = nf; // C(n, 1)
    let mut c_exp: i64 = 0;
    let ln2 = std::f64::consts::LN_2;
    for j in 1..n_terms {
        let jf = j as f64;
        let ln_c = c_man.ln() + c_exp as f64 * ln2;
        // a = x + j/n, b = 1 - x - j/n, both to ~1 ulp.
        let a = (jf + nx_hi + nx_lo) / nf;
        let b = ((nf - jf) - nx_hi - nx_lo) / nf;
        let ln_a = if b < 0.5 { (-b).ln_1p() } else { a.ln() };
        let ln_b = if a < 0.5 { (-a).ln_1p() } else { b.ln() };
        let lt = ln_c + (jf - 1.0) * ln_a + (nf - jf) * ln_b;
        if lt.is_finite() && lt >= LN_SMALLEST_SUBNORMAL {
            let rel = add_scaled(lt, &mut scale, &mut s);
            if 4.0 * (n_terms - j) as f64 * rel < f64::EPSILON * s && j != n_terms - 1 {
                break;
            }
        } else if j > vmid {
            break;
        }
        // C(n, j+1) = C(n, j) (n - j) / (j + 1)
        c_man *= (nf - jf) / (jf + 1.0);
        if !(1e-200..=1e200).contains(&c_man) {
            let e = c_man.log2().floor() as i64;
            c_man = ldexp(c_man, -e);
            c_exp += e;
        }
    }
    if s <= 0.0 {
        return 0.0;
    }
    let sf = (x.ln() + scale + s.ln()).exp();
    sf.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The statistic as scipy computes it: both ECDFs divided at every pooled value.
    fn statistic_dividing_everywhere(a: &[f64], b: &[f64]) -> f64 {
        let (n1, n2) = (a.len() as f64, b.len() as f64);
        let mut pooled: Vec<f64> = a.iter().chain(b).copied().collect();
        pooled.sort_by(f64::total_cmp);
        let mut dmax = 0.0f64;
        for v in pooled {
            let i = a.partition_point(|&x| x <= v) as f64;
            let j = b.partition_point(|&x| x <= v) as f64;
            dmax = dmax.max((i / n1 - j / n2).abs());
        }
        dmax.min(1.0)
    }

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    proptest! {
        #[test]
        fn statistic_equals_dividing_at_every_value(
            a in prop::collection::vec(0u8..40, 1..400),
            b in prop::collection::vec(0u8..40, 1..700),
            scale in prop_oneof![Just(1.0), Just(0.1), Just(1e-3), Just(7.0)],
        ) {
            // Small integers: many ties, and many positions sharing the largest numerator.
            let a = sorted(a.into_iter().map(|x| f64::from(x) * scale).collect());
            let b = sorted(b.into_iter().map(|x| f64::from(x) * scale).collect());
            let ours = statistic_sorted(&a, &b);
            let reference = statistic_dividing_everywhere(&a, &b);
            prop_assert_eq!(ours.to_bits(), reference.to_bits());
        }

        #[test]
        fn statistic_equals_dividing_on_continuous_samples(
            a in prop::collection::vec(-1e3f64..1e3, 1..2000),
            b in prop::collection::vec(-1e3f64..1e3, 1..2000),
        ) {
            let (a, b) = (sorted(a), sorted(b));
            prop_assert_eq!(
                statistic_sorted(&a, &b).to_bits(),
                statistic_dividing_everywhere(&a, &b).to_bits()
            );
        }
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn ks_empty_is_none() {
        assert_eq!(ks_2samp(&[], &[1.0]), None);
        assert_eq!(ks_2samp(&[1.0], &[]), None);
        assert_eq!(ks_2samp(&[f64::NAN], &[1.0]), None);
        assert_eq!(ks_2samp_sorted(&[], &[]), None);
    }

    #[test]
    fn ks_known_scipy_values() {
        // scipy.stats.ks_2samp(...) (scipy 1.17.1)
        let r = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0, 7.0]).unwrap();
        assert_eq!(r.statistic, 1.0);
        assert!(close(r.p_value, 0.05714285714285715, 1e-14));
        assert_eq!(r.method, KsMethod::Exact);
        let a: Vec<f64> = (0..10).map(f64::from).collect();
        let b: Vec<f64> = (5..15).map(f64::from).collect();
        let r = ks_2samp(&a, &b).unwrap();
        assert_eq!(r.statistic, 0.5);
        assert!(close(r.p_value, 0.16782134274394334, 1e-14));
        let b: Vec<f64> = (3..10).map(f64::from).collect();
        let r = ks_2samp(&a, &b).unwrap();
        assert_eq!(r.statistic, 0.3);
        assert!(close(r.p_value, 0.7533422459893047, 1e-14));
    }

    #[test]
    fn ks_nan_dropped_and_order_irrelevant() {
        let r1 = ks_2samp(&[3.0, f64::NAN, 1.0, 2.0], &[2.5, 9.0]).unwrap();
        let r2 = ks_2samp_sorted(&[1.0, 2.0, 3.0], &[2.5, 9.0]).unwrap();
        assert_eq!(r1, r2);
    }

    #[test]
    fn ks_kstwo_known_scipy_values() {
        // scipy.stats.kstwo.sf(d, n): Pomeranz, Durbin, Pelz-Good, Smirnov regions
        for (d, n, want) in [
            (0.3, 10, 0.27053557479999946),
            (0.05, 1000, 0.013012074781090332),
            (0.6, 5, 0.03008000000000001),
            (0.004, 200_000, 0.003314212822560255),
            (0.2, 50, 0.03143877776953241),
            (0.03, 5000, 0.00024159234422666817),
            (0.1, 1000, 3.703687096817711e-09),
        ] {
            let got = kstwo_sf(d, n);
            assert!(
                close(got, want, 1e-10),
                "kstwo_sf({d}, {n}) = {got}, scipy {want}"
            );
        }
    }

    #[test]
    fn ks_exact_helpers() {
        assert_eq!(gcd(10000, 9999), 1);
        assert_eq!(gcd(10000, 5000), 5000);
        // scipy _compute_prob_outside_square
        assert!(close(prob_outside_square(10, 3), 0.7869297884777761, 1e-15));
        assert!(close(
            prob_outside_square(100, 20),
            0.03638428787491733,
            1e-15
        ));
        // symmetric in (m, n)
        let p1 = outer_prob_inside_method(30, 20, 10, 3);
        let p2 = outer_prob_inside_method(20, 30, 10, 3);
        assert_eq!(p1, p2);
        assert!((0.0..=1.0).contains(&p1));
        assert_eq!(floor_div(-7, 2), -4);
        assert_eq!(ceil_div(-7, 2), -3);
        assert_eq!(ceil_div(7, 2), 4);
    }

    #[test]
    fn ks_ldexp() {
        assert_eq!(ldexp(1.5, 10), 1536.0);
        assert_eq!(ldexp(1.0, -1074), f64::from_bits(1));
        assert_eq!(ldexp(3.0, -2000), 0.0);
        assert_eq!(ldexp(1.0, 2000), f64::INFINITY);
        assert_eq!(ldexp(2f64.powi(-1000), 1500), 2f64.powi(500));
    }
}
