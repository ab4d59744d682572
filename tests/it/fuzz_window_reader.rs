//! Fuzzing the window reader: mutated CSV bytes (flipped, inserted and deleted bytes, quotes,
//! separators, line breaks, NUL, huge and non-finite numbers, truncation) through the same path
//! the binary takes, from file to result. Checked for every file: no panic, exactly one result,
//! an error result names the file, and the result survives JSON and back (the history's
//! round-trip). A proptest with a fixed number of cases, so `cargo test` runs it in bounded time.

use std::path::Path;

use ml_monitor::data::{self, Schema};
use ml_monitor::monitoring::Metadata;
use ml_monitor::{config::MonitorConfig, ModelMonitor, MonitoringResult};
use proptest::prelude::*;

fn window_csv(rows: usize, seed: usize) -> String {
    let mut s = String::from("x,y,c,prediction,target\n");
    for i in 0..rows {
        let x = ((i * 37 + seed * 11) % 101) as f64 / 10.0;
        let y = ((i * 13 + seed) % 17) as f64 - 8.0;
        let c = ["a", "b", "c"][(i + seed) % 3];
        s.push_str(&format!("{x},{y},{c},0.{},{}\n", (i % 9) + 1, i % 2));
    }
    s
}

/// One edit of the bytes, at a position given as a fraction of the length.
#[derive(Debug, Clone)]
enum Edit {
    Set(f64, u8),
    Insert(f64, Vec<u8>),
    Delete(f64, usize),
    Truncate(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    let token = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"1e200".to_vec()),
        Just(b"-1e400".to_vec()),
        Just(b"inf".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just("é".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (0.0..1.0f64, any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        (0.0..1.0f64, token).prop_map(|(at, t)| Edit::Insert(at, t)),
        (0.0..1.0f64, 1usize..20).prop_map(|(at, n)| Edit::Delete(at, n)),
        (0.0..1.0f64).prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match e {
            Edit::Set(f, b) => {
                if !bytes.is_empty() {
                    let i = at(*f, bytes.len() - 1);
                    bytes[i] = *b;
                }
            }
            Edit::Insert(f, t) => {
                let i = at(*f, bytes.len());
                bytes.splice(i..i, t.iter().copied());
            }
            Edit::Delete(f, n) => {
                let i = at(*f, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Truncate(f) => {
                let i = at(*f, bytes.len());
                bytes.truncate(i);
            }
        }
    }
    bytes
}

/// A monitor with the default settings fitted on an 80-row reference written into `dir`.
fn fitted_monitor(dir: &Path) -> (ModelMonitor, Schema) {
    let reference_path = dir.join("reference.csv");
    std::fs::write(&reference_path, window_csv(80, 0)).expect("reference");
    let config = MonitorConfig::default();
    let (reference, schema) =
        data::read_reference(&reference_path, &config.columns).expect("reference reads");
    let monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("fits");
    (monitor, schema)
}

/// What the binary does with one file: read, monitor (or turn the error into a result).
fn process(monitor: &mut ModelMonitor, schema: &Schema, path: &Path) -> MonitoringResult {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match data::read_window(path, schema) {
        Ok(window) => monitor.monitor_unordered(window, Metadata::new()).0,
        Err(e) => monitor.monitor_error(&name, &e, Metadata::new()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_windows_give_one_result_each_and_errors_name_the_file(
        files in proptest::collection::vec(
            (0usize..120, 0usize..50, proptest::collection::vec(edit(), 0..8)),
            1..4,
        )
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut monitor, schema) = fitted_monitor(dir.path());

        let mut paths = Vec::new();
        for (i, (rows, seed, edits)) in files.iter().enumerate() {
            let path = dir.path().join(format!("window_{i:02}.csv"));
            let bytes = apply(window_csv(*rows, *seed).into_bytes(), edits);
            std::fs::write(&path, bytes).expect("write");
            paths.push(path);
        }
        let results: Vec<MonitoringResult> =
            paths.iter().map(|p| process(&mut monitor, &schema, p)).collect();
        prop_assert_eq!(results.len(), paths.len());
        for (path, result) in paths.iter().zip(&results) {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            prop_assert_eq!(&result.window, &name);
            if let Some(error) = &result.error {
                prop_assert!(error.file.contains(&name), "{:?}", error);
                prop_assert!(error.message.contains(&name), "{:?}", error);
                prop_assert!(!result.alerts.is_empty(), "an error raises an alert");
            }
            let json = serde_json::to_string(result).expect("serialises");
            let back: Result<MonitoringResult, _> = serde_json::from_str(&json);
            prop_assert!(back.is_ok(), "{}: {:?}", json, back.err());
        }
    }
}

/// A small deterministic generator (xorshift64*), so the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn fraction(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn edit(&mut self) -> Edit {
        const TOKENS: [&[u8]; 8] = [
            b"\"", b",", b"\n", b"\r\n", b"\0", b"1e200", b"NaN", b"\xff",
        ];
        match self.below(4) {
            0 => Edit::Set(self.fraction(), self.next() as u8),
            1 => Edit::Insert(self.fraction(), TOKENS[self.below(TOKENS.len())].to_vec()),
            2 => Edit::Delete(self.fraction(), 1 + self.below(20)),
            _ => Edit::Truncate(self.fraction()),
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// 10,000 generated windows, a third each CSV, gzip-compressed CSV and Parquet, each with up to
/// five byte edits (none for one in eight): none panics the reader, and every one read or
/// refused becomes exactly one result naming its file.
#[test]
fn ten_thousand_mutated_csv_gzip_and_parquet_windows_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut monitor, schema) = fitted_monitor(dir.path());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut read, mut refused) = (0usize, 0usize);
    for i in 0..10_000usize {
        let csv = window_csv(1 + rng.below(60), rng.below(50));
        let (extension, clean) = match i % 3 {
            0 => ("csv", csv.into_bytes()),
            1 => ("csv.gz", gzip(csv.as_bytes())),
            _ => {
                let path = dir.path().join("clean.csv");
                std::fs::write(&path, &csv).expect("write");
                match data::read_window(&path, &schema) {
                    Ok(window) => (
                        "parquet",
                        data::window_to_parquet(&window).expect("parquet"),
                    ),
                    Err(_) => ("csv", csv.into_bytes()),
                }
            }
        };
        let edits: Vec<Edit> = if rng.below(8) == 0 {
            Vec::new()
        } else {
            (0..1 + rng.below(5)).map(|_| rng.edit()).collect()
        };
        let name = format!("window_{i:05}.{extension}");
        let path = dir.path().join(&name);
        std::fs::write(&path, apply(clean, &edits)).expect("write");
        let result = process(&mut monitor, &schema, &path);
        assert_eq!(result.window, name);
        match &result.error {
            Some(error) => {
                refused += 1;
                assert!(error.file.contains(&name), "{error:?}");
            }
            None => read += 1,
        }
        std::fs::remove_file(&path).expect("remove");
    }
    assert_eq!(read + refused, 10_000);
    eprintln!("10,000 generated windows: {read} read, {refused} refused with an error result");
}
