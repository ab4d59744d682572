//! A window file's bytes decoded by format into one table interface: the header, the plan
//! refined by the column types, and the columns parsed. `reader.rs` works on this and does not
//! care whether the bytes were CSV, gzip or Parquet.

use std::borrow::Cow;
use std::path::Path;

use bytes::Bytes;

use super::builder::{Built, Plan};
use super::error::DataError;
use super::format::Format;
use super::gzip::gunzip;
use super::parquet::ParquetTable;
use super::scan::RawTable;

/// Limits on reading a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// The largest decoded size accepted: a gzip file's decompressed bytes, a Parquet file's
    /// columns at 8 bytes a cell (the file's own size is checked before it is read).
    pub max_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_bytes: 2_000_000_000,
        }
    }
}

/// The file's bytes ready for a table: CSV text (inflated if it was gzip) or Parquet.
pub(super) enum Decoded<'a> {
    Csv(Cow<'a, [u8]>),
    Parquet(Bytes),
}

impl<'a> Decoded<'a> {
    /// Decodes by the format the file name says (see [`Format::for_reading`]).
    pub(super) fn new(
        file: &Path,
        bytes: &'a [u8],
        options: &ReadOptions,
    ) -> Result<Self, DataError> {
        Ok(match Format::for_reading(file) {
            Format::Csv => Decoded::Csv(Cow::Borrowed(bytes)),
            Format::CsvGz => Decoded::Csv(Cow::Owned(gunzip(file, bytes, options.max_bytes)?)),
            Format::Parquet => Decoded::Parquet(Bytes::copy_from_slice(bytes)),
        })
    }

    /// The same, taking ownership of the bytes (no copy for Parquet).
    pub(super) fn owned(
        file: &Path,
        bytes: Vec<u8>,
        options: &ReadOptions,
    ) -> Result<Decoded<'static>, DataError> {
        Ok(match Format::for_reading(file) {
            Format::Csv => Decoded::Csv(Cow::Owned(bytes)),
            Format::CsvGz => Decoded::Csv(Cow::Owned(gunzip(file, &bytes, options.max_bytes)?)),
            Format::Parquet => Decoded::Parquet(Bytes::from(bytes)),
        })
    }
}

/// A table over decoded bytes.
pub(super) enum Table<'a> {
    Csv(RawTable<'a>),
    /// With the cap on the decoded size.
    Parquet(ParquetTable<'a>, u64),
}

impl<'a> Table<'a> {
    pub(super) fn new(
        file: &'a Path,
        decoded: &'a Decoded<'_>,
        options: &ReadOptions,
    ) -> Result<Self, DataError> {
        Ok(match decoded {
            Decoded::Csv(bytes) => Table::Csv(RawTable::new(file, bytes)?),
            Decoded::Parquet(bytes) => {
                Table::Parquet(ParquetTable::new(file, bytes.clone())?, options.max_bytes)
            }
        })
    }

    pub(super) fn header(&self) -> Result<Vec<String>, DataError> {
        match self {
            Table::Csv(t) => t.header(),
            Table::Parquet(t, _) => {
                let names = t.header();
                if let Some((index, column)) = first_duplicate(&names) {
                    return Err(DataError::DuplicateHeader {
                        file: t.file().to_path_buf(),
                        column,
                        index,
                    });
                }
                Ok(names)
            }
        }
    }

    /// Fits the plan to the column types (Parquet); CSV types come from the values, later.
    pub(super) fn refine(
        &self,
        header: &[String],
        plan: &mut [Plan],
        listed: impl Fn(&str) -> bool,
        temporal_ok: impl Fn(&str) -> bool,
    ) -> Result<(), DataError> {
        match self {
            Table::Csv(_) => Ok(()),
            Table::Parquet(t, _) => t.refine(header, plan, listed, temporal_ok),
        }
    }

    /// The columns planned numeric that hold dates or times (Parquet only).
    pub(super) fn temporal(&self, header: &[String], plan: &[Plan]) -> Vec<String> {
        match self {
            Table::Csv(_) => Vec::new(),
            Table::Parquet(t, _) => t.temporal(header, plan),
        }
    }

    pub(super) fn parse(&mut self, plan: &[Plan]) -> Result<Vec<Option<Built>>, DataError> {
        match self {
            Table::Csv(t) => t.parse(plan),
            Table::Parquet(t, max_bytes) => t.parse(plan, *max_bytes),
        }
    }

    pub(super) fn rows(&self) -> usize {
        match self {
            Table::Csv(t) => t.rows,
            Table::Parquet(t, _) => t.rows,
        }
    }
}

/// The first name that repeats an earlier one, with its 1-based position.
fn first_duplicate(names: &[String]) -> Option<(usize, String)> {
    names
        .iter()
        .enumerate()
        .find(|(i, name)| names[..*i].contains(name))
        .map(|(i, name)| (i + 1, name.clone()))
}
