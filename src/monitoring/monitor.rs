//! `ModelMonitor`: one window in, one [`MonitoringResult`] out.
//!
//! The monitor owns the detectors, the reference profile, the alert manager and an in-memory
//! history, as the seed's Python class did. Persistence is not its business: the binary attaches
//! a SQLite sink, library users keep what they like.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::alerts::AlertManager;
use super::metrics::{classification_metrics, regression_metrics};
use super::quality::ReferenceProfile;
use super::result::{
    FeatureQuality, MonitoringResult, Performance, PredictionSource, PredictionStats, WindowError,
};
use crate::config::{DetectorKind, MonitorConfig, Task};
use crate::data::{ColumnData, DataError, DataWindow};
use crate::drift::reference_stats::ReferenceStats;
use crate::drift::{
    sort_in_place, sort_non_missing, ColumnUse, DriftDetector, DriftError, DriftResult,
    MLBasedDriftDetector, Prepared, SortBuffers, StatTest, StatisticalDriftDetector,
};
use crate::model::{Model, ModelError};

/// Free-form metadata attached to a result (source file, batch id, ...).
pub type Metadata = BTreeMap<String, serde_json::Value>;

/// Why the monitor could not take a reference.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MonitorError {
    #[error("reference: {0}")]
    Drift(#[from] DriftError),
    #[error("reference: {0}")]
    Model(#[from] ModelError),
    #[error("monitor used before set_reference")]
    NoReference,
}

/// Watches a model through successive windows.
pub struct ModelMonitor {
    config: MonitorConfig,
    detectors: Vec<Box<dyn DriftDetector>>,
    profile: Option<ReferenceProfile>,
    model: Option<Arc<dyn Model>>,
    alerts: AlertManager,
    history: Vec<MonitoringResult>,
    history_limit: Option<usize>,
    /// Memory for the windows' sorted columns, reused from window to window.
    sort_buffers: SortBuffers,
}

impl std::fmt::Debug for ModelMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelMonitor")
            .field(
                "detectors",
                &self.detectors.iter().map(|d| d.name()).collect::<Vec<_>>(),
            )
            .field("has_reference", &self.profile.is_some())
            .field("has_model", &self.model.is_some())
            .field("history", &self.history.len())
            .finish()
    }
}

impl ModelMonitor {
    /// A monitor with the configuration's detectors and thresholds.
    pub fn new(config: MonitorConfig) -> Self {
        let detectors = Self::detectors_from(&config);
        let alerts = AlertManager::new(config.alerts.clone());
        ModelMonitor {
            config,
            detectors,
            profile: None,
            model: None,
            alerts,
            history: Vec::new(),
            history_limit: None,
            sort_buffers: SortBuffers::default(),
        }
    }

    fn detectors_from(config: &MonitorConfig) -> Vec<Box<dyn DriftDetector>> {
        let mut kinds = config.drift.detectors.clone();
        kinds.dedup();
        kinds
            .into_iter()
            .map(|kind| -> Box<dyn DriftDetector> {
                let stat = config.drift.statistical.clone();
                match kind {
                    DetectorKind::Ks => Box::new(StatisticalDriftDetector::new(StatTest::Ks, stat)),
                    DetectorKind::Psi => {
                        Box::new(StatisticalDriftDetector::new(StatTest::Psi, stat))
                    }
                    DetectorKind::Chi2 => {
                        Box::new(StatisticalDriftDetector::new(StatTest::Chi2, stat))
                    }
                    DetectorKind::Classifier => {
                        Box::new(MLBasedDriftDetector::new(config.drift.classifier.clone()))
                    }
                    DetectorKind::Ad => Box::new(StatisticalDriftDetector::new(StatTest::Ad, stat)),
                    DetectorKind::Cvm => {
                        Box::new(StatisticalDriftDetector::new(StatTest::Cvm, stat))
                    }
                    DetectorKind::Wasserstein => {
                        Box::new(StatisticalDriftDetector::new(StatTest::Wasserstein, stat))
                    }
                    DetectorKind::Pca => Box::new(crate::drift::pca::PcaDriftDetector::new(
                        config.drift.pca.clone(),
                    )),
                }
            })
            .collect()
    }

    /// Replaces the detectors with these (for library users composing their own).
    pub fn with_detectors(mut self, detectors: Vec<Box<dyn DriftDetector>>) -> Self {
        self.detectors = detectors;
        self
    }

    /// Adds a detector.
    pub fn add_detector(&mut self, detector: Box<dyn DriftDetector>) {
        self.detectors.push(detector);
    }

    /// Computes predictions with this model instead of reading the prediction column.
    pub fn with_model(mut self, model: Arc<dyn Model>) -> Self {
        self.model = Some(model);
        self
    }

    /// Keeps at most `n` results in the in-memory history (oldest dropped first).
    pub fn with_history_limit(mut self, n: usize) -> Self {
        self.history_limit = Some(n);
        self
    }

    /// Replaces the alert manager (custom thresholds, logging).
    pub fn with_alert_manager(mut self, alerts: AlertManager) -> Self {
        self.alerts = alerts;
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// The alert manager (its history holds every alert raised).
    pub fn alert_manager(&self) -> &AlertManager {
        &self.alerts
    }

    /// Names of the detectors, in run order.
    pub fn detector_names(&self) -> Vec<String> {
        self.detectors
            .iter()
            .map(|d| d.name().to_string())
            .collect()
    }

    /// Fits every detector and profiles the reference.
    pub fn set_reference(&mut self, reference: &DataWindow) -> Result<(), MonitorError> {
        // One sorted copy of each numeric column serves every detector; the profile is made
        // beside the fits.
        let (model, detectors) = (self.model.as_deref(), &mut self.detectors);
        let (fitted, profile) = rayon::join(
            || -> Result<(), DriftError> {
                let prepared = Prepared::new(reference);
                for d in detectors.iter_mut() {
                    d.fit_prepared(&prepared)?;
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
        self.reference_fitted(profile?, reference);
        Ok(())
    }

    /// [`ModelMonitor::set_reference`] for a reference the caller is done with: each numeric
    /// column is sorted in its own memory, which the fitted detectors keep, instead of being
    /// copied (fresh memory costs a page fault per 4 KB, as much as the sort on a virtual
    /// machine). When the model or a detector needs the reference's rows this is
    /// `set_reference` followed by [`ModelMonitor::recycle`].
    pub fn set_reference_owned(&mut self, mut reference: DataWindow) -> Result<(), MonitorError> {
        if self.column_use() == ColumnUse::Rows {
            let fitted = self.set_reference(&reference);
            self.recycle(reference);
            return fitted;
        }
        // Without a model the predictions are the window's own column.
        let profile = ReferenceProfile::from_window(&reference, reference.prediction_values());
        let sorted: Vec<Option<Arc<Vec<f64>>>> = reference
            .features
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
            d.fit_prepared(&prepared)?;
        }
        self.reference_fitted(profile, &reference);
        Ok(())
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

    fn reference_fitted(&mut self, profile: ReferenceProfile, reference: &DataWindow) {
        self.profile = Some(profile);
        // One window's sorted columns: one buffer per numeric feature.
        let numeric = reference
            .features
            .iter()
            .filter(|c| matches!(c.data, ColumnData::Numeric(_)))
            .count();
        self.sort_buffers.set_limit(numeric);
    }

    /// Takes a window the caller is done with (the reference once `set_reference` has fitted
    /// it, say): the memory of its numeric features is reused for the next windows' sorted
    /// columns instead of being freed and faulted in again.
    pub fn recycle(&self, window: DataWindow) {
        for column in window.features {
            if let ColumnData::Numeric(values) = column.data {
                self.sort_buffers.give(values);
            }
        }
    }

    /// Takes the reference from saved statistics instead of rows: refits the PSI and chi-square
    /// detectors (with this monitor's statistical settings) from `stats` and uses its profile
    /// for quality checks and prediction shift. KS, the classifier, or any other detector needs
    /// the raw reference rows: the error names it and nothing is changed.
    pub fn set_reference_stats(&mut self, stats: &ReferenceStats) -> Result<(), MonitorError> {
        let mut refitted: Vec<Box<dyn DriftDetector>> = Vec::with_capacity(self.detectors.len());
        for detector in &self.detectors {
            let test = match detector.name() {
                "psi" => StatTest::Psi,
                "chi2" => StatTest::Chi2,
                other => return Err(DriftError::NeedsRawReference(other.to_string()).into()),
            };
            let mut d = StatisticalDriftDetector::new(test, self.config.drift.statistical.clone());
            d.fit_stats(stats)?;
            refitted.push(Box::new(d));
        }
        self.detectors = refitted;
        self.profile = Some(stats.profile.clone());
        Ok(())
    }

    /// Uses a saved profile for quality checks and prediction shift (detectors still need
    /// `set_reference` or their own fit).
    pub fn set_reference_profile(&mut self, profile: ReferenceProfile) {
        self.profile = Some(profile);
    }

    /// The reference profile, once set.
    pub fn reference_profile(&self) -> Option<&ReferenceProfile> {
        self.profile.as_ref()
    }

    /// Monitors one window: drift, quality, performance, predictions, alerts.
    pub fn monitor(&mut self, window: &DataWindow, metadata: Metadata) -> MonitoringResult {
        self.monitor_sorted(window, metadata, false)
    }

    /// [`ModelMonitor::monitor`] for a window the caller no longer needs in row order: each
    /// numeric column is sorted in its own memory ([`sort_in_place`]: the column keeps its
    /// values, NaN last, but its rows no longer line up with the other columns') instead of
    /// into copies. The result is the same. When the model or a detector needs the rows, or
    /// no detector sorts, the window is left as it is.
    pub fn monitor_in_place(
        &mut self,
        window: &mut DataWindow,
        metadata: Metadata,
    ) -> MonitoringResult {
        let in_place = self.column_use() == ColumnUse::Sorted;
        if in_place {
            window.features.par_iter_mut().for_each(|c| {
                if let ColumnData::Numeric(values) = &mut c.data {
                    sort_in_place(values);
                }
            });
        }
        self.monitor_sorted(window, metadata, in_place)
    }

    /// `in_place`: the window's numeric columns are sorted ([`sort_in_place`]).
    fn monitor_sorted(
        &mut self,
        window: &DataWindow,
        metadata: Metadata,
        in_place: bool,
    ) -> MonitoringResult {
        let mut result = MonitoringResult::new(window.name.clone());
        result.rows = window.rows();
        result.metadata = metadata;
        if let Err(message) = self.evaluate(window, &mut result, in_place) {
            result = self.failed(&window.name, result.metadata, message);
        } else {
            result.alerts = self.alerts.check_alerts(&result);
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
        let Some(profile) = &self.profile else {
            return Err(window_error(
                "no_reference",
                &window.name,
                MonitorError::NoReference.to_string(),
            ));
        };
        // Quality, predictions and metrics on one core while the detectors run on the others:
        // the detectors parallelise over features, the rest would otherwise wait for them.
        let (model, task, detectors, buffers) = (
            self.model.as_deref(),
            self.config.task,
            &mut self.detectors,
            &self.sort_buffers,
        );
        let (evaluated, drift) = rayon::join(
            || evaluate_predictions(profile, model, task, window),
            || detect_all(detectors, window, buffers, in_place),
        );
        let (data_quality, predicted) = evaluated?;
        result.data_quality = data_quality;
        if let Some(p) = predicted {
            result.prediction_source = Some(p.source);
            result.predictions = p.stats;
            result.prediction_shift = p.shift;
            result.performance = p.performance;
        }
        result.drift = drift?;
        Ok(())
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
        result.alerts = self.alerts.check_alerts(&result);
        self.remember(result.clone());
        result
    }

    fn failed(&mut self, window: &str, metadata: Metadata, error: WindowError) -> MonitoringResult {
        let mut result = MonitoringResult::new(window);
        result.metadata = metadata;
        result.error = Some(error);
        result.alerts = self.alerts.check_alerts(&result);
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

    /// The history as a JSON array.
    pub fn export_history(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(&self.history)
    }
}

/// Predictions from the model, or else from the window's prediction column.
fn predictions(
    model: Option<&dyn Model>,
    window: &DataWindow,
) -> Result<Option<(Vec<f64>, PredictionSource)>, ModelError> {
    if let Some(model) = model {
        return model
            .predict(window)
            .map(|p| Some((p, PredictionSource::Model)));
    }
    Ok(window
        .prediction_values()
        .map(|p| (p.to_vec(), PredictionSource::Column)))
}

/// What a window's predictions give.
struct Predicted {
    source: PredictionSource,
    stats: Option<PredictionStats>,
    shift: Option<f64>,
    performance: Option<Performance>,
}

/// Data quality, and prediction statistics, shift and performance when there are predictions.
fn evaluate_predictions(
    profile: &ReferenceProfile,
    model: Option<&dyn Model>,
    task: Task,
    window: &DataWindow,
) -> Result<(BTreeMap<String, FeatureQuality>, Option<Predicted>), WindowError> {
    let quality = profile.quality(window);
    let predictions = predictions(model, window)
        .map_err(|e| window_error("model", &window.name, e.to_string()))?;
    let Some((predictions, source)) = predictions else {
        return Ok((quality, None));
    };
    let stats = PredictionStats::from_values(&predictions);
    let shift = match (&stats, profile.prediction_mean) {
        (Some(stats), Some(reference)) => Some((stats.mean - reference).abs()),
        _ => None,
    };
    let performance = window.target_values().and_then(|target| match task {
        Task::Classification => {
            classification_metrics(target, &predictions).map(Performance::Classification)
        }
        Task::Regression => regression_metrics(target, &predictions).map(Performance::Regression),
    });
    Ok((
        quality,
        Some(Predicted {
            source,
            stats,
            shift,
            performance,
        }),
    ))
}

/// Runs every detector on the window, sharing its sorted columns between them; the sorted
/// columns' memory goes back to `buffers` for the next window. `in_place`: the window's
/// numeric columns are sorted already.
fn detect_all(
    detectors: &mut [Box<dyn DriftDetector>],
    window: &DataWindow,
    buffers: &SortBuffers,
    in_place: bool,
) -> Result<BTreeMap<String, DriftResult>, WindowError> {
    let prepared = if in_place {
        Prepared::sorted_in_place(window)
    } else {
        Prepared::with_buffers(window, buffers)
    };
    let mut drift = BTreeMap::new();
    for detector in detectors {
        let name = detector.name().to_string();
        let result = detector
            .detect_prepared(&prepared)
            .map_err(|e| window_error("drift", &window.name, format!("{name}: {e}")))?;
        drift.insert(name, result);
    }
    prepared.recycle();
    Ok(drift)
}

fn window_error(kind: &str, window: &str, message: String) -> WindowError {
    WindowError {
        kind: kind.to_string(),
        message,
        file: window.to_string(),
        line: None,
        column: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    /// `rows` rows: two numeric features (one with NaN), one categorical, a probability
    /// prediction and a target; `shift` moves the first feature.
    fn window(name: &str, rows: usize, shift: f64) -> DataWindow {
        let mut x = 0x2545_F491_4F6C_DD1D_u64 ^ rows as u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let a: Vec<f64> = (0..rows).map(|_| next() * 10.0 + shift).collect();
        let b: Vec<f64> = (0..rows)
            .map(|i| if i % 17 == 0 { f64::NAN } else { next() })
            .collect();
        let colours = ["red", "green", "blue"];
        let c: Vec<Option<&str>> = (0..rows).map(|i| Some(colours[i % 3])).collect();
        let p: Vec<f64> = (0..rows).map(|_| next()).collect();
        let t: Vec<f64> = p.iter().map(|&v| f64::from(u8::from(v > 0.4))).collect();
        DataWindow::new(
            name,
            vec![
                Column::numeric("a", a),
                Column::numeric("b", b),
                Column::categorical("c", &c),
            ],
            Some(Column::numeric("prediction", p)),
            Some(Column::numeric("target", t)),
        )
        .expect("columns of one length")
    }

    #[test]
    fn recycled_memory_gives_the_same_results() {
        let reference = window("reference.csv", 400, 0.0);
        // KS, PSI and chi-square: the detectors that sort columns without needing rows.
        let mut config = MonitorConfig::default();
        config.drift.detectors = vec![
            crate::config::DetectorKind::Ks,
            crate::config::DetectorKind::Psi,
            crate::config::DetectorKind::Chi2,
        ];
        let mut plain = ModelMonitor::new(config.clone());
        plain.set_reference(&reference).expect("fits");
        let mut recycling = ModelMonitor::new(config);
        recycling.set_reference(&reference).expect("fits");
        recycling.recycle(reference);
        // The reference's two numeric features, not its prediction or target.
        assert_eq!(recycling.sort_buffers.len(), 2);
        // Windows larger and smaller than the reference, with and without drift.
        for (rows, shift) in [(300, 0.0), (600, 3.0), (250, 0.0), (400, 5.0)] {
            let w = window("w.csv", rows, shift);
            let a = plain.monitor(&w, Metadata::new());
            let b = recycling.monitor(&w, Metadata::new());
            assert_eq!(a.drift, b.drift, "{rows} rows");
            assert_eq!(a.data_quality, b.data_quality);
            assert_eq!(a.performance, b.performance);
            assert_eq!(
                a.drift["ks"].features["a"].drifted,
                shift > 0.0,
                "{rows} rows"
            );
            // The window's sorted copies came back for the next one.
            assert_eq!(recycling.sort_buffers.len(), 2);
        }
    }

    /// A result as JSON without its timestamp (the only field two runs may differ in).
    fn comparable(result: &MonitoringResult) -> serde_json::Value {
        let mut value = serde_json::to_value(result).expect("serialises");
        if let Some(object) = value.as_object_mut() {
            object.remove("timestamp");
            for alert in object
                .get_mut("alerts")
                .and_then(|a| a.as_array_mut())
                .into_iter()
                .flatten()
            {
                alert.as_object_mut().map(|a| a.remove("timestamp"));
            }
        }
        value
    }

    fn numeric_bits(window: &DataWindow) -> Vec<Vec<u64>> {
        window
            .features
            .iter()
            .filter_map(|c| c.as_numeric())
            .map(|v| v.iter().map(|x| x.to_bits()).collect())
            .collect()
    }

    #[test]
    fn sorting_in_place_gives_the_same_results() {
        use crate::config::DetectorKind::{Chi2, Classifier, Ks, Psi};
        // KS sorts (in place); PSI and chi-square alone do not need to; the classifier needs
        // the rows in order (no sorting in place).
        for (detectors, sorts) in [
            (vec![Ks, Psi, Chi2], true),
            (vec![Psi, Ks], true),
            (vec![Psi, Chi2], false),
            (vec![Ks, Classifier], false),
        ] {
            let mut config = MonitorConfig::default();
            config.drift.detectors = detectors.clone();
            config.drift.statistical.confirmation_windows = 2;
            let reference = window("reference.csv", 400, 0.0);
            let mut copying = ModelMonitor::new(config.clone());
            copying.set_reference(&reference).expect("fits");
            let mut in_place = ModelMonitor::new(config);
            in_place.set_reference_owned(reference).expect("fits");
            // Drift confirmed only on the second drifting window: the guard's state too.
            for (rows, shift) in [(300, 0.0), (600, 3.0), (250, 3.0), (20, 0.0), (400, 5.0)] {
                let w = window("w.csv", rows, shift);
                let mut sorted = w.clone();
                let a = copying.monitor(&w, Metadata::new());
                let b = in_place.monitor_in_place(&mut sorted, Metadata::new());
                assert_eq!(comparable(&a), comparable(&b), "{detectors:?}, {rows} rows");
                let (before, after) = (numeric_bits(&w), numeric_bits(&sorted));
                if sorts {
                    for (mut original, reordered) in before.into_iter().zip(after) {
                        // Each column keeps its values; NaN (one pattern) sorts last.
                        assert!(reordered.windows(2).all(|p| f64::from_bits(p[0])
                            .total_cmp(&f64::from_bits(p[1]))
                            .is_le()));
                        let mut reordered = reordered;
                        let nan = f64::NAN.to_bits();
                        for bits in original.iter_mut().chain(reordered.iter_mut()) {
                            if f64::from_bits(*bits).is_nan() {
                                *bits = nan;
                            }
                        }
                        original.sort_unstable();
                        reordered.sort_unstable();
                        assert_eq!(original, reordered);
                    }
                } else {
                    assert_eq!(before, after, "{detectors:?}: rows left in order");
                }
            }
            assert_eq!(
                comparable(&copying.history()[4]),
                comparable(&in_place.history()[4])
            );
        }
    }
}
