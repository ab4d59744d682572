//! One 100,000-row x 20-feature numeric window against a fitted reference: CSV bytes to a full
//! `MonitoringResult` (the default detectors + metrics + alerts), the same with the defaults
//! before issue 18 (KS + PSI + chi-square), and a naive floor measured in the same run (csv
//! crate, `str::parse::<f64>` per cell into columns, each column sorted once).
//!
//! The data is generated here (seeded) in the shape of `shared/bench/gen_workload.py`: floats
//! printed with shortest round-trip digits as pandas does, a prediction and a binary target.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use ml_monitor::config::{CorrectionScope, DetectorKind};
use ml_monitor::data::{parse_reference, parse_window};
use ml_monitor::{config::MonitorConfig, ModelMonitor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const ROWS: usize = 100_000;
const FEATURES: usize = 20;

fn workload(seed: u64, shift: f64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).expect("valid normal");
    let mut out = String::with_capacity(ROWS * FEATURES * 20);
    for f in 0..FEATURES {
        out.push_str(&format!("f{f},"));
    }
    out.push_str("prediction,target\n");
    for _ in 0..ROWS {
        let mut z = 0.0;
        for f in 0..FEATURES {
            let x: f64 = match f % 5 {
                0 => normal.sample(&mut rng) * 2.0 + 1.0,
                1 => (normal.sample(&mut rng) * 0.5).exp() * 10.0,
                2 => rng.gen_range(-5.0..5.0),
                3 => f64::from(rng.gen_range(0..12u32)),
                _ => (normal.sample(&mut rng) * 2.0 + 5.0)
                    .round()
                    .clamp(0.0, 10.0),
            };
            let x = if f < FEATURES / 4 { x + shift } else { x };
            z += x * 0.01;
            out.push_str(&format!("{x},"));
        }
        let p = 1.0 / (1.0 + (-z).exp());
        let y = u8::from(rng.gen::<f64>() < p);
        out.push_str(&format!("{p},{y}\n"));
    }
    out.into_bytes()
}

fn naive_floor(bytes: &[u8]) -> Vec<Vec<f64>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let width = reader.headers().map(|h| h.len()).unwrap_or(0);
    let mut columns: Vec<Vec<f64>> = vec![Vec::with_capacity(ROWS); width];
    for record in reader.records() {
        let Ok(record) = record else { continue };
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.push(cell.parse::<f64>().unwrap_or(f64::NAN));
        }
    }
    for column in &mut columns {
        column.sort_unstable_by(f64::total_cmp);
    }
    columns
}

fn bench(c: &mut Criterion) {
    let reference_bytes = workload(42, 0.0);
    let window_bytes = workload(43, 0.3);
    let config = MonitorConfig::default();
    let (reference, schema) = parse_reference(
        Path::new("reference.csv"),
        &reference_bytes,
        &config.columns,
    )
    .expect("reference parses");
    let mut monitor = ModelMonitor::builder(config)
        .history_limit(1)
        .build(&reference)
        .expect("fits");

    // The defaults before issue 18's measurement: KS, PSI and chi-square, each detector
    // corrected apart, no discrete rule.
    let mut previous = MonitorConfig::default();
    previous.drift.detectors = vec![DetectorKind::Ks, DetectorKind::Psi, DetectorKind::Chi2];
    previous.drift.statistical.alpha = 0.05;
    previous.drift.statistical.correction_scope = CorrectionScope::Detector;
    previous.drift.statistical.discrete_max_values = 0;
    let mut previous = ModelMonitor::builder(previous)
        .history_limit(1)
        .build(&reference)
        .expect("fits");

    let mut group = c.benchmark_group("window_100k_x20");
    group.sample_size(20);
    group.bench_function("full_monitoring_result", |b| {
        b.iter(|| {
            let window = parse_window(Path::new("current.csv"), black_box(&window_bytes), &schema)
                .expect("parses");
            // As the binary does: the window is not needed in row order afterwards.
            black_box(monitor.monitor_unordered(window, Default::default()))
        })
    });
    group.bench_function("full_monitoring_result_previous_defaults", |b| {
        b.iter(|| {
            let window = parse_window(Path::new("current.csv"), black_box(&window_bytes), &schema)
                .expect("parses");
            black_box(previous.monitor_unordered(window, Default::default()))
        })
    });
    group.bench_function("naive_floor_csv_parse_sort", |b| {
        b.iter(|| black_box(naive_floor(black_box(&window_bytes))))
    });
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            parse_window(Path::new("current.csv"), black_box(&window_bytes), &schema)
                .expect("parses")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
