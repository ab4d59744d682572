//! Bad Parquet and gzip input: truncated, corrupt, zero-byte, still being written (no footer),
//! cut short, too large once decoded. Each is an error result naming the file — never a panic
//! or a hang — and the next window goes on.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ml_monitor::data::{self, ColumnRoles};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

fn once(dir: &Path, extra: &[&str]) -> (Vec<Value>, Option<i32>, String) {
    let out = Command::cargo_bin("ml-monitor")
        .expect("binary")
        .arg("watch")
        .arg(dir)
        .arg("--reference")
        .arg(fixture("reference.parquet"))
        .args(["--once", "--format", "json"])
        .args(extra)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("runs");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    (
        lines,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_files_are_error_results_naming_them_and_the_next_window_goes_on() {
    let good = read("window_snappy.parquet");
    let gz = read("window.csv.gz");
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes);
    write("a_zero.parquet", b"").expect("write");
    write("b_truncated.parquet", &good[..good.len() / 2]).expect("write");
    // Still being written: everything but the footer's last bytes.
    write("c_no_footer.parquet", &good[..good.len() - 6]).expect("write");
    let mut footer = good.clone();
    let n = footer.len();
    for b in &mut footer[n - 300..n - 8] {
        *b ^= 0x5a;
    }
    write("d_bad_footer.parquet", &footer).expect("write");
    write("e_not_parquet.parquet", b"a,b\n1,2\n").expect("write");
    write("f_cut.csv.gz", &gz[..gz.len() / 2]).expect("write");
    write("g_not_gzip.csv.gz", b"a,b\n1,2\n").expect("write");
    write("z_good.parquet", &good).expect("write");
    let (results, status, stderr) = once(dir.path(), &[]);
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["window"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "a_zero.parquet",
            "b_truncated.parquet",
            "c_no_footer.parquet",
            "d_bad_footer.parquet",
            "e_not_parquet.parquet",
            "f_cut.csv.gz",
            "g_not_gzip.csv.gz",
            "z_good.parquet"
        ],
        "{stderr}"
    );
    let kinds = [
        "unreadable",
        "unreadable",
        "unreadable",
        "corrupt",
        "unreadable",
        "unreadable",
        "corrupt",
    ];
    for (r, kind) in results.iter().zip(kinds) {
        let error = &r["error"];
        assert_eq!(error["kind"], kind, "{r}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(r["window"].as_str().unwrap_or("?")),
            "{message}"
        );
    }
    assert!(results[7]["error"].is_null(), "{}", results[7]);
    assert_eq!(status, Some(4), "window errors are critical: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_window_size_cap_applies_to_what_a_gzip_file_inflates_to() {
    use std::io::Read;
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = read("window.csv.gz");
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut inflated)
        .expect("inflates");
    // One byte under the inflated size: the compressed file is far smaller, and so are the
    // reference file and its columns (only one feature is monitored).
    let cap = inflated.len() as u64 - 1;
    assert!(
        std::fs::metadata(fixture("reference.parquet"))
            .expect("ref")
            .len()
            <= cap
    );
    std::fs::write(dir.path().join("w.csv.gz"), &gz).expect("write");
    let config = dir.path().join("monitor.toml");
    std::fs::write(&config, "[columns]\nfeatures = [\"i8\"]\n").expect("config");
    let cap_text = cap.to_string();
    let (results, _, stderr) = once(
        dir.path(),
        &[
            "--max-window-bytes",
            &cap_text,
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(results.len(), 1, "{stderr}");
    let message = results[0]["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("w.csv.gz") && message.contains(&format!("--max-window-bytes {cap}")),
        "{message}"
    );
}

/// Flipped bytes anywhere in a file give a result or an error, never a panic out of the reader.
#[test]
fn random_corruption_never_panics() {
    let (_, schema) =
        data::read_reference(&fixture("reference.parquet"), &ColumnRoles::default()).expect("ref");
    let good = read("window_snappy.parquet");
    let path = Path::new("w.parquet");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] ^= 1 << (next() % 8);
        }
        let _ = data::parse_window(path, &bytes, &schema);
    }
}

/// One Parquet file of the given columns.
fn parquet_of(columns: Vec<(&str, arrow_array::ArrayRef)>) -> Vec<u8> {
    let batch = arrow_array::RecordBatch::try_from_iter(columns).expect("batch");
    let mut out = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    out
}

/// A timestamp or date where the reference had plain numbers is a `type_mismatch` naming the
/// column, not seconds since the epoch read as drift (issue 29, item 14); where the reference
/// had a timestamp too (a listed feature), the window reads.
#[test]
fn a_timestamp_or_date_against_a_numeric_reference_feature_is_a_type_mismatch() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Date32Array, Float64Array, TimestampSecondArray};
    let numbers: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0]));
    let stamps: ArrayRef = Arc::new(TimestampSecondArray::from(vec![1, 2, 3, 4]));
    let dates: ArrayRef = Arc::new(Date32Array::from(vec![1, 2, 3, 4]));
    let prediction: ArrayRef = Arc::new(Float64Array::from(vec![0.1, 0.2, 0.3, 0.4]));
    let roles = ColumnRoles::default();
    let reference = parquet_of(vec![
        ("x", numbers.clone()),
        ("prediction", prediction.clone()),
    ]);
    let (_, schema) =
        data::parse_reference(Path::new("r.parquet"), &reference, &roles).expect("reference reads");
    for (kind, column) in [("timestamp", &stamps), ("date", &dates)] {
        let window = parquet_of(vec![
            ("x", column.clone()),
            ("prediction", prediction.clone()),
        ]);
        let e = data::parse_window(Path::new("w.parquet"), &window, &schema)
            .expect_err(&format!("a {kind} is no number"));
        assert_eq!(e.kind().as_str(), "type_mismatch", "{kind}: {e}");
        assert_eq!(e.column(), Some("x"), "{kind}: {e}");
    }
    let listed = ColumnRoles {
        features: vec!["x".into()],
        ..ColumnRoles::default()
    };
    let reference = parquet_of(vec![
        ("x", stamps.clone()),
        ("prediction", prediction.clone()),
    ]);
    let (_, schema) = data::parse_reference(Path::new("r.parquet"), &reference, &listed)
        .expect("reference reads");
    let window = parquet_of(vec![("x", stamps.clone()), ("prediction", prediction)]);
    let w = data::parse_window(Path::new("w.parquet"), &window, &schema).expect("window reads");
    assert_eq!(w.rows(), 4);
}
