//! Range checks of the whole configuration: every size-like setting is bounded (a huge
//! `psi_bins` or `max_rows` would allocate gigabytes; a tiny `max_rows` gives the classifier too
//! few rows to tell anything apart), and an error names the key and, from a file, its line.

use std::fmt;

use super::{ClassifierConfig, MonitorConfig, PcaConfig, StatisticalConfig};

/// A configuration value out of its range; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value}: {rule}")]
pub struct InvalidValue {
    /// The full key, as in the file (`drift.statistical.alpha`).
    pub key: String,
    /// The value found.
    pub value: String,
    /// What it must be.
    pub rule: String,
}

impl InvalidValue {
    pub(crate) fn new(key: &str, value: impl fmt::Display, rule: impl Into<String>) -> Self {
        InvalidValue {
            key: key.to_string(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

/// `Err` naming `key` unless `value` is within the inclusive `range`.
pub(crate) fn within<T: PartialOrd + fmt::Display + Copy>(
    key: &str,
    value: T,
    range: (T, T),
) -> Result<(), InvalidValue> {
    if value >= range.0 && value <= range.1 {
        Ok(())
    } else {
        Err(InvalidValue::new(
            key,
            value,
            format!("must be from {} to {}", range.0, range.1),
        ))
    }
}

/// Bounds of the size-like settings (inclusive).
const PSI_BINS: (usize, usize) = (2, 1000);
/// 0 turns the discrete test off.
/// The profile grid's cells: enough for the KS bound to be small, few enough for the SQL.
const GRID_BINS: (usize, usize) = (10, 100_000);
const DISCRETE_MAX_VALUES: (usize, usize) = (0, 10_000);
const SAMPLE_SIZE: (usize, usize) = (1, 100_000_000);
const CONFIRMATION_WINDOWS: (usize, usize) = (1, 10_000);
const FOLDS: (usize, usize) = (2, 20);
const MAX_ITERATIONS: (u64, u64) = (1, 100_000);
/// The classifier's `max_rows` is at least this many rows per fold...
const MIN_ROWS_PER_FOLD: usize = 20;
/// ... and at most this many (two sides of this many rows, every feature, in memory).
const MAX_ROWS: usize = 10_000_000;

impl StatisticalConfig {
    /// Checks the per-feature detectors' settings; the error names the key. A detector built
    /// alone (`StatisticalDriftDetector::new`) is checked as the monitor's are.
    pub(crate) fn validate(&self) -> Result<(), InvalidValue> {
        let s = self;
        let in_unit = |v: f64| v.is_finite() && v > 0.0 && v < 1.0;
        let in_closed_unit = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        if !in_unit(s.alpha) {
            return Err(InvalidValue::new(
                "drift.statistical.alpha",
                s.alpha,
                "must be in (0, 1)",
            ));
        }
        if !in_closed_unit(s.min_statistic) {
            return Err(InvalidValue::new(
                "drift.statistical.min_statistic",
                s.min_statistic,
                "must be in [0, 1]",
            ));
        }
        within("drift.statistical.psi_bins", s.psi_bins, PSI_BINS)?;
        if !(s.psi_threshold.is_finite() && s.psi_threshold >= 0.0) {
            return Err(InvalidValue::new(
                "drift.statistical.psi_threshold",
                s.psi_threshold,
                "must be a number >= 0",
            ));
        }
        if !(s.wasserstein_threshold.is_finite() && s.wasserstein_threshold >= 0.0) {
            return Err(InvalidValue::new(
                "drift.statistical.wasserstein_threshold",
                s.wasserstein_threshold,
                "must be a number >= 0",
            ));
        }
        for (key, value, range) in [
            (
                "drift.statistical.discrete_max_values",
                s.discrete_max_values,
                DISCRETE_MAX_VALUES,
            ),
            (
                "drift.statistical.min_sample_size",
                s.min_sample_size,
                SAMPLE_SIZE,
            ),
            (
                "drift.statistical.min_drifted_features",
                s.min_drifted_features,
                (1, 1_000_000),
            ),
            (
                "drift.statistical.confirmation_windows",
                s.confirmation_windows,
                CONFIRMATION_WINDOWS,
            ),
        ] {
            within(key, value, range)?;
        }
        Ok(())
    }
}

impl PcaConfig {
    /// Checks the pca detector's settings; the error names the key. A detector built alone
    /// (`PcaDriftDetector::new`) is checked as the monitor's is.
    pub(crate) fn validate(&self) -> Result<(), InvalidValue> {
        let p = self;
        if !(p.explained_variance.is_finite()
            && p.explained_variance > 0.0
            && p.explained_variance < 1.0)
        {
            return Err(InvalidValue::new(
                "drift.pca.explained_variance",
                p.explained_variance,
                "must be in (0, 1)",
            ));
        }
        for (key, value, range) in [
            ("drift.pca.reference_chunks", p.reference_chunks, (2, 1000)),
            ("drift.pca.min_sample_size", p.min_sample_size, SAMPLE_SIZE),
            (
                "drift.pca.confirmation_windows",
                p.confirmation_windows,
                CONFIRMATION_WINDOWS,
            ),
        ] {
            within(key, value, range)?;
        }
        Ok(())
    }
}

impl ClassifierConfig {
    /// Checks the classifier detector's settings; the error names the key. A detector built
    /// alone (`MLBasedDriftDetector::new`) is checked as the monitor's is.
    pub(crate) fn validate(&self) -> Result<(), InvalidValue> {
        let c = self;
        for (key, value, range) in [
            (
                "drift.classifier.confirmation_windows",
                c.confirmation_windows,
                CONFIRMATION_WINDOWS,
            ),
            ("drift.classifier.folds", c.folds, FOLDS),
            (
                "drift.classifier.min_sample_size",
                c.min_sample_size,
                SAMPLE_SIZE,
            ),
        ] {
            within(key, value, range)?;
        }
        within(
            "drift.classifier.max_iterations",
            c.max_iterations,
            MAX_ITERATIONS,
        )?;
        if !(c.auc_threshold.is_finite() && (0.0..=1.0).contains(&c.auc_threshold)) {
            return Err(InvalidValue::new(
                "drift.classifier.auc_threshold",
                c.auc_threshold,
                "must be in [0, 1]",
            ));
        }
        // Each fold must hold enough rows of both sides for its AUC to mean something.
        let min_rows = (MIN_ROWS_PER_FOLD * c.folds).max(c.min_sample_size);
        if c.max_rows < min_rows || c.max_rows > MAX_ROWS {
            return Err(InvalidValue::new(
                "drift.classifier.max_rows",
                c.max_rows,
                format!(
                    "must be from {min_rows} ({MIN_ROWS_PER_FOLD} x folds, and at least \
                     min_sample_size) to {MAX_ROWS}"
                ),
            ));
        }
        Ok(())
    }
}

impl MonitorConfig {
    /// Checks value ranges and that no detector is listed twice; the error names the key.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let classes = &self.columns.class_probabilities;
        if !classes.is_empty() {
            if classes.len() < 3 {
                return Err(InvalidValue::new(
                    "columns.class_probabilities",
                    format!("{} classes", classes.len()),
                    "must name at least 3 classes (a binary model uses `prediction`)",
                ));
            }
            if self.columns.predicted_label.is_none() {
                return Err(InvalidValue::new(
                    "columns.class_probabilities",
                    format!("{} classes", classes.len()),
                    "needs `[columns] predicted_label` (the model's predicted class)",
                ));
            }
        }
        self.drift.statistical.validate()?;
        within("profile.grid_bins", self.profile.grid_bins, GRID_BINS)?;
        self.drift.pca.validate()?;
        self.drift.classifier.validate()?;
        let columns = &self.columns;
        if let Some(id) = columns.id.as_deref() {
            if id.trim().is_empty()
                || [&columns.prediction, &columns.target].contains(&&id.to_string())
            {
                return Err(InvalidValue::new(
                    "columns.id",
                    format!("\"{id}\""),
                    "must name a column of its own (not empty, not the prediction or the target)",
                ));
            }
        }
        if columns.prediction == columns.target {
            return Err(InvalidValue::new(
                "columns.target",
                format!("\"{}\"", columns.target),
                "is also the prediction column: a model's output and the truth are two columns",
            ));
        }
        let e = &self.estimation;
        if !(e.decision_threshold.is_finite()
            && e.decision_threshold > 0.0
            && e.decision_threshold < 1.0)
        {
            return Err(InvalidValue::new(
                "estimation.decision_threshold",
                e.decision_threshold,
                "must be in (0, 1)",
            ));
        }
        within("estimation.reference_chunks", e.reference_chunks, (2, 1000))?;
        let p = &self.paging;
        within(
            "paging.false_page_every",
            p.false_page_every,
            (1, 1_000_000_000),
        )?;
        within("paging.group_windows", p.group_windows, (0, 10_000))?;
        within("paging.pending_windows", p.pending_windows, (0, 10_000))?;
        if !(p.min_effect.is_finite() && (0.0..=1.0).contains(&p.min_effect)) {
            return Err(InvalidValue::new(
                "paging.min_effect",
                p.min_effect,
                "must be from 0 to 1",
            ));
        }
        if !(p.min_error_rise.is_finite() && p.min_error_rise >= 0.0) {
            return Err(InvalidValue::new(
                "paging.min_error_rise",
                p.min_error_rise,
                "must be a number >= 0",
            ));
        }
        let detectors = &self.drift.detectors;
        if detectors.is_empty() {
            return Err(InvalidValue::new(
                "drift.detectors",
                "[]",
                "lists no detector (leave it out for the default set)",
            ));
        }
        if (1..detectors.len()).any(|i| detectors[..i].contains(&detectors[i])) {
            return Err(InvalidValue::new(
                "drift.detectors",
                format!(
                    "{:?}",
                    detectors.iter().map(|k| k.key()).collect::<Vec<_>>()
                ),
                "lists a detector twice (each runs once; a second run would overwrite the first)",
            ));
        }
        self.alerts.validate()
    }
}

/// The 1-based line where the dotted `key` is set in TOML `text`, if it can be found.
pub(crate) fn line_of(text: &str, key: &str) -> Option<usize> {
    let mut table = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[') {
            table = header
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split('.')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(".");
            continue;
        }
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let name: Vec<&str> = name
            .split('.')
            .map(|p| p.trim().trim_matches('"'))
            .collect();
        let full = if table.is_empty() {
            name.join(".")
        } else {
            format!("{table}.{}", name.join("."))
        };
        if full == key {
            return Some(i + 1);
        }
    }
    None
}
