//! Errors a window file can raise. Each names the file and, where it applies, the line and
//! column, so an on-call engineer can open the file at the right place.

use std::path::PathBuf;

/// What kind of [`DataError`] it is, as results and the history name it (`ragged_row`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataErrorKind {
    Unreadable,
    Empty,
    NoRows,
    RaggedRow,
    DuplicateHeader,
    MissingColumn,
    Malformed,
    NoFeatures,
    UnknownFeature,
    /// A compressed or Parquet file that does not decode.
    Corrupt,
    /// A column of a type the monitor cannot use (nested, binary).
    UnsupportedType,
    /// A column whose type disagrees with the reference's (numeric vs string).
    TypeMismatch,
    /// A cell that must hold a value of one kind holds another (a label that is not a number).
    InvalidValue,
    /// A kind this build does not know (read from a newer history).
    #[serde(other)]
    Other,
}

impl DataErrorKind {
    /// The snake_case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            DataErrorKind::Unreadable => "unreadable",
            DataErrorKind::Empty => "empty",
            DataErrorKind::NoRows => "no_rows",
            DataErrorKind::RaggedRow => "ragged_row",
            DataErrorKind::DuplicateHeader => "duplicate_header",
            DataErrorKind::MissingColumn => "missing_column",
            DataErrorKind::Malformed => "malformed",
            DataErrorKind::NoFeatures => "no_features",
            DataErrorKind::UnknownFeature => "unknown_feature",
            DataErrorKind::Corrupt => "corrupt",
            DataErrorKind::UnsupportedType => "unsupported_type",
            DataErrorKind::TypeMismatch => "type_mismatch",
            DataErrorKind::InvalidValue => "invalid_value",
            DataErrorKind::Other => "other",
        }
    }
}

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
    #[error("{file}: corrupt {format} file: {message}")]
    Corrupt {
        file: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{file}: column \"{column}\" has type {data_type}, which the monitor cannot use; exclude it ([columns] exclude)")]
    UnsupportedType {
        file: PathBuf,
        column: String,
        data_type: String,
    },
    #[error("{file}: column \"{column}\" is {found} where {expected} is expected")]
    TypeMismatch {
        file: PathBuf,
        column: String,
        expected: String,
        found: String,
    },
    #[error("{file}, line 1: missing the {role} column \"{column}\"")]
    MissingRole {
        file: PathBuf,
        column: String,
        role: &'static str,
    },
    #[error("{file}, line {line}, column \"{column}\": \"{value}\" is not {expected}")]
    InvalidValue {
        file: PathBuf,
        line: u64,
        column: String,
        value: String,
        expected: &'static str,
    },
}

impl DataError {
    /// The file the error is about.
    pub(crate) fn file(&self) -> &std::path::Path {
        match self {
            DataError::Unreadable { file, .. }
            | DataError::Empty { file }
            | DataError::NoRows { file }
            | DataError::Ragged { file, .. }
            | DataError::DuplicateHeader { file, .. }
            | DataError::MissingColumn { file, .. }
            | DataError::Malformed { file, .. }
            | DataError::NoFeatures { file }
            | DataError::UnknownFeature { file, .. }
            | DataError::Corrupt { file, .. }
            | DataError::UnsupportedType { file, .. }
            | DataError::TypeMismatch { file, .. }
            | DataError::MissingRole { file, .. }
            | DataError::InvalidValue { file, .. } => file,
        }
    }

    /// The 1-based line the error is on, when there is one.
    pub(crate) fn line(&self) -> Option<u64> {
        match self {
            DataError::Ragged { line, .. }
            | DataError::Malformed { line, .. }
            | DataError::InvalidValue { line, .. } => Some(*line),
            DataError::DuplicateHeader { .. }
            | DataError::MissingColumn { .. }
            | DataError::MissingRole { .. } => Some(1),
            _ => None,
        }
    }

    /// The column the error is about, when there is one.
    pub fn column(&self) -> Option<&str> {
        match self {
            DataError::DuplicateHeader { column, .. }
            | DataError::MissingColumn { column, .. }
            | DataError::UnknownFeature { column, .. }
            | DataError::UnsupportedType { column, .. }
            | DataError::TypeMismatch { column, .. }
            | DataError::MissingRole { column, .. }
            | DataError::InvalidValue { column, .. } => Some(column),
            _ => None,
        }
    }

    /// A short machine-readable kind, used in JSON output.
    pub fn kind(&self) -> DataErrorKind {
        match self {
            DataError::Unreadable { .. } => DataErrorKind::Unreadable,
            DataError::Empty { .. } => DataErrorKind::Empty,
            DataError::NoRows { .. } => DataErrorKind::NoRows,
            DataError::Ragged { .. } => DataErrorKind::RaggedRow,
            DataError::DuplicateHeader { .. } => DataErrorKind::DuplicateHeader,
            DataError::MissingColumn { .. } => DataErrorKind::MissingColumn,
            DataError::Malformed { .. } => DataErrorKind::Malformed,
            DataError::NoFeatures { .. } => DataErrorKind::NoFeatures,
            DataError::UnknownFeature { .. } => DataErrorKind::UnknownFeature,
            DataError::Corrupt { .. } => DataErrorKind::Corrupt,
            DataError::UnsupportedType { .. } => DataErrorKind::UnsupportedType,
            DataError::TypeMismatch { .. } => DataErrorKind::TypeMismatch,
            DataError::MissingRole { .. } => DataErrorKind::MissingColumn,
            DataError::InvalidValue { .. } => DataErrorKind::InvalidValue,
        }
    }
}
