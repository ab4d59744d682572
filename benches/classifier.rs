//! The classifier drift detector on 20,000 reference + 20,000 current rows x 20 numeric features
//! (issue 3's budget: under a second per window in release), with and without a shift.

use criterion::{criterion_group, criterion_main, Criterion};
use ml_monitor::config::ClassifierConfig;
use ml_monitor::data::{Column, DataWindow};
use ml_monitor::{drift::DriftDetector, MLBasedDriftDetector};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

const ROWS: usize = 20_000;
const FEATURES: usize = 20;

fn window(name: &str, seed: u64, shift: f64) -> DataWindow {
    let mut rng = StdRng::seed_from_u64(seed);
    let columns = (0..FEATURES)
        .map(|f| {
            let s = if f == 0 { shift } else { 0.0 };
            let values = (0..ROWS)
                .map(|_| StandardNormal.sample(&mut rng))
                .map(|v: f64| v + s)
                .collect();
            Column::numeric(format!("f{f}"), values)
        })
        .collect();
    DataWindow::new(name, columns, None, None).expect("equal lengths")
}

fn bench(c: &mut Criterion) {
    let reference = window("reference", 1, 0.0);
    let same = window("same", 2, 0.0);
    let shifted = window("shifted", 3, 0.5);
    let mut detector =
        MLBasedDriftDetector::new(ClassifierConfig::default()).expect("valid settings");
    detector.fit(&reference).expect("fit");
    let mut group = c.benchmark_group("classifier_20k_x20");
    group.sample_size(10);
    group.bench_function("fit", |b| {
        b.iter(|| {
            MLBasedDriftDetector::new(ClassifierConfig::default())
                .expect("valid settings")
                .fit(&reference)
        })
    });
    group.bench_function("detect_no_drift", |b| b.iter(|| detector.detect(&same)));
    group.bench_function("detect_shift", |b| b.iter(|| detector.detect(&shifted)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
