//! A window written as Parquet, for `ml-monitor generate --format parquet` and tests: numeric
//! columns as nullable `double` (a missing or invalid cell becomes a null), categorical ones as
//! nullable strings, in the window's column order (features, prediction, target), snappy.
//! Reading the file back gives the window it was written from.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::window::{Column, ColumnData, DataWindow, MISSING_CODE};

/// The window as the bytes of a Parquet file.
pub fn window_to_parquet(window: &DataWindow) -> Result<Vec<u8>, String> {
    let columns: Vec<(String, ArrayRef)> = window
        .features()
        .iter()
        .chain(window.prediction())
        .chain(window.target())
        .chain(window.predicted_label())
        .map(|c| (c.name.clone(), array(c)))
        .collect();
    let batch = RecordBatch::try_from_iter(columns).map_err(|e| e.to_string())?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).map_err(|e| e.to_string())?;
    writer.write(&batch).map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(out)
}

fn array(column: &Column) -> ArrayRef {
    match &column.data {
        ColumnData::Numeric(values) => Arc::new(
            values
                .iter()
                .map(|v| (!v.is_nan()).then_some(*v))
                .collect::<Float64Array>(),
        ),
        ColumnData::Categorical { codes, dictionary } => Arc::new(
            codes
                .iter()
                .map(|&c| {
                    if c == MISSING_CODE {
                        None
                    } else {
                        dictionary.get(c as usize).map(String::as_str)
                    }
                })
                .collect::<StringArray>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{parse_reference, ColumnRoles};
    use std::path::Path;

    #[test]
    fn a_window_round_trips() {
        let csv = b"a,b,prediction,target\n1.5,x,0.2,1\n,y,0.4,0\n-2,,0.9,1\n";
        let roles = ColumnRoles::default();
        let (w, schema) = parse_reference(Path::new("w.csv"), csv, &roles).expect("csv");
        let bytes = window_to_parquet(&w).expect("writes");
        let (back, back_schema) =
            parse_reference(Path::new("w.parquet"), &bytes, &roles).expect("parquet");
        assert_eq!(back_schema, schema);
        assert_eq!(back.feature("b"), w.feature("b"));
        assert_eq!(back.prediction_values(), w.prediction_values());
        assert_eq!(back.target_values(), w.target_values());
        let a = back.feature("a").expect("a");
        assert_eq!(a.missing, 1);
        assert_eq!(a.as_numeric().map(|v| v[2]), Some(-2.0));
    }
}
