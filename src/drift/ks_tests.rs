//! Tests of the two-sample KS test: the statistic against a direct computation, scipy's values,
//! and the exact branch's helpers.

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
