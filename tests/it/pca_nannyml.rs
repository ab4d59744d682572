//! Parity of the `pca` detector with NannyML 0.13.1's `DataReconstructionDriftCalculator`:
//! reference-chunk values, thresholds, components kept, and per-window reconstruction error,
//! sampling error and alert, recorded in `tests/fixtures/pca_nannyml.json` by
//! `tests/fixtures/make_pca_fixtures.py`.

use ml_monitor::config::{Correction, PcaConfig, PcaThresholds};
use ml_monitor::data::{Column, DataWindow};
use ml_monitor::drift::DriftDetector;
use ml_monitor::PcaDriftDetector;
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

/// Rows `offset`, `offset + 2`, … of the fixture's columns, as a window.
fn every_other(data: &Value, offset: usize) -> DataWindow {
    let mut halved = serde_json::Map::new();
    for (name, col) in data.as_object().expect("columns") {
        let values: Vec<Value> = col["values"]
            .as_array()
            .expect("values")
            .iter()
            .skip(offset)
            .step_by(2)
            .cloned()
            .collect();
        halved.insert(
            name.clone(),
            serde_json::json!({ "kind": col["kind"], "values": values }),
        );
    }
    window(&Value::Object(halved))
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
        })
        .expect("valid settings");
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
    let mut d = PcaDriftDetector::new(PcaConfig::default()).expect("valid settings");
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

/// `thresholds = "window"`: the model is fitted on the even reference rows, and a window's mean
/// error is z-tested against the odd rows' (spread σ·√(1/n + 1/N), σ and N the odd rows' std
/// and count); alone, its thresholds sit at the two-sided critical z of `alpha` (1.959964 at
/// 0.05). So its figures are NannyML's for a reference of the even rows, the thresholds are
/// centred on NannyML's figure for the odd rows as a window, their half-width scales as
/// √(1/n + 1/N), and the p-value is the normal tail of the figure's distance in spreads.
#[test]
fn window_thresholds_scale_with_the_window() {
    const Z: f64 = 1.959_963_984_540_054;
    let fx = fixture();
    for ds in fx["datasets"].as_array().expect("datasets") {
        let mut d = PcaDriftDetector::new(PcaConfig {
            min_sample_size: 1,
            thresholds: PcaThresholds::Window,
            ..PcaConfig::default()
        })
        .expect("valid settings")
        .with_test(0.05, Correction::Bonferroni)
        .expect("valid settings");
        d.fit(&window(&ds["reference"])).expect("fit");
        let mut even = PcaDriftDetector::new(PcaConfig {
            min_sample_size: 1,
            thresholds: PcaThresholds::Chunks,
            ..PcaConfig::default()
        })
        .expect("valid settings");
        even.fit(&every_other(&ds["reference"], 0)).expect("fit");
        let odd = every_other(&ds["reference"], 1);
        let held_out = even.detect(&odd).expect("detect");
        let held_out = held_out.pca.as_ref().expect("figures");
        let centre = held_out.reconstruction_error;
        let big_n = odd.rows() as f64;
        let sigma = held_out.sampling_error.expect("se") * big_n.sqrt();
        for w in ds["windows"].as_array().expect("windows") {
            let cur = window(&w["data"]);
            let n = cur.rows() as f64;
            let r = d.detect(&cur).expect("detect");
            let p = r.pca.as_ref().expect("figures");
            let want = even.detect(&cur).expect("detect");
            let want = want.pca.as_ref().expect("figures").reconstruction_error;
            assert!(
                close(p.reconstruction_error, want),
                "{} {want}",
                p.reconstruction_error
            );
            let half = Z * sigma * (1.0 / n + 1.0 / big_n).sqrt();
            let upper = p.upper_threshold.expect("upper");
            assert!(close(upper, centre + half), "{upper} {}", centre + half);
            let z = (p.reconstruction_error - centre).abs() / (half / Z);
            let tail = statrs::function::erf::erfc(z / 2f64.sqrt());
            assert!(close(p.p_value.expect("p"), tail));
            assert_eq!(r.window_drift, tail < 0.05);
        }
    }
}
