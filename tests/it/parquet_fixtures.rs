//! The Parquet fixtures written by pyarrow (and DuckDB) in tests/fixtures/parquet/
//! (`tests/fixtures/make_parquet_fixtures.py`): every codec, every column type the mapping table
//! of docs/formats.md names, and each file's documented result.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ml_monitor::data::{self, Column, ColumnRoles, DataError, DataWindow, FeatureKind};
use serde_json::Value;

use crate::support::same;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet")
        .join(name)
}

const CODECS: [&str; 5] = ["snappy", "zstd", "gzip", "lz4", "none"];

/// Two columns hold the same cells: same numbers bit for bit (NaN for missing and invalid),
/// same categories in the same order, same counts.
fn assert_same_column(a: &Column, b: &Column, what: &str) {
    assert_eq!(a.name, b.name, "{what}");
    assert_eq!(
        (a.missing, a.invalid),
        (b.missing, b.invalid),
        "{what} {}",
        a.name
    );
    match (a.as_numeric(), b.as_numeric()) {
        (Some(x), Some(y)) => {
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            let canonical = |v: &[f64]| {
                v.iter()
                    .map(|f| if f.is_nan() { f64::NAN } else { *f })
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                bits(&canonical(x)),
                bits(&canonical(y)),
                "{what} {}",
                a.name
            );
        }
        (None, None) => assert_eq!(a.as_categorical(), b.as_categorical(), "{what} {}", a.name),
        _ => panic!("{what} {}: kinds differ", a.name),
    }
}

fn assert_same_window(a: &DataWindow, b: &DataWindow, what: &str) {
    assert_eq!(a.rows(), b.rows(), "{what}");
    assert_eq!(a.features().len(), b.features().len(), "{what}");
    for (x, y) in a.features().iter().zip(b.features()) {
        assert_same_column(x, y, what);
    }
    for (x, y) in [(a.prediction(), b.prediction()), (a.target(), b.target())] {
        match (x, y) {
            (Some(x), Some(y)) => assert_same_column(x, y, what),
            (None, None) => {}
            _ => panic!("{what}: a role column is in one window only"),
        }
    }
}

#[test]
fn reference_types_follow_the_mapping_table() {
    let (w, schema) = data::read_reference(&fixture("reference.parquet"), &ColumnRoles::default())
        .expect("reads");
    let kinds: Vec<(&str, FeatureKind)> = schema
        .features
        .iter()
        .map(|f| (f.name.as_str(), f.kind))
        .collect();
    use FeatureKind::{Categorical as C, Numeric as N};
    assert_eq!(
        kinds,
        [
            ("i8", N),
            ("i16", N),
            ("i32", N),
            ("i64", N),
            ("u8", N),
            ("u16", N),
            ("u32", N),
            ("u64", N),
            ("f32", N),
            ("f64", N),
            ("dec", N),
            ("flag", C),
            ("city", C),
            ("device", C),
        ],
        "the timestamp is not a feature"
    );
    assert_eq!(w.extra_columns(), ["ts"]);
    assert_eq!(w.rows(), 240);
    let flag = w.feature("flag").expect("flag");
    let (_, dictionary) = flag.as_categorical().expect("categorical");
    let mut values = dictionary.to_vec();
    values.sort();
    assert_eq!(values, ["false", "true"]);
    // Strings are read as CSV cells are: trimmed, and `NA` is missing.
    let city = w.feature("city").expect("city");
    let (_, dictionary) = city.as_categorical().expect("categorical");
    assert!(dictionary.contains(&"nice".to_string()), "{dictionary:?}");
    assert!(!dictionary.contains(&"NA".to_string()), "{dictionary:?}");
    // NaN is missing, an infinity invalid; nulls are missing.
    let f64col = w.feature("f64").expect("f64");
    assert!(f64col.invalid > 0 && f64col.missing > 0, "{f64col:?}");
    assert!(w.feature("i16").expect("i16").missing > 0);
    assert!(w.feature("dec").expect("dec").missing > 0);
    // Integers beyond 2^53 and uint64 go to the nearest double.
    let u64col = w
        .feature("u64")
        .expect("u64")
        .as_numeric()
        .expect("numeric");
    assert!(u64col.iter().all(|v| *v > 1.8e19));
}

#[test]
fn the_reference_reads_as_its_csv_twin() {
    let roles = ColumnRoles::default();
    let (pq, pq_schema) = data::read_reference(&fixture("reference.parquet"), &roles).expect("pq");
    let (csv, csv_schema) = data::read_reference(&fixture("reference.csv"), &roles).expect("csv");
    assert_eq!(pq_schema, csv_schema);
    assert_same_window(&pq, &csv, "reference");
}

#[test]
fn every_codec_reads_as_the_csv_and_gzip_twins() {
    let roles = ColumnRoles::default();
    let (_, schema) = data::read_reference(&fixture("reference.parquet"), &roles).expect("ref");
    let csv = data::read_window(&fixture("window.csv"), &schema).expect("csv");
    let gz = data::read_window(&fixture("window.csv.gz"), &schema).expect("csv.gz");
    assert_same_window(&gz, &csv, "csv.gz");
    for codec in CODECS {
        let name = format!("window_{codec}.parquet");
        let w = data::read_window(&fixture(&name), &schema).expect(&name);
        assert_same_window(&w, &csv, &name);
        assert_eq!(w.extra_columns(), ["ts"], "{name}");
    }
}

#[test]
fn a_window_written_by_duckdb_reads_as_its_csv_twin() {
    let roles = ColumnRoles::default();
    let (_, schema) = data::read_reference(&fixture("reference.csv"), &roles).expect("ref");
    let csv = data::read_window(&fixture("window.csv"), &schema).expect("csv");
    let duck = data::read_window(&fixture("duckdb.parquet"), &schema).expect("duckdb");
    assert_same_window(&duck, &csv, "duckdb");
}

#[test]
fn a_window_written_by_spark_with_hadoop_lz4_reads_as_its_csv_twin() {
    let roles = ColumnRoles::default();
    let (_, schema) = data::read_reference(&fixture("reference.parquet"), &roles).expect("ref");
    let csv = data::read_window(&fixture("window.csv"), &schema).expect("csv");
    let spark = data::read_window(&fixture("spark_lz4.parquet"), &schema).expect("spark");
    assert_same_window(&spark, &csv, "spark");
}

#[test]
fn a_nested_column_is_an_error_naming_it_unless_excluded() {
    let e = data::read_reference(&fixture("nested.parquet"), &ColumnRoles::default())
        .expect_err("nested");
    assert!(matches!(e, DataError::UnsupportedType { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("nested.parquet") && text.contains("\"tags\"") && text.contains("List"),
        "{text}"
    );
    let roles = ColumnRoles {
        exclude: vec!["tags".into()],
        ..ColumnRoles::default()
    };
    let (w, _) = data::read_reference(&fixture("nested.parquet"), &roles).expect("excluded");
    assert_eq!(w.extra_columns(), ["ts", "tags"]);
}

fn bin() -> Command {
    Command::cargo_bin("ml-monitor").expect("binary built")
}

fn once(window: &Path, reference: &Path) -> (Vec<Value>, Option<i32>) {
    let out = bin()
        .arg("watch")
        .arg(window)
        .arg("--reference")
        .arg(reference)
        .args(["--once", "--format", "json"])
        .output()
        .expect("runs");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (lines, out.status.code())
}

#[test]
fn whole_runs_give_bit_identical_results_in_every_format() {
    let (want, status) = once(&fixture("window.csv"), &fixture("reference.csv"));
    assert_eq!(want.len(), 1);
    assert!(want[0]["error"].is_null(), "{}", want[0]);
    let want_text = same::normalized(&want[0], &["window.csv"]);
    let mut combos: Vec<(String, &str)> = CODECS
        .iter()
        .map(|c| (format!("window_{c}.parquet"), "reference.parquet"))
        .collect();
    combos.push(("window_zstd.parquet".into(), "reference.csv"));
    combos.push(("window.csv".into(), "reference.parquet"));
    combos.push(("window.csv.gz".into(), "reference.parquet"));
    combos.push(("duckdb.parquet".into(), "reference.csv"));
    combos.push(("spark_lz4.parquet".into(), "reference.parquet"));
    for (window, reference) in combos {
        let (got, got_status) = once(&fixture(&window), &fixture(reference));
        assert_eq!(got_status, status, "{window} vs {reference}");
        assert_eq!(
            same::normalized(&got[0], &[&window]),
            want_text,
            "{window} against {reference}"
        );
    }
}

#[test]
fn a_window_whose_column_type_disagrees_is_an_error_result_and_the_next_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        fixture("window_mismatch.parquet"),
        dir.path().join("w1.parquet"),
    )
    .expect("copy");
    std::fs::copy(
        fixture("window_snappy.parquet"),
        dir.path().join("w2.parquet"),
    )
    .expect("copy");
    let (results, status) = once(dir.path(), &fixture("reference.parquet"));
    assert_eq!(results.len(), 2, "{results:?}");
    let error = &results[0]["error"];
    assert_eq!(error["kind"], "type_mismatch", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("w1.parquet") && message.contains("\"i32\""),
        "{message}"
    );
    assert!(results[1]["error"].is_null(), "{}", results[1]);
    assert_eq!(status, Some(4), "a window error is critical");
}
