//! Drift detectors and their one result type.
//!
//! Every detector, statistical or ML-based, has two APIs — `fit(reference)` then
//! `detect(current)`, or `detect_pair(reference, current)` — and returns a [`DriftResult`] that
//! serialises to the `drift.<detector>` object of docs/output.md. `fit` does the reference's work
//! once (sorting, bin edges, category counts) so each window pays only for itself. `detect` takes
//! `&mut self` because the `confirmation_windows` guard counts consecutive drifting windows.

pub(crate) mod continuous;
pub(crate) mod decision;
pub(crate) mod discrete;
mod fitted;
mod fitted_state;
pub mod ks;
pub(crate) mod ml_based;
pub(crate) mod pca;
pub mod psi;
pub(crate) mod statistical;
pub(crate) mod summary;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::data::{ColumnData, DataWindow};

pub use discrete::{DiscreteValues, FeatureTest};
pub(crate) use fitted_state::FittedState;
pub(crate) use ml_based::MLBasedDriftDetector;
pub(crate) use pca::PcaDriftDetector;
pub use pca::PcaFigures;
pub(crate) use statistical::StatisticalDriftDetector;

/// Whether a feature could be tested: about the test, never its outcome (that is `drifted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureStatus {
    /// Tested.
    Ok,
    /// Fewer than `min_sample_size` non-missing values on a side: not tested, never drifts.
    InsufficientData,
    /// The reference holds a single distinct value; still tested, flagged because bins and
    /// scales built from the reference degenerate.
    Constant,
}

/// One feature's figures under one detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// KS D, PSI, or the chi-square statistic; null when not tested.
    pub statistic: Option<f64>,
    /// Raw p-value (KS, chi-square); null for PSI or when not tested.
    #[serde(default)]
    pub p_value: Option<f64>,
    /// p-value after the multiple-testing correction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value_adjusted: Option<f64>,
    /// The verdict: this test says the feature drifted.
    pub drifted: bool,
    /// Whether the feature could be tested (not a drift verdict: `ok` beside `drifted: true`
    /// reads "tested, and it drifted").
    pub status: FeatureStatus,
    /// The test that decided, for a numeric feature with few distinct values (see
    /// `discrete_max_values`): `"chi2"`, or under `ks` and `ad`, which also run Mann–Whitney's
    /// rank-sum test on the values, `"mwu"` when that one decided (its figures are then shown).
    /// Absent for the detector's own test on any other feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<discrete::FeatureTest>,
    /// Set when the statistic was computed from a profile's grid instead of the rows: the
    /// rows' statistic lies within this distance of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic_error_bound: Option<f64>,
    /// `true` when the p-value is approximate (computed from the grid's statistic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value_approximate: Option<bool>,
    /// The size of the change, whatever the window's size: KS D for a numeric feature (however
    /// the detector tests it), the total variation distance of the value or category shares
    /// for a categorical or discrete one. Paging needs it above `[paging] min_effect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<f64>,
    /// The p-value paging reads: the asymptotic KS p-value for a numeric feature (AD's stops at
    /// 0.001, too coarse for a false-page budget), chi-square's for a categorical or discrete
    /// one. Not corrected: the page policy splits its own budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging_p_value: Option<f64>,
}

impl FeatureDrift {
    /// A feature that could not be tested.
    pub fn insufficient() -> Self {
        FeatureDrift {
            statistic: None,
            p_value: None,
            p_value_adjusted: None,
            drifted: false,
            status: FeatureStatus::InsufficientData,
            test: None,
            statistic_error_bound: None,
            p_value_approximate: None,
            effect: None,
            paging_p_value: None,
        }
    }
}

/// What a detector found in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftResult {
    /// Drift confirmed (after `confirmation_windows` consecutive drifting windows).
    pub drift_detected: bool,
    /// Share of drifted features (per-feature detectors) or the AUC (classifier).
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub drift_score: f64,
    /// This window alone shows drift, before confirmation.
    #[serde(default)]
    pub window_drift: bool,
    /// Features the detector covers.
    pub n_features: usize,
    pub n_drifted: usize,
    #[serde(default)]
    pub features: BTreeMap<String, FeatureDrift>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auc: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::stats::nonfinite::map_or_null"
    )]
    pub feature_importances: Option<BTreeMap<String, f64>>,
    /// Detector-level status (the classifier's `insufficient_data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<FeatureStatus>,
    /// The `pca` detector's figures (reconstruction error, thresholds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pca: Option<pca::PcaFigures>,
}

impl DriftResult {
    /// A per-feature detector's result: `n_drifted` of `features` drifted; the window drifts
    /// when at least `min_drifted` did, and `confirm` turns that into the confirmed verdict.
    pub fn per_feature(
        features: BTreeMap<String, FeatureDrift>,
        n_drifted: usize,
        min_drifted: usize,
        confirm: impl FnOnce(bool) -> bool,
    ) -> Self {
        let n_features = features.len();
        let window_drift = n_features > 0 && n_drifted >= min_drifted;
        DriftResult {
            drift_detected: confirm(window_drift),
            drift_score: if n_features == 0 {
                0.0
            } else {
                n_drifted as f64 / n_features as f64
            },
            window_drift,
            n_features,
            n_drifted,
            features,
            auc: None,
            feature_importances: None,
            status: None,
            pca: None,
        }
    }

    /// One line for an alert message.
    pub(crate) fn summary(&self, detector: &str) -> String {
        if let Some(auc) = self.auc {
            return format!("{detector}: AUC {auc:.3} telling current rows from reference rows");
        }
        if let Some(p) = &self.pca {
            let bound = |b: Option<f64>| b.map_or("none".to_string(), |v| format!("{v:.4}"));
            return format!(
                "{detector}: reconstruction error {:.4} outside [{}, {}]",
                p.reconstruction_error,
                bound(p.lower_threshold),
                bound(p.upper_threshold)
            );
        }
        let mut drifted: Vec<&str> = self
            .features
            .iter()
            .filter(|(_, f)| f.drifted)
            .map(|(n, _)| n.as_str())
            .collect();
        let more = drifted.len().saturating_sub(5);
        drifted.truncate(5);
        let mut text = format!(
            "{detector}: {} of {} features drifted ({})",
            self.n_drifted,
            self.n_features,
            drifted.join(", ")
        );
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        text
    }
}

/// Why a detector could not run. A message that holds its cause's does not also make it the
/// `source()` (anyhow's `{:#}` would say it twice).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    #[error("detector used before fit: call fit(reference) first")]
    NotFitted,
    #[error("feature \"{0}\" is missing from the window")]
    MissingFeature(String),
    #[error("feature \"{feature}\" is {found} in the window but {expected} in the reference")]
    KindMismatch {
        feature: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("the reference has no rows")]
    EmptyReference,
    #[error("classifier failed: {0}")]
    Classifier(ClassifierError),
    #[error("{0} needs the raw reference rows: reference statistics hold only summaries; give the reference CSV, or drop \"{0}\" from drift.detectors")]
    NeedsRawReference(String),
    #[error("reference statistics: {0}")]
    ReferenceStats(String),
    #[error("pca: {0}")]
    Pca(String),
    #[error("invalid settings: {0}")]
    InvalidConfig(String),
}

impl From<ClassifierError> for DriftError {
    fn from(e: ClassifierError) -> Self {
        DriftError::Classifier(e)
    }
}

/// The classifier's encoding errors are a detector's errors.
impl From<crate::model::EncodeError> for DriftError {
    fn from(e: crate::model::EncodeError) -> Self {
        match e {
            crate::model::EncodeError::MissingFeature(name) => DriftError::MissingFeature(name),
            crate::model::EncodeError::KindMismatch {
                feature,
                expected,
                found,
            } => DriftError::KindMismatch {
                feature,
                expected,
                found,
            },
        }
    }
}

/// Why the classifier detector could not score a window.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClassifierError {
    #[error("the all-rows fit did not run")]
    NotRun,
    /// The logistic regression failed; linfa's message.
    #[error("logistic regression: {0}")]
    Fit(String),
}

/// A drift detector: `fit` then `detect`, or `detect_pair`.
pub trait DriftDetector: Send {
    /// The key of its entry in results (`ks`, `psi`, `chi2`, `classifier`).
    fn name(&self) -> &str;
    /// Does the reference's work once.
    fn fit(&mut self, reference: &DataWindow) -> Result<(), DriftError>;
    /// Compares a window with the fitted reference.
    fn detect(&mut self, current: &DataWindow) -> Result<DriftResult, DriftError>;
    /// `fit(reference)` then `detect(current)`.
    fn detect_pair(
        &mut self,
        reference: &DataWindow,
        current: &DataWindow,
    ) -> Result<DriftResult, DriftError> {
        self.fit(reference)?;
        self.detect(current)
    }
}

/// The monitor's side of a detector: work shared between detectors (one sorted copy of each
/// column, see [`Prepared`]) and what it reads of the rows. Internal, because a detector that
/// claims less than [`ColumnUse::Rows`] is handed windows whose rows no longer line up. The
/// defaults are always safe; a detector given to the monitor from outside gets them through
/// [`External`].
pub(crate) trait PreparedDetector: DriftDetector {
    /// `fit` with work shared between detectors. Detectors that sort override it.
    fn fit_prepared(&mut self, reference: &Prepared<'_>) -> Result<(), DriftError> {
        self.fit(reference.window())
    }
    /// `detect` with work shared between detectors.
    fn detect_prepared(&mut self, current: &Prepared<'_>) -> Result<DriftResult, DriftError> {
        self.detect(current.window())
    }
    /// For a correction across the window's detectors: tests the window and keeps the outcome
    /// for [`PreparedDetector::finish_staged`], returning the raw p-values it would correct
    /// (`None` entries are features without one). `Ok(None)`: the detector has no p-values and
    /// decides alone, by `detect_prepared`.
    fn stage(&mut self, _current: &Prepared<'_>) -> Result<Option<Vec<Option<f64>>>, DriftError> {
        Ok(None)
    }
    /// Finishes a [`PreparedDetector::stage`]d window with its p-values corrected across the
    /// window's family (same order and length as staged) of `tests` p-values.
    fn finish_staged(
        &mut self,
        _adjusted: &[Option<f64>],
        _tests: usize,
    ) -> Result<DriftResult, DriftError> {
        Err(DriftError::NotFitted)
    }
    /// What it reads of numeric columns. A detector that says less than [`ColumnUse::Rows`] is
    /// handed windows whose columns were sorted separately, and at fit a [`Prepared`] whose
    /// numeric columns may be empty (their values moved into the sorted copies), so it must
    /// read them only through [`Prepared::sorted`].
    fn column_use(&self) -> ColumnUse {
        ColumnUse::Rows
    }
    /// [`ColumnUse::RowsFirst`] only: reads what it needs of a window's rows, in order, before
    /// the monitor sorts its columns; the next `stage` or `detect_prepared` uses it.
    fn read_rows(&mut self, _current: &DataWindow) {}
    /// For a fit cache: the settings its fit depends on besides the reference's feature
    /// columns, as text for the cache's key. `None` (the default): nothing worth keeping.
    fn fit_settings(&self) -> Option<String> {
        None
    }
    /// What the last fit computed, for a fit cache.
    fn fitted_state(&self) -> Option<FittedState> {
        None
    }
    /// Takes back a state [`PreparedDetector::fitted_state`] gave after a fit on the same
    /// feature columns and [`PreparedDetector::fit_settings`], as `fit(reference)` would have
    /// left the detector; `false` when the state does not fit (the caller then fits).
    fn restore_fitted(&mut self, _reference: &DataWindow, _state: FittedState) -> bool {
        false
    }
}

/// A detector from outside the library: fitted and run on whole windows, rows in order.
pub(crate) struct External(pub(crate) Box<dyn DriftDetector>);

impl DriftDetector for External {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn fit(&mut self, reference: &DataWindow) -> Result<(), DriftError> {
        self.0.fit(reference)
    }
    fn detect(&mut self, current: &DataWindow) -> Result<DriftResult, DriftError> {
        self.0.detect(current)
    }
}

impl PreparedDetector for External {}

/// What a detector needs of a window's numeric columns. The monitor sorts them in their own
/// memory, instead of sorting copies, only when no detector needs their rows in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ColumnUse {
    /// Nothing that depends on order (counts, bins): reordering the rows changes nothing.
    Unordered,
    /// Each column's sorted values (through [`Prepared::sorted`]), nothing row-wise.
    Sorted,
    /// Rows in order, but only first: the reference's in `fit`, which the monitor calls before
    /// it sorts the reference's columns, and a window's in
    /// [`PreparedDetector::read_rows`], before it sorts the window's. Then the columns can be
    /// sorted in their own memory for the others (no second copy of the data).
    RowsFirst,
    /// Rows in order: values of different features that belong to the same row.
    Rows,
}

/// A window with its numeric features' sorted values, computed on first use and shared.
///
/// Sorting is most of the statistical tests' cost, and KS and PSI both want the same sorted
/// reference at fit time (KS to merge against, PSI for its decile edges), so [`ModelMonitor`]
/// hands every detector one `Prepared` and each column is sorted once whoever asks first. A
/// window's sorted columns, once KS has made them, give PSI its bin counts without a search per
/// value. Thread-safe: detectors ask from parallel per-feature tasks.
///
/// [`ModelMonitor`]: crate::ModelMonitor
pub(crate) struct Prepared<'a> {
    window: &'a DataWindow,
    sorted: Vec<OnceLock<Arc<Vec<f64>>>>,
    buffers: Option<&'a SortBuffers>,
    /// The window's numeric columns are themselves sorted, NaN last ([`sort_in_place`]).
    in_place: bool,
}

impl<'a> Prepared<'a> {
    /// Nothing is computed until asked for.
    pub(crate) fn new(window: &'a DataWindow) -> Self {
        Prepared {
            window,
            sorted: window.features().iter().map(|_| OnceLock::new()).collect(),
            buffers: None,
            in_place: false,
        }
    }

    /// Sorted copies are written into memory from `buffers` when it holds some, and
    /// [`Prepared::recycle`] gives them back.
    pub(crate) fn with_buffers(window: &'a DataWindow, buffers: &'a SortBuffers) -> Self {
        Prepared {
            buffers: Some(buffers),
            ..Prepared::new(window)
        }
    }

    /// A window whose numeric columns have each been sorted by [`sort_in_place`] (their rows
    /// no longer line up): the sorted values are the columns' own.
    pub(crate) fn sorted_in_place(window: &'a DataWindow) -> Self {
        Prepared {
            in_place: true,
            ..Prepared::new(window)
        }
    }

    /// A window whose numeric features' sorted non-missing values are already made: `sorted`
    /// holds them by feature index. Those values are all that is read of the numeric columns,
    /// which may have given their memory to them.
    pub(crate) fn with_sorted(window: &'a DataWindow, sorted: Vec<Option<Arc<Vec<f64>>>>) -> Self {
        Prepared {
            sorted: sorted
                .into_iter()
                .map(|s| s.map_or_else(OnceLock::new, OnceLock::from))
                .collect(),
            ..Prepared::new(window)
        }
    }

    /// Hands the sorted copies no detector kept to the buffers given at construction.
    pub(crate) fn recycle(self) {
        let Some(buffers) = self.buffers else {
            return;
        };
        for cell in self.sorted {
            if let Some(sorted) = cell.into_inner().and_then(|a| Arc::try_unwrap(a).ok()) {
                buffers.give(sorted);
            }
        }
    }

    /// The window.
    pub(crate) fn window(&self) -> &'a DataWindow {
        self.window
    }

    /// Index of the feature called `name`.
    pub(crate) fn feature_index(&self, name: &str) -> Option<usize> {
        self.window.features().iter().position(|c| c.name == name)
    }

    /// The non-missing values of numeric feature `index`, sorted ascending (computed now if no
    /// one has yet). `None` for a categorical feature or an index out of range.
    pub(crate) fn sorted(&self, index: usize) -> Option<&[f64]> {
        if self.in_place {
            return self.in_place_sorted(index);
        }
        self.shared(index).map(|s| s.as_slice())
    }

    /// [`Prepared::sorted`] as a value to keep (a fit keeps the reference's): shared, not
    /// copied, unless the window was sorted in place.
    pub(crate) fn sorted_to_keep(&self, index: usize) -> Option<Arc<Vec<f64>>> {
        if self.in_place {
            return self.in_place_sorted(index).map(|s| Arc::new(s.to_vec()));
        }
        self.shared(index).cloned()
    }

    /// The sorted values of feature `index` if someone has already computed them.
    pub(crate) fn sorted_if_ready(&self, index: usize) -> Option<&[f64]> {
        if self.in_place {
            return self.in_place_sorted(index);
        }
        self.sorted.get(index)?.get().map(|s| s.as_slice())
    }

    fn in_place_sorted(&self, index: usize) -> Option<&'a [f64]> {
        let ColumnData::Numeric(values) = &self.window.features().get(index)?.data else {
            return None;
        };
        Some(&values[..values.partition_point(|v| !v.is_nan())])
    }

    fn shared(&self, index: usize) -> Option<&Arc<Vec<f64>>> {
        let column = self.window.features().get(index)?;
        let ColumnData::Numeric(values) = &column.data else {
            return None;
        };
        let cell = self.sorted.get(index)?;
        Some(cell.get_or_init(|| {
            Arc::new(match self.buffers {
                Some(buffers) => buffers.sorted_non_missing(values),
                None => sorted_non_missing(values),
            })
        }))
    }
}

pub(crate) use crate::stats::sort::{
    sort_in_place, sort_non_missing, sorted_non_missing, SortBuffers,
};

/// Counts consecutive drifting windows for the `confirmation_windows` guard.
#[derive(Debug, Clone, Default)]
pub(crate) struct Confirmation {
    needed: usize,
    consecutive: usize,
}

impl Confirmation {
    /// Drift is confirmed after `needed` consecutive drifting windows (at least 1).
    pub(crate) fn new(needed: usize) -> Self {
        Confirmation {
            needed: needed.max(1),
            consecutive: 0,
        }
    }

    /// Records a window; returns whether drift is now confirmed.
    pub(crate) fn observe(&mut self, window_drift: bool) -> bool {
        self.consecutive = if window_drift {
            self.consecutive + 1
        } else {
            0
        };
        self.consecutive >= self.needed
    }

    /// Forgets the streak (a new reference).
    pub(crate) fn reset(&mut self) {
        self.consecutive = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::Confirmation;

    #[test]
    fn confirmation_needs_consecutive_windows() {
        let mut c = Confirmation::new(2);
        assert!(!c.observe(true));
        assert!(c.observe(true));
        assert!(c.observe(true));
        assert!(!c.observe(false));
        assert!(!c.observe(true));
        assert!(c.observe(true));
    }
}
