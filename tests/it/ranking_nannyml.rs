//! The ranking statistic against NannyML 0.13.1's `CorrelationRanker`
//! (`tests/fixtures/make_ranker_fixtures.py`: its docstring example on the car-loan data, KS and
//! chi-square drift, realised recall, chunks of 5,000 rows): given the same per-chunk drift
//! statistics, performance and reference mean, the same order, Pearson r and p-value within
//! 1e-9, and a feature drifted in some chunk exactly when NannyML says `has_drifted`.

use ml_monitor::monitoring::ranking::{rank, FeatureSeries};
use serde::Deserialize;

#[derive(Deserialize)]
struct Series {
    feature: String,
    statistic: Vec<f64>,
    drifted: Vec<bool>,
}

#[derive(Deserialize)]
struct Ranked {
    feature: String,
    score: Option<f64>,
    p_value: Option<f64>,
    has_drifted: bool,
}

#[derive(Deserialize)]
struct Fixture {
    performance: Vec<f64>,
    reference: f64,
    features: Vec<Series>,
    ranking: Vec<Ranked>,
}

#[test]
fn ranking_equals_nannyml_correlation_ranker() {
    let f: Fixture = serde_json::from_str(include_str!("../fixtures/ranker_nannyml.json"))
        .expect("fixture parses");
    let series: Vec<FeatureSeries> = f
        .features
        .iter()
        .map(|s| FeatureSeries {
            feature: &s.feature,
            statistic: s.statistic.iter().map(|&v| Some(v)).collect(),
            drifted: s.drifted.clone(),
        })
        .collect();
    let ours = rank(&f.performance, f.reference, &series);
    assert_eq!(ours.len(), f.ranking.len());
    let mut worst: f64 = 0.0;
    for (o, n) in ours.iter().zip(&f.ranking) {
        assert_eq!(o.feature, n.feature);
        let (score, p) = (n.score.expect("r"), n.p_value.expect("p"));
        assert!(
            (o.score - score).abs() < 1e-9,
            "{}: r {} vs {score}",
            o.feature,
            o.score
        );
        assert!(
            (o.p_value - p).abs() < 1e-9,
            "{}: p {} vs {p}",
            o.feature,
            o.p_value
        );
        worst = worst
            .max((o.score - score).abs())
            .max((o.p_value - p).abs());
        assert_eq!(o.drifted_windows > 0, n.has_drifted, "{}", o.feature);
    }
    println!("max |ours - NannyML| over r and p: {worst:e}");
}
