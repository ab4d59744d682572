//! `ModelMonitor`: one window in, one [`MonitoringResult`] out.
//!
//! The monitor owns the detectors, the reference profile, the alert manager and an in-memory
//! history. Persistence is not its business: the binary attaches a SQLite sink, library users
//! keep what they like.
//!
//! It is built through [`MonitorBuilder`], which checks the configuration and fits the
//! reference, so a monitor that exists can monitor: there is no "before the reference" state.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::alerts::AlertManager;
use super::cached_fit::fit_detector;
use super::estimation::{CbpeEstimator, EstimationError, MulticlassEstimator};
use super::evaluate::{detect_all, evaluate_predictions, predictions};
use super::fit_cache::{FitCache, FitKey, KeyBuilder};
use super::incidents::IncidentTracker;
use super::paging::PagePolicy;
use super::quality::ReferenceProfile;
use super::reference_stats::ReferenceStats;
use super::result::{MonitoringResult, WindowError};
use crate::config::{CorrectionScope, DetectorKind, InvalidValue, MonitorConfig, Task};
use crate::data::{Column, ColumnData, DataError, DataWindow};
use crate::drift::{
    sort_in_place, sort_non_missing, ColumnUse, DriftError, Prepared, PreparedDetector,
    SortBuffers, StatisticalDriftDetector,
};
use crate::model::{Model, ModelError};

#[path = "monitor_builder.rs"]
mod builder;

pub use builder::MonitorBuilder;

/// Free-form metadata attached to a result (source file, batch id, ...).
pub type Metadata = BTreeMap<String, serde_json::Value>;

/// Why a monitor could not be built or take a reference.
///
/// Each message holds its cause's, which is therefore not also its `source()`: anyhow's `{:#}`
/// would say it twice.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MonitorError {
    #[error("configuration: {0}")]
    Config(InvalidValue),
    #[error(
        "detector \"{0}\" is given twice (each runs once; a second would overwrite the first)"
    )]
    DuplicateDetector(String),
    #[error("reference: {0}")]
    Drift(DriftError),
    #[error("reference: {0}")]
    Model(ModelError),
}

impl From<InvalidValue> for MonitorError {
    fn from(e: InvalidValue) -> Self {
        MonitorError::Config(e)
    }
}

impl From<DriftError> for MonitorError {
    fn from(e: DriftError) -> Self {
        MonitorError::Drift(e)
    }
}

impl From<ModelError> for MonitorError {
    fn from(e: ModelError) -> Self {
        MonitorError::Model(e)
    }
}

/// A window whose numeric columns were each sorted in their own memory by
/// [`ModelMonitor::monitor_unordered`]: every column still holds its values (missing ones
/// last), but the rows no longer line up, so only one column at a time can be read.
#[derive(Debug)]
pub struct UnorderedWindow {
    window: DataWindow,
}

impl UnorderedWindow {
    /// The window's name.
    pub fn name(&self) -> &str {
        self.window.name()
    }

    /// Rows it had.
    pub fn rows(&self) -> usize {
        self.window.rows()
    }

    /// Its feature columns, each on its own.
    pub fn features(&self) -> &[Column] {
        self.window.features()
    }

    /// The feature column called `name`.
    pub fn feature(&self, name: &str) -> Option<&Column> {
        self.window.feature(name)
    }
}

/// Watches a model through successive windows.
pub struct ModelMonitor {
    config: MonitorConfig,
    detectors: Vec<Box<dyn PreparedDetector>>,
    profile: ReferenceProfile,
    model: Option<Arc<dyn Model>>,
    alerts: AlertManager,
    incidents: IncidentTracker,
    paging: PagePolicy,
    history: Vec<MonitoringResult>,
    history_limit: Option<usize>,
    /// Memory for the windows' sorted columns, reused from window to window.
    sort_buffers: SortBuffers,
    /// Performance estimation (CBPE), fitted with the reference when it allows.
    estimator: Option<CbpeEstimator>,
    /// Why there is no estimator (logged once, when the reference is set).
    estimation_unavailable: Option<String>,
    /// Multiclass CBPE, when `[columns] class_probabilities` is set and the reference allows.
    multiclass: Option<MulticlassEstimator>,
    /// Where fitted reference state is kept between runs, if anywhere.
    fit_cache: Option<FitCache>,
}

impl std::fmt::Debug for ModelMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelMonitor")
            .field(
                "detectors",
                &self.detectors.iter().map(|d| d.name()).collect::<Vec<_>>(),
            )
            .field("has_model", &self.model.is_some())
            .field("history", &self.history.len())
            .finish()
    }
}

impl ModelMonitor {
    /// Starts a monitor with the configuration's detectors and thresholds; the builder's
    /// `build` calls check the configuration and take the reference.
    pub fn builder(config: MonitorConfig) -> MonitorBuilder {
        MonitorBuilder::new(config)
    }

    /// The configuration in force.
    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// The alert manager (its history holds every alert raised).
    pub fn alert_manager(&self) -> &AlertManager {
        &self.alerts
    }

    /// The model that computes predictions for windows without a prediction column, if any.
    pub fn model(&self) -> Option<&dyn Model> {
        self.model.as_deref()
    }

    /// The incidents: which conditions are ongoing.
    pub fn incidents(&self) -> &IncidentTracker {
        &self.incidents
    }

    /// Folds the realised-performance alerts of a window whose labels arrived late into the
    /// problems (as `IncidentTracker::observe_labelled`).
    pub fn observe_labelled(
        &mut self,
        window: &str,
        alerts: &[super::Alert],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<super::IncidentChange> {
        self.incidents.observe_labelled(window, alerts, now)
    }

    /// The incidents, mutably (to restore stored ones at start).
    pub fn incidents_mut(&mut self) -> &mut IncidentTracker {
        &mut self.incidents
    }

    /// Raises the result's alerts and folds them into the incidents.
    fn raise(&mut self, result: &mut MonitoringResult) {
        result.alerts = self.alerts.check_alerts(result);
        // A prediction column the reference had and the window lost (or filled with
        // non-numbers) is a data-quality problem, not a quiet null.
        let expected = result.error.is_none()
            && (self.model.is_some() || self.profile.prediction_mean.is_some());
        if expected {
            let column = self.config.columns.prediction.clone();
            if let Some(alert) = self.alerts.check_predictions(result, &column) {
                result.alerts.push(alert);
            }
        }
        // Evidence past the paging level is shown: a feature it covers but no detector flags
        // gets a drift alert of its own (the page policy's docs say why).
        for evidence in self.paging.unshown(result) {
            let alert = self.alerts.raise_feature_drift(
                &result.window,
                &evidence.feature,
                evidence.message(),
                (evidence.effect, self.paging.config().min_effect),
            );
            result.alerts.push(alert);
        }
        let paging = self.paging.observe(result);
        result.held_back = self.paging.held_back(result);
        result.incidents = self.incidents.observe_paging(result, &paging);
        result.ranking =
            super::ranking::rank_open_problem(&self.history, result, self.incidents.open());
        super::ranking::attach_suspects(result, &mut self.incidents);
    }

    /// Names of the detectors, in run order.
    pub fn detector_names(&self) -> Vec<String> {
        self.detectors
            .iter()
            .map(|d| d.name().to_string())
            .collect()
    }

    /// Replaces the reference: refits every detector and profiles it anew.
    pub(crate) fn set_reference(&mut self, reference: &DataWindow) -> Result<(), MonitorError> {
        // One sorted copy of each numeric column serves every detector; the profile is made
        // beside the fits.
        let (model, detectors) = (self.model.as_deref(), &mut self.detectors);
        let cache = self.fit_cache.as_ref();
        let (fitted, profile) = rayon::join(
            || -> Result<(), DriftError> {
                let prepared = Prepared::new(reference);
                for d in detectors.iter_mut() {
                    fit_detector(d.as_mut(), reference, cache, |d| d.fit_prepared(&prepared))?;
                }
                Ok(())
            },
            || -> Result<ReferenceProfile, ModelError> {
                let predictions = predictions(model, reference)?.map(|(p, _)| p);
                Ok(ReferenceProfile::from_window(
                    reference,
                    predictions.as_deref(),
                ))
            },
        );
        fitted?;
        let estimator = self.fit_estimator(reference);
        self.reference_fitted(profile?, estimator, reference);
        Ok(())
    }

    /// `set_reference` sorting the reference's columns in their own memory; when the model or
    /// a detector needs the reference's rows it is `set_reference` then `recycle`.
    fn set_reference_owned(&mut self, mut reference: DataWindow) -> Result<(), MonitorError> {
        if self.column_use() == ColumnUse::Rows {
            let fitted = self.set_reference(&reference);
            self.recycle(reference);
            return fitted;
        }
        // Without a model the predictions are the window's own column.
        let profile = ReferenceProfile::from_window(&reference, reference.prediction_values());
        // Detectors that read rows first read them now, before the columns are sorted, beside
        // the estimator (which reads only the target and the scores).
        let (config, model, cache) = (&self.config, self.model.as_deref(), self.fit_cache.as_ref());
        let (rows_first, estimator) = rayon::join(
            || -> Result<(), DriftError> {
                for d in self.detectors.iter_mut() {
                    if d.column_use() == ColumnUse::RowsFirst {
                        fit_detector(d.as_mut(), &reference, cache, |d| d.fit(&reference))?;
                    }
                }
                Ok(())
            },
            || estimator_for(config, model, &reference, cache),
        );
        rows_first?;
        let sorted: Vec<Option<Arc<Vec<f64>>>> = reference
            .features_mut()
            .par_iter_mut()
            .map(|c| match &mut c.data {
                ColumnData::Numeric(values) => {
                    Some(Arc::new(sort_non_missing(std::mem::take(values))))
                }
                ColumnData::Categorical { .. } => None,
            })
            .collect();
        let prepared = Prepared::with_sorted(&reference, sorted);
        for d in self.detectors.iter_mut() {
            if d.column_use() != ColumnUse::RowsFirst {
                d.fit_prepared(&prepared)?;
            }
        }
        self.reference_fitted(profile, estimator, &reference);
        Ok(())
    }

    /// Whether a window's numeric columns are sorted in their own memory: some detector wants
    /// them sorted and nothing reads rows after that (detectors that read rows first do so
    /// before, see [`ColumnUse::RowsFirst`]).
    fn sorts_in_place(&self) -> bool {
        self.model.is_none()
            && self
                .detectors
                .iter()
                .all(|d| d.column_use() != ColumnUse::Rows)
            && self
                .detectors
                .iter()
                .any(|d| d.column_use() == ColumnUse::Sorted)
    }

    /// What the detectors and the model read of a window's numeric columns.
    fn column_use(&self) -> ColumnUse {
        if self.model.is_some() {
            return ColumnUse::Rows;
        }
        self.detectors
            .iter()
            .map(|d| d.column_use())
            .max()
            .unwrap_or(ColumnUse::Unordered)
    }

    fn reference_fitted(
        &mut self,
        profile: ReferenceProfile,
        estimator: Result<CbpeEstimator, String>,
        reference: &DataWindow,
    ) {
        self.profile = profile;
        if self.config.columns.class_probabilities.is_empty() {
            self.set_estimator(estimator);
        } else {
            self.fit_multiclass(reference);
        }
        // One window's sorted columns: one buffer per numeric feature.
        let numeric = reference
            .features()
            .iter()
            .filter(|c| matches!(c.data, ColumnData::Numeric(_)))
            .count();
        self.sort_buffers.set_limit(numeric);
    }

    /// Takes a window the caller is done with: the memory of its numeric features is reused
    /// for the next windows' sorted columns instead of being freed and faulted in again.
    fn recycle(&self, window: DataWindow) {
        for column in window.into_features() {
            if let ColumnData::Numeric(values) = column.data {
                self.sort_buffers.give(values);
            }
        }
    }

    /// Refits the PSI and chi-square detectors (with this monitor's statistical settings) from
    /// saved statistics; any other detector makes it an error and nothing is changed.
    fn set_reference_stats(&mut self, stats: &ReferenceStats) -> Result<(), MonitorError> {
        let mut refitted: Vec<Box<dyn PreparedDetector>> = Vec::with_capacity(self.detectors.len());
        for detector in &self.detectors {
            // Saved statistics hold counts: only per-feature tests that read no sorted values.
            let test = match detector.name().parse::<DetectorKind>() {
                Ok(kind) if kind.per_feature() && !kind.needs_sorted() => kind,
                _ => return Err(DriftError::NeedsRawReference(detector.name().to_string()).into()),
            };
            let mut d = StatisticalDriftDetector::new(test, self.config.drift.statistical.clone())?;
            d.fit_summary(stats.rows, stats.psi_bins, &stats.features)?;
            refitted.push(Box::new(d));
        }
        self.detectors = refitted;
        self.profile = stats.profile.clone();
        self.set_estimator(
            stats
                .estimator
                .clone()
                .ok_or_else(|| "the reference statistics carry no estimator".to_string()),
        );
        Ok(())
    }

    /// Fits the performance estimator on the reference's target and scores (the model's when
    /// there is one, else the prediction column), or takes it from the fit cache.
    pub(crate) fn fit_estimator(&self, reference: &DataWindow) -> Result<CbpeEstimator, String> {
        estimator_for(
            &self.config,
            self.model.as_deref(),
            reference,
            self.fit_cache.as_ref(),
        )
    }

    /// Fits multiclass CBPE on the reference (`[columns] class_probabilities`); when it cannot,
    /// estimation is off for the reason given (logged once).
    fn fit_multiclass(&mut self, reference: &DataWindow) {
        let classes: Vec<String> = self
            .config
            .columns
            .class_probabilities
            .keys()
            .cloned()
            .collect();
        match super::multiclass_window::fit(&classes, reference, &self.config.estimation) {
            Ok(e) => {
                self.multiclass = Some(e);
                self.estimator = None;
                self.estimation_unavailable = None;
            }
            Err(reason) => {
                self.multiclass = None;
                self.set_estimator(Err(reason));
            }
        }
    }

    /// The fitted multiclass estimator, if any.
    pub fn multiclass_estimator(&self) -> Option<&MulticlassEstimator> {
        self.multiclass.as_ref()
    }

    /// Uses this estimator, or none for the reason given (logged once).
    pub(crate) fn set_estimator(&mut self, estimator: Result<CbpeEstimator, String>) {
        match estimator {
            Ok(e) => {
                self.estimator = Some(e);
                self.estimation_unavailable = None;
            }
            Err(reason) => {
                log::warn!(target: "ml_monitor::estimation", "performance estimation off: {reason}");
                self.estimator = None;
                self.estimation_unavailable = Some(reason);
            }
        }
    }

    /// The fitted performance estimator, if any.
    pub fn estimator(&self) -> Option<&CbpeEstimator> {
        self.estimator.as_ref()
    }

    /// Why performance estimation is off, when it is.
    pub fn estimation_unavailable(&self) -> Option<&str> {
        self.estimation_unavailable.as_deref()
    }

    /// Monitors one window: drift, quality, performance, predictions, alerts.
    pub fn monitor(&mut self, window: &DataWindow) -> MonitoringResult {
        self.monitor_with(window, Metadata::new())
    }

    /// [`ModelMonitor::monitor`] with metadata attached to the result (source file, batch id).
    pub(crate) fn monitor_with(
        &mut self,
        window: &DataWindow,
        metadata: Metadata,
    ) -> MonitoringResult {
        self.monitor_sorted(window, metadata, false)
    }

    /// [`ModelMonitor::monitor`] with the window's `metadata`, for a window the caller no longer
    /// needs in row order: each numeric column is sorted in its own memory instead of into
    /// copies (the fastest path, the one the binary takes), and the window comes back as an [`UnorderedWindow`],
    /// which offers only column-wise access. The result is the same. When the model or a
    /// detector needs the rows, or no detector sorts, the columns are left as they are.
    pub fn monitor_unordered(
        &mut self,
        mut window: DataWindow,
        metadata: Metadata,
    ) -> (MonitoringResult, UnorderedWindow) {
        let in_place = self.sorts_in_place();
        if in_place {
            for d in self.detectors.iter_mut() {
                if d.column_use() == ColumnUse::RowsFirst {
                    d.read_rows(&window);
                }
            }
            window.features_mut().par_iter_mut().for_each(|c| {
                if let ColumnData::Numeric(values) = &mut c.data {
                    sort_in_place(values);
                }
            });
        }
        let result = self.monitor_sorted(&window, metadata, in_place);
        (result, UnorderedWindow { window })
    }

    /// `in_place`: the window's numeric columns are sorted ([`sort_in_place`]).
    fn monitor_sorted(
        &mut self,
        window: &DataWindow,
        metadata: Metadata,
        in_place: bool,
    ) -> MonitoringResult {
        let mut result = MonitoringResult::new(window.name());
        result.rows = window.rows();
        result.metadata = metadata;
        if let Err(message) = self.evaluate(window, &mut result, in_place) {
            result = self.failed(window.name(), result.metadata, message);
        } else {
            self.raise(&mut result);
        }
        self.remember(result.clone());
        result
    }

    fn evaluate(
        &mut self,
        window: &DataWindow,
        result: &mut MonitoringResult,
        in_place: bool,
    ) -> Result<(), WindowError> {
        // Quality, predictions and metrics on one core while the detectors run on the others:
        // the detectors parallelise over features, the rest would otherwise wait for them.
        let statistical = &self.config.drift.statistical;
        let family = (statistical.correction_scope == CorrectionScope::Window)
            .then_some(statistical.correction);
        let (profile, model, task, detectors, buffers, estimator) = (
            &self.profile,
            self.model.as_deref(),
            self.config.task,
            &mut self.detectors,
            &self.sort_buffers,
            self.estimator.as_ref(),
        );
        let (evaluated, drift) = rayon::join(
            || evaluate_predictions(profile, model, task, window, estimator),
            || detect_all(detectors, window, buffers, in_place, family),
        );
        let (data_quality, predicted) = evaluated?;
        result.data_quality = data_quality;
        if let Some(p) = predicted {
            result.prediction_source = Some(p.source);
            result.predictions = p.stats;
            result.prediction_shift = p.shift;
            result.performance = p.performance;
            result.estimated_performance = p.estimated;
        }
        if let Some(estimator) = &self.multiclass {
            let (realised, estimated) = super::multiclass_window::evaluate(estimator, window);
            result.performance = realised.or(result.performance.take());
            result.estimated_performance = estimated;
        }
        result.drift = drift?;
        Ok(())
    }

    /// Alerts and incidents for a result evaluated elsewhere (a profile window, see
    /// `crate::profile`): the same checks as for a window read from its rows.
    pub fn record(&mut self, mut result: MonitoringResult) -> MonitoringResult {
        self.raise(&mut result);
        self.remember(result.clone());
        result
    }

    /// The result for a window file that could not be read: an error and a CRITICAL
    /// `window_error` alert.
    pub fn monitor_error(
        &mut self,
        window: &str,
        error: &DataError,
        metadata: Metadata,
    ) -> MonitoringResult {
        let mut result = MonitoringResult::new(window);
        result.metadata = metadata;
        result.error = Some(WindowError::from(error));
        self.raise(&mut result);
        self.remember(result.clone());
        result
    }

    fn failed(&mut self, window: &str, metadata: Metadata, error: WindowError) -> MonitoringResult {
        let mut result = MonitoringResult::new(window);
        result.metadata = metadata;
        result.error = Some(error);
        self.raise(&mut result);
        result
    }

    fn remember(&mut self, result: MonitoringResult) {
        self.history.push(result);
        if let Some(limit) = self.history_limit {
            let excess = self.history.len().saturating_sub(limit);
            self.history.drain(..excess);
        }
    }

    /// Results so far, oldest first.
    pub fn history(&self) -> &[MonitoringResult] {
        &self.history
    }
}

/// The performance estimator of `reference` under `config`: from `cache` when it holds one
/// fitted on the same target, scores, predicted labels and settings, else fitted (and stored).
fn estimator_for(
    config: &MonitorConfig,
    model: Option<&dyn Model>,
    reference: &DataWindow,
    cache: Option<&FitCache>,
) -> Result<CbpeEstimator, String> {
    if config.task == Task::Regression {
        return Err(EstimationError::NotSupported("regression".into()).to_string());
    }
    if !config.columns.class_probabilities.is_empty() {
        // A multiclass model gets its own estimator (`fit_multiclass`).
        return Err("multiclass: fitted apart".to_string());
    }
    let target = reference
        .target_values()
        .ok_or(EstimationError::Missing("target"))
        .map_err(|e| e.to_string())?;
    let scores = predictions(model, reference)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| EstimationError::Missing("prediction").to_string())?
        .0;
    let labels = reference.predicted_label_values();
    let key = cache.map(|_| estimator_key(config, target, &scores, labels));
    if let (Some(cache), Some(key)) = (cache, key) {
        if let Some(estimator) = cache.load::<CbpeEstimator>(ESTIMATOR, key) {
            return Ok(estimator);
        }
    }
    let fitted = CbpeEstimator::fit(target, &scores, labels, &config.estimation)
        .map_err(|e| e.to_string())?;
    if let (Some(cache), Some(key)) = (cache, key) {
        cache.store(ESTIMATOR, key, &fitted);
    }
    Ok(fitted)
}

/// What the estimator's fit reads: its settings, the target, the scores, the predicted labels.
fn estimator_key(
    config: &MonitorConfig,
    target: &[f64],
    scores: &[f64],
    labels: Option<&[f64]>,
) -> FitKey {
    KeyBuilder::new()
        .text(ESTIMATOR)
        .text(&serde_json::to_string(&config.estimation).unwrap_or_default())
        .values(Some(target))
        .values(Some(scores))
        .values(labels)
        .finish()
}

/// The fit cache's name for the performance estimator.
const ESTIMATOR: &str = "estimator";

#[cfg(test)]
#[path = "monitor_tests.rs"]
mod tests;
