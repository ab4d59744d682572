//! Profile windows on disk: which names are profiles, when a Spark output directory is
//! complete, and reading the profile's rows from Parquet (Spark, DuckDB) or JSON Lines.
//!
//! A Spark job writes `NAME.profile.parquet/` as a directory of part files and writes the
//! `_SUCCESS` file last, when the job has committed: the directory is a window only then.
//! DuckDB's `COPY … TO 'NAME.profile.parquet'` writes one file.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use arrow_array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;

use super::ProfileError;

/// Spark's marker of a committed output directory.
pub(crate) const SUCCESS_MARKER: &str = "_SUCCESS";

/// Profiles larger than this are not profiles (a profile is a few thousand rows).
const MAX_PROFILE_BYTES: u64 = 256 << 20;

/// The two profile formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFormat {
    Parquet,
    Json,
}

/// Whether a file or directory name is a profile's: `*.profile.parquet` or `*.profile.json`
/// (any case).
pub fn profile_format(name: &str) -> Option<ProfileFormat> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".profile.parquet") {
        Some(ProfileFormat::Parquet)
    } else if lower.ends_with(".profile.json") {
        Some(ProfileFormat::Json)
    } else {
        None
    }
}

/// What to watch for completeness: the file itself, or a directory's `_SUCCESS` marker.
/// `None` for a directory that has none yet (still being written, or a failed job).
pub fn completion_marker(path: &Path) -> Option<fs::Metadata> {
    let meta = fs::metadata(path).ok()?;
    if meta.is_dir() {
        fs::metadata(path.join(SUCCESS_MARKER))
            .ok()
            .filter(|m| m.is_file())
    } else {
        meta.is_file().then_some(meta)
    }
}

/// One row of a profile (see `sql.rs` for what each column means per part).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ProfileRow {
    pub part: String,
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default)]
    pub k: Option<i64>,
    #[serde(default)]
    pub k2: Option<i64>,
    #[serde(default)]
    pub n: Option<i64>,
    #[serde(default)]
    pub n2: Option<i64>,
    #[serde(default)]
    pub a: Option<f64>,
    #[serde(default)]
    pub b: Option<f64>,
    #[serde(default)]
    pub c: Option<f64>,
    #[serde(default)]
    pub d: Option<f64>,
    #[serde(default)]
    pub e: Option<f64>,
    #[serde(default)]
    pub f: Option<f64>,
}

/// The files holding a profile's rows: the file itself, or a committed directory's part files
/// (names not starting with `.` or `_`), in name order.
pub(crate) fn profile_parts(path: &Path) -> Result<Vec<PathBuf>, ProfileError> {
    let io = |e: std::io::Error| ProfileError::Read(format!("{}: {e}", path.display()));
    let meta = fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    if completion_marker(path).is_none() {
        return Err(ProfileError::Incomplete(path.display().to_string()));
    }
    let mut parts = Vec::new();
    for entry in fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if entry.file_type().map_err(io)?.is_file() {
            parts.push(entry.path());
        }
    }
    parts.sort();
    Ok(parts)
}

/// Reads every row of the profile at `path` (file or committed directory).
pub(crate) fn read_profile(path: &Path) -> Result<Vec<ProfileRow>, ProfileError> {
    let format = path
        .file_name()
        .and_then(|n| profile_format(&n.to_string_lossy()))
        .ok_or_else(|| {
            ProfileError::Read(format!(
                "{}: not a profile name (*.profile.parquet or *.profile.json)",
                path.display()
            ))
        })?;
    let mut rows = Vec::new();
    let mut total = 0u64;
    for part in profile_parts(path)? {
        let size = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        total += size;
        if total > MAX_PROFILE_BYTES {
            return Err(ProfileError::Read(format!(
                "{}: more than {MAX_PROFILE_BYTES} bytes, too large for a profile",
                path.display()
            )));
        }
        if size == 0 {
            continue;
        }
        match format {
            ProfileFormat::Parquet => read_parquet(&part, &mut rows)?,
            ProfileFormat::Json => read_json(&part, &mut rows)?,
        }
    }
    Ok(rows)
}

fn read_json(path: &Path, rows: &mut Vec<ProfileRow>) -> Result<(), ProfileError> {
    let file =
        File::open(path).map_err(|e| ProfileError::Read(format!("{}: {e}", path.display())))?;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| ProfileError::Read(format!("{}: {e}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        let row: ProfileRow = serde_json::from_str(&line)
            .map_err(|e| ProfileError::Read(format!("{}, line {}: {e}", path.display(), i + 1)))?;
        rows.push(row);
    }
    Ok(())
}

fn read_parquet(path: &Path, rows: &mut Vec<ProfileRow>) -> Result<(), ProfileError> {
    let fail = |e: &dyn std::fmt::Display| ProfileError::Read(format!("{}: {e}", path.display()));
    let file = File::open(path).map_err(|e| fail(&e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| fail(&e))?
        .build()
        .map_err(|e| fail(&e))?;
    for batch in reader {
        let batch = batch.map_err(|e| fail(&e))?;
        append_batch(&batch, rows).map_err(|e| fail(&e))?;
    }
    Ok(())
}

fn column(
    batch: &RecordBatch,
    name: &str,
    to: &DataType,
) -> Result<Option<arrow_array::ArrayRef>, String> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(c) => arrow_cast::cast(c, to)
            .map(Some)
            .map_err(|e| format!("column \"{name}\": {e}")),
    }
}

fn append_batch(batch: &RecordBatch, rows: &mut Vec<ProfileRow>) -> Result<(), String> {
    let part = column(batch, "part", &DataType::Utf8)?
        .ok_or_else(|| "no column \"part\": not a profile".to_string())?;
    let part = part
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or("column \"part\" is not text")?;
    let feature = column(batch, "feature", &DataType::Utf8)?;
    let feature = feature
        .as_ref()
        .and_then(|c| c.as_any().downcast_ref::<StringArray>());
    let ints: Vec<Option<arrow_array::ArrayRef>> = ["k", "k2", "n", "n2"]
        .iter()
        .map(|n| column(batch, n, &DataType::Int64))
        .collect::<Result<_, _>>()?;
    let floats: Vec<Option<arrow_array::ArrayRef>> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|n| column(batch, n, &DataType::Float64))
        .collect::<Result<_, _>>()?;
    let int = |i: usize, row: usize| {
        ints[i]
            .as_ref()
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .and_then(|c| (!c.is_null(row)).then(|| c.value(row)))
    };
    let float = |i: usize, row: usize| {
        floats[i]
            .as_ref()
            .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
            .and_then(|c| (!c.is_null(row)).then(|| c.value(row)))
    };
    for row in 0..batch.num_rows() {
        if part.is_null(row) {
            continue;
        }
        rows.push(ProfileRow {
            part: part.value(row).to_string(),
            feature: feature.and_then(|f| (!f.is_null(row)).then(|| f.value(row).to_string())),
            k: int(0, row),
            k2: int(1, row),
            n: int(2, row),
            n2: int(3, row),
            a: float(0, row),
            b: float(1, row),
            c: float(2, row),
            d: float(3, row),
            e: float(4, row),
            f: float(5, row),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncommitted_directory_is_refused_and_json_lines_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spark = dir.path().join("w.profile.json");
        fs::create_dir(&spark).expect("mkdir");
        fs::write(
            spark.join("part-0.json"),
            "{\"part\":\"meta\",\"feature\":\"abc\",\"k\":1,\"n\":5}\n\n{\"part\":\"num\",\"feature\":\"x\",\"k\":0,\"n\":5,\"a\":1.5,\"b\":null}\n",
        )
        .expect("writes");
        assert!(matches!(
            read_profile(&spark),
            Err(ProfileError::Incomplete(_))
        ));
        fs::write(spark.join(SUCCESS_MARKER), "").expect("writes");
        fs::write(spark.join(".part-0.json.crc"), "junk").expect("writes");
        let rows = read_profile(&spark).expect("reads");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].a, Some(1.5));
        assert_eq!(rows[1].b, None);
        assert_eq!(
            profile_format("A.Profile.Parquet"),
            Some(ProfileFormat::Parquet)
        );
        assert_eq!(profile_format("a.parquet"), None);
    }
}
