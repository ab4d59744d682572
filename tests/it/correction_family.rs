//! One correction per window (`correction_scope = "window"`): the monitor corrects the p-values
//! of every detector in the window together, so a window's verdict keeps `alpha`; under
//! `"detector"` each detector corrects its own features, as before.

use ml_monitor::config::{Correction, CorrectionScope, DetectorKind};
use ml_monitor::data::{Column, DataWindow};
use ml_monitor::drift::DriftResult;
use ml_monitor::{config::MonitorConfig, ModelMonitor};

fn spread(n: usize, shift: f64, scale: f64) -> Vec<f64> {
    // Deterministic quantiles of a logistic distribution, interleaved.
    (0..n)
        .map(|i| {
            let u = ((i * 7919) % n) as f64 / n as f64 + 0.5 / n as f64;
            shift + scale * (u / (1.0 - u)).ln()
        })
        .collect()
}

fn window(n: usize, shift: f64, share_a: f64) -> DataWindow {
    let a = (n as f64 * share_a).round() as usize;
    let cats: Vec<Option<&str>> = (0..n)
        .map(|i| Some(if i < a { "a" } else { "b" }))
        .collect();
    let x = spread(n, shift, 1.0);
    let y = spread(n, 0.0, 1.0);
    let z: Vec<f64> = y.iter().rev().copied().collect();
    DataWindow::new(
        "w",
        vec![
            Column::numeric("x", x),
            Column::numeric("y", y),
            Column::numeric("z", z),
            Column::categorical("c", &cats),
        ],
        None,
        None,
    )
    .expect("equal lengths")
}

fn run(scope: CorrectionScope, correction: Correction) -> Vec<(String, DriftResult)> {
    let mut config = MonitorConfig::default();
    config.drift.detectors = vec![
        DetectorKind::Ks,
        DetectorKind::Psi,
        DetectorKind::Chi2,
        DetectorKind::Ad,
    ];
    config.drift.statistical.correction_scope = scope;
    config.drift.statistical.correction = correction;
    let reference = window(1000, 0.0, 0.5);
    let mut monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("reference fits");
    let result = monitor.monitor(&window(400, 0.25, 0.56));
    result.drift.into_iter().collect()
}

/// Every raw p-value of the window's detectors, by detector.
fn p_values(results: &[(String, DriftResult)], detector: &str) -> Vec<(f64, Option<f64>)> {
    results
        .iter()
        .filter(|(name, _)| name == detector)
        .flat_map(|(_, r)| r.features.values())
        .filter_map(|f| f.p_value.map(|p| (p, f.p_value_adjusted)))
        .collect()
}

#[test]
fn the_window_scope_corrects_every_detectors_p_values_together() {
    let results = run(CorrectionScope::Window, Correction::Bonferroni);
    // ks: 3 numeric features, ad: 3, chi2: 1 categorical; psi has no p-value.
    let m = 7.0;
    for detector in ["ks", "ad", "chi2"] {
        let ps = p_values(&results, detector);
        assert!(!ps.is_empty(), "{detector}");
        for (p, adjusted) in ps {
            assert_eq!(adjusted, Some((p * m).min(1.0)), "{detector}");
        }
    }
    for (name, r) in &results {
        for (feature, f) in &r.features {
            let want = f.p_value_adjusted.is_some_and(|p| p < 0.05);
            if name != "psi" {
                assert_eq!(f.drifted, want, "{name}/{feature}: {f:?}");
            }
        }
    }
    let psi = &results.iter().find(|(n, _)| n == "psi").expect("psi").1;
    assert!(psi.features.values().all(|f| f.p_value_adjusted.is_none()));
}

#[test]
fn the_detector_scope_corrects_each_detector_apart() {
    let results = run(CorrectionScope::Detector, Correction::Bonferroni);
    for (detector, m) in [("ks", 3.0), ("ad", 3.0), ("chi2", 1.0)] {
        for (p, adjusted) in p_values(&results, detector) {
            assert_eq!(adjusted, Some((p * m).min(1.0)), "{detector}");
        }
    }
}

#[test]
fn the_window_scope_with_fdr_ranks_the_whole_family() {
    let results = run(CorrectionScope::Window, Correction::Fdr);
    let mut all: Vec<(f64, f64)> = ["ks", "ad", "chi2"]
        .iter()
        .flat_map(|d| p_values(&results, d))
        .map(|(p, a)| (p, a.expect("adjusted")))
        .collect();
    assert_eq!(all.len(), 7);
    // Benjamini–Hochberg over the 7: adjusted = min over ranks ≥ i of p_(k) · 7 / k.
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let m = all.len() as f64;
    for i in 0..all.len() {
        let want = (i..all.len())
            .map(|k| all[k].0 * m / (k + 1) as f64)
            .fold(1.0f64, f64::min);
        assert!((all[i].1 - want).abs() < 1e-12, "{all:?}");
    }
}
