//! A file's bytes to a [`DataWindow`]: the header against the column roles (reference) or the
//! schema (windows), each column's type, and the window assembled from the scanned columns.
//! The format (CSV, gzip, Parquet; see `format.rs`) is decoded behind `table.rs`; the scanning
//! itself, the part that costs, is `scan.rs` for CSV and `parquet.rs` for Parquet.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use super::builder::{Built, Plan};
use super::error::DataError;
use super::ids::RowIds;
use super::schema::{ColumnRoles, FeatureKind, FeatureSpec, Schema};
use super::table::{Decoded, ReadOptions, Table};
use super::window::{Column, DataWindow};

/// Reads the reference file: infers each feature's type and returns the window and its schema.
/// The format is chosen by the file name (`*.csv`, `*.csv.gz`, `*.parquet`; CSV otherwise).
pub fn read_reference(path: &Path, roles: &ColumnRoles) -> Result<(DataWindow, Schema), DataError> {
    let (file, len) = open(path)?;
    read_reference_from(path, &file, len, roles, &ReadOptions::default())
}

/// Reads a window file against the reference's schema (format by file name, as
/// [`read_reference`]).
pub fn read_window(path: &Path, schema: &Schema) -> Result<DataWindow, DataError> {
    let (file, len) = open(path)?;
    read_window_from(path, &file, len, schema, &ReadOptions::default())
}

/// [`read_reference`] of the first `len` bytes of `file`, opened from `path`. CSV text is
/// parsed as it is read, a block at a time, so the text is never all in memory: a window
/// costs its columns and one block (gzip is inflated the same way, and refused as soon as it
/// passes `options.max_bytes`).
pub fn read_reference_from(
    path: &Path,
    file: &File,
    len: u64,
    roles: &ColumnRoles,
    options: &ReadOptions,
) -> Result<(DataWindow, Schema), DataError> {
    let decoded = Decoded::from_file(path, file, len, options)?;
    reference_from(path, &decoded, roles, options)
}

/// [`read_window`] of the first `len` bytes of `file`, opened from `path` (read in blocks, as
/// [`read_reference_from`]): the window is the version of the file that `len` describes.
pub fn read_window_from(
    path: &Path,
    file: &File,
    len: u64,
    schema: &Schema,
    options: &ReadOptions,
) -> Result<DataWindow, DataError> {
    let decoded = Decoded::from_file(path, file, len, options)?;
    window_from(path, &decoded, schema, options)
}

fn open(path: &Path) -> Result<(File, u64), DataError> {
    let unreadable = |e: std::io::Error| DataError::Unreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    Ok((file, len))
}

/// Parses a reference file's bytes (`file` names them in errors and, by its extension, their
/// format).
pub fn parse_reference(
    file: &Path,
    bytes: &[u8],
    roles: &ColumnRoles,
) -> Result<(DataWindow, Schema), DataError> {
    parse_reference_with(file, bytes, roles, &ReadOptions::default())
}

/// [`parse_reference`] with limits.
pub fn parse_reference_with(
    file: &Path,
    bytes: &[u8],
    roles: &ColumnRoles,
    options: &ReadOptions,
) -> Result<(DataWindow, Schema), DataError> {
    reference_from(file, &Decoded::new(file, bytes, options)?, roles, options)
}

fn reference_from(
    file: &Path,
    decoded: &Decoded,
    roles: &ColumnRoles,
    options: &ReadOptions,
) -> Result<(DataWindow, Schema), DataError> {
    let mut table = Table::new(file, decoded, options)?;
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
            let labels = !roles.class_probabilities.is_empty();
            if labels && (name == &roles.target || roles.predicted_label.as_ref() == Some(name)) {
                Plan::Categorical
            } else if name == &roles.prediction
                || name == &roles.target
                || roles.predicted_label.as_ref() == Some(name)
                || roles.class_probabilities.values().any(|c| c == name)
            {
                Plan::Numeric
            } else if roles.is_feature(name) {
                Plan::Infer
            } else {
                Plan::Skip
            }
        })
        .collect();
    table.refine(
        &header,
        &mut plan,
        |name| roles.features.iter().any(|f| f == name),
        |_| true,
    )?;
    let temporal = table.temporal(&header, &plan);
    if !plan
        .iter()
        .zip(&header)
        .any(|(p, name)| *p != Plan::Skip && roles.is_feature(name))
    {
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
    let class_probabilities = take_class_columns(&mut columns, &roles.class_probabilities);
    let mut features = Vec::new();
    let mut extra = Vec::new();
    for (i, name) in header.iter().enumerate() {
        match plan[i] {
            Plan::Skip if roles.id.as_ref() != Some(name) => extra.push(name.clone()),
            Plan::Infer | Plan::Numeric | Plan::Categorical if roles.is_feature(name) => {
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
        class_probabilities: roles.class_probabilities.clone(),
        temporal,
        id: roles.id.clone(),
    };
    let window = assemble(file, features, prediction, target, extra, table.rows())?
        .with_predicted_label(predicted_label)
        .with_class_probabilities(class_probabilities);
    Ok((window, schema))
}

/// Parses a window file's bytes against a schema (`file` names them in errors and, by its
/// extension, their format).
pub fn parse_window(file: &Path, bytes: &[u8], schema: &Schema) -> Result<DataWindow, DataError> {
    parse_window_with(file, bytes, schema, &ReadOptions::default())
}

/// [`parse_window`] with limits.
pub fn parse_window_with(
    file: &Path,
    bytes: &[u8],
    schema: &Schema,
    options: &ReadOptions,
) -> Result<DataWindow, DataError> {
    window_from(file, &Decoded::new(file, bytes, options)?, schema, options)
}

fn window_from(
    file: &Path,
    decoded: &Decoded,
    schema: &Schema,
    options: &ReadOptions,
) -> Result<DataWindow, DataError> {
    let mut table = Table::new(file, decoded, options)?;
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
        .chain(schema.class_probabilities.values())
    {
        if let Some(i) = header.iter().position(|h| h == role) {
            plan[i] = Plan::Numeric;
        }
    }
    if !schema.class_probabilities.is_empty() {
        // A multiclass model's target and predicted label are class labels.
        for role in [&schema.target]
            .into_iter()
            .chain(schema.predicted_label.as_ref())
        {
            if let Some(i) = header.iter().position(|h| h == role) {
                plan[i] = Plan::Categorical;
            }
        }
    }
    if let Some(i) = schema
        .id
        .as_ref()
        .and_then(|id| header.iter().position(|h| h == id))
    {
        plan[i] = id_plan(&table);
    }
    table.refine(
        &header,
        &mut plan,
        |_| true,
        |name| schema.temporal.iter().any(|t| t == name),
    )?;
    let mut built = table.parse(&plan)?;
    let ids = schema
        .id
        .as_ref()
        .and_then(|id| header.iter().position(|h| h == id))
        .and_then(|i| Some(RowIds::from_built(built.get_mut(i)?.take()?, &header[i])));
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
    let class_probabilities = take_class_columns(&mut columns, &schema.class_probabilities);
    Ok(
        assemble(file, features, prediction, target, extra, table.rows())?
            .with_predicted_label(predicted_label)
            .with_class_probabilities(class_probabilities)
            .with_ids(ids),
    )
}

/// How an id column is read: CSV cells as the text they are (`007` stays `007`), without a
/// dictionary; a Parquet column as its type says (text, or numbers written back as text by
/// [`super::id_text`]).
pub(super) fn id_plan(table: &Table) -> Plan {
    match table {
        Table::Csv(_) => Plan::Text,
        Table::Parquet(..) => Plan::Infer,
    }
}

/// The class-probability columns present, as (class, column).
fn take_class_columns(
    columns: &mut HashMap<String, Column>,
    classes: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, Column)> {
    classes
        .iter()
        .filter_map(|(class, name)| columns.remove(name).map(|c| (class.clone(), c)))
        .collect()
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
    let window = DataWindow::new(name, features, prediction, target).ok_or_else(|| {
        DataError::Malformed {
            file: file.to_path_buf(),
            line: 1,
            message: "columns of unequal length".into(),
        }
    })?;
    Ok(window.with_extra_columns(extra))
}

fn take_columns(header: &[String], built: Vec<Option<Built>>) -> HashMap<String, Column> {
    header
        .iter()
        .zip(built)
        .filter_map(|(name, b)| b.map(|b| (name.clone(), b.into_column(name))))
        .collect()
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
