//! Start-up on a wide reference: fitting the default monitor (whose `pca` decomposes the
//! features' covariance, O(d³)) on 2,000 rows of 200 and of 500 features, against the same fit
//! without `pca` in the same run. Before nalgebra's decomposition replaced the cyclic Jacobi
//! method, `--once` on the 500-feature reference took 99 s.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use ml_monitor::config::DetectorKind;
use ml_monitor::data::parse_reference;
use ml_monitor::{config::MonitorConfig, ModelMonitor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

const ROWS: usize = 2_000;

/// `features` independent standard normal features and a prediction, as CSV.
fn reference(features: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(7);
    let normal = Normal::new(0.0, 1.0).expect("valid normal");
    let mut out: String = (0..features).map(|f| format!("f{f},")).collect();
    out.push_str("prediction\n");
    for _ in 0..ROWS {
        for _ in 0..features {
            out.push_str(&format!("{:.5},", normal.sample(&mut rng)));
        }
        out.push_str("0.5\n");
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let default = MonitorConfig::default();
    let mut without_pca = MonitorConfig::default();
    without_pca
        .drift
        .detectors
        .retain(|d| *d != DetectorKind::Pca);
    let mut group = c.benchmark_group("fit_2000_rows");
    group.sample_size(10);
    for features in [200, 500] {
        let bytes = reference(features);
        let (reference, _) = parse_reference(Path::new("r.csv"), &bytes, &default.columns)
            .expect("reference parses");
        for (name, config) in [("default", &default), ("without_pca", &without_pca)] {
            group.bench_function(format!("{features}_features_{name}"), |b| {
                b.iter(|| {
                    ModelMonitor::builder(config.clone())
                        .build(black_box(&reference))
                        .expect("fits")
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
