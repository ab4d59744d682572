//! Linear models trained with linfa and saved as JSON: logistic regression for classification,
//! least squares for regression.
//!
//! The file stores our own plain fields (feature encoding, intercept, one coefficient per
//! design-matrix column, a `format_version`) rather than linfa's structs, for two reasons:
//! linfa-logistic's "positive" class is whichever label was more frequent in training, so its
//! coefficients are turned here, once, to always give P(class 1); and the format stays readable
//! and stable across linfa releases. serde_json's `float_roundtrip` makes save → load exact, so a
//! loaded model predicts bit-identically.
//!
//! Regression is solved as least squares with a vanishing ridge term (appended rows
//! `sqrt(λ)·I`, intercept unpenalised): one-hot groups sum to the intercept column and unused
//! columns are all zero, which a plain QR solve rejects as rank-deficient.

use std::io::Write;
use std::path::Path;

use linfa::prelude::*;
use linfa_linear::LinearRegression;
use linfa_logistic::LogisticRegression;
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::encoding::FeatureEncoder;
use super::{Model, ModelError};
use crate::config::Task;
use crate::data::DataWindow;

/// The model file format this build writes and reads.
pub(crate) const MODEL_FORMAT_VERSION: u32 = 1;

/// Logistic regression iterations (L-BFGS) when training.
const TRAIN_MAX_ITERATIONS: u64 = 300;
/// L-BFGS stops when the summed log-loss's gradient norm is below this times the rows
/// (coefficients within about 4e-6 of the optimum); linfa's absolute default is out of reach on
/// large data and would run to the iteration cap.
const TRAIN_GRADIENT_TOLERANCE_PER_ROW: f64 = 1e-6;
/// Ridge weight relative to the number of training rows (regression).
const RIDGE_PER_ROW: f64 = 1e-8;

/// A trained linear model with its feature encoding: implements [`Model`], saves to JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainedModel {
    format_version: u32,
    task: Task,
    /// Model family: `logistic_regression` or `linear_regression`.
    estimator: String,
    feature_names: Vec<String>,
    encoder: FeatureEncoder,
    /// Readable names of the coefficients' columns.
    columns: Vec<String>,
    intercept: f64,
    /// One per design-matrix column; for classification they give the log-odds of class 1.
    coefficients: Vec<f64>,
    /// Rows the model was trained on (targets present).
    training_rows: usize,
}

#[derive(Deserialize)]
struct VersionOnly {
    format_version: Option<u32>,
}

/// Trains a model on a window's features and a target (one value per row; rows whose target is
/// NaN are left out). Classification targets must be 0 or 1.
pub fn train(window: &DataWindow, target: &[f64], task: Task) -> Result<TrainedModel, ModelError> {
    if target.len() != window.rows() {
        return Err(ModelError::Training(format!(
            "the target has {} values but the window has {} rows",
            target.len(),
            window.rows()
        )));
    }
    if window.features().is_empty() {
        return Err(ModelError::Training(
            "the data has no feature columns".into(),
        ));
    }
    let rows: Vec<usize> = (0..target.len()).filter(|&i| !target[i].is_nan()).collect();
    if rows.len() < 2 {
        return Err(ModelError::Training(format!(
            "only {} rows have a target value; at least 2 are needed",
            rows.len()
        )));
    }
    let encoder = FeatureEncoder::fit(window);
    let x = encoder.encode(window, Some(&rows))?;
    let (intercept, coefficients, estimator) = match task {
        Task::Classification => {
            let (b, w) = fit_logistic(x.view(), &rows, target)?;
            (b, w, "logistic_regression")
        }
        Task::Regression => {
            let y: Array1<f64> = rows.iter().map(|&i| target[i]).collect();
            let (b, w) = fit_least_squares(x.view(), y)?;
            (b, w, "linear_regression")
        }
    };
    Ok(TrainedModel {
        format_version: MODEL_FORMAT_VERSION,
        task,
        estimator: estimator.to_string(),
        feature_names: encoder.feature_names(),
        columns: encoder.column_names(),
        encoder,
        intercept,
        coefficients,
        training_rows: rows.len(),
    })
}

fn fit_logistic(
    x: ArrayView2<'_, f64>,
    rows: &[usize],
    target: &[f64],
) -> Result<(f64, Vec<f64>), ModelError> {
    let mut labels = Vec::with_capacity(rows.len());
    for &i in rows {
        let v = target[i];
        if v != 0.0 && v != 1.0 {
            return Err(ModelError::Training(format!(
                "classification needs a 0/1 target; row {} has {v}",
                i + 1
            )));
        }
        labels.push(v == 1.0);
    }
    if labels.iter().all(|&l| l) || labels.iter().all(|&l| !l) {
        return Err(ModelError::Training(
            "the target has a single class; classification needs both 0 and 1".into(),
        ));
    }
    let tolerance = TRAIN_GRADIENT_TOLERANCE_PER_ROW * labels.len() as f64;
    let dataset = DatasetBase::new(x, Array1::from(labels));
    let fitted = LogisticRegression::default()
        .max_iterations(TRAIN_MAX_ITERATIONS)
        .gradient_tolerance(tolerance)
        .fit(&dataset)
        .map_err(|e| ModelError::Training(format!("logistic regression: {e}")))?;
    // linfa's positive class is the more frequent label; orient towards class 1.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let w = fitted.params().iter().map(|w| sign * w).collect();
    Ok((sign * fitted.intercept(), w))
}

fn fit_least_squares(
    x: ArrayView2<'_, f64>,
    y: Array1<f64>,
) -> Result<(f64, Vec<f64>), ModelError> {
    if y.iter().any(|v| !v.is_finite()) {
        return Err(ModelError::Training(
            "the regression target has a non-finite value".into(),
        ));
    }
    let (n, p) = x.dim();
    let ridge = (RIDGE_PER_ROW * n as f64).sqrt();
    let mut design = Array2::zeros((n + p, p + 1));
    design.slice_mut(s![..n, ..p]).assign(&x);
    design.slice_mut(s![..n, p]).fill(1.0);
    for j in 0..p {
        design[[n + j, j]] = ridge;
    }
    let mut targets = Array1::zeros(n + p);
    targets.slice_mut(s![..n]).assign(&y);
    let fitted = LinearRegression::new()
        .with_intercept(false)
        .fit(&Dataset::new(design, targets))
        .map_err(|e| ModelError::Training(format!("linear regression: {e}")))?;
    let params = fitted.params();
    let w: Vec<f64> = params.iter().take(p).copied().collect();
    let b = params.get(p).copied().unwrap_or(0.0);
    if !b.is_finite() || w.iter().any(|v| !v.is_finite()) {
        return Err(ModelError::Training(
            "linear regression gave non-finite coefficients".into(),
        ));
    }
    Ok((b, w))
}

impl TrainedModel {
    /// Writes the model as pretty JSON (through a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let text =
            serde_json::to_string_pretty(self).map_err(|e| file_error(path, e.to_string()))?;
        write_atomically(path, text.as_bytes()).map_err(|e| file_error(path, e.to_string()))
    }

    /// Reads a model written by [`save`](Self::save), checking its format version and shape.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| file_error(path, format!("cannot read: {e}")))?;
        Self::from_json(&text).map_err(|message| file_error(path, message))
    }

    /// Parses and validates model JSON; the error says what is wrong.
    pub(crate) fn from_json(text: &str) -> Result<Self, String> {
        let version: VersionOnly =
            serde_json::from_str(text).map_err(|e| format!("not a model file: {e}"))?;
        match version.format_version {
            Some(MODEL_FORMAT_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "format_version {v} is not supported (this ml-monitor reads {MODEL_FORMAT_VERSION})"
                ))
            }
            None => return Err("not a model file: no format_version field".into()),
        }
        let model: TrainedModel =
            serde_json::from_str(text).map_err(|e| format!("invalid model: {e}"))?;
        model.validate()?;
        Ok(model)
    }

    fn validate(&self) -> Result<(), String> {
        let width = self.encoder.n_columns();
        if self.coefficients.len() != width {
            return Err(format!(
                "{} coefficients for {width} encoded columns",
                self.coefficients.len()
            ));
        }
        if self.feature_names != self.encoder.feature_names() {
            return Err("feature_names do not match the encoder's features".into());
        }
        if !self.intercept.is_finite() || self.coefficients.iter().any(|w| !w.is_finite()) {
            return Err("non-finite coefficient".into());
        }
        Ok(())
    }

    /// The linear predictor (log-odds of class 1, or the regression value) of each row.
    fn linear_predictor(&self, window: &DataWindow) -> Result<Vec<f64>, ModelError> {
        let x = self.encoder.encode(window, None)?;
        Ok(x.axis_iter(Axis(0))
            .map(|row| {
                row.iter()
                    .zip(&self.coefficients)
                    .fold(self.intercept, |acc, (x, w)| acc + x * w)
            })
            .collect())
    }

    /// Intercept and coefficients with their column names (`region=north`, ...).
    pub fn coefficients(&self) -> (f64, Vec<(&str, f64)>) {
        let named = self
            .columns
            .iter()
            .map(String::as_str)
            .zip(self.coefficients.iter().copied())
            .collect();
        (self.intercept, named)
    }

    /// Rows the model was trained on.
    pub fn training_rows(&self) -> usize {
        self.training_rows
    }
}

impl Model for TrainedModel {
    fn predict(&self, window: &DataWindow) -> Result<Vec<f64>, ModelError> {
        let mut z = self.linear_predictor(window)?;
        if self.task == Task::Classification {
            for v in &mut z {
                *v = 1.0 / (1.0 + (-*v).exp());
            }
        }
        Ok(z)
    }

    fn task(&self) -> Task {
        self.task
    }

    fn feature_names(&self) -> &[String] {
        &self.feature_names
    }
}

fn file_error(path: &Path, message: String) -> ModelError {
    ModelError::File {
        path: path.display().to_string(),
        message,
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so a reader
/// never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".ml-monitor-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    /// y = 1 when 2·x - z + (c == "b") > 0.5, a noiseless rule on 200 rows.
    fn data() -> (DataWindow, Vec<f64>, Vec<f64>) {
        let n = 200;
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 37) % 101) as f64 / 50.0 - 1.0)
            .collect();
        let z: Vec<f64> = (0..n)
            .map(|i| ((i * 53) % 97) as f64 / 48.0 - 1.0)
            .collect();
        let c: Vec<Option<&str>> = (0..n).map(|i| Some(["a", "b", "c"][i % 3])).collect();
        let score: Vec<f64> = (0..n)
            .map(|i| 2.0 * x[i] - z[i] + if i % 3 == 1 { 1.0 } else { 0.0 })
            .collect();
        let label = score
            .iter()
            .map(|&s| f64::from(u8::from(s > 0.5)))
            .collect();
        let window = DataWindow::new(
            "train",
            vec![
                Column::numeric("x", x),
                Column::numeric("z", z),
                Column::categorical("c", &c),
            ],
            None,
            None,
        )
        .expect("window");
        (window, label, score)
    }

    #[test]
    fn logistic_gives_probability_of_class_one() {
        let (window, label, _) = data();
        let model = train(&window, &label, Task::Classification).expect("trains");
        let p = model.predict(&window).expect("predicts");
        let correct = p
            .iter()
            .zip(&label)
            .filter(|(p, y)| (**p >= 0.5) == (**y == 1.0))
            .count();
        assert!(correct >= 180, "{correct} of 200 right");
        // Flip the labels: the probabilities must flip too, whichever class is more frequent.
        let flipped: Vec<f64> = label.iter().map(|y| 1.0 - y).collect();
        let model = train(&window, &flipped, Task::Classification).expect("trains");
        let q = model.predict(&window).expect("predicts");
        assert!(p.iter().zip(&q).all(|(p, q)| (p + q - 1.0).abs() < 0.05));
    }

    #[test]
    fn regression_recovers_a_linear_rule_with_one_hot_groups() {
        let (window, _, score) = data();
        let model = train(&window, &score, Task::Regression).expect("trains");
        let pred = model.predict(&window).expect("predicts");
        let worst = pred
            .iter()
            .zip(&score)
            .map(|(p, y)| (p - y).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-5, "max error {worst}");
    }

    #[test]
    fn bad_targets_are_training_errors() {
        let (window, label, _) = data();
        let e = train(&window, &label[..10], Task::Classification).expect_err("length");
        assert!(e.to_string().contains("200 rows"), "{e}");
        let mut three = label.clone();
        three[4] = 2.0;
        let e = train(&window, &three, Task::Classification).expect_err("not binary");
        assert!(e.to_string().contains("row 5"), "{e}");
        let e = train(&window, &vec![1.0; 200], Task::Classification).expect_err("one class");
        assert!(e.to_string().contains("single class"), "{e}");
    }

    #[test]
    fn json_round_trip_is_exact_and_versions_are_checked() {
        let (window, label, _) = data();
        let model = train(&window, &label, Task::Classification).expect("trains");
        let text = serde_json::to_string(&model).expect("serialises");
        let back = TrainedModel::from_json(&text).expect("parses");
        assert_eq!(back, model);
        let newer = text.replace("\"format_version\":1", "\"format_version\":9");
        let e = TrainedModel::from_json(&newer).expect_err("newer");
        assert!(e.contains("format_version 9"), "{e}");
        let e = TrainedModel::from_json("{\"a\": 1}").expect_err("not a model");
        assert!(e.contains("format_version"), "{e}");
    }
}
