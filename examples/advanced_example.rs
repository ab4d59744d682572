//! Regression with controlled noise differences: a linear model trained on clean data, then
//! windows that differ from the reference in one known way each, compared side by side under
//! KS, PSI and the classifier detector, with custom alert thresholds.
//!
//! The windows show what each method can and cannot see: extra measurement noise on an input
//! changes its spread but not its mean (KS and PSI see it; a linear classifier does not), extra
//! noise in the target leaves the inputs alone (no detector sees it; only R² does), and a
//! shifted mean is seen by all three.
//!
//! `cargo run --release --example advanced_example`

use std::error::Error;
use std::sync::Arc;

use ml_monitor::config::DetectorKind;
use ml_monitor::data::{Column, DataWindow};
use ml_monitor::model;
use ml_monitor::AlertThresholds;
use ml_monitor::{
    config::{MonitorConfig, Task},
    AlertLevel, AlertManager, ModelMonitor,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, StandardNormal};

const ROWS: usize = 4000;
const SEGMENTS: [&str; 3] = ["retail", "business", "public"];
const SEGMENT_EFFECT: [f64; 3] = [0.0, 1.0, -0.5];

/// How a window departs from the reference process.
#[derive(Clone, Copy)]
struct Departure {
    label: &'static str,
    /// Standard deviation of measurement noise added to x1 (0: none).
    x1_noise: f64,
    /// Standard deviation of the noise in the target (the reference's is 0.5).
    target_noise: f64,
    /// Shift of x2's mean.
    x2_shift: f64,
}

const CLEAN: Departure = Departure {
    label: "same process",
    x1_noise: 0.0,
    target_noise: 0.5,
    x2_shift: 0.0,
};

/// y = 2·x1 − 1.5·x2 + 0.5·x3 + segment effect + noise; x4 and x5 are unrelated inputs.
fn make(name: &str, d: Departure, seed: u64) -> Result<DataWindow, Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x: Vec<Vec<f64>> = (0..5).map(|_| Vec::with_capacity(ROWS)).collect();
    let (mut segment, mut y) = (Vec::with_capacity(ROWS), Vec::with_capacity(ROWS));
    let x1_noise = Normal::new(0.0, d.x1_noise.max(1e-300))?;
    let target_noise = Normal::new(0.0, d.target_noise)?;
    for _ in 0..ROWS {
        let v: Vec<f64> = (0..5).map(|_| StandardNormal.sample(&mut rng)).collect();
        let s = rng.gen_range(0..SEGMENTS.len());
        let x2 = v[1] + d.x2_shift;
        y.push(
            2.0 * v[0] - 1.5 * x2 + 0.5 * v[2] + SEGMENT_EFFECT[s] + target_noise.sample(&mut rng),
        );
        // The model sees x1 through the (possibly noisier) sensor.
        let x1_seen = v[0]
            + if d.x1_noise > 0.0 {
                x1_noise.sample(&mut rng)
            } else {
                0.0
            };
        for (j, value) in [x1_seen, x2, v[2], v[3], v[4]].into_iter().enumerate() {
            x[j].push(value);
        }
        segment.push(Some(SEGMENTS[s]));
    }
    let mut features: Vec<Column> = x
        .into_iter()
        .enumerate()
        .map(|(j, values)| Column::numeric(format!("x{}", j + 1), values))
        .collect();
    features.push(Column::categorical("segment", &segment));
    DataWindow::new(name, features, None, Some(Column::numeric("target", y)))
        .ok_or_else(|| "unequal columns".into())
}

fn main() -> Result<(), Box<dyn Error>> {
    let reference = make("reference", CLEAN, 1)?;
    let target = reference.target_values().ok_or("no target")?;
    let regression = model::train(&reference, target, Task::Regression)?;
    let (intercept, coefficients) = regression.coefficients();
    let shown: Vec<String> = coefficients
        .iter()
        .filter(|(c, _)| c.starts_with('x'))
        .map(|(c, w)| format!("{c} {w:+.2}"))
        .collect();
    println!(
        "Linear regression on {ROWS} rows (standardised inputs): intercept {intercept:+.2}, {}",
        shown.join(", ")
    );

    let mut config = MonitorConfig {
        task: Task::Regression,
        ..MonitorConfig::default()
    };
    config.drift.detectors = vec![
        DetectorKind::Ks,
        DetectorKind::Psi,
        DetectorKind::Classifier,
    ];
    let thresholds = AlertThresholds {
        r2_score: Some(0.85),
        prediction_shift: Some(0.5),
        drift_level: AlertLevel::Warning,
        ..AlertThresholds::default()
    };
    println!(
        "Alerts: R² below {:?} (WARNING), prediction shift above {:?}, drift at {}.\n",
        thresholds.r2_score.unwrap_or_default(),
        thresholds.prediction_shift.unwrap_or_default(),
        thresholds.drift_level.as_str()
    );
    let mut monitor = ModelMonitor::builder(config)
        .model(Arc::new(regression))
        .alert_manager(AlertManager::new(thresholds)?)
        .build(&reference)?;

    let windows = [
        CLEAN,
        Departure {
            label: "x1 measured with extra noise (sd 1.5)",
            x1_noise: 1.5,
            ..CLEAN
        },
        Departure {
            label: "target noise x3 (sd 1.5)",
            target_noise: 1.5,
            ..CLEAN
        },
        Departure {
            label: "x2 mean shifted by +0.5",
            x2_shift: 0.5,
            ..CLEAN
        },
    ];
    println!(
        "{:<38} {:>13} {:>13} {:>22} {:>7}",
        "window", "KS drifted", "PSI drifted", "classifier AUC (top)", "R²"
    );
    for (k, d) in windows.into_iter().enumerate() {
        let window = make(d.label, d, 100 + k as u64)?;
        let result = monitor.monitor(&window);
        if let Some(error) = &result.error {
            println!("{:<38} error: {}", d.label, error.message);
            continue;
        }
        let per_feature = |name: &str| {
            let r = &result.drift[name];
            let names: Vec<&str> = r
                .features
                .iter()
                .filter(|(_, f)| f.drifted)
                .map(|(n, _)| n.as_str())
                .collect();
            format!("{}/{} {}", r.n_drifted, r.n_features, names.join(","))
        };
        let classifier = &result.drift["classifier"];
        // Importances only mean something when the classifier separates the two sides.
        let top = classifier
            .feature_importances
            .as_ref()
            .filter(|_| classifier.drift_detected)
            .and_then(|imp| imp.iter().max_by(|a, b| a.1.total_cmp(b.1)))
            .map_or("-".to_string(), |(n, _)| n.clone());
        let auc = classifier.auc.unwrap_or(f64::NAN);
        let r2 = result
            .performance
            .as_ref()
            .map_or(f64::NAN, |p| p.headline().1);
        let flag = if classifier.drift_detected { "*" } else { " " };
        println!(
            "{:<38} {:>13} {:>13} {:>14.3}{flag} ({top:>5}) {r2:>7.3}",
            d.label,
            per_feature("ks"),
            per_feature("psi"),
            auc
        );
        for alert in &result.alerts {
            println!(
                "    {:<8} {}: {}",
                alert.level.as_str(),
                alert.kind.as_str(),
                alert.message
            );
        }
    }
    println!("\n(* = classifier drift: AUC above 0.55)");
    Ok(())
}
