//! Parity of the `pca` detector with NannyML 0.13.1's `DataReconstructionDriftCalculator`:
//! reference-chunk values, thresholds, components kept, and per-window reconstruction error,
//! sampling error and alert, recorded in `tests/fixtures/pca_nannyml.json` by
//! `tests/fixtures/make_pca_fixtures.py`.

use ml_monitor::config::{PcaConfig, PcaThresholds};
use ml_monitor::data::{Column, DataWindow};
use ml_monitor::drift::pca::PcaDriftDetector;
use ml_monitor::drift::DriftDetector;
use serde_json::Value;

const REL_TOL: f64 = 1e-6;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pca_nannyml.json"
    );
    let text = std::fs::read_to_string(path).expect("read pca_nannyml.json");
    serde_json::from_str(&text).expect("parse pca_nannyml.json")
}

/// The fixture's columns as a window, in the file's column order.
fn window(data: &Value) -> DataWindow {
    let mut columns = Vec::new();
    for (name, col) in data.as_object().expect("columns") {
        let values = col["values"].as_array().expect("values");
        let column = if col["kind"] == "numeric" {
            Column::numeric(
                name.as_str(),
                values
                    .iter()
                    .map(|v| v.as_f64().unwrap_or(f64::NAN))
                    .collect(),
            )
        } else {
            let cats: Vec<Option<&str>> = values.iter().map(|v| v.as_str()).collect();
            Column::categorical(name.as_str(), &cats)
        };
        columns.push(column);
    }
    DataWindow::new("w", columns, None, None).expect("equal lengths")
}

fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= REL_TOL * theirs.abs()
}

#[test]
fn pca_matches_nannyml() {
    let fx = fixture();
    let datasets = fx["datasets"].as_array().expect("datasets");
    assert!(datasets.len() >= 2);
    let mut windows_checked = 0;
    for ds in datasets {
        let name = ds["name"].as_str().unwrap_or("?");
        // NannyML's thresholds: the reference chunks' mean ± 3 std.
        let mut d = PcaDriftDetector::new(PcaConfig {
            min_sample_size: 1,
            thresholds: PcaThresholds::Chunks,
            ..PcaConfig::default()
        });
        d.fit(&window(&ds["reference"])).expect("fit");
        let chunks = d.reference_chunk_values().expect("fitted").to_vec();
        let want: Vec<f64> = ds["reference_chunk_values"]
            .as_array()
            .expect("chunks")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        assert_eq!(chunks.len(), want.len(), "{name}: chunk count");
        for (got, want) in chunks.iter().zip(&want) {
            assert!(close(*got, *want), "{name}: chunk {got} vs {want}");
        }
        for w in ds["windows"].as_array().expect("windows") {
            let wname = w["name"].as_str().unwrap_or("?");
            let r = d.detect(&window(&w["data"])).expect("detect");
            let p = r.pca.as_ref().expect("pca figures");
            assert_eq!(
                p.components as u64,
                ds["components"].as_u64().expect("components")
            );
            let value = w["value"].as_f64().expect("value");
            let se = w["sampling_error"].as_f64().expect("se");
            assert!(
                close(p.reconstruction_error, value),
                "{name}/{wname}: {} vs {value}",
                p.reconstruction_error
            );
            assert!(
                close(p.sampling_error.expect("se"), se),
                "{name}/{wname}: se {:?} vs {se}",
                p.sampling_error
            );
            for (got, key) in [
                (p.lower_threshold, "lower_threshold"),
                (p.upper_threshold, "upper_threshold"),
            ] {
                match (got, ds[key].as_f64()) {
                    (None, None) => {}
                    (Some(g), Some(t)) => assert!(close(g, t), "{name}: {key} {g} vs {t}"),
                    other => panic!("{name}: {key} {other:?}"),
                }
            }
            assert_eq!(
                r.window_drift,
                w["alert"].as_bool().expect("alert"),
                "{name}/{wname}"
            );
            assert_eq!(r.drift_score, p.reconstruction_error);
            windows_checked += 1;
        }
    }
    assert!(windows_checked >= 6);
}

#[test]
fn small_window_is_insufficient_and_unknown_columns_error() {
    let fx = fixture();
    let ds = &fx["datasets"][0];
    let mut d = PcaDriftDetector::new(PcaConfig::default());
    d.fit(&window(&ds["reference"])).expect("fit");
    let tiny = DataWindow::new(
        "t",
        window(&ds["reference"])
            .features()
            .iter()
            .cloned()
            .map(|c| match c.data {
                ml_monitor::data::ColumnData::Numeric(v) => {
                    Column::numeric(c.name, v[..5].to_vec())
                }
                _ => Column::categorical(c.name, &[Some("a"); 5]),
            })
            .collect(),
        None,
        None,
    )
    .expect("equal lengths");
    let r = d.detect(&tiny).expect("runs");
    assert_eq!(
        r.status,
        Some(ml_monitor::drift::FeatureStatus::InsufficientData)
    );
    assert!(!r.drift_detected && r.pca.is_none());
    let other = DataWindow::new("o", vec![Column::numeric("zzz", vec![1.0; 50])], None, None)
        .expect("one column");
    assert!(d.detect(&other).is_err());
}

/// `thresholds = "window"`: a z-test of the window's mean error against the reference rows'
/// (spread σ·√(1/n + 1/N)); alone, its thresholds sit at the two-sided critical z of `alpha`
/// (1.959964 at 0.05). The reference itself as the window has the rows' mean as its figure and
/// σ/√N as its sampling error, so its thresholds are the figure ± 1.959964·√2·sampling error
/// and its p-value 1; the figures themselves are NannyML's in either mode.
#[test]
fn window_thresholds_scale_with_the_window() {
    let fx = fixture();
    for ds in fx["datasets"].as_array().expect("datasets") {
        let reference = window(&ds["reference"]);
        let mut d = PcaDriftDetector::new(PcaConfig {
            min_sample_size: 1,
            thresholds: PcaThresholds::Window,
            ..PcaConfig::default()
        });
        d.fit(&reference).expect("fit");
        let r = d.detect(&reference).expect("detect");
        let p = r.pca.as_ref().expect("figures");
        let spread = 1.959_963_984_540_054 * 2f64.sqrt() * p.sampling_error.expect("se");
        let upper = p.upper_threshold.expect("upper");
        assert!(close(upper, p.reconstruction_error + spread), "{upper}");
        if let Some(lower) = p.lower_threshold {
            assert!(close(lower, p.reconstruction_error - spread), "{lower}");
        }
        assert!(!r.window_drift);
        assert_eq!(p.p_value, Some(1.0));
        for w in ds["windows"].as_array().expect("windows") {
            let r = d.detect(&window(&w["data"])).expect("detect");
            let p = r.pca.as_ref().expect("figures");
            let value = w["value"].as_f64().expect("value");
            assert!(close(p.reconstruction_error, value));
        }
    }
}
