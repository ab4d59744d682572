//! `*.parquet`: a file's columns decoded straight into the monitor's columns, on every core.
//!
//! The work is cut into one task per (row group, column): each task decodes one column chunk
//! with arrow-rs's reader (projected to that column, that row group) and writes the values into
//! its slice of the final column, allocated once (the same builders the CSV reader fills, so
//! the classification of each value and the category order are the CSV reader's). A file with
//! a single row group, which is what pandas and DuckDB write for a window, is still read on
//! every core, column by column.
//!
//! The column types come from the file (see `parquet_types.rs`), not from the values, so the
//! reference's plan is refined by type before reading, and a window's column that disagrees
//! with the reference is an error naming it.
//!
//! A file without its `PAR1` footer is incomplete (still being written, or cut short): it is
//! `unreadable`, which the watcher retries when the file changes. The decoded size is checked
//! against the window size cap before anything is allocated, so a footer that claims billions
//! of rows cannot exhaust memory.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use arrow_schema::DataType;
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;

use super::builder::{Builder, Built, Part, Plan, Storage};
use super::error::DataError;
use super::parquet_types::{class_of, fits_categorical, fits_numeric, push_array, TypeClass};

/// Rows per decoded batch: big enough that per-batch costs vanish, small enough that one
/// column's batch stays in cache-sized memory.
const BATCH_ROWS: usize = 64 * 1024;

/// The magic bytes that open and close a Parquet file.
const MAGIC: &[u8; 4] = b"PAR1";

/// A Parquet file's bytes with its footer decoded.
pub(super) struct ParquetTable<'a> {
    file: &'a Path,
    bytes: Bytes,
    meta: ArrowReaderMetadata,
    pub(super) rows: usize,
}

impl<'a> ParquetTable<'a> {
    /// Decodes the footer.
    pub(super) fn new(file: &'a Path, bytes: Bytes) -> Result<Self, DataError> {
        if bytes.len() < 12 || !bytes.ends_with(MAGIC) {
            return Err(DataError::Unreadable {
                file: file.to_path_buf(),
                message: if bytes.is_empty() {
                    "the Parquet file is empty (still being written?)".into()
                } else {
                    "no Parquet footer (PAR1) at the end: the file is truncated or still being written"
                        .into()
                },
            });
        }
        if !bytes.starts_with(MAGIC) {
            return Err(corrupt(
                file,
                "does not start with PAR1: not a Parquet file".into(),
            ));
        }
        let loaded = guarded(|| {
            ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).map_err(|e| e.to_string())
        });
        let meta = loaded.map_err(|m| corrupt(file, format!("footer: {m}")))?;
        let mut rows = 0usize;
        for group in meta.metadata().row_groups() {
            let n = usize::try_from(group.num_rows())
                .map_err(|_| corrupt(file, "a row group has a negative row count".into()))?;
            rows = rows
                .checked_add(n)
                .ok_or_else(|| corrupt(file, "row counts overflow".into()))?;
        }
        Ok(ParquetTable {
            file,
            bytes,
            meta,
            rows,
        })
    }

    pub(super) fn file(&self) -> &Path {
        self.file
    }

    /// The top-level column names, in file order.
    pub(super) fn header(&self) -> Vec<String> {
        self.meta
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    fn data_type(&self, column: usize) -> Option<&DataType> {
        self.meta
            .schema()
            .fields()
            .get(column)
            .map(|f| f.data_type())
    }

    /// Makes the plan fit the column types: `Infer` becomes numeric or categorical by type
    /// (dates and times are left out unless `listed`), and a planned type the column cannot
    /// fill is an error naming it. A date or time fills a numeric column only where
    /// `temporal_ok` (the reference's was one too): seconds since the epoch are no reading of a
    /// column the reference had as plain numbers.
    pub(super) fn refine(
        &self,
        header: &[String],
        plan: &mut [Plan],
        listed: impl Fn(&str) -> bool,
        temporal_ok: impl Fn(&str) -> bool,
    ) -> Result<(), DataError> {
        for (i, step) in plan.iter_mut().enumerate() {
            if *step == Plan::Skip {
                continue;
            }
            let (Some(name), Some(data_type)) = (header.get(i), self.data_type(i)) else {
                continue;
            };
            let class = class_of(data_type);
            let unsupported = || DataError::UnsupportedType {
                file: self.file.to_path_buf(),
                column: name.clone(),
                data_type: data_type.to_string(),
            };
            let mismatch = |expected: &str| DataError::TypeMismatch {
                file: self.file.to_path_buf(),
                column: name.clone(),
                expected: expected.into(),
                found: data_type.to_string(),
            };
            *step = match (*step, class) {
                (_, TypeClass::Unsupported) => return Err(unsupported()),
                (Plan::Infer, TypeClass::Temporal) if !listed(name) => {
                    log::info!(
                        target: "ml_monitor::data",
                        "{}: column \"{name}\" ({data_type}) is left out of the features: dates and times are features only when listed in [columns] features",
                        self.file.display()
                    );
                    Plan::Skip
                }
                (Plan::Infer, TypeClass::Text | TypeClass::Bool) => Plan::Categorical,
                (Plan::Infer, _) => Plan::Numeric,
                (Plan::Numeric, TypeClass::Temporal) if !temporal_ok(name) => {
                    return Err(mismatch("a numeric column"))
                }
                (Plan::Numeric, class) if fits_numeric(class) => Plan::Numeric,
                (Plan::Numeric, _) => return Err(mismatch("a numeric column")),
                (Plan::Categorical, class) if fits_categorical(class) => Plan::Categorical,
                (Plan::Categorical, _) => return Err(mismatch("a string or boolean column")),
                (Plan::Skip, _) => Plan::Skip,
                // Text is CSV's plan for ids; a Parquet column keeps its type.
                (Plan::Text, TypeClass::Text | TypeClass::Bool) => Plan::Categorical,
                (Plan::Text, _) => Plan::Numeric,
            };
        }
        Ok(())
    }

    /// The columns planned numeric that hold dates or times.
    pub(super) fn temporal(&self, header: &[String], plan: &[Plan]) -> Vec<String> {
        header
            .iter()
            .zip(plan)
            .enumerate()
            .filter(|(i, (_, p))| {
                **p == Plan::Numeric
                    && self
                        .data_type(*i)
                        .is_some_and(|t| class_of(t) == TypeClass::Temporal)
            })
            .map(|(_, (name, _))| name.clone())
            .collect()
    }

    /// Decodes the planned columns; entry `i` is `Some` for every non-skipped column.
    /// `max_bytes` caps the decoded size.
    pub(super) fn parse(
        &mut self,
        plan: &[Plan],
        max_bytes: u64,
    ) -> Result<Vec<Option<Built>>, DataError> {
        let groups: Vec<usize> = self
            .meta
            .metadata()
            .row_groups()
            .iter()
            .map(|g| usize::try_from(g.num_rows()).unwrap_or(0))
            .collect();
        let planned = plan.iter().filter(|p| **p != Plan::Skip).count() as u64;
        let decoded = (self.rows as u64).saturating_mul(planned).saturating_mul(8);
        if decoded > max_bytes {
            return Err(DataError::Unreadable {
                file: self.file.to_path_buf(),
                message: format!(
                    "{} rows x {planned} columns decode to {decoded} bytes, more than --max-window-bytes {max_bytes}",
                    self.rows
                ),
            });
        }
        let mut storage: Vec<Storage> = plan.iter().map(|&p| Storage::new(p, self.rows)).collect();
        let mut tasks: Vec<(usize, usize, Builder)> = Vec::new();
        for (column, (store, &step)) in storage.iter_mut().zip(plan).enumerate() {
            if step == Plan::Skip {
                continue;
            }
            for (group, builder) in store.builders(step, &groups).into_iter().enumerate() {
                tasks.push((column, group, builder));
            }
        }
        let this = &*self;
        let done: Vec<Result<(usize, Part), DataError>> = tasks
            .into_par_iter()
            .with_max_len(1)
            .map(|(column, group, builder)| {
                let part = guarded(|| this.decode(column, group, builder))
                    .map_err(|m| this.chunk_error(column, group, m))?;
                let expected = groups.get(group).copied().unwrap_or(0);
                if part.len != expected {
                    return Err(this.chunk_error(
                        column,
                        group,
                        format!("{} values where the footer says {expected} rows", part.len),
                    ));
                }
                Ok((column, part))
            })
            .collect();
        let mut parts: Vec<Vec<Part>> = plan.iter().map(|_| Vec::new()).collect();
        for outcome in done {
            let (column, part) = outcome?;
            if let Some(p) = parts.get_mut(column) {
                p.push(part);
            }
        }
        Ok(storage
            .into_iter()
            .zip(parts)
            .map(|(store, parts)| store.assemble(parts, &groups, &groups))
            .collect())
    }

    /// Decodes one column chunk into its builder.
    fn decode(&self, column: usize, group: usize, mut builder: Builder) -> Result<Part, String> {
        let mask = ProjectionMask::roots(self.meta.parquet_schema(), [column]);
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.bytes.clone(),
            self.meta.clone(),
        )
        .with_projection(mask)
        .with_row_groups(vec![group])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| e.to_string())?;
        for batch in reader {
            let batch = batch.map_err(|e| e.to_string())?;
            let array = batch
                .columns()
                .first()
                .ok_or_else(|| "the projected batch has no column".to_string())?;
            push_array(array.as_ref(), &mut builder)?;
        }
        Ok(builder.finish())
    }

    fn chunk_error(&self, column: usize, group: usize, message: String) -> DataError {
        let name = self
            .meta
            .schema()
            .fields()
            .get(column)
            .map_or("?", |f| f.name().as_str());
        corrupt(
            self.file,
            format!("column \"{name}\", row group {group}: {message}"),
        )
    }
}

fn corrupt(file: &Path, message: String) -> DataError {
    DataError::Corrupt {
        file: file.to_path_buf(),
        format: "Parquet",
        message,
    }
}

/// Runs a decoding step, turning a panic inside the Parquet decoder (a malformed file can still
/// reach one) into an error message: a bad file must not take the monitor down.
fn guarded<T>(step: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(step)) {
        Ok(result) => result,
        Err(panic) => Err(panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .map_or_else(
                || "the decoder failed".to_string(),
                |m| format!("the decoder failed: {m}"),
            )),
    }
}
