//! Label files (`*.labels.csv`, `*.labels.csv.gz`, `*.labels.parquet`): an id column and the
//! target, arriving after the windows whose rows they label.
//!
//! A label file is read like a window (same formats, same limits, same errors), but strictly:
//! in a window a cell of the wrong type is counted and the window goes on, while a label that
//! is not a label would silently change a realised metric, so the first one stops the file with
//! its line and column.

use std::borrow::Cow;
use std::path::Path;

use super::builder::Plan;
use super::error::DataError;
use super::ids::RowIds;
use super::number::parse_f64;
use super::reader::id_plan;
use super::table::{Decoded, ReadOptions, Table};
use super::window::{Column, ColumnData, MISSING_CODE};

/// The targets of a label file.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelTargets {
    /// Numbers (binary 0/1, regression): NaN where the cell is missing.
    Numbers(Vec<f64>),
    /// Class labels of a multiclass model, as text (`[columns] class_probabilities`).
    Classes(Column),
}

/// The rows of a label file: each row's id and target.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRows {
    ids: RowIds,
    targets: LabelTargets,
}

impl LabelRows {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.ids.len()
    }

    /// The id of row `row`; `None` when missing.
    pub fn id(&self, row: usize) -> Option<&str> {
        Some(self.ids.get(row)).filter(|id| !id.is_empty())
    }

    /// The targets.
    pub fn targets(&self) -> &LabelTargets {
        &self.targets
    }
}

/// Row `row` of an id column as text: a text cell as it is, a number as an integer when it is
/// one (`7`, not `7.0`); `None` when missing or out of range.
pub(crate) fn id_text(column: &Column, row: usize) -> Option<Cow<'_, str>> {
    match &column.data {
        ColumnData::Categorical { codes, dictionary } => {
            let code = *codes.get(row)?;
            if code == MISSING_CODE {
                return None;
            }
            dictionary
                .get(code as usize)
                .map(|s| Cow::Borrowed(s.as_str()))
        }
        ColumnData::Numeric(values) => {
            let v = *values.get(row)?;
            if v.is_nan() {
                None
            } else if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
                Some(Cow::Owned(format!("{}", v as i64)))
            } else {
                Some(Cow::Owned(v.to_string()))
            }
        }
    }
}

/// Parses a label file's bytes: the `id` and `target` columns (other columns are ignored).
/// `classes`: the target holds class labels (text) instead of numbers.
pub fn parse_labels(
    file: &Path,
    bytes: &[u8],
    id: &str,
    target: &str,
    classes: bool,
    options: &ReadOptions,
) -> Result<LabelRows, DataError> {
    let decoded = Decoded::new(file, bytes, options)?;
    let mut table = Table::new(file, &decoded, options)?;
    let header = table.header()?;
    let position = |name: &str, role: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DataError::MissingRole {
                file: file.to_path_buf(),
                column: name.to_string(),
                role,
            })
    };
    let id_at = position(id, "id")?;
    let target_at = position(target, "target")?;
    let mut plan = vec![Plan::Skip; header.len()];
    plan[id_at] = id_plan(&table);
    // Text first, checked below cell by cell, so the bad cell's line can be named; a Parquet
    // column of numbers stays numbers.
    plan[target_at] = match id_plan(&table) {
        Plan::Text => Plan::Categorical,
        other => other,
    };
    table.refine(&header, &mut plan, |_| true, |_| false)?;
    let mut built = table.parse(&plan)?;
    if table.rows() == 0 {
        return Err(DataError::NoRows {
            file: file.to_path_buf(),
        });
    }
    let unread = |i: usize| DataError::Malformed {
        file: file.to_path_buf(),
        line: 1,
        message: format!("column \"{}\" could not be read", header[i]),
    };
    let ids = built
        .get_mut(id_at)
        .and_then(Option::take)
        .map(|b| RowIds::from_built(b, &header[id_at]))
        .ok_or_else(|| unread(id_at))?;
    // The target as a dictionary column: few distinct labels, each checked once.
    let target_column = built
        .get_mut(target_at)
        .and_then(Option::take)
        .map(|b| b.into_column(&header[target_at]))
        .ok_or_else(|| unread(target_at))?;
    let targets = if classes {
        LabelTargets::Classes(target_column)
    } else {
        LabelTargets::Numbers(numbers(file, target_column)?)
    };
    Ok(LabelRows { ids, targets })
}

/// A target column as numbers; the first cell that is neither missing nor a number is an error
/// naming its line (the header is line 1).
fn numbers(file: &Path, column: Column) -> Result<Vec<f64>, DataError> {
    match column.data {
        ColumnData::Numeric(values) => Ok(values),
        ColumnData::Categorical { codes, dictionary } => {
            let parsed: Vec<Option<f64>> = dictionary
                .iter()
                .map(|cell| {
                    let cell = cell.trim();
                    if super::is_missing_token(cell.as_bytes()) {
                        Some(f64::NAN)
                    } else {
                        parse_f64(cell.as_bytes()).filter(|v| v.is_finite())
                    }
                })
                .collect();
            codes
                .iter()
                .enumerate()
                .map(|(row, &code)| {
                    if code == MISSING_CODE {
                        return Ok(f64::NAN);
                    }
                    parsed.get(code as usize).copied().flatten().ok_or_else(|| {
                        DataError::InvalidValue {
                            file: file.to_path_buf(),
                            line: row as u64 + 2,
                            column: column.name.clone(),
                            value: dictionary.get(code as usize).cloned().unwrap_or_default(),
                            expected: "a number",
                        }
                    })
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<LabelRows, DataError> {
        parse_labels(
            Path::new("l.labels.csv"),
            text.as_bytes(),
            "id",
            "target",
            false,
            &ReadOptions::default(),
        )
    }

    #[test]
    fn ids_and_numbers_are_read_other_columns_ignored() {
        let rows = read("note,id,target\nx,007,1\ny,b,0\nz,,1\nw,c,NA\n").expect("reads");
        assert_eq!(rows.rows(), 4);
        assert_eq!(rows.id(0), Some("007"));
        assert_eq!(rows.id(2), None);
        let LabelTargets::Numbers(t) = rows.targets() else {
            panic!("numbers");
        };
        assert_eq!(&t[..2], &[1.0, 0.0]);
        assert!(t[3].is_nan());
    }

    #[test]
    fn a_bad_label_names_its_line_and_column() {
        let e = read("id,target\na,1\nb,yes\n").expect_err("not a number");
        let text = e.to_string();
        assert!(
            text.contains("line 3") && text.contains("\"target\"") && text.contains("\"yes\""),
            "{text}"
        );
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.column(), Some("target"));
    }

    #[test]
    fn a_missing_id_or_target_column_is_named() {
        let e = read("key,target\na,1\n").expect_err("no id");
        assert!(e.to_string().contains("\"id\""), "{e}");
        let e = read("id,label\na,1\n").expect_err("no target");
        assert!(e.to_string().contains("\"target\""), "{e}");
        assert!(matches!(read("id,target\n"), Err(DataError::NoRows { .. })));
    }

    #[test]
    fn numeric_ids_read_as_integers() {
        let c = Column::numeric("id", vec![7.0, 2.5, f64::NAN]);
        assert_eq!(id_text(&c, 0).as_deref(), Some("7"));
        assert_eq!(id_text(&c, 1).as_deref(), Some("2.5"));
        assert_eq!(id_text(&c, 2), None);
    }

    #[test]
    fn a_parquet_label_file_reads_integer_ids_and_text_ids() {
        use crate::data::{window_to_parquet, DataWindow};
        let window = DataWindow::new(
            "l",
            vec![
                Column::numeric("id", vec![7.0, 8.0, f64::NAN]),
                Column::categorical("other", &[Some("x"), Some("y"), None]),
            ],
            None,
            Some(Column::numeric("target", vec![1.0, 0.0, 1.0])),
        )
        .expect("window");
        let bytes = window_to_parquet(&window).expect("parquet");
        let rows = parse_labels(
            Path::new("l.labels.parquet"),
            &bytes,
            "id",
            "target",
            false,
            &ReadOptions::default(),
        )
        .expect("reads");
        assert_eq!(
            (rows.id(0), rows.id(1), rows.id(2)),
            (Some("7"), Some("8"), None)
        );
        assert_eq!(rows.targets(), &LabelTargets::Numbers(vec![1.0, 0.0, 1.0]));
        let by_text = parse_labels(
            Path::new("l.labels.parquet"),
            &bytes,
            "other",
            "target",
            false,
            &ReadOptions::default(),
        )
        .expect("reads");
        assert_eq!(by_text.id(1), Some("y"));
    }
}
