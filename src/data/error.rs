//! Errors a window file can raise. Each names the file and, where it applies, the line and
//! column, so an on-call engineer can open the file at the right place.

use std::path::PathBuf;

/// Why a data window could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("{file}: cannot read: {message}")]
    Unreadable { file: PathBuf, message: String },
    #[error("{file}: the file is empty (no header row)")]
    Empty { file: PathBuf },
    #[error("{file}: has a header but no data rows")]
    NoRows { file: PathBuf },
    #[error("{file}, line {line}: expected {expected} fields as in the header, found {found}")]
    Ragged {
        file: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
    },
    #[error("{file}, line 1, column {index}: duplicate header \"{column}\"")]
    DuplicateHeader {
        file: PathBuf,
        column: String,
        index: usize,
    },
    #[error("{file}, line 1: missing column \"{column}\" that the reference has")]
    MissingColumn { file: PathBuf, column: String },
    #[error("{file}, line {line}: malformed CSV: {message}")]
    Malformed {
        file: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{file}: no feature columns (every column is the prediction, the target or excluded)")]
    NoFeatures { file: PathBuf },
    #[error("{file}: configured feature \"{column}\" is not in the header")]
    UnknownFeature { file: PathBuf, column: String },
}

impl DataError {
    /// The file the error is about.
    pub fn file(&self) -> &std::path::Path {
        match self {
            DataError::Unreadable { file, .. }
            | DataError::Empty { file }
            | DataError::NoRows { file }
            | DataError::Ragged { file, .. }
            | DataError::DuplicateHeader { file, .. }
            | DataError::MissingColumn { file, .. }
            | DataError::Malformed { file, .. }
            | DataError::NoFeatures { file }
            | DataError::UnknownFeature { file, .. } => file,
        }
    }

    /// The 1-based line the error is on, when there is one.
    pub fn line(&self) -> Option<u64> {
        match self {
            DataError::Ragged { line, .. } | DataError::Malformed { line, .. } => Some(*line),
            DataError::DuplicateHeader { .. } | DataError::MissingColumn { .. } => Some(1),
            _ => None,
        }
    }

    /// The column the error is about, when there is one.
    pub fn column(&self) -> Option<&str> {
        match self {
            DataError::DuplicateHeader { column, .. }
            | DataError::MissingColumn { column, .. }
            | DataError::UnknownFeature { column, .. } => Some(column),
            _ => None,
        }
    }

    /// A short machine-readable kind, used in JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            DataError::Unreadable { .. } => "unreadable",
            DataError::Empty { .. } => "empty",
            DataError::NoRows { .. } => "no_rows",
            DataError::Ragged { .. } => "ragged_row",
            DataError::DuplicateHeader { .. } => "duplicate_header",
            DataError::MissingColumn { .. } => "missing_column",
            DataError::Malformed { .. } => "malformed",
            DataError::NoFeatures { .. } => "no_features",
            DataError::UnknownFeature { .. } => "unknown_feature",
        }
    }
}
