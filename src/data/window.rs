//! The columnar window every detector reads.

use std::collections::HashMap;

use super::schema::FeatureKind;

/// Code of a missing categorical cell.
pub(crate) const MISSING_CODE: u32 = u32::MAX;

/// A column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers; a missing or invalid cell is NaN.
    Numeric(Vec<f64>),
    /// Category codes into `dictionary`; a missing cell is `MISSING_CODE` (`u32::MAX`).
    Categorical {
        codes: Vec<u32>,
        dictionary: Vec<String>,
    },
}

/// One named column with its missing and invalid counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
    /// Cells that were empty, `NA`, `NaN` or `null`.
    pub missing: usize,
    /// Cells that did not parse as the column's type (non-numbers or non-finite numbers in a
    /// numeric column). They are NaN in the data, like missing ones.
    pub invalid: usize,
}

impl Column {
    /// A numeric column built from values; NaN cells count as missing.
    pub fn numeric(name: impl Into<String>, values: Vec<f64>) -> Self {
        let missing = values.iter().filter(|v| v.is_nan()).count();
        Column {
            name: name.into(),
            data: ColumnData::Numeric(values),
            missing,
            invalid: 0,
        }
    }

    /// A categorical column built from optional strings (None = missing).
    pub fn categorical<S: AsRef<str>>(name: impl Into<String>, values: &[Option<S>]) -> Self {
        let mut dictionary: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut missing = 0;
        let codes = values
            .iter()
            .map(|v| match v {
                None => {
                    missing += 1;
                    MISSING_CODE
                }
                Some(s) => {
                    let s = s.as_ref();
                    *index.entry(s.to_string()).or_insert_with(|| {
                        dictionary.push(s.to_string());
                        (dictionary.len() - 1) as u32
                    })
                }
            })
            .collect();
        Column {
            name: name.into(),
            data: ColumnData::Categorical { codes, dictionary },
            missing,
            invalid: 0,
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column's kind.
    pub fn kind(&self) -> FeatureKind {
        match self.data {
            ColumnData::Numeric(_) => FeatureKind::Numeric,
            ColumnData::Categorical { .. } => FeatureKind::Categorical,
        }
    }

    /// The numbers, when numeric.
    pub fn as_numeric(&self) -> Option<&[f64]> {
        match &self.data {
            ColumnData::Numeric(v) => Some(v),
            ColumnData::Categorical { .. } => None,
        }
    }

    /// Codes and dictionary, when categorical.
    pub fn as_categorical(&self) -> Option<(&[u32], &[String])> {
        match &self.data {
            ColumnData::Categorical { codes, dictionary } => Some((codes, dictionary)),
            ColumnData::Numeric(_) => None,
        }
    }

    /// Count of cells that are neither missing nor invalid.
    pub(crate) fn valid_count(&self) -> usize {
        self.len().saturating_sub(self.missing + self.invalid)
    }

    /// Share of cells that are missing, 0 for an empty column.
    pub(crate) fn missing_rate(&self) -> f64 {
        ratio(self.missing, self.len())
    }

    /// Share of cells that are invalid, 0 for an empty column.
    pub(crate) fn invalid_rate(&self) -> f64 {
        ratio(self.invalid, self.len())
    }

    /// Counts per dictionary entry of a categorical column (missing cells not counted).
    pub(crate) fn category_counts(&self) -> Option<Vec<u64>> {
        let (codes, dictionary) = self.as_categorical()?;
        let mut counts = vec![0u64; dictionary.len()];
        for &c in codes {
            if let Some(slot) = counts.get_mut(c as usize) {
                *slot += 1;
            }
        }
        Some(counts)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A batch of production (or reference) data: features plus the optional prediction and target.
///
/// Its columns are always as long as each other: it is made by [`DataWindow::new`] (or the
/// readers in [`crate::data`]) and changed only through methods that check the lengths, so its
/// fields are private and read through accessors.
#[derive(Debug, Clone, PartialEq)]
pub struct DataWindow {
    /// Display name, usually the file name.
    name: String,
    /// Feature columns, in schema order.
    features: Vec<Column>,
    /// The model's output, when the file has it.
    prediction: Option<Column>,
    /// The true label, when the file has it.
    target: Option<Column>,
    /// Header columns that are neither features nor roles (ignored, reported).
    extra_columns: Vec<String>,
    /// The model's predicted label (`[columns] predicted_label`), when configured and present.
    predicted_label: Option<Column>,
    /// Per class, its probability column (`[columns] class_probabilities`), when present.
    class_probabilities: Vec<(String, Column)>,
    /// The row ids (`[columns] id`), when configured and present.
    ids: Option<super::ids::RowIds>,
    rows: usize,
}

impl DataWindow {
    /// Builds a window from columns of equal length.
    ///
    /// Returns `None` when the columns' lengths differ.
    pub fn new(
        name: impl Into<String>,
        features: Vec<Column>,
        prediction: Option<Column>,
        target: Option<Column>,
    ) -> Option<Self> {
        let rows = features
            .first()
            .or(prediction.as_ref())
            .or(target.as_ref())
            .map_or(0, Column::len);
        let all_same = features
            .iter()
            .chain(prediction.iter())
            .chain(target.iter())
            .all(|c| c.len() == rows);
        all_same.then(|| DataWindow {
            name: name.into(),
            features,
            prediction,
            target,
            extra_columns: Vec::new(),
            predicted_label: None,
            class_probabilities: Vec::new(),
            ids: None,
            rows,
        })
    }

    /// This window with another prediction column (or none); `None` when its length is not the
    /// window's.
    pub fn with_prediction(mut self, prediction: Option<Column>) -> Option<Self> {
        if prediction.as_ref().is_some_and(|c| c.len() != self.rows) {
            return None;
        }
        self.prediction = prediction;
        Some(self)
    }

    /// This window with another target column (or none); `None` when its length is not the
    /// window's.
    pub fn with_target(mut self, target: Option<Column>) -> Option<Self> {
        if target.as_ref().is_some_and(|c| c.len() != self.rows) {
            return None;
        }
        self.target = target;
        Some(self)
    }

    /// This window with a predicted-label column (`[columns] predicted_label`). One whose length
    /// is not the window's is kept but never used (see [`DataWindow::predicted_label_values`]).
    pub(crate) fn with_predicted_label(mut self, predicted_label: Option<Column>) -> Self {
        self.predicted_label = predicted_label;
        self
    }

    /// This window with its class-probability columns (class name, column). Columns whose
    /// length is not the window's are dropped.
    pub(crate) fn with_class_probabilities(mut self, columns: Vec<(String, Column)>) -> Self {
        let rows = self.rows;
        self.class_probabilities = columns
            .into_iter()
            .filter(|(_, c)| c.len() == rows)
            .collect();
        self
    }

    /// This window with its row ids (`[columns] id`). A column whose length is not the
    /// window's is dropped.
    pub(crate) fn with_ids(mut self, ids: Option<super::ids::RowIds>) -> Self {
        self.ids = ids.filter(|c| c.len() == self.rows);
        self
    }

    /// The row ids, when configured and present.
    pub(crate) fn ids(&self) -> Option<&super::ids::RowIds> {
        self.ids.as_ref()
    }

    /// The class-probability columns present (class name, column).
    pub fn class_probabilities(&self) -> &[(String, Column)] {
        &self.class_probabilities
    }

    /// This window with the names of the header columns that were ignored.
    pub(crate) fn with_extra_columns(mut self, extra_columns: Vec<String>) -> Self {
        self.extra_columns = extra_columns;
        self
    }

    /// Display name, usually the file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Feature columns, in schema order.
    pub fn features(&self) -> &[Column] {
        &self.features
    }

    /// The feature column with this name.
    pub fn feature(&self, name: &str) -> Option<&Column> {
        self.features.iter().find(|c| c.name == name)
    }

    /// Any column with this name: a feature, the prediction, the target or the predicted label.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.features
            .iter()
            .chain(self.prediction.iter())
            .chain(self.target.iter())
            .chain(self.predicted_label.iter())
            .find(|c| c.name == name)
    }

    /// The model's output column, when the file has it.
    pub fn prediction(&self) -> Option<&Column> {
        self.prediction.as_ref()
    }

    /// The true label column, when the file has it.
    pub fn target(&self) -> Option<&Column> {
        self.target.as_ref()
    }

    /// The predicted-label column, when configured and present.
    pub fn predicted_label(&self) -> Option<&Column> {
        self.predicted_label.as_ref()
    }

    /// Header columns that are neither features nor roles (ignored, reported).
    pub fn extra_columns(&self) -> &[String] {
        &self.extra_columns
    }

    /// The feature columns, to change in place (their lengths must stay the window's).
    pub(crate) fn features_mut(&mut self) -> &mut [Column] {
        &mut self.features
    }

    /// The feature columns, the window given up.
    pub(crate) fn into_features(self) -> Vec<Column> {
        self.features
    }

    /// The prediction column's numbers, when present and numeric.
    pub fn prediction_values(&self) -> Option<&[f64]> {
        self.prediction.as_ref().and_then(Column::as_numeric)
    }

    /// The target column's numbers, when present and numeric.
    pub fn target_values(&self) -> Option<&[f64]> {
        self.target.as_ref().and_then(Column::as_numeric)
    }

    /// The predicted-label column's numbers, when present and numeric (and as long as the rows).
    pub fn predicted_label_values(&self) -> Option<&[f64]> {
        self.predicted_label
            .as_ref()
            .and_then(Column::as_numeric)
            .filter(|v| v.len() == self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categorical_builder_counts_and_missing() {
        let c = Column::categorical("c", &[Some("a"), None, Some("b"), Some("a")]);
        assert_eq!(c.missing, 1);
        assert_eq!(c.category_counts(), Some(vec![2, 1]));
        assert_eq!(c.missing_rate(), 0.25);
    }

    #[test]
    fn window_rejects_unequal_lengths() {
        let a = Column::numeric("a", vec![1.0, 2.0]);
        let b = Column::numeric("b", vec![1.0]);
        assert!(DataWindow::new("w", vec![a.clone(), b], None, None).is_none());
        let w = DataWindow::new("w", vec![a.clone()], None, None).expect("window");
        assert_eq!(w.rows(), 2);
        assert_eq!(w.name(), "w");
        let short = Column::numeric("prediction", vec![0.5]);
        assert!(w.clone().with_prediction(Some(short)).is_none());
        let p = Column::numeric("prediction", vec![0.5, 0.7]);
        let w = w.with_prediction(Some(p)).expect("same length");
        assert_eq!(w.prediction_values(), Some(&[0.5, 0.7][..]));
        assert_eq!(w.column("prediction").map(|c| c.len()), Some(2));
        assert_eq!(w.column("a"), Some(&a));
        assert!(w.with_target(Some(Column::numeric("t", vec![]))).is_none());
    }
}
