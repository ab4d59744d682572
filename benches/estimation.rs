//! Cost of confidence-based performance estimation on one 100,000-row window: calibration of
//! every score, estimated accuracy, F1 and ROC AUC (one sort) with sampling errors, against an
//! estimator fitted on a 100,000-row reference (calibrated and not). Baselines in the same run:
//! the realised classification metrics on the same window, and one sort of its scores.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ml_monitor::config::{CalibrationMode, EstimationConfig};
use ml_monitor::monitoring::estimation::CbpeEstimator;
use ml_monitor::monitoring::metrics::classification_metrics;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const ROWS: usize = 100_000;

/// Overconfident scores of a logistic truth, and labels drawn from the truth.
fn data(seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).expect("valid normal");
    (0..ROWS)
        .map(|_| {
            let logit: f64 = 2.0 * normal.sample(&mut rng) - 0.3;
            let p = 1.0 / (1.0 + (-logit).exp());
            let score = 1.0 / (1.0 + (-1.6 * logit).exp());
            (score, f64::from(u8::from(rng.gen::<f64>() < p)))
        })
        .unzip()
}

fn bench(c: &mut Criterion) {
    let (ref_scores, ref_target) = data(1);
    let (scores, target) = data(2);
    let mut group = c.benchmark_group("estimation_100k_rows");
    for (name, mode) in [
        ("cbpe_calibrated", CalibrationMode::Always),
        ("cbpe_uncalibrated", CalibrationMode::Never),
    ] {
        let config = EstimationConfig {
            calibration: mode,
            ..EstimationConfig::default()
        };
        let estimator = CbpeEstimator::fit(&ref_target, &ref_scores, None, &config).expect("fits");
        group.bench_function(name, |b| {
            b.iter(|| black_box(estimator.estimate(black_box(&scores), None)))
        });
    }
    group.bench_function("baseline_realised_metrics", |b| {
        b.iter(|| {
            black_box(classification_metrics(
                black_box(&target),
                black_box(&scores),
            ))
        })
    });
    group.bench_function("baseline_sort_scores", |b| {
        b.iter(|| {
            let mut s = scores.clone();
            s.sort_unstable_by(f64::total_cmp);
            black_box(s)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
