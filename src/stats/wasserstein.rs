//! First Wasserstein distance between two samples, as `scipy.stats.wasserstein_distance`, and
//! Evidently's normed form: the distance over the reference's population standard deviation
//! (at least 0.001), an effect size in units of the reference's spread.

/// `scipy.stats.wasserstein_distance(a, b)` for two sorted, NaN-free samples: the area between
/// the empirical distribution functions. `None` when a sample is empty (scipy raises).
pub fn wasserstein_sorted(a: &[f64], b: &[f64]) -> Option<f64> {
    let (na, nb) = (a.len(), b.len());
    if na == 0 || nb == 0 {
        return None;
    }
    let (naf, nbf) = (na as f64, nb as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0f64;
    // At each pooled value z (all but the last), both CDFs count values <= z; the gap to the
    // next pooled value is weighted by their difference. Equal pooled values give zero gaps.
    let mut prev: Option<f64> = None;
    while i < na || j < nb {
        let z = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        if let Some(p) = prev {
            total += (i as f64 / naf - j as f64 / nbf).abs() * (z - p);
        }
        while i < na && a[i] == z {
            i += 1;
        }
        while j < nb && b[j] == z {
            j += 1;
        }
        prev = Some(z);
    }
    Some(total)
}

/// Population standard deviation (ddof 0, two passes, as `numpy.std`).
pub(crate) fn population_std(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

/// The distance over `max(reference_std, 0.001)`.
pub fn normed(distance: f64, reference_std: f64) -> f64 {
    distance / reference_std.max(0.001)
}

/// Normed distance of two sorted samples, `a` the reference.
pub fn normed_wasserstein_sorted(a: &[f64], b: &[f64]) -> Option<f64> {
    wasserstein_sorted(a, b).map(|d| normed(d, population_std(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_by_c_is_distance_c() {
        let a: Vec<f64> = (0..50).map(f64::from).collect();
        let b: Vec<f64> = a.iter().map(|v| v + 2.5).collect();
        let d = wasserstein_sorted(&a, &b).expect("non-empty");
        assert!((d - 2.5).abs() < 1e-12, "{d}");
        assert_eq!(wasserstein_sorted(&a, &a), Some(0.0));
        assert_eq!(wasserstein_sorted(&[], &a), None);
    }

    #[test]
    fn constant_reference_uses_the_floor() {
        let d = normed_wasserstein_sorted(&[1.0; 10], &[1.5; 10]).expect("non-empty");
        assert!((d - 500.0).abs() < 1e-9, "{d}");
    }
}
