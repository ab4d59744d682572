//! A window file's bytes decoded by format into one table interface: the header, the plan
//! refined by the column types, and the columns parsed. `reader.rs` works on this and does not
//! care whether the bytes were CSV, gzip or Parquet.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;

use bytes::Bytes;

use super::builder::{Built, Plan};
use super::error::DataError;
use super::format::Format;
use super::gzip;
use super::parquet::ParquetTable;
use super::scan::RawTable;
use super::source::CsvSource;

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

/// The file ready for a table: CSV text (in memory, in a file, or gzip to inflate as it is
/// read) or Parquet.
pub(super) enum Decoded<'a> {
    Csv(CsvSource<'a>),
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
            Format::Csv => Decoded::Csv(CsvSource::Bytes(Cow::Borrowed(bytes))),
            Format::CsvGz => {
                gzip::check_cap(file, bytes, options.max_bytes)?;
                Decoded::Csv(CsvSource::Gzip {
                    compressed: Cow::Borrowed(bytes),
                    max_bytes: options.max_bytes,
                })
            }
            Format::Parquet => Decoded::Parquet(Bytes::copy_from_slice(bytes)),
        })
    }

    /// The first `len` bytes of `file` (opened from `path`): CSV is read as it is parsed,
    /// gzip inflated as it is parsed, Parquet read whole.
    pub(super) fn from_file(
        path: &Path,
        file: &File,
        len: u64,
        options: &ReadOptions,
    ) -> Result<Decoded<'static>, DataError> {
        let whole = || -> Result<Vec<u8>, DataError> {
            let mut bytes = Vec::new();
            super::file::read_len_into(file, path, len, &mut bytes)?;
            Ok(bytes)
        };
        Ok(match Format::for_reading(path) {
            Format::Csv => Decoded::Csv(CsvSource::File {
                file: file.try_clone().map_err(|e| DataError::Unreadable {
                    file: path.to_path_buf(),
                    message: e.to_string(),
                })?,
                len,
            }),
            Format::CsvGz => {
                let compressed = whole()?;
                gzip::check_cap(path, &compressed, options.max_bytes)?;
                Decoded::Csv(CsvSource::Gzip {
                    compressed: Cow::Owned(compressed),
                    max_bytes: options.max_bytes,
                })
            }
            Format::Parquet => Decoded::Parquet(Bytes::from(whole()?)),
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
            Decoded::Csv(source) => Table::Csv(RawTable::new(file, source)?),
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
