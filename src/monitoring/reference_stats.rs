//! The reference summarised: what PSI, chi-square, data quality and prediction shift need of it,
//! saved as JSON so a monitor can run without the raw reference file.
//!
//! It holds, per feature, the non-missing count, quantiles, the PSI bin edges and reference bin
//! counts (numeric) or the category counts (categorical), plus a [`ReferenceProfile`] (missing
//! rates, ranges, categories seen, prediction mean) — the same profile the monitor builds from a
//! raw reference, not a copy of its figures.
//!
//! The edges and counts are computed by the very functions the PSI detector's own `fit` uses, so a
//! detector fitted from these statistics gives bit-identical results to one fitted on the rows.
//! KS and the classifier detector compare whole samples and cannot work from a summary.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::StatisticalConfig;
use crate::data::{ColumnData, ColumnRoles, DataWindow, FeatureSpec, Schema};
pub(crate) use crate::drift::summary::{
    numeric_summary, CategoryCount, FeatureStats, FeatureSummary,
};
use crate::monitoring::estimation::CbpeEstimator;
use crate::monitoring::quality::ReferenceProfile;

/// The statistics file format this build writes and reads.
pub(crate) const REFERENCE_STATS_FORMAT_VERSION: u32 = 1;

/// The fitted reference summary `ml-monitor train` writes and `watch --reference-stats` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceStats {
    pub format_version: u32,
    /// Reference rows.
    pub rows: usize,
    /// The `psi_bins` the edges were computed with.
    pub psi_bins: usize,
    pub features: Vec<FeatureStats>,
    /// Missing rates, ranges, categories and prediction mean, for quality checks and shift.
    pub profile: ReferenceProfile,
    /// The fitted performance estimator (CBPE), when the reference allowed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimator: Option<CbpeEstimator>,
}

/// Why statistics could not be saved or loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("reference statistics {path}: {message}")]
pub struct ReferenceStatsError {
    pub path: String,
    pub message: String,
}

#[derive(Deserialize)]
struct VersionOnly {
    format_version: Option<u32>,
}

impl ReferenceStats {
    /// Summarises a reference window; `predictions` are its predictions when known (their mean
    /// is the prediction-shift baseline).
    pub fn from_window(
        reference: &DataWindow,
        config: &StatisticalConfig,
        predictions: Option<&[f64]>,
    ) -> Self {
        let features = reference
            .features()
            .iter()
            .map(|c| {
                let summary = match &c.data {
                    ColumnData::Numeric(values) => numeric_summary(values, config.psi_bins),
                    ColumnData::Categorical { dictionary, .. } => {
                        let counts = c.category_counts().unwrap_or_default();
                        FeatureSummary::Categorical {
                            categories: dictionary
                                .iter()
                                .zip(counts)
                                .map(|(d, count)| CategoryCount {
                                    category: d.clone(),
                                    count,
                                })
                                .collect(),
                        }
                    }
                };
                FeatureStats {
                    name: c.name.clone(),
                    count: c.valid_count(),
                    missing: c.missing,
                    invalid: c.invalid,
                    summary,
                }
            })
            .collect();
        ReferenceStats {
            format_version: REFERENCE_STATS_FORMAT_VERSION,
            rows: reference.rows(),
            psi_bins: config.psi_bins,
            features,
            profile: ReferenceProfile::from_window(reference, predictions),
            estimator: None,
        }
    }

    /// The schema to read windows against when there is no reference file: the features with
    /// their kinds, in reference order, and the role columns named by `roles`.
    pub fn schema(&self, roles: &ColumnRoles) -> Schema {
        Schema {
            features: self
                .features
                .iter()
                .map(|f| FeatureSpec {
                    name: f.name.clone(),
                    kind: f.kind(),
                })
                .collect(),
            prediction: roles.prediction.clone(),
            target: roles.target.clone(),
            has_prediction: self.profile.prediction_mean.is_some(),
            // Statistics do not record it; nothing reads it when parsing windows.
            has_target: false,
            predicted_label: roles.predicted_label.clone(),
            class_probabilities: roles.class_probabilities.clone(),
            // Not recorded either: a date or time can be a feature only when listed.
            temporal: roles.features.clone(),
            id: roles.id.clone(),
        }
    }

    /// The statistics of a feature.
    #[cfg(test)]
    pub(crate) fn feature(&self, name: &str) -> Option<&FeatureStats> {
        self.features.iter().find(|f| f.name == name)
    }

    /// Writes pretty JSON (through a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), ReferenceStatsError> {
        let error = |message: String| ReferenceStatsError {
            path: path.display().to_string(),
            message,
        };
        let text = serde_json::to_string_pretty(self).map_err(|e| error(e.to_string()))?;
        crate::model::write_atomically(path, text.as_bytes()).map_err(|e| error(e.to_string()))
    }

    /// Reads a file written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Self, ReferenceStatsError> {
        let error = |message: String| ReferenceStatsError {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
        Self::from_json(&text).map_err(error)
    }

    /// Parses and checks statistics JSON; the error says what is wrong.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let version: VersionOnly = serde_json::from_str(text)
            .map_err(|e| format!("not a reference statistics file: {e}"))?;
        match version.format_version {
            Some(REFERENCE_STATS_FORMAT_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "format_version {v} is not supported (this ml-monitor reads {REFERENCE_STATS_FORMAT_VERSION})"
                ))
            }
            None => return Err("not a reference statistics file: no format_version field".into()),
        }
        let stats: ReferenceStats =
            serde_json::from_str(text).map_err(|e| format!("invalid: {e}"))?;
        for f in &stats.features {
            if let FeatureSummary::Numeric {
                psi_edges,
                psi_counts,
                ..
            } = &f.summary
            {
                if psi_counts.len() != psi_edges.len() + 1 {
                    return Err(format!(
                        "feature \"{}\": {} PSI counts for {} edges (expected edges + 1)",
                        f.name,
                        psi_counts.len(),
                        psi_edges.len()
                    ));
                }
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, FeatureKind};
    use crate::drift::summary::Quantile;

    fn reference() -> DataWindow {
        DataWindow::new(
            "r",
            vec![
                Column::numeric("x", (0..101).map(f64::from).chain([f64::NAN]).collect()),
                Column::categorical(
                    "c",
                    &(0..102)
                        .map(|i| (i % 10 != 0).then_some(["a", "b"][i % 2]))
                        .collect::<Vec<_>>(),
                ),
                Column::numeric("empty", vec![f64::NAN; 102]),
            ],
            None,
            None,
        )
        .expect("window")
    }

    #[test]
    fn summarises_counts_quantiles_bins_and_categories() {
        let stats = ReferenceStats::from_window(
            &reference(),
            &StatisticalConfig::default(),
            Some(&[0.25, 0.75]),
        );
        assert_eq!(stats.rows, 102);
        let x = stats.feature("x").expect("x");
        assert_eq!((x.count, x.missing), (101, 1));
        let FeatureSummary::Numeric {
            quantiles,
            psi_edges,
            psi_counts,
            mean,
            ..
        } = &x.summary
        else {
            panic!("numeric")
        };
        assert_eq!(*mean, Some(50.0));
        assert_eq!(
            quantiles[5],
            Quantile {
                p: 0.5,
                value: 50.0
            }
        );
        assert_eq!(quantiles[1].value, 1.0);
        assert_eq!(psi_edges.len(), 9);
        assert_eq!(psi_counts.iter().sum::<u64>(), 101);
        let c = stats.feature("c").expect("c");
        assert_eq!(c.kind(), FeatureKind::Categorical);
        let FeatureSummary::Categorical { categories } = &c.summary else {
            panic!("categorical")
        };
        assert_eq!(categories.iter().map(|c| c.count).sum::<u64>(), 91);
        assert_eq!(stats.profile.prediction_mean, Some(0.5));
        assert_eq!(stats.feature("empty").map(|f| f.count), Some(0));
    }

    #[test]
    fn json_round_trip_is_exact_and_versions_are_checked() {
        let stats = ReferenceStats::from_window(&reference(), &StatisticalConfig::default(), None);
        let text = serde_json::to_string(&stats).expect("serialises");
        assert_eq!(ReferenceStats::from_json(&text), Ok(stats));
        let newer = text.replace("\"format_version\":1", "\"format_version\":2");
        let e = ReferenceStats::from_json(&newer).expect_err("newer");
        assert!(e.contains("format_version 2"), "{e}");
        let e = ReferenceStats::from_json("[]").expect_err("not stats");
        assert!(e.contains("not a reference statistics file"), "{e}");
    }
}
