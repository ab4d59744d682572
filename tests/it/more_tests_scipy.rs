//! Parity of `stats::anderson_darling`, `stats::cramer_von_mises` and `stats::wasserstein`
//! with scipy: outputs of `anderson_ksamp(variant="midrank")`, `cramervonmises_2samp`,
//! `wasserstein_distance` and `_cdf_cvm_inf` recorded in
//! `tests/fixtures/more_tests_scipy.json` by `tests/fixtures/make_more_tests_fixtures.py`.

use ml_monitor::stats::anderson_ksamp;
use ml_monitor::stats::{cdf_cvm_inf, cramervonmises_2samp};
use ml_monitor::stats::{normed_wasserstein_sorted, wasserstein_sorted};
use serde_json::Value;

const REL_TOL: f64 = 1e-7;
/// The asymptotic CvM p-value is `1 − cdf` with the cdf summed to ~1e-15 absolute (scipy's
/// too): below ~1e-8 that cancellation, not the port, decides the last digits, so p-values
/// also pass within this absolute difference.
const P_ABS_TOL: f64 = 1e-14;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/more_tests_scipy.json"
    );
    let text = std::fs::read_to_string(path).expect("read more_tests_scipy.json");
    serde_json::from_str(&text).expect("parse more_tests_scipy.json")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

fn close(ours: f64, theirs: f64) -> bool {
    ours == theirs || (ours - theirs).abs() <= REL_TOL * theirs.abs()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

#[test]
fn fixture_covers_the_promised_cases() {
    let fx = fixture();
    let names: Vec<&str> = fx["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for want in [
        "ties_int3_1000x700",
        "n1_current",
        "identical_300",
        "constant_reference",
        "small_10x10",
        "both_constant_equal",
    ] {
        assert!(names.contains(&want), "fixture lacks {want}");
    }
}

#[test]
fn anderson_ksamp_matches_scipy() {
    let fx = fixture();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in fx["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?");
        let ours = anderson_ksamp(&floats(&case["a"]), &floats(&case["b"]));
        match (&case["ad"], ours) {
            (Value::Null, None) => {}
            (Value::Null, Some(o)) => {
                failures.push(format!("{name}: scipy refuses, we gave {o:?}"))
            }
            (want, None) => failures.push(format!("{name}: scipy gives {want}, we refused")),
            (want, Some(o)) => {
                checked += 1;
                let (s, p) = (num(want, "statistic"), num(want, "pvalue"));
                if !close(o.statistic, s) || !close(o.p_value, p) {
                    failures.push(format!("{name}: ours {o:?}, scipy ({s}, {p})"));
                }
            }
        }
    }
    assert!(checked > 30, "only {checked} cases checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cramervonmises_2samp_matches_scipy() {
    let fx = fixture();
    let mut failures = Vec::new();
    let (mut exact, mut asymptotic) = (0, 0);
    for case in fx["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?");
        let ours = cramervonmises_2samp(&floats(&case["a"]), &floats(&case["b"]));
        match (&case["cvm"], ours) {
            (Value::Null, None) => {}
            (Value::Null, Some(o)) => {
                failures.push(format!("{name}: scipy refuses, we gave {o:?}"))
            }
            (want, None) => failures.push(format!("{name}: scipy gives {want}, we refused")),
            (want, Some(o)) => {
                let (s, p) = (num(want, "statistic"), num(want, "pvalue"));
                let want_exact = want["method"].as_str() == Some("exact");
                if o.exact {
                    exact += 1;
                } else {
                    asymptotic += 1;
                }
                let p_ok = close(o.p_value, p) || (o.p_value - p).abs() <= P_ABS_TOL;
                if o.exact != want_exact || !close(o.statistic, s) || !p_ok {
                    failures.push(format!("{name}: ours {o:?}, scipy ({s}, {p}, {want})"));
                }
            }
        }
    }
    assert!(
        exact >= 10 && asymptotic >= 20,
        "{exact} exact, {asymptotic} asymptotic"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cdf_cvm_inf_matches_scipy() {
    let fx = fixture();
    for point in fx["cvm_inf"].as_array().expect("cvm_inf") {
        let (x, want) = (num(point, "x"), num(point, "cdf"));
        let got = cdf_cvm_inf(x);
        assert!(close(got, want), "x = {x}: ours {got}, scipy {want}");
    }
}

#[test]
fn wasserstein_matches_scipy() {
    let fx = fixture();
    for case in fx["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?");
        let a = sorted(floats(&case["a"]));
        let b = sorted(floats(&case["b"]));
        let want = &case["wasserstein"];
        let d = wasserstein_sorted(&a, &b).expect("non-empty");
        let normed = normed_wasserstein_sorted(&a, &b).expect("non-empty");
        let (wd, wn) = (num(want, "distance"), num(want, "normed"));
        // A distance of 0 is exact on both sides; otherwise relative.
        assert!(
            close(d, wd) || (wd.abs() < 1e-300 && d.abs() < 1e-300),
            "{name}: distance {d} vs {wd}"
        );
        assert!(
            close(normed, wn) || (wn.abs() < 1e-300 && normed.abs() < 1e-300),
            "{name}: normed {normed} vs {wn}"
        );
    }
}
