//! Data windows: CSV, gzipped CSV and Parquet files turned into typed columns.
//!
//! A window is parsed once into columns (`f64` for numeric features, dictionary codes for
//! categorical ones) so every detector reads contiguous memory and no per-cell `String` survives
//! parsing. The reference window fixes the schema; later windows are read against it, so a cell of
//! the wrong type is counted as invalid instead of failing the whole window.

mod builder;
mod error;
mod file;
mod format;
mod gzip;
mod ids;
mod labels;
mod number;
mod parquet;
mod parquet_types;
mod parquet_write;
mod quoted;
mod reader;
mod scan;
mod schema;
mod source;
mod table;
mod window;

pub use error::{DataError, DataErrorKind};
pub use file::read_len_into;
pub use format::Format;
pub(crate) use ids::RowIds;
pub use labels::parse_labels;
pub(crate) use labels::{id_text, LabelRows, LabelTargets};
pub use parquet_write::window_to_parquet;
pub use reader::{
    parse_reference, parse_reference_with, parse_window, parse_window_with, read_reference,
    read_reference_from, read_window, read_window_from,
};
pub(crate) use schema::FeatureSpec;
pub use schema::{ColumnRoles, FeatureKind, Schema};
pub use table::ReadOptions;
pub(crate) use window::MISSING_CODE;
pub use window::{Column, ColumnData, DataWindow};

/// Whether a raw cell is one of the missing-value spellings: empty, `NA`, `NaN`, `null`
/// (ASCII case-insensitive, surrounding spaces ignored).
pub(crate) fn is_missing_token(cell: &[u8]) -> bool {
    let cell = cell.trim_ascii();
    cell.is_empty()
        || cell.eq_ignore_ascii_case(b"na")
        || cell.eq_ignore_ascii_case(b"nan")
        || cell.eq_ignore_ascii_case(b"null")
}

#[cfg(test)]
mod tests {
    use super::is_missing_token;

    #[test]
    fn missing_tokens() {
        for t in ["", " ", "NA", "na", "NaN", "nan", "null", "NULL", " NA "] {
            assert!(is_missing_token(t.as_bytes()), "{t:?}");
        }
        for t in ["0", "N", "none", "nil", "-"] {
            assert!(!is_missing_token(t.as_bytes()), "{t:?}");
        }
    }
}
