//! Time travel's read (issue 28 item 1): jumping the screen to any window of a year of hourly
//! windows (8,760) of any of 20 models whose histories share one directory, as the worker does
//! for `[` / `]` — the window `k` back from the newest, the 120 results before it for the
//! trends, and the incidents as they stood. The target is under 100 ms.
//!
//! The histories are made once (from 24 windows of the synthetic generator, recurring drift,
//! evaluated by the default monitor, so results and incident changes are real ones, repeated
//! with hourly names and times) under the target's tmp directory and kept for later runs.
//!
//! The history code is the binary's (`src/history`), compiled here from its sources: the
//! library knows nothing of histories, and the bench must time the code the worker runs.

// Only the history's reading is timed: the rest of the module (and its tests) is unused here.
#![allow(dead_code, unused_imports)]

#[path = "../src/history/mod.rs"]
mod history;
#[path = "../src/local_time.rs"]
mod local_time;
#[path = "../src/sanitize.rs"]
mod sanitize;
#[path = "../src/silences/mod.rs"]
mod silences;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use ml_monitor::data::{parse_reference, parse_window};
use ml_monitor::generator::{Generator, GeneratorConfig, Scenario};
use ml_monitor::{config::MonitorConfig, ModelMonitor, MonitoringResult};

use history::History;

const MODELS: usize = 20;
const WINDOWS: usize = 8_760;
/// What the screen asks for with a past window (`tui::app::travel::TREND_WINDOWS`).
const TREND: usize = 120;
/// Bump when the made histories change shape.
const VERSION: &str = "v1";

/// 24 real results: the default monitor on generated windows, drift recurring.
fn templates() -> Vec<MonitoringResult> {
    let generator = Generator::new(GeneratorConfig {
        rows: 2000,
        windows: 24,
        seed: 7,
        scenario: Scenario::Recurring,
        drift_start: 4,
    });
    let config = MonitorConfig::default();
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = generator
        .write_reference(dir.path())
        .expect("reference written");
    let bytes = std::fs::read(&path).expect("reference read");
    let (reference, schema) =
        parse_reference(&path, &bytes, &config.columns).expect("reference parses");
    let mut monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("fits");
    (1..=24)
        .map(|i| {
            let name = format!("window_{i:04}.csv");
            let window = parse_window(Path::new(&name), &generator.window_csv(i), &schema)
                .expect("window parses");
            monitor.monitor(&window)
        })
        .collect()
}

/// One model's year: the templates over and over, hourly.
fn make_history(path: &Path, templates: &[MonitoringResult]) {
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid time");
    let mut h = History::open(path).expect("history opens");
    for i in 0..WINDOWS {
        let mut r = templates[i % templates.len()].clone();
        r.window = format!("window_{:05}.csv", i + 1);
        r.timestamp = start + chrono::Duration::hours(i as i64);
        h.record_window(None, &r, &[]).expect("recorded");
    }
}

/// The 20 histories of one directory, made once.
fn histories() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("time_travel_{VERSION}"));
    let paths: Vec<PathBuf> = (0..MODELS)
        .map(|m| dir.join(format!("model_{m:02}.sqlite")))
        .collect();
    let done = dir.join("complete");
    if done.exists() {
        return paths;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench directory");
    eprintln!(
        "making {MODELS} histories of {WINDOWS} windows in {}",
        dir.display()
    );
    let templates = templates();
    make_history(&paths[0], &templates);
    // The same year for every model: each is a file of its own, as in a fleet.
    for path in &paths[1..] {
        std::fs::copy(&paths[0], path).expect("copy");
    }
    std::fs::write(&done, b"").expect("marker");
    paths
}

fn bench(c: &mut Criterion) {
    let paths = histories();
    // Each model's worker keeps its history open.
    let open: Vec<History> = paths
        .iter()
        .map(|p| History::open(p).expect("opens"))
        .collect();
    let sample = open[0]
        .past_window(None, -1, TREND)
        .expect("reads")
        .expect("a window");
    eprintln!(
        "a jump reads {} results and {} incidents",
        sample.results.len(),
        sample.incidents.len()
    );
    // A fixed walk over (model, windows back) pairs, the whole year covered.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut group = c.benchmark_group("time_travel_8760_windows_x20_models");
    group.sample_size(50);
    group.bench_function("jump_to_any_window", |b| {
        b.iter(|| {
            let model = (next() % MODELS as u64) as usize;
            let back = 1 + (next() % (WINDOWS as u64 - 1)) as i64;
            black_box(open[model].past_window(None, -back, TREND).expect("reads"))
        })
    });
    group.bench_function("jump_to_the_oldest_window", |b| {
        b.iter(|| {
            let model = (next() % MODELS as u64) as usize;
            black_box(
                open[model]
                    .past_window(None, -(WINDOWS as i64), TREND)
                    .expect("reads"),
            )
        })
    });
    group.bench_function("step_one_back_from_a_past_window", |b| {
        b.iter(|| {
            let model = (next() % MODELS as u64) as usize;
            let from = 1 + (next() % WINDOWS as u64) as i64;
            black_box(
                open[model]
                    .past_window(Some(from), -1, TREND)
                    .expect("reads"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
