//! CSV bytes to a [`DataWindow`].
//!
//! Parsing dominates the cost of a window, so files without quote characters (what every
//! exporter writes for numeric data) take a fast path: the body is cut into line-aligned chunks
//! parsed in parallel, straight into columns. Within a chunk a numeric cell that is a plain
//! decimal is parsed in the same scan that finds where it ends (see [`super::number`]); other
//! cells are delimited with `memchr` and go through the general cell parser. Files with quotes go
//! through the `csv` crate, sequentially, into the same column builders, so both paths agree.

use std::collections::HashMap;
use std::path::Path;

use rayon::prelude::*;

use super::builder::{Builder, Built, Part, Plan, Storage};
use super::error::DataError;
use super::schema::{ColumnRoles, FeatureKind, FeatureSpec, Schema};
use super::window::{Column, DataWindow};

/// Reads the reference file: infers each feature's type and returns the window and its schema.
pub fn read_reference(path: &Path, roles: &ColumnRoles) -> Result<(DataWindow, Schema), DataError> {
    let bytes = read_file(path)?;
    parse_reference(path, &bytes, roles)
}

/// Reads a window file against the reference's schema.
pub fn read_window(path: &Path, schema: &Schema) -> Result<DataWindow, DataError> {
    let bytes = read_file(path)?;
    parse_window(path, &bytes, schema)
}

fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    let mut bytes = Vec::new();
    super::file::read_file_into(path, &mut bytes)?;
    Ok(bytes)
}

/// Parses reference CSV bytes (`file` names them in errors).
pub fn parse_reference(
    file: &Path,
    bytes: &[u8],
    roles: &ColumnRoles,
) -> Result<(DataWindow, Schema), DataError> {
    let mut table = RawTable::new(file, bytes)?;
    let header = table.header()?;
    for wanted in &roles.features {
        if !header.iter().any(|h| h == wanted) {
            return Err(DataError::UnknownFeature {
                file: file.to_path_buf(),
                column: wanted.clone(),
            });
        }
    }
    let mut plan: Vec<Plan> = header
        .iter()
        .map(|name| {
            if name == &roles.prediction
                || name == &roles.target
                || roles.predicted_label.as_ref() == Some(name)
            {
                Plan::Numeric
            } else if roles.is_feature(name) {
                Plan::Infer
            } else {
                Plan::Skip
            }
        })
        .collect();
    if !plan.contains(&Plan::Infer) {
        return Err(DataError::NoFeatures {
            file: file.to_path_buf(),
        });
    }
    let mut built = table.parse(&plan)?;
    // Features whose cells are not all numbers become categorical: parse those columns again.
    let recat: Vec<usize> = (0..plan.len())
        .filter(|&i| {
            matches!(
                &built[i],
                Some(Built::Numeric {
                    non_numeric: true,
                    ..
                })
            )
        })
        .collect();
    if !recat.is_empty() {
        let second: Vec<Plan> = (0..plan.len())
            .map(|i| {
                if recat.contains(&i) {
                    Plan::Categorical
                } else {
                    Plan::Skip
                }
            })
            .collect();
        let mut again = table.parse(&second)?;
        for &i in &recat {
            built[i] = again[i].take();
            plan[i] = Plan::Categorical;
        }
    }
    let mut columns = take_columns(&header, built);
    let prediction = columns.remove(&roles.prediction);
    let target = columns.remove(&roles.target);
    let predicted_label = roles
        .predicted_label
        .as_ref()
        .and_then(|n| columns.remove(n));
    let mut features = Vec::new();
    let mut extra = Vec::new();
    for (i, name) in header.iter().enumerate() {
        match plan[i] {
            Plan::Skip => extra.push(name.clone()),
            Plan::Infer | Plan::Categorical if roles.is_feature(name) => {
                if let Some(c) = columns.remove(name) {
                    features.push(c);
                }
            }
            _ => {}
        }
    }
    let schema = Schema {
        features: features
            .iter()
            .map(|c| FeatureSpec {
                name: c.name.clone(),
                kind: c.kind(),
            })
            .collect(),
        prediction: roles.prediction.clone(),
        target: roles.target.clone(),
        has_prediction: prediction.is_some(),
        has_target: target.is_some(),
        predicted_label: roles.predicted_label.clone(),
    };
    let mut window = assemble(file, features, prediction, target, extra, table.rows)?;
    window.predicted_label = predicted_label;
    Ok((window, schema))
}

/// Parses window CSV bytes against a schema (`file` names them in errors).
pub fn parse_window(file: &Path, bytes: &[u8], schema: &Schema) -> Result<DataWindow, DataError> {
    let mut table = RawTable::new(file, bytes)?;
    let header = table.header()?;
    let mut plan = vec![Plan::Skip; header.len()];
    for spec in &schema.features {
        let Some(i) = header.iter().position(|h| h == &spec.name) else {
            return Err(DataError::MissingColumn {
                file: file.to_path_buf(),
                column: spec.name.clone(),
            });
        };
        plan[i] = match spec.kind {
            FeatureKind::Numeric => Plan::Numeric,
            FeatureKind::Categorical => Plan::Categorical,
        };
    }
    for role in [&schema.prediction, &schema.target]
        .into_iter()
        .chain(schema.predicted_label.as_ref())
    {
        if let Some(i) = header.iter().position(|h| h == role) {
            plan[i] = Plan::Numeric;
        }
    }
    let built = table.parse(&plan)?;
    let extra: Vec<String> = header
        .iter()
        .zip(&plan)
        .filter(|(_, p)| **p == Plan::Skip)
        .map(|(h, _)| h.clone())
        .collect();
    let mut columns = take_columns(&header, built);
    let features = schema
        .features
        .iter()
        .filter_map(|spec| columns.remove(&spec.name))
        .collect();
    let prediction = columns.remove(&schema.prediction);
    let target = columns.remove(&schema.target);
    let predicted_label = schema
        .predicted_label
        .as_ref()
        .and_then(|n| columns.remove(n));
    let mut window = assemble(file, features, prediction, target, extra, table.rows)?;
    window.predicted_label = predicted_label;
    Ok(window)
}

fn assemble(
    file: &Path,
    features: Vec<Column>,
    prediction: Option<Column>,
    target: Option<Column>,
    extra: Vec<String>,
    rows: usize,
) -> Result<DataWindow, DataError> {
    if rows == 0 {
        return Err(DataError::NoRows {
            file: file.to_path_buf(),
        });
    }
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut window = DataWindow::new(name, features, prediction, target).ok_or_else(|| {
        DataError::Malformed {
            file: file.to_path_buf(),
            line: 1,
            message: "columns of unequal length".into(),
        }
    })?;
    window.extra_columns = extra;
    Ok(window)
}

fn take_columns(header: &[String], built: Vec<Option<Built>>) -> HashMap<String, Column> {
    header
        .iter()
        .zip(built)
        .filter_map(|(name, b)| b.map(|b| (name.clone(), b.into_column(name))))
        .collect()
}

/// The file's bytes with the header located.
struct RawTable<'a> {
    file: &'a Path,
    bytes: &'a [u8],
    header_end: usize,
    quoted: bool,
    rows: usize,
}

const MIN_CHUNK: usize = 256 * 1024;

/// Bytes per task when looking for quotes.
const QUOTE_SCAN_CHUNK: usize = 1 << 20;

/// Chunks per thread: enough that a thread finishing early (or busy elsewhere: the reference
/// is fitted while the first window is parsed) leaves little for the others to wait on.
const CHUNKS_PER_THREAD: usize = 8;

impl<'a> RawTable<'a> {
    fn new(file: &'a Path, bytes: &'a [u8]) -> Result<Self, DataError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if bytes.trim_ascii().is_empty() {
            return Err(DataError::Empty {
                file: file.to_path_buf(),
            });
        }
        // On every core: this is the first pass over the file, and for a mapped file the one
        // that faults its pages in.
        let quoted = bytes
            .par_chunks(QUOTE_SCAN_CHUNK)
            .with_max_len(1)
            .any(|part| memchr::memchr(b'"', part).is_some());
        let header_end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
        Ok(RawTable {
            file,
            bytes,
            header_end,
            quoted,
            rows: 0,
        })
    }

    fn header(&self) -> Result<Vec<String>, DataError> {
        let names: Vec<String> = if self.quoted {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(self.bytes);
            let mut record = csv::ByteRecord::new();
            match reader.read_byte_record(&mut record) {
                Ok(true) => record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
                    .collect(),
                Ok(false) => {
                    return Err(DataError::Empty {
                        file: self.file.to_path_buf(),
                    })
                }
                Err(e) => return Err(self.csv_error(&e)),
            }
        } else {
            trim_eol(&self.bytes[..self.header_end])
                .split(|&b| b == b',')
                .map(|f| String::from_utf8_lossy(f.trim_ascii()).into_owned())
                .collect()
        };
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(DataError::DuplicateHeader {
                    file: self.file.to_path_buf(),
                    column: name.clone(),
                    index: i + 1,
                });
            }
        }
        Ok(names)
    }

    fn csv_error(&self, e: &csv::Error) -> DataError {
        DataError::Malformed {
            file: self.file.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        }
    }

    /// Parses the body with the plan; entry `i` is `Some` for every non-skipped field.
    fn parse(&mut self, plan: &[Plan]) -> Result<Vec<Option<Built>>, DataError> {
        let body = &self.bytes[self.header_end..];
        let chunks = if self.quoted {
            vec![body]
        } else {
            line_aligned_chunks(body)
        };
        // Every row ends at a line end but the last one may not: that bounds each chunk's rows.
        // (The csv crate also ends records at a lone `\r`.)
        let last = chunks.len().saturating_sub(1);
        let quoted = self.quoted;
        let slots: Vec<usize> = chunks
            .par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(c, chunk)| {
                let ends = if quoted {
                    memchr::memchr2_iter(b'\n', b'\r', chunk).count()
                } else {
                    memchr::memchr_iter(b'\n', chunk).count()
                };
                ends + usize::from(c == last)
            })
            .collect();
        let total = slots.iter().sum();
        let mut storage: Vec<Storage> = plan.iter().map(|&p| Storage::new(p, total)).collect();
        // builders[c][i]: chunk c's slice of column i.
        let mut builders: Vec<Vec<Builder>> = chunks.iter().map(|_| Vec::new()).collect();
        for (store, &p) in storage.iter_mut().zip(plan) {
            for (chunk, b) in builders.iter_mut().zip(store.builders(p, &slots)) {
                chunk.push(b);
            }
        }
        let outcomes: Vec<ChunkOutcome> = if self.quoted {
            let Some(builders) = builders.pop() else {
                return Ok(plan.iter().map(|_| None).collect());
            };
            vec![self.parse_quoted(builders)?]
        } else {
            chunks
                .par_iter()
                .zip(builders)
                // One task per chunk, so a thread that joins late still finds some to take.
                .with_max_len(1)
                .map(|(chunk, builders)| parse_chunk(chunk, builders))
                .collect()
        };
        let mut line = 1u64; // the header
        let mut rows = Vec::with_capacity(outcomes.len());
        let mut parts: Vec<Vec<Part>> = plan.iter().map(|_| Vec::new()).collect();
        for (outcome, &reserved) in outcomes.into_iter().zip(&slots) {
            if let Some((local, found)) = outcome.ragged {
                return Err(DataError::Ragged {
                    file: self.file.to_path_buf(),
                    line: line + local,
                    expected: plan.len(),
                    found,
                });
            }
            if outcome.rows > reserved || outcome.parts.iter().any(|p| p.len > reserved) {
                // Cannot happen (each row has its line end, but the last); an error, not a panic.
                return Err(DataError::Malformed {
                    file: self.file.to_path_buf(),
                    line: line + 1,
                    message: "more rows than line ends".into(),
                });
            }
            line += outcome.lines;
            rows.push(outcome.rows);
            for (column, part) in parts.iter_mut().zip(outcome.parts) {
                column.push(part);
            }
        }
        self.rows = rows.iter().sum();
        Ok(storage
            .into_iter()
            .zip(parts)
            .map(|(store, parts)| store.assemble(parts, &slots, &rows))
            .collect())
    }

    fn parse_quoted(&self, mut builders: Vec<Builder>) -> Result<ChunkOutcome, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(self.bytes);
        let mut record = csv::ByteRecord::new();
        let mut rows = 0;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    if record.len() == 1 && record.get(0).is_some_and(|f| f.is_empty()) {
                        continue;
                    }
                    if record.len() != builders.len() {
                        return Err(DataError::Ragged {
                            file: self.file.to_path_buf(),
                            line: record.position().map_or(0, |p| p.line()),
                            expected: builders.len(),
                            found: record.len(),
                        });
                    }
                    for (b, cell) in builders.iter_mut().zip(record.iter()) {
                        b.push(cell);
                    }
                    rows += 1;
                }
                Err(e) => return Err(self.csv_error(&e)),
            }
        }
        Ok(ChunkOutcome {
            parts: builders.into_iter().map(Builder::finish).collect(),
            lines: 0,
            rows,
            ragged: None,
        })
    }
}

/// The body cut into [`CHUNKS_PER_THREAD`] chunks per thread (none under [`MIN_CHUNK`]), each
/// ending just after a `\n` (but the last).
fn line_aligned_chunks(body: &[u8]) -> Vec<&[u8]> {
    let threads = rayon::current_num_threads().max(1);
    let target = (body.len() / (threads * CHUNKS_PER_THREAD)).max(MIN_CHUNK);
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + target).min(body.len());
        if end < body.len() {
            end = memchr::memchr(b'\n', &body[end..]).map_or(body.len(), |i| end + i + 1);
        }
        chunks.push(&body[start..end]);
        start = end;
    }
    chunks
}

struct ChunkOutcome {
    parts: Vec<Part>,
    /// Physical lines in the chunk.
    lines: u64,
    rows: usize,
    /// First ragged line: (1-based line within the chunk, fields found).
    ragged: Option<(u64, usize)>,
}

fn parse_chunk(chunk: &[u8], mut builders: Vec<Builder>) -> ChunkOutcome {
    let width = builders.len();
    let mut lines = 0u64;
    let mut rows = 0;
    let mut start = 0;
    while start < chunk.len() {
        lines += 1;
        // Blank lines (nothing but an optional `\r` before the `\n`) are skipped.
        match chunk[start] {
            b'\n' => {
                start += 1;
                continue;
            }
            b'\r' if matches!(chunk.get(start + 1), None | Some(b'\n')) => {
                start += 2;
                continue;
            }
            _ => {}
        }
        // One cell per iteration; each ends at a `,` (more cells follow), a `\n` or the chunk end.
        let mut fields = 0;
        loop {
            let end = match builders.get_mut(fields) {
                Some(b) => b.push_at(chunk, start),
                None => {
                    memchr::memchr2(b',', b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i)
                }
            };
            fields += 1;
            start = end + 1;
            if chunk.get(end) != Some(&b',') {
                break;
            }
        }
        if fields != width {
            return ChunkOutcome {
                parts: builders.into_iter().map(Builder::finish).collect(),
                lines,
                rows,
                ragged: Some((lines, fields)),
            };
        }
        rows += 1;
    }
    ChunkOutcome {
        parts: builders.into_iter().map(Builder::finish).collect(),
        lines,
        rows,
        ragged: None,
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles() -> ColumnRoles {
        ColumnRoles::default()
    }

    fn reference(text: &str) -> Result<(DataWindow, Schema), DataError> {
        parse_reference(Path::new("ref.csv"), text.as_bytes(), &roles())
    }

    #[test]
    fn infers_types_roles_and_missing() {
        let (w, s) =
            reference("a,b,prediction,target,id\n1,x,0.2,0,7\nNA,y,0.9,1,8\n3.5,,0.4,0,9\n")
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
        assert_eq!(w.extra_columns, vec!["extra".to_string()]);
        assert_eq!(w.features[0].name, "a", "schema order kept");
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
        assert_eq!(e.kind(), "duplicate_header");
        let e = parse_window(Path::new("w.csv"), b"", &s).expect_err("empty");
        assert_eq!(e.kind(), "empty");
        let e = parse_window(Path::new("w.csv"), b"a,b\n", &s).expect_err("no rows");
        assert_eq!(e.kind(), "no_rows");
    }

    #[test]
    fn quoted_and_plain_paths_agree() {
        let plain = "a,b\n1,x\n2,y z\n,x\n";
        let quoted = "\"a\",b\n1,\"x\"\n2,\"y z\"\n,x\n";
        let (p, _) = reference(plain).expect("plain");
        let (q, _) = reference(quoted).expect("quoted");
        assert_eq!(format!("{:?}", p.features), format!("{:?}", q.features));
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
}
