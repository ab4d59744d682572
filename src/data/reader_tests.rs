//! Tests of reading CSV into windows: types, roles, missing values, errors with file and line,
//! and that the chunked and quoted paths agree.

use super::*;

fn roles() -> ColumnRoles {
    ColumnRoles::default()
}

fn reference(text: &str) -> Result<(DataWindow, Schema), DataError> {
    parse_reference(Path::new("ref.csv"), text.as_bytes(), &roles())
}

#[test]
fn infers_types_roles_and_missing() {
    let (w, s) = reference("a,b,prediction,target,id\n1,x,0.2,0,7\nNA,y,0.9,1,8\n3.5,,0.4,0,9\n")
        .expect("parses");
    assert_eq!(w.rows(), 3);
    assert_eq!(s.features.len(), 3);
    assert_eq!(s.feature("a").map(|f| f.kind), Some(FeatureKind::Numeric));
    assert_eq!(
        s.feature("b").map(|f| f.kind),
        Some(FeatureKind::Categorical)
    );
    let a = w.feature("a").expect("a");
    assert_eq!(a.missing, 1);
    assert!(a.as_numeric().expect("num")[1].is_nan());
    let b = w.feature("b").expect("b");
    assert_eq!(b.missing, 1);
    assert_eq!(b.as_categorical().map(|(_, d)| d.len()), Some(2));
    assert_eq!(w.prediction_values(), Some(&[0.2, 0.9, 0.4][..]));
    assert_eq!(w.target_values(), Some(&[0.0, 1.0, 0.0][..]));
}

#[test]
fn window_counts_invalid_cells_instead_of_failing() {
    let (_, s) = reference("a,b\n1,x\n2,y\n").expect("parses");
    let w = parse_window(Path::new("w.csv"), b"b,a,extra\nx,oops\xff,1\nz,4,2\n", &s)
        .expect("window parses");
    let a = w.feature("a").expect("a");
    assert_eq!(a.invalid, 1);
    assert_eq!(a.missing, 0);
    assert_eq!(w.extra_columns(), vec!["extra".to_string()]);
    assert_eq!(w.features()[0].name, "a", "schema order kept");
}

#[test]
fn errors_name_file_line_and_column() {
    let (_, s) = reference("a,b\n1,x\n2,y\n").expect("parses");
    let e = parse_window(Path::new("w.csv"), b"a,b\n1,x\n2\n", &s).expect_err("ragged");
    assert_eq!(e.line(), Some(3));
    assert!(e.to_string().contains("w.csv, line 3"), "{e}");
    let e = parse_window(Path::new("w.csv"), b"a\n1\n", &s).expect_err("missing column");
    assert_eq!(e.column(), Some("b"));
    let e = parse_window(Path::new("w.csv"), b"a,a\n1,2\n", &s).expect_err("dup");
    assert_eq!(e.kind().as_str(), "duplicate_header");
    let e = parse_window(Path::new("w.csv"), b"", &s).expect_err("empty");
    assert_eq!(e.kind().as_str(), "empty");
    let e = parse_window(Path::new("w.csv"), b"a,b\n", &s).expect_err("no rows");
    assert_eq!(e.kind().as_str(), "no_rows");
}

#[test]
fn quoted_and_plain_paths_agree() {
    let plain = "a,b\n1,x\n2,y z\n,x\n";
    let quoted = "\"a\",b\n1,\"x\"\n2,\"y z\"\n,x\n";
    let (p, _) = reference(plain).expect("plain");
    let (q, _) = reference(quoted).expect("quoted");
    assert_eq!(format!("{:?}", p.features()), format!("{:?}", q.features()));
    let e = reference("a,b\n1,\"x\"\n2\n").expect_err("ragged quoted");
    assert_eq!(e.line(), Some(3));
}

#[test]
fn chunked_parse_matches_across_chunk_boundaries() {
    let mut text = String::from("a,c\n");
    for i in 0..60_000 {
        text.push_str(&format!("{}.5,{}\r\n", i, ["p", "q", "r"][i % 3]));
    }
    let (w, _) = reference(&text).expect("parses");
    assert_eq!(w.rows(), 60_000);
    let a = w.feature("a").and_then(Column::as_numeric).expect("a");
    assert!(a.iter().enumerate().all(|(i, &v)| v == i as f64 + 0.5));
    let c = w.feature("c").expect("c");
    assert_eq!(c.category_counts(), Some(vec![20_000, 20_000, 20_000]));
    let (codes, dict) = c.as_categorical().expect("cat");
    assert!(codes
        .iter()
        .enumerate()
        .all(|(i, &k)| dict[k as usize] == ["p", "q", "r"][i % 3]));
}

/// Blank lines leave gaps in the columns' reserved slices, closed at assembly; categories
/// first seen in later chunks get codes after the earlier ones'. The result must equal the
/// sequential csv-crate path (forced by one quoted cell), value for value.
#[test]
fn gaps_and_late_categories_match_the_sequential_path() {
    let mut plain = String::from("a,c,prediction\n");
    for i in 0..80_000 {
        if i % 997 == 0 {
            plain.push_str("\n\r\n");
        }
        let category = if i < 50_000 {
            ["p", "q"][i % 2]
        } else {
            ["r", "q", "s"][i % 3]
        };
        let a = if i % 1013 == 0 {
            "NA".to_string()
        } else {
            format!("{}", i as f64 * 0.25)
        };
        plain.push_str(&format!("{a},{category},0.{}\n", i % 10));
    }
    plain.push_str("\n\n1.5,t,0.5");
    let quoted = plain.replacen("a,c,prediction", "a,\"c\",prediction", 1);
    let (w, _) = reference(&plain).expect("plain parses");
    let (q, _) = reference(&quoted).expect("quoted parses");
    assert_eq!(w.rows(), 80_001);
    assert_eq!(q.rows(), 80_001);
    let (wa, qa) = (w.feature("a").expect("a"), q.feature("a").expect("a"));
    assert_eq!(wa.missing, qa.missing);
    let bits = |c: &Column| -> Vec<u64> {
        c.as_numeric()
            .expect("numeric")
            .iter()
            .map(|v| v.to_bits())
            .collect()
    };
    assert_eq!(bits(wa), bits(qa));
    assert_eq!(wa.as_numeric().expect("a")[80_000], 1.5);
    let labels = |c: &Column| -> Vec<String> {
        let (codes, dict) = c.as_categorical().expect("categorical");
        codes.iter().map(|&k| dict[k as usize].clone()).collect()
    };
    let (wc, qc) = (w.feature("c").expect("c"), q.feature("c").expect("c"));
    assert_eq!(labels(wc), labels(qc));
    // First seen, first coded, as in one sequential pass (row 50,000 brings "s" before "r").
    assert_eq!(
        wc.as_categorical().expect("c").1,
        vec!["p", "q", "s", "r", "t"]
    );
    assert_eq!(
        wc.as_categorical().expect("c").1,
        qc.as_categorical().expect("c").1
    );
    assert_eq!(w.prediction_values(), q.prediction_values());
}

#[test]
fn ragged_line_number_in_a_later_chunk() {
    let mut text = String::from("a,b\n");
    for i in 0..100_000 {
        text.push_str(&format!("{i},{i}\n"));
    }
    text.push_str("1,2,3\n");
    let e = reference(&text).expect_err("ragged");
    assert_eq!(e.line(), Some(100_002));
}
