//! Property: random frames written as CSV and as Parquet (arrow-rs's `ArrowWriter`, several row
//! groups, nulls, NaN, infinities, integers, strings, booleans) give identical results, every
//! statistic and p-value bit for bit, whichever format the reference and the window are in.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use ml_monitor::{config::MonitorConfig, data, ModelMonitor};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;

use crate::support::same;

/// One cell of a numeric column: a value, a null, or a special float.
#[derive(Debug, Clone)]
enum Num {
    Value(f64),
    Null,
    Nan,
    Inf(bool),
}

#[derive(Debug, Clone)]
struct Frame {
    num: Vec<Num>,
    int: Vec<Option<i64>>,
    text: Vec<Option<String>>,
    flag: Vec<Option<bool>>,
    prediction: Vec<f64>,
}

fn num() -> impl Strategy<Value = Num> {
    prop_oneof![
        12 => (-1e6f64..1e6).prop_map(Num::Value),
        2 => any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(Num::Value),
        1 => Just(Num::Null),
        1 => Just(Num::Nan),
        1 => any::<bool>().prop_map(Num::Inf),
    ]
}

fn frame(rows: std::ops::Range<usize>, shift: f64) -> impl Strategy<Value = Frame> {
    rows.prop_flat_map(move |n| {
        (
            prop::collection::vec(num(), n),
            prop::collection::vec(prop::option::weighted(0.9, -1000i64..1000), n),
            prop::collection::vec(
                prop::option::weighted(0.9, prop::sample::select(vec!["a", "b", "c", "NA", " d "])),
                n,
            ),
            prop::collection::vec(prop::option::weighted(0.9, any::<bool>()), n),
            prop::collection::vec(0.0f64..1.0, n),
        )
            .prop_map(move |(num, int, mut text, mut flag, prediction)| {
                // One value that is text, so that CSV also infers the columns categorical.
                text[0] = Some("a");
                flag[0] = Some(true);
                Frame {
                    num: num
                        .into_iter()
                        .map(|c| match c {
                            Num::Value(v) => Num::Value(v + shift),
                            other => other,
                        })
                        .collect(),
                    int,
                    text: text.into_iter().map(|t| t.map(str::to_string)).collect(),
                    flag,
                    prediction,
                }
            })
    })
}

fn csv(f: &Frame) -> Vec<u8> {
    let mut out = String::from("num,int,text,flag,prediction\n");
    for i in 0..f.num.len() {
        let num = match f.num[i] {
            Num::Value(v) => format!("{v}"),
            Num::Null => String::new(),
            Num::Nan => "NaN".into(),
            Num::Inf(true) => "inf".into(),
            Num::Inf(false) => "-inf".into(),
        };
        let int = f.int[i].map(|v| v.to_string()).unwrap_or_default();
        let text = f.text[i].clone().unwrap_or_default();
        let flag = f.flag[i].map(|b| b.to_string()).unwrap_or_default();
        out.push_str(&format!("{num},{int},{text},{flag},{}\n", f.prediction[i]));
    }
    out.into_bytes()
}

fn parquet(f: &Frame, codec: Compression) -> Vec<u8> {
    let num: Float64Array = f
        .num
        .iter()
        .map(|c| match c {
            Num::Value(v) => Some(*v),
            Num::Null => None,
            Num::Nan => Some(f64::NAN),
            Num::Inf(up) => Some(if *up {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }),
        })
        .collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("num", Arc::new(num)),
        (
            "int",
            Arc::new(f.int.iter().copied().collect::<Int64Array>()),
        ),
        (
            "text",
            Arc::new(f.text.iter().map(|t| t.as_deref()).collect::<StringArray>()),
        ),
        (
            "flag",
            Arc::new(f.flag.iter().copied().collect::<BooleanArray>()),
        ),
        (
            "prediction",
            Arc::new(
                f.prediction
                    .iter()
                    .copied()
                    .map(Some)
                    .collect::<Float64Array>(),
            ),
        ),
    ];
    let batch = RecordBatch::try_from_iter(columns).expect("batch");
    let props = WriterProperties::builder()
        .set_compression(codec)
        .set_max_row_group_row_count(Some(17))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    out
}

/// The window's result as normalized JSON, with the reference and the window read from the
/// given files.
fn result(reference: (&str, &[u8]), window: (&str, &[u8])) -> String {
    let config = MonitorConfig::default();
    let (reference, schema) =
        data::parse_reference(Path::new(reference.0), reference.1, &config.columns)
            .expect("reference reads");
    let mut monitor = ModelMonitor::builder(config)
        .build(&reference)
        .expect("monitor fits");
    let w = data::parse_window(Path::new(window.0), window.1, &schema).expect("window reads");
    let result = monitor.monitor(&w);
    let value = serde_json::to_value(&result).expect("json");
    same::normalized(&value, &[window.0])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn csv_and_parquet_give_identical_results(
        reference in frame(30..90, 0.0),
        window in frame(30..90, 0.5),
        codec in prop::sample::select(vec![
            Compression::UNCOMPRESSED,
            Compression::SNAPPY,
            Compression::LZ4_RAW,
        ]),
    ) {
        let (ref_csv, win_csv) = (csv(&reference), csv(&window));
        let (ref_pq, win_pq) = (parquet(&reference, codec), parquet(&window, codec));
        let want = result(("r.csv", &ref_csv), ("w.csv", &win_csv));
        for (r, w) in [
            (("r.parquet", &ref_pq[..]), ("w.parquet", &win_pq[..])),
            (("r.csv", &ref_csv[..]), ("w.parquet", &win_pq[..])),
            (("r.parquet", &ref_pq[..]), ("w.csv", &win_csv[..])),
        ] {
            prop_assert_eq!(&result(r, w), &want, "reference {} window {}", r.0, w.0);
        }
    }
}
