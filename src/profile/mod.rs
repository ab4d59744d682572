//! Windows bigger than one machine: profiles computed where the data lives.
//!
//! `profile-sql` writes one SQL statement (Spark SQL or DuckDB) that reduces a window's table
//! to a profile of a few thousand rows: counts per cell of a fine grid of reference quantiles
//! per numeric feature, counts per reference category, prediction and target sums. The engine
//! runs it in parallel where the data is; the profile lands in the watched directory
//! (`NAME.profile.parquet`, a Spark output directory with `_SUCCESS`, or `NAME.profile.json`)
//! and is monitored like any window, with `"source": "profile"`.
//!
//! PSI, chi-square, data quality, prediction statistics and shift and the performance metrics
//! are exact (the same counts go through the same functions as the raw path). KS, Wasserstein
//! and ROC AUC are computed on the grid and carry a proven error bound
//! (`crate::stats::binned`). The classifier, PCA, AD, CvM and CBPE need rows and are skipped.
//!
//! It sits above `monitoring` in the layers: it produces a [`MonitoringResult`] the monitor
//! raises alerts on, like any other.

pub(crate) mod evaluate;
pub(crate) mod files;
pub(crate) mod grid;
pub(crate) mod reference;
pub(crate) mod sql;
pub(crate) mod window;

use std::collections::BTreeMap;
use std::path::Path;

pub use files::{completion_marker, profile_format};
pub(crate) use files::{read_profile, ProfileRow};
pub use grid::{cell_summaries, numeric_grid};
pub use reference::ProfileReference;
pub use sql::{profile_sql, Dialect};
pub(crate) use window::WindowProfile;

use crate::config::MonitorConfig;
use crate::drift::Confirmation;
use crate::monitoring::result::{MonitorStage, MonitoringResult, WindowError, WindowErrorKind};
use crate::monitoring::Metadata;

/// Why a profile window could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ProfileError {
    #[error("cannot read the profile: {0}")]
    Read(String),
    #[error("{0} has no _SUCCESS marker yet: the Spark job has not committed it")]
    Incomplete(String),
    #[error("malformed profile: {0}")]
    Format(String),
    #[error("the profile was made for another reference (its fingerprint {profile}, this reference {reference}): run `ml-monitor profile-sql` again with this reference and configuration")]
    ReferenceMismatch { profile: String, reference: String },
}

/// Evaluates profile windows against one reference, keeping each detector's confirmation
/// streak from window to window.
#[derive(Debug, Clone)]
pub struct ProfileEvaluator {
    reference: ProfileReference,
    config: MonitorConfig,
    confirmations: BTreeMap<String, Confirmation>,
}

impl ProfileEvaluator {
    pub fn new(reference: ProfileReference, config: MonitorConfig) -> Self {
        ProfileEvaluator {
            reference,
            config,
            confirmations: BTreeMap::new(),
        }
    }

    /// The result of the profile at `path` (before alerts: give it to
    /// `ModelMonitor::record`). An unusable profile gives an error result that says why.
    pub fn evaluate_path(
        &mut self,
        path: &Path,
        name: &str,
        metadata: Metadata,
    ) -> MonitoringResult {
        let rows = read_profile(path);
        self.evaluate_rows(rows, name, metadata)
    }

    /// [`ProfileEvaluator::evaluate_path`] on rows already read.
    pub(crate) fn evaluate_rows(
        &mut self,
        rows: Result<Vec<ProfileRow>, ProfileError>,
        name: &str,
        metadata: Metadata,
    ) -> MonitoringResult {
        let mut result = MonitoringResult::new(name);
        result.metadata = metadata;
        result.source = Some("profile".into());
        match rows.and_then(|rows| WindowProfile::from_rows(&self.reference, &rows)) {
            Ok(window) => evaluate::evaluate(
                &self.reference,
                &self.config,
                &window,
                &mut self.confirmations,
                &mut result,
            ),
            Err(e) => {
                result.error = Some(WindowError {
                    kind: WindowErrorKind::Monitor(MonitorStage::Profile),
                    message: e.to_string(),
                    file: name.to_string(),
                    line: None,
                    column: None,
                });
            }
        }
        result
    }
}
