//! Two-sample Anderson–Darling test, as `scipy.stats.anderson_ksamp([a, b], variant="midrank")`.
//!
//! Scholz & Stephens (1987), equation 7 (midranks, so ties are handled), standardised by the
//! exact null variance. The p-value is scipy's: the logarithm of the significance level is
//! interpolated by a quadratic through Scholz & Stephens' table of critical values, and
//! capped to [0.001, 0.25] outside that table — a statistic below the 25% critical value reports
//! 0.25, one above the 0.1% critical value reports 0.001. Reproduced, not improved, so figures
//! equal what a Python user gets.

// Matrix code reads best in index notation.
#![allow(clippy::needless_range_loop)]

use std::cell::Cell;

use super::ecdf_gap::EcdfGap;

/// The largest p-value the test reports: a statistic below the table's 25% critical value
/// reports this, and the true p-value is above it.
pub(crate) const P_VALUE_CEILING: f64 = 0.25;
/// The smallest p-value the test reports: a statistic above the table's 0.1% critical value
/// reports this, and the true p-value is below it.
pub(crate) const P_VALUE_FLOOR: f64 = 0.001;

/// Significance levels of the critical-value table (Scholz & Stephens, Table 2).
const SIG: [f64; 7] = [
    P_VALUE_CEILING,
    0.1,
    0.05,
    0.025,
    0.01,
    0.005,
    P_VALUE_FLOOR,
];

/// Whether a p-value of this test is one of its caps, so only a bound on the true one:
/// `Less` at the floor (the true p-value is below it), `Greater` at the ceiling. Corrections
/// for multiple tests are monotone, so an adjusted p-value computed from a capped one is a
/// bound in the same direction.
pub fn p_value_bound(p_value: f64) -> Option<std::cmp::Ordering> {
    if p_value == P_VALUE_FLOOR {
        Some(std::cmp::Ordering::Less)
    } else if p_value == P_VALUE_CEILING {
        Some(std::cmp::Ordering::Greater)
    } else {
        None
    }
}
const B0: [f64; 7] = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1: [f64; 7] = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2: [f64; 7] = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

/// Statistic and p-value of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdOutcome {
    /// The standardised statistic `(A²akN − (k − 1)) / σ`, scipy's `statistic`.
    pub statistic: f64,
    /// scipy's interpolated p-value, within [0.001, 0.25].
    pub p_value: f64,
}

/// The test on two samples (NaN-free; sorted here).
pub fn anderson_ksamp(a: &[f64], b: &[f64]) -> Option<AdOutcome> {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    anderson_ksamp_sorted(&a, &b)
}

/// The test on two sorted, NaN-free samples. `None` where scipy raises: an empty sample, or
/// fewer than two distinct values in the pooled sample; also when the pooled sample has fewer
/// than 4 values (scipy's variance divides by zero there).
pub(crate) fn anderson_ksamp_sorted(a: &[f64], b: &[f64]) -> Option<AdOutcome> {
    ad_from_ties(a.len(), b.len(), Ties::new(a, b), |_, _| {})
}

/// [`anderson_ksamp_sorted`] and, from the same merge, the KS statistic of the two samples
/// (bit for bit what the KS test's own merge gives); the statistic is `None` where the test
/// stops before merging (an empty sample, fewer than 4 values).
pub(crate) fn anderson_ksamp_sorted_with_ks(
    a: &[f64],
    b: &[f64],
) -> (Option<AdOutcome>, Option<f64>) {
    let (na, nb) = (a.len(), b.len());
    if na == 0 || nb == 0 || na + nb < 4 {
        return (None, None);
    }
    let mut gap = EcdfGap::new(na, nb);
    let outcome = ad_from_ties(na, nb, Ties::new(a, b), |i, j| gap.observe(i, j));
    (outcome, Some(gap.statistic()))
}

/// The distinct pooled values of two sorted samples in order, as (count in a, count in b).
///
/// Each step takes the smaller head and whatever equals it on both sides. The common step (no
/// tie) is one comparison whose outcome feeds counts rather than a branch: which sample the
/// next value comes from is a coin flip the branch predictor loses, and it cost more than the
/// statistic's arithmetic.
struct Ties<'s> {
    a: &'s [f64],
    b: &'s [f64],
    i: usize,
    j: usize,
}

impl<'s> Ties<'s> {
    fn new(a: &'s [f64], b: &'s [f64]) -> Self {
        Ties { a, b, i: 0, j: 0 }
    }
}

impl Iterator for Ties<'_> {
    type Item = (u64, u64);

    #[inline]
    fn next(&mut self) -> Option<(u64, u64)> {
        let (a, b, i, j) = (self.a, self.b, self.i, self.j);
        let z = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => return None,
        };
        let mut in_a = usize::from(a.get(i) == Some(&z));
        let mut in_b = usize::from(b.get(j) == Some(&z));
        while a.get(i + in_a) == Some(&z) {
            in_a += 1;
        }
        while b.get(j + in_b) == Some(&z) {
            in_b += 1;
        }
        self.i = i + in_a;
        self.j = j + in_b;
        Some((in_a as u64, in_b as u64))
    }
}

/// The test from the counts of each sample at each distinct pooled value, in ascending order
/// of the values (cells with no value on either side are skipped). Values that share a cell
/// are ties, so on a profile's grid this is the test on the values rounded to their cells.
pub(crate) fn anderson_ksamp_counts(tied: &[(u64, u64)]) -> Option<AdOutcome> {
    let na = tied.iter().map(|t| t.0).sum::<u64>() as usize;
    let nb = tied.iter().map(|t| t.1).sum::<u64>() as usize;
    ad_from_ties(
        na,
        nb,
        tied.iter().copied().filter(|&(x, y)| x + y > 0),
        |_, _| {},
    )
}

/// The statistic over the distinct pooled values, given as (count in a, count in b) in
/// ascending order of the values, `na` and `nb` their totals. `step` sees how many values of
/// each sample lie at or below each distinct value, in order.
fn ad_from_ties(
    na: usize,
    nb: usize,
    tied: impl Iterator<Item = (u64, u64)>,
    mut step: impl FnMut(usize, usize),
) -> Option<AdOutcome> {
    let n = na + nb;
    if na == 0 || nb == 0 || n < 4 {
        return None;
    }
    let nf = n as f64;
    let (mut i, mut j) = (0usize, 0usize);
    let (mut sum_a, mut sum_b) = (0.0f64, 0.0f64);
    let mut distinct = 0usize;
    for (ca, cb) in tied {
        distinct += 1;
        let (a_left, b_left) = (i, j);
        i += ca as usize;
        j += cb as usize;
        step(i, j);
        let (fa, fb) = (ca as f64, cb as f64);
        let lj = fa + fb;
        let bj = (a_left + b_left) as f64 + lj / 2.0;
        let denom = bj * (nf - bj) - nf * lj / 4.0;
        let m_a = i as f64 - fa / 2.0;
        let m_b = j as f64 - fb / 2.0;
        let da = nf * m_a - bj * na as f64;
        let db = nf * m_b - bj * nb as f64;
        sum_a += lj / nf * da * da / denom;
        sum_b += lj / nf * db * db / denom;
    }
    if distinct < 2 {
        return None;
    }
    let a2kn = (sum_a / na as f64 + sum_b / nb as f64) * ((nf - 1.0) / nf);
    let k = 2.0f64;
    let h_inv = 1.0 / na as f64 + 1.0 / nb as f64;
    let (cum, g) = harmonic_terms(n);
    let h = cum + 1.0;
    let a = (4.0 * g - 6.0) * (k - 1.0) + (10.0 - 6.0 * g) * h_inv;
    let b = (2.0 * g - 4.0) * k * k + 8.0 * h * k + (2.0 * g - 14.0 * h - 4.0) * h_inv - 8.0 * h
        + 4.0 * g
        - 6.0;
    let c = (6.0 * h + 2.0 * g - 2.0) * k * k
        + (4.0 * h - 4.0 * g + 6.0) * k
        + (2.0 * h - 6.0) * h_inv
        + 4.0 * h;
    let d = (2.0 * h + 6.0) * k * k - 4.0 * h * k;
    let sigmasq =
        (a * nf.powi(3) + b * nf * nf + c * nf + d) / ((nf - 1.0) * (nf - 2.0) * (nf - 3.0));
    let m = k - 1.0;
    let statistic = (a2kn - m) / sigmasq.sqrt();
    Some(AdOutcome {
        statistic,
        p_value: p_value(statistic, m),
    })
}

thread_local! {
    /// The last pooled size's [`harmonic_terms`]: every feature of a window without missing
    /// values has the same, and the sums cost two divisions per value.
    static LAST_HARMONIC: Cell<(usize, f64, f64)> = const { Cell::new((0, 0.0, 0.0)) };
}

/// The null variance's sums for a pooled sample of `n` (at least 4): `cum = Σ_{t=2}^{n−1} 1/t`
/// (scipy's `hs_cs[-1]`) and `g = Σ_i hs_cs[i] / (i + 2)`, with `hs_cs[i] = Σ_{t=n−1−i}^{n−1}
/// 1/t`, summed in scipy's order.
fn harmonic_terms(n: usize) -> (f64, f64) {
    let (last, cum, g) = LAST_HARMONIC.with(Cell::get);
    if last == n {
        return (cum, g);
    }
    let mut cum = 0.0f64;
    let mut g = 0.0f64;
    for (idx, t) in (2..n).rev().enumerate() {
        cum += 1.0 / t as f64;
        g += cum / (idx + 2) as f64;
    }
    LAST_HARMONIC.with(|last| last.set((n, cum, g)));
    (cum, g)
}

/// scipy's p-value for the standardised statistic with `m = k − 1`.
fn p_value(statistic: f64, m: f64) -> f64 {
    let critical: [f64; 7] = std::array::from_fn(|i| B0[i] + B1[i] / m.sqrt() + B2[i] / m);
    let (lo, hi) = critical
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &c| {
            (lo.min(c), hi.max(c))
        });
    if statistic < lo {
        return SIG[0];
    }
    if statistic > hi {
        return SIG[6];
    }
    let log_sig: [f64; 7] = SIG.map(f64::ln);
    let [c2, c1, c0] = quadratic_fit(&critical, &log_sig);
    (c2 * statistic * statistic + c1 * statistic + c0).exp()
}

/// Least-squares quadratic through the points (`np.polyfit(x, y, 2)`), highest power first,
/// by Householder QR of the Vandermonde matrix with scaled columns (as numpy's lstsq does).
fn quadratic_fit(x: &[f64; 7], y: &[f64; 7]) -> [f64; 3] {
    let mut v = [[0.0f64; 3]; 7];
    for (row, &xi) in v.iter_mut().zip(x) {
        *row = [xi * xi, xi, 1.0];
    }
    let mut scale = [0.0f64; 3];
    for (col, s) in scale.iter_mut().enumerate() {
        *s = v.iter().map(|r| r[col] * r[col]).sum::<f64>().sqrt();
        for row in v.iter_mut() {
            row[col] /= *s;
        }
    }
    let mut rhs = *y;
    // Householder QR, applied to the right-hand side as it goes.
    for col in 0..3 {
        let norm = (col..7).map(|r| v[r][col] * v[r][col]).sum::<f64>().sqrt();
        let alpha = if v[col][col] > 0.0 { -norm } else { norm };
        let mut u = [0.0f64; 7];
        for r in col..7 {
            u[r] = v[r][col];
        }
        u[col] -= alpha;
        let unorm2: f64 = (col..7).map(|r| u[r] * u[r]).sum();
        if unorm2 == 0.0 {
            continue;
        }
        for c in col..3 {
            let dot: f64 = (col..7).map(|r| u[r] * v[r][c]).sum();
            for r in col..7 {
                v[r][c] -= 2.0 * u[r] * dot / unorm2;
            }
        }
        let dot: f64 = (col..7).map(|r| u[r] * rhs[r]).sum();
        for r in col..7 {
            rhs[r] -= 2.0 * u[r] * dot / unorm2;
        }
    }
    let mut coef = [0.0f64; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|c| v[row][c] * coef[c]).sum();
        coef[row] = (rhs[row] - s) / v[row][row];
    }
    [coef[0] / scale[0], coef[1] / scale[1], coef[2] / scale[2]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The pooled values' tie counts as the test first walked them: branch on the smaller head.
    fn ties_by_branches(a: &[f64], b: &[f64]) -> Vec<(u64, u64)> {
        let (na, nb) = (a.len(), b.len());
        let (mut i, mut j) = (0usize, 0usize);
        std::iter::from_fn(move || {
            let z = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) => x.min(y),
                (Some(&x), None) => x,
                (None, Some(&y)) => y,
                (None, None) => return None,
            };
            let (a_left, b_left) = (i, j);
            while i < na && a[i] == z {
                i += 1;
            }
            while j < nb && b[j] == z {
                j += 1;
            }
            Some(((i - a_left) as u64, (j - b_left) as u64))
        })
        .collect()
    }

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    /// Values with ties, both zeros and both infinities.
    fn tied_values() -> impl Strategy<Value = Vec<f64>> {
        let value = prop_oneof![
            6 => (0u8..30).prop_map(|x| f64::from(x) * 0.5 - 4.0),
            2 => -1e3f64..1e3,
            1 => prop::sample::select(vec![0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY]),
        ];
        prop::collection::vec(value, 0..300).prop_map(sorted)
    }

    proptest! {
        #[test]
        fn ties_match_the_branching_walk(a in tied_values(), b in tied_values()) {
            prop_assert_eq!(Ties::new(&a, &b).collect::<Vec<_>>(), ties_by_branches(&a, &b));
        }

        /// The KS statistic kept on AD's merge is the one KS's own merge finds.
        #[test]
        fn ks_statistic_on_the_way_matches_its_own_merge(a in tied_values(), b in tied_values()) {
            let (outcome, ks) = anderson_ksamp_sorted_with_ks(&a, &b);
            let alone = ad_from_ties(a.len(), b.len(), ties_by_branches(&a, &b).into_iter(), |_, _| {});
            prop_assert_eq!(outcome.map(|o| (o.statistic.to_bits(), o.p_value.to_bits())),
                alone.map(|o| (o.statistic.to_bits(), o.p_value.to_bits())));
            if a.is_empty() || b.is_empty() || a.len() + b.len() < 4 {
                prop_assert_eq!(ks, None);
            } else {
                let mut gap = EcdfGap::new(a.len(), b.len());
                let (mut i, mut j) = (0, 0);
                for (ca, cb) in ties_by_branches(&a, &b) {
                    i += ca as usize;
                    j += cb as usize;
                    gap.observe(i, j);
                }
                prop_assert_eq!(ks.map(f64::to_bits), Some(gap.statistic().to_bits()));
            }
        }
    }

    #[test]
    fn harmonic_terms_do_not_depend_on_the_last_size() {
        let fresh = |n: usize| {
            let mut cum = 0.0f64;
            let mut g = 0.0f64;
            for (idx, t) in (2..n).rev().enumerate() {
                cum += 1.0 / t as f64;
                g += cum / (idx + 2) as f64;
            }
            (cum.to_bits(), g.to_bits())
        };
        for n in [4, 1000, 1000, 5, 77, 1000, 4] {
            let (cum, g) = harmonic_terms(n);
            assert_eq!((cum.to_bits(), g.to_bits()), fresh(n), "n = {n}");
        }
    }

    #[test]
    fn fit_reproduces_an_exact_quadratic() {
        let x = [0.3, 1.0, 1.7, 2.2, 3.0, 4.1, 6.5];
        let y = x.map(|t| 0.5 * t * t - 2.0 * t + 0.25);
        let c = quadratic_fit(&x, &y);
        for (got, want) in c.iter().zip([0.5, -2.0, 0.25]) {
            assert!((got - want).abs() < 1e-12, "{c:?}");
        }
    }

    #[test]
    fn refuses_where_scipy_raises() {
        assert!(anderson_ksamp(&[], &[1.0, 2.0, 3.0, 4.0]).is_none());
        assert!(anderson_ksamp(&[2.0; 10], &[2.0; 10]).is_none());
        assert!(anderson_ksamp(&[1.0], &[2.0, 3.0]).is_none());
    }

    #[test]
    fn counts_give_the_test_on_the_tied_values() {
        // Values 0..6 with these counts in a and b (empty cells skipped).
        let cells = [(3u64, 1u64), (0, 0), (5, 2), (1, 4), (0, 3), (2, 2)];
        let expand = |pick: fn(&(u64, u64)) -> u64| -> Vec<f64> {
            cells
                .iter()
                .enumerate()
                .flat_map(|(v, c)| std::iter::repeat_n(v as f64, pick(c) as usize))
                .collect()
        };
        let rows = anderson_ksamp(&expand(|c| c.0), &expand(|c| c.1)).expect("rows");
        let counts = anderson_ksamp_counts(&cells).expect("counts");
        assert!((rows.statistic - counts.statistic).abs() <= 1e-12 * rows.statistic.abs());
        assert_eq!(rows.p_value, counts.p_value);
        assert!(anderson_ksamp_counts(&[(5, 0), (0, 0)]).is_none());
    }

    #[test]
    fn p_value_is_capped() {
        let same: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(anderson_ksamp(&same, &same).map(|o| o.p_value), Some(0.25));
        let far: Vec<f64> = (0..100).map(|i| f64::from(i) + 500.0).collect();
        assert_eq!(anderson_ksamp(&same, &far).map(|o| o.p_value), Some(0.001));
        let bound = |o: Option<AdOutcome>| o.and_then(|o| p_value_bound(o.p_value));
        assert_eq!(
            bound(anderson_ksamp(&same, &same)),
            Some(std::cmp::Ordering::Greater)
        );
        assert_eq!(
            bound(anderson_ksamp(&same, &far)),
            Some(std::cmp::Ordering::Less)
        );
        assert_eq!(p_value_bound(0.04), None);
    }
}
