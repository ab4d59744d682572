//! Parity of `drift::ks` with scipy: `scipy.stats.ks_2samp(a, b)` and
//! `scipy.stats.kstwo.sf(d, n)` outputs recorded in
//! `tests/fixtures/ks_scipy.json` by `tests/fixtures/make_ks_fixtures.py`,
//! plus property tests.

use ml_monitor::drift::ks::{ks_2samp, ks_2samp_sorted, kstwo_sf, KsMethod};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

const P_REL_TOL: f64 = 1e-7;
/// Absolute floor: only values this small may differ by more than `P_REL_TOL`
/// relative (scipy's own double-double sums lose relative accuracy there).
const P_ABS_FLOOR: f64 = 1e-300;
const STAT_ABS_TOL: f64 = 1e-15;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ks_scipy.json");
    let text = std::fs::read_to_string(path).expect("read tests/fixtures/ks_scipy.json");
    serde_json::from_str(&text).expect("parse ks_scipy.json")
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("missing number {key} in {v}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("missing integer {key} in {v}"))
}

/// `(ints[start..start+len] + shift) / scale`, exactly as the generator built
/// the arrays it passed to scipy.
fn sample(arrays: &Value, r: &Value) -> Vec<f64> {
    let arr = &arrays[r["array"].as_str().expect("array name")];
    let scale = u(arr, "scale") as f64;
    let ints = arr["ints"].as_array().expect("ints");
    let start = u(r, "start") as usize;
    let len = u(r, "len") as usize;
    let shift = r["shift"].as_i64().expect("shift");
    ints[start..start + len]
        .iter()
        .map(|v| (v.as_i64().expect("int") + shift) as f64 / scale)
        .collect()
}

/// Relative error used for the report; 0 when both are below the floor.
fn rel_err(ours: f64, theirs: f64) -> f64 {
    if ours == theirs || (ours.abs() < P_ABS_FLOOR && theirs.abs() < P_ABS_FLOOR) {
        0.0
    } else {
        (ours - theirs).abs() / theirs.abs().max(P_ABS_FLOOR)
    }
}

fn p_close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= P_REL_TOL * theirs.abs() + P_ABS_FLOOR
}

#[test]
fn ks_2samp_matches_scipy() {
    let fx = fixture();
    let arrays = &fx["arrays"];
    let cases = fx["cases"].as_array().expect("cases");
    assert!(cases.len() > 100, "fixture has too few cases");
    let mut failures = Vec::new();
    let mut max_rel: BTreeMap<String, (f64, String)> = BTreeMap::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let a = sample(arrays, &case["a"]);
        let b = sample(arrays, &case["b"]);
        let want_d = f(case, "statistic");
        let want_p = f(case, "pvalue");
        let want_method = match case["method"].as_str() {
            Some("exact") => KsMethod::Exact,
            _ => KsMethod::Asymptotic,
        };
        let Some(got) = ks_2samp(&a, &b) else {
            failures.push(format!("{name}: returned None"));
            continue;
        };
        // The sorted entry point gives the same answer (checked on the
        // smaller cases to keep the unoptimised test build quick).
        if a.len() + b.len() <= 5000 {
            let (mut sa, mut sb) = (a.clone(), b.clone());
            sa.sort_by(f64::total_cmp);
            sb.sort_by(f64::total_cmp);
            if ks_2samp_sorted(&sa, &sb) != Some(got) {
                failures.push(format!("{name}: ks_2samp_sorted differs from ks_2samp"));
            }
        }
        if (got.statistic - want_d).abs() > STAT_ABS_TOL {
            failures.push(format!(
                "{name}: statistic {} != scipy {want_d}",
                got.statistic
            ));
        }
        if !p_close(got.p_value, want_p) {
            failures.push(format!(
                "{name}: p {:e} != scipy {want_p:e} (rel {:e})",
                got.p_value,
                rel_err(got.p_value, want_p)
            ));
        }
        if got.method != want_method {
            failures.push(format!(
                "{name}: method {:?} != scipy {want_method:?}",
                got.method
            ));
        }
        let key = match want_method {
            KsMethod::Exact if a.len() == b.len() => "exact/n1==n2".to_string(),
            KsMethod::Exact => "exact/n1!=n2".to_string(),
            KsMethod::Asymptotic => format!("asymp/{}", case["region"].as_str().unwrap_or("?")),
        };
        let e = rel_err(got.p_value, want_p);
        let entry = max_rel.entry(key).or_insert((0.0, String::new()));
        if e > entry.0 || entry.1.is_empty() {
            *entry = (e, name.to_string());
        }
    }
    println!(
        "ks_2samp vs scipy {}: {} cases",
        fx["scipy_version"].as_str().unwrap_or("?"),
        cases.len()
    );
    for (k, (e, name)) in &max_rel {
        println!("  max rel p error {k:<28} {e:.3e}  ({name})");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn kstwo_sf_matches_scipy() {
    let fx = fixture();
    let grid = fx["kstwo"].as_array().expect("kstwo");
    assert!(grid.len() > 500, "fixture has too few kstwo points");
    let mut failures = Vec::new();
    let mut max_rel: BTreeMap<String, (f64, String)> = BTreeMap::new();
    for pt in grid {
        let n = u(pt, "n");
        let d = f(pt, "d");
        let want = f(pt, "sf");
        let got = kstwo_sf(d, n);
        if !p_close(got, want) {
            failures.push(format!(
                "kstwo.sf({d:?}, {n}) = {got:e}, scipy {want:e} (rel {:e}, region {})",
                rel_err(got, want),
                pt["region"]
            ));
        }
        let key = pt["region"].as_str().unwrap_or("?").to_string();
        let e = rel_err(got, want);
        let entry = max_rel.entry(key).or_insert((0.0, String::new()));
        if e > entry.0 || entry.1.is_empty() {
            *entry = (e, format!("n={n} d={d:?}"));
        }
    }
    println!("kstwo.sf vs scipy: {} points", grid.len());
    for (k, (e, at)) in &max_rel {
        println!("  max rel error {k:<22} {e:.3e}  ({at})");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn edge_cases_do_not_panic() {
    assert_eq!(ks_2samp(&[], &[]), None);
    assert_eq!(ks_2samp(&[1.0], &[]), None);
    assert_eq!(ks_2samp(&[f64::NAN, f64::NAN], &[1.0]), None);
    let one = ks_2samp(&[1.0], &[1.0]).expect("n=1");
    assert_eq!((one.statistic, one.p_value), (0.0, 1.0));
    let one = ks_2samp(&[1.0], &[2.0]).expect("n=1");
    assert_eq!((one.statistic, one.p_value), (1.0, 1.0));
    let inf = ks_2samp(&[f64::NEG_INFINITY, 0.0], &[f64::INFINITY, 0.0, -0.0]).expect("inf");
    assert!((0.0..=1.0).contains(&inf.p_value));
    // NaN passed to the sorted entry point: garbage in, but no panic / hang.
    let r = ks_2samp_sorted(&[f64::NAN, 1.0, f64::NAN], &[0.5, f64::NAN]).expect("nan");
    assert!((0.0..=1.0).contains(&r.statistic) && (0.0..=1.0).contains(&r.p_value));
    // Huge samples take the asymptotic branch.
    let big: Vec<f64> = (0..1_000_000).map(|i| i as f64).collect();
    let shifted: Vec<f64> = big.iter().map(|x| x + 0.5).collect();
    let r = ks_2samp_sorted(&big, &shifted).expect("big");
    assert_eq!(r.method, KsMethod::Asymptotic);
    assert_eq!(r.p_value, 1.0);
    let far: Vec<f64> = big.iter().map(|x| x + 2e6).collect();
    let r = ks_2samp_sorted(&big, &far).expect("far");
    assert_eq!((r.statistic, r.p_value), (1.0, 0.0));
    assert!(kstwo_sf(0.5, 0).is_nan());
    assert!(kstwo_sf(f64::NAN, 10).is_nan());
    assert_eq!(kstwo_sf(-1.0, 10), 1.0);
    assert_eq!(kstwo_sf(2.0, 10), 0.0);
    for n in [1u64, 2, 141, 100_001, 1_000_001, u64::from(u32::MAX)] {
        for d in [1e-9, 0.01, 0.2, 0.5, 0.9, 1.0 - 1e-12] {
            let p = kstwo_sf(d, n);
            assert!((0.0..=1.0).contains(&p), "kstwo_sf({d}, {n}) = {p}");
        }
    }
}

fn sample_strategy() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        // continuous-ish values
        prop::collection::vec(-1e3f64..1e3, 1..300),
        // heavy ties
        prop::collection::vec((0i32..6).prop_map(f64::from), 1..300),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn outcome_in_unit_interval(a in sample_strategy(), b in sample_strategy()) {
        let r = ks_2samp(&a, &b).expect("non-empty");
        prop_assert!((0.0..=1.0).contains(&r.statistic), "D = {}", r.statistic);
        prop_assert!((0.0..=1.0).contains(&r.p_value), "p = {}", r.p_value);
    }

    #[test]
    fn symmetric(a in sample_strategy(), b in sample_strategy()) {
        let ab = ks_2samp(&a, &b).expect("non-empty");
        let ba = ks_2samp(&b, &a).expect("non-empty");
        prop_assert_eq!(ab, ba);
    }

    #[test]
    fn identical_samples(a in sample_strategy()) {
        let r = ks_2samp(&a, &a).expect("non-empty");
        prop_assert_eq!(r.statistic, 0.0);
        prop_assert_eq!(r.p_value, 1.0);
    }

    #[test]
    fn far_shift_gives_d_one(a in sample_strategy(), b in sample_strategy()) {
        let far: Vec<f64> = b.iter().map(|x| x + 1e7).collect();
        let r = ks_2samp(&a, &far).expect("non-empty");
        prop_assert_eq!(r.statistic, 1.0);
        let r = ks_2samp(&far, &a).expect("non-empty");
        prop_assert_eq!(r.statistic, 1.0);
    }

    #[test]
    fn order_does_not_matter(mut a in sample_strategy(), b in sample_strategy()) {
        let r1 = ks_2samp(&a, &b).expect("non-empty");
        a.reverse();
        let r2 = ks_2samp(&a, &b).expect("non-empty");
        prop_assert_eq!(r1, r2);
    }

    #[test]
    fn kstwo_sf_in_unit_interval_and_monotone(n in 1u64..5000, d1 in 0.0f64..1.0, d2 in 0.0f64..1.0) {
        let (lo, hi) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
        let (p_lo, p_hi) = (kstwo_sf(lo, n), kstwo_sf(hi, n));
        prop_assert!((0.0..=1.0).contains(&p_lo) && (0.0..=1.0).contains(&p_hi));
        // sf is non-increasing in d (allow round-off between methods)
        prop_assert!(p_hi <= p_lo + 1e-9, "sf({hi}, {n}) = {p_hi} > sf({lo}, {n}) = {p_lo}");
    }
}
