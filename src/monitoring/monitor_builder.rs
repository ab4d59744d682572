//! [`MonitorBuilder`]: the one way to a [`ModelMonitor`], which checks the configuration and
//! fits the reference (a child of the monitor's module, so it fills the monitor's fields).

use std::sync::Arc;

use super::{ModelMonitor, MonitorError};
use crate::config::{DetectorKind, MonitorConfig};
use crate::data::DataWindow;
use crate::drift::{
    DriftDetector, DriftError, External, MLBasedDriftDetector, PcaDriftDetector, PreparedDetector,
    SortBuffers, StatisticalDriftDetector,
};
use crate::model::Model;
use crate::monitoring::alerts::AlertManager;
use crate::monitoring::fit_cache::FitCache;
use crate::monitoring::incidents::IncidentTracker;
use crate::monitoring::paging::PagePolicy;
use crate::monitoring::quality::ReferenceProfile;
use crate::monitoring::reference_stats::ReferenceStats;

/// Sets a monitor up: the configuration, then optionally a model, a history limit, an alert
/// manager or detectors of your own; then one of the `build` calls, which takes the reference.
///
/// ```no_run
/// # use ml_monitor::{config::MonitorConfig, data, ModelMonitor};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = MonitorConfig::default();
/// let (reference, schema) = data::read_reference("reference.csv".as_ref(), &config.columns)?;
/// let mut monitor = ModelMonitor::builder(config).history_limit(100).build(&reference)?;
/// let window = data::read_window("window_0001.csv".as_ref(), &schema)?;
/// let result = monitor.monitor(&window);
/// # Ok(()) }
/// ```
pub struct MonitorBuilder {
    config: MonitorConfig,
    model: Option<Arc<dyn Model>>,
    history_limit: Option<usize>,
    alerts: Option<AlertManager>,
    detectors: Option<Vec<Box<dyn DriftDetector>>>,
    fit_cache: Option<FitCache>,
}

impl MonitorBuilder {
    pub(super) fn new(config: MonitorConfig) -> Self {
        MonitorBuilder {
            config,
            model: None,
            history_limit: None,
            alerts: None,
            detectors: None,
            fit_cache: None,
        }
    }

    /// Keeps what the reference fit computes (the performance estimator, the `pca` detector's
    /// basis) in `cache`, and takes it from there when the reference and the settings are
    /// those it was fitted on: a restart does not fit again. The results are the same.
    pub fn fit_cache(mut self, cache: FitCache) -> Self {
        self.fit_cache = Some(cache);
        self
    }

    /// Computes predictions with this model instead of reading the prediction column.
    pub fn model(mut self, model: Arc<dyn Model>) -> Self {
        self.model = Some(model);
        self
    }

    /// Keeps at most `n` results in the in-memory history (oldest dropped first).
    pub fn history_limit(mut self, n: usize) -> Self {
        self.history_limit = Some(n);
        self
    }

    /// Uses this alert manager (custom thresholds, logging) instead of one made from the
    /// configuration's `alerts` section. Its thresholds are checked like the file's.
    pub fn alert_manager(mut self, alerts: AlertManager) -> Self {
        self.alerts = Some(alerts);
        self
    }

    /// Runs these detectors instead of the configuration's `drift.detectors` (for library users
    /// composing their own). Each is fitted and run on whole windows; names must be distinct.
    pub fn detectors(mut self, detectors: Vec<Box<dyn DriftDetector>>) -> Self {
        self.detectors = Some(detectors);
        self
    }

    /// Checks the configuration and fits every detector on `reference`.
    pub fn build(self, reference: &DataWindow) -> Result<ModelMonitor, MonitorError> {
        let mut monitor = self.unfitted()?;
        monitor.set_reference(reference)?;
        Ok(monitor)
    }

    /// [`MonitorBuilder::build`] for a reference the caller is done with: each numeric column
    /// is sorted in its own memory, which the fitted detectors keep, instead of being copied
    /// (fresh memory costs a page fault per 4 KB, as much as the sort on a virtual machine).
    /// The results are the same.
    pub fn build_owned(self, reference: DataWindow) -> Result<ModelMonitor, MonitorError> {
        let mut monitor = self.unfitted()?;
        monitor.set_reference_owned(reference)?;
        Ok(monitor)
    }

    /// Takes the reference from saved statistics instead of rows: the PSI and chi-square
    /// detectors are fitted from `stats` and its profile serves quality checks and prediction
    /// shift. KS, the classifier, or a detector of your own needs the raw reference rows: the
    /// error names it.
    pub fn build_from_stats(self, stats: &ReferenceStats) -> Result<ModelMonitor, MonitorError> {
        let mut monitor = self.unfitted()?;
        monitor.set_reference_stats(stats)?;
        Ok(monitor)
    }

    fn unfitted(self) -> Result<ModelMonitor, MonitorError> {
        self.config.validate()?;
        let alerts = match self.alerts {
            Some(alerts) => {
                alerts.thresholds().validate()?;
                alerts
            }
            None => AlertManager::new(self.config.alerts.clone())?,
        };
        let detectors = match self.detectors {
            Some(custom) => custom
                .into_iter()
                .map(|d| -> Box<dyn PreparedDetector> { Box::new(External(d)) })
                .collect(),
            None => detectors_from(&self.config)?,
        };
        let mut names: Vec<&str> = detectors.iter().map(|d| d.name()).collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|p| p[0] == p[1]) {
            return Err(MonitorError::DuplicateDetector(pair[0].to_string()));
        }
        let incidents =
            IncidentTracker::with_paging(alerts.thresholds().resolve_after, &self.config.paging);
        Ok(ModelMonitor {
            paging: PagePolicy::new(&self.config.paging),
            config: self.config,
            detectors,
            profile: ReferenceProfile::default(),
            model: self.model,
            incidents,
            alerts,
            history: Vec::new(),
            history_limit: self.history_limit,
            sort_buffers: SortBuffers::default(),
            estimator: None,
            estimation_unavailable: None,
            multiclass: None,
            fit_cache: self.fit_cache,
        })
    }
}

/// The configuration's detectors, in its order (validated: no duplicates).
fn detectors_from(config: &MonitorConfig) -> Result<Vec<Box<dyn PreparedDetector>>, DriftError> {
    // Paging's KS evidence of a numeric feature is the same whichever test ran: the first
    // detector that sorts the columns computes it, the others skip the pass.
    let mut evidence_taken = false;
    config
        .drift
        .detectors
        .iter()
        .map(|&kind| -> Result<Box<dyn PreparedDetector>, DriftError> {
            Ok(match kind {
                DetectorKind::Classifier => {
                    Box::new(MLBasedDriftDetector::new(config.drift.classifier.clone())?)
                }
                DetectorKind::Pca => {
                    Box::new(PcaDriftDetector::new(config.drift.pca.clone())?.with_test(
                        config.drift.statistical.alpha,
                        config.drift.statistical.correction,
                    )?)
                }
                DetectorKind::Ks
                | DetectorKind::Psi
                | DetectorKind::Chi2
                | DetectorKind::Ad
                | DetectorKind::Cvm
                | DetectorKind::Wasserstein => {
                    let d = StatisticalDriftDetector::new(kind, config.drift.statistical.clone())?;
                    if kind.needs_sorted() && std::mem::replace(&mut evidence_taken, true) {
                        Box::new(d.without_paging_evidence())
                    } else {
                        Box::new(d)
                    }
                }
            })
        })
        .collect()
}
