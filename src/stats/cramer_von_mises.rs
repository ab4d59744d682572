//! Two-sample Cramér–von Mises test, as `scipy.stats.cramervonmises_2samp(a, b)`.
//!
//! The statistic T is Anderson's (1962, eq. 9) from midranks, so ties are handled. The
//! p-value follows scipy's `method='auto'`: exact (Xiao, Gordon & Yakovlev 2006, enumerating
//! the statistic's distribution) when both samples have at most 20 values, otherwise the
//! normalised statistic against the limiting one-sample distribution (Csörgő & Faraway 1996),
//! whose series uses the modified Bessel function K_{1/4}, computed here by the trapezoid rule
//! on its integral (exponentially convergent for this integrand).

use std::collections::BTreeMap;

/// Largest sample size (both sides) for the exact p-value, as scipy's `auto`.
pub(crate) const EXACT_MAX_N: usize = 20;

/// Statistic, p-value and which way the p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvmOutcome {
    /// Anderson's T.
    pub statistic: f64,
    pub p_value: f64,
    /// The p-value is exact (both samples at most `EXACT_MAX_N`, 20).
    pub exact: bool,
}

/// The test on two samples (NaN-free; sorted here).
pub fn cramervonmises_2samp(a: &[f64], b: &[f64]) -> Option<CvmOutcome> {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    cramervonmises_2samp_sorted(&a, &b)
}

/// The test on two sorted, NaN-free samples; `None` when a sample has fewer than two values
/// (scipy returns NaN there).
pub(crate) fn cramervonmises_2samp_sorted(a: &[f64], b: &[f64]) -> Option<CvmOutcome> {
    let (nx, ny) = (a.len(), b.len());
    if nx < 2 || ny < 2 {
        return None;
    }
    // Σ (2r − 2i)², r the midrank in the pooled sample, i the 1-based index in its own sample:
    // integers, summed exactly.
    let (mut sx, mut sy) = (0u128, 0u128);
    let (mut i, mut j) = (0usize, 0usize);
    while i < nx || j < ny {
        let z = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        let start = i + j;
        let (i0, j0) = (i, j);
        while i < nx && a[i] == z {
            i += 1;
        }
        while j < ny && b[j] == z {
            j += 1;
        }
        // Midrank of positions start+1 ..= start+count, doubled.
        let two_r = (2 * start + (i - i0) + (j - j0) + 1) as i128;
        for idx in i0..i {
            let d = two_r - 2 * (idx as i128 + 1);
            sx += (d * d) as u128;
        }
        for idx in j0..j {
            let d = two_r - 2 * (idx as i128 + 1);
            sy += (d * d) as u128;
        }
    }
    let u = (nx as f64 * (sx as f64) + ny as f64 * (sy as f64)) / 4.0;
    let k = (nx * ny) as f64;
    let n = (nx + ny) as f64;
    let t = u / (k * n) - (4.0 * k - 1.0) / (6.0 * n);
    let exact = nx.max(ny) <= EXACT_MAX_N;
    let p_value = if exact {
        pval_exact(u, nx, ny)
    } else {
        pval_asymptotic(t, n, nx as f64, ny as f64, k)
    };
    Some(CvmOutcome {
        statistic: t,
        p_value,
        exact,
    })
}

/// scipy's `_pval_cvm_2samp_asymptotic`.
fn pval_asymptotic(t: f64, n: f64, nx: f64, ny: f64, k: f64) -> f64 {
    let et = (1.0 + 1.0 / n) / 6.0;
    let vt = (n + 1.0) * (4.0 * k * n - 3.0 * (nx * nx + ny * ny) - 2.0 * k);
    let vt = vt / (45.0 * n * n * 4.0 * k);
    let tn = 1.0 / 6.0 + (t - et) / (45.0 * vt).sqrt();
    if tn < 0.003 {
        1.0
    } else {
        (1.0 - cdf_cvm_inf(tn)).max(0.0)
    }
}

/// The limiting distribution function of the one-sample Cramér–von Mises statistic (scipy's
/// `_cdf_cvm_inf`): terms are added until one is below 1e-7, as scipy does.
pub fn cdf_cvm_inf(x: f64) -> f64 {
    let mut total = 0.0;
    // Γ(k + 1/2) / Γ(k + 1), by its recurrence from Γ(1/2) = √π.
    let mut gamma_ratio = std::f64::consts::PI.sqrt();
    for k in 0..1000u32 {
        let kf = f64::from(k);
        let u = gamma_ratio / (std::f64::consts::PI.powf(1.5) * x.sqrt());
        let y = 4.0 * kf + 1.0;
        let q = y * y / (16.0 * x);
        let term = u * y.sqrt() * (-q).exp() * bessel_k(0.25, q);
        total += term;
        if term.abs() < 1e-7 {
            break;
        }
        gamma_ratio *= (kf + 0.5) / (kf + 1.0);
    }
    total
}

/// The modified Bessel function of the second kind K_ν(x), x > 0, small ν, from
/// K_ν(x) = ∫₀^∞ exp(−x cosh t) cosh(νt) dt by the trapezoid rule (the integrand is entire
/// and decays doubly exponentially, so the rule converges geometrically in the step).
pub(crate) fn bessel_k(nu: f64, x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    // Past this the integrand is below e^-80 of its peak.
    let end = (1.0 + 80.0 / x).acosh() + 1.0;
    let step = (0.25 / x.sqrt()).min(0.05);
    let steps = (end / step).ceil() as usize;
    let mut sum = 0.5 * (-x).exp();
    for s in 1..=steps {
        let t = s as f64 * step;
        sum += (-x * t.cosh()).exp() * (nu * t).cosh();
    }
    sum * step
}

/// scipy's `_pval_cvm_2samp_exact`: the share of the C(m + n, m) arrangements whose U is at
/// least the observed one, by the frequency tables of Xiao et al.'s Algorithm 1.
fn pval_exact(u: f64, m: usize, n: usize) -> f64 {
    let lcm = lcm(m as u64, n as u64);
    let a = lcm / m as u64;
    let b = lcm / n as u64;
    let mn = (m * n) as f64;
    let lcmf = lcm as f64;
    let zeta = (lcmf * lcmf * (m + n) as f64 * (6.0 * u - mn * (4.0 * mn - 1.0)) / (6.0 * mn * mn))
        .floor();
    // gs[v]: value → frequency.
    let mut gs: Vec<BTreeMap<u64, u64>> = vec![BTreeMap::new(); m + 1];
    gs[0].insert(0, 1);
    for uu in 0..=n as u64 {
        let mut next: Vec<BTreeMap<u64, u64>> = Vec::with_capacity(m + 1);
        let mut tmp: BTreeMap<u64, u64> = BTreeMap::new();
        for (v, g) in gs.iter().enumerate() {
            for (&value, &freq) in g {
                *tmp.entry(value).or_insert(0) += freq;
            }
            let d = (a * v as u64) as i64 - (b * uu) as i64;
            let add = (d * d) as u64;
            tmp = tmp.into_iter().map(|(val, f)| (val + add, f)).collect();
            next.push(tmp.clone());
        }
        gs = next;
    }
    let combinations = binomial(m + n, m);
    let hits: u64 = gs[m]
        .iter()
        .filter(|(&value, _)| value as f64 >= zeta)
        .map(|(_, &f)| f)
        .sum();
    hits as f64 / combinations
}

fn lcm(a: u64, b: u64) -> u64 {
    let (mut x, mut y) = (a, b);
    while y != 0 {
        (x, y) = (y, x % y);
    }
    a / x * b
}

fn binomial(n: usize, k: usize) -> f64 {
    let mut c: u128 = 1;
    for i in 0..k {
        c = c * (n - i) as u128 / (i + 1) as u128;
    }
    c as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bessel_k_half_has_a_closed_form() {
        // K_{1/2}(x) = sqrt(pi / (2x)) e^-x.
        for x in [1e-3, 0.1, 1.0, 7.5, 60.0, 600.0] {
            let want = (std::f64::consts::PI / (2.0 * x)).sqrt() * (-x).exp();
            let got = bessel_k(0.5, x);
            assert!(((got - want) / want).abs() < 1e-12, "{x}: {got} vs {want}");
        }
    }

    #[test]
    fn too_small_samples_are_refused() {
        assert!(cramervonmises_2samp(&[1.0], &[1.0, 2.0, 3.0]).is_none());
    }

    #[test]
    fn exact_p_of_fully_separated_samples_is_one_arrangement_in_two() {
        // Two samples of 2: the separated arrangement and its mirror are the two most extreme
        // of the C(4, 2) = 6.
        let o = cramervonmises_2samp(&[0.0, 1.0], &[5.0, 6.0]).expect("runs");
        assert!(o.exact);
        assert!((o.p_value - 2.0 / 6.0).abs() < 1e-15, "{o:?}");
    }
}
