//! Against scikit-learn (`tests/fixtures/make_isotonic_fixtures.py`).

use super::*;

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    x: Vec<f64>,
    y: Vec<f64>,
    x_thresholds: Vec<f64>,
    y_thresholds: Vec<f64>,
    queries: Vec<f64>,
    predictions: Vec<f64>,
}

#[derive(serde::Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

fn fixture() -> Fixture {
    let text = include_str!("../../tests/fixtures/isotonic_sklearn.json");
    serde_json::from_str(text).expect("fixture parses")
}

#[test]
fn matches_scikit_learn() {
    let cases = fixture().cases;
    assert!(cases.len() >= 8);
    for c in cases {
        let fitted = IsotonicRegression::fit(&c.x, &c.y).expect("points");
        assert_eq!(fitted.x, c.x_thresholds, "{}: thresholds", c.name);
        assert_eq!(fitted.y.len(), c.y_thresholds.len(), "{}", c.name);
        for (a, b) in fitted.y.iter().zip(&c.y_thresholds) {
            assert!((a - b).abs() <= 1e-12, "{}: {a} vs {b}", c.name);
        }
        for (q, want) in c.queries.iter().zip(&c.predictions) {
            let got = fitted.predict(*q);
            assert!(
                (got - want).abs() <= 1e-12,
                "{}: f({q}) = {got}, sklearn {want}",
                c.name
            );
        }
        // The sorted sweep gives the very same values.
        let mut queries = c.queries.clone();
        queries.sort_by(|a, b| b.total_cmp(a));
        let mut sweep = fitted.descending();
        for q in queries {
            assert_eq!(
                sweep.predict(q).to_bits(),
                fitted.predict(q).to_bits(),
                "{}",
                c.name
            );
        }
    }
}

#[test]
fn nothing_to_fit_and_nan() {
    assert!(IsotonicRegression::fit(&[], &[]).is_none());
    assert!(IsotonicRegression::fit(&[f64::NAN], &[1.0]).is_none());
    let f = IsotonicRegression::fit(&[0.2, f64::NAN, 0.8], &[0.0, 1.0, 1.0]).expect("fits");
    assert_eq!(f.x, vec![0.2, 0.8]);
    assert!(f.predict(f64::NAN).is_nan());
}
