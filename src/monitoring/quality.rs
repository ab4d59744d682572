//! Data quality per feature: missing and invalid rates, unseen categories, out-of-range values.
//!
//! The reference's side is summarised once in a [`ReferenceProfile`] (serialisable, so it can
//! be saved with a model and used without the raw reference).

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::result::FeatureQuality;
use crate::data::{Column, ColumnData, DataWindow, MISSING_CODE};

/// The reference side of a feature's quality checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ProfileRange {
    Numeric { min: Option<f64>, max: Option<f64> },
    Categorical { categories: BTreeSet<String> },
}

/// One feature of the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileFeature {
    pub name: String,
    pub missing_rate: f64,
    pub invalid_rate: f64,
    pub range: ProfileRange,
}

/// What quality checks and the prediction shift need of the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ReferenceProfile {
    pub rows: usize,
    pub features: Vec<ProfileFeature>,
    /// Mean of the reference's predictions, when it has them.
    pub prediction_mean: Option<f64>,
}

impl ReferenceProfile {
    /// Profiles a reference window; `predictions` are its predictions when known.
    pub fn from_window(reference: &DataWindow, predictions: Option<&[f64]>) -> Self {
        let features = reference
            .features()
            .iter()
            .map(|c| ProfileFeature {
                name: c.name.clone(),
                missing_rate: c.missing_rate(),
                invalid_rate: c.invalid_rate(),
                range: match &c.data {
                    ColumnData::Numeric(v) => {
                        let finite = v.iter().copied().filter(|x| !x.is_nan());
                        let (min, max) =
                            finite.fold((None, None), |(lo, hi): (Option<f64>, Option<f64>), x| {
                                (
                                    Some(lo.map_or(x, |l| l.min(x))),
                                    Some(hi.map_or(x, |h| h.max(x))),
                                )
                            });
                        ProfileRange::Numeric { min, max }
                    }
                    ColumnData::Categorical { codes, dictionary } => {
                        let mut seen = vec![false; dictionary.len()];
                        for &code in codes.iter().filter(|&&c| c != MISSING_CODE) {
                            if let Some(s) = seen.get_mut(code as usize) {
                                *s = true;
                            }
                        }
                        ProfileRange::Categorical {
                            categories: dictionary
                                .iter()
                                .zip(seen)
                                .filter(|(_, s)| *s)
                                .map(|(d, _)| d.clone())
                                .collect(),
                        }
                    }
                },
            })
            .collect();
        let prediction_mean = predictions.and_then(mean);
        ReferenceProfile {
            rows: reference.rows(),
            features,
            prediction_mean,
        }
    }

    /// Quality of each profiled feature in a window (features absent from the window skipped).
    pub fn quality(&self, window: &DataWindow) -> BTreeMap<String, FeatureQuality> {
        self.features
            .par_iter()
            .filter_map(|f| {
                window
                    .feature(&f.name)
                    .map(|c| (f.name.clone(), feature_quality(f, c)))
            })
            .collect()
    }
}

fn feature_quality(profile: &ProfileFeature, column: &Column) -> FeatureQuality {
    let valid = column.valid_count();
    let share = |n: usize| {
        if valid == 0 {
            0.0
        } else {
            n as f64 / valid as f64
        }
    };
    let (unseen_category, out_of_range) = match (&profile.range, &column.data) {
        (ProfileRange::Numeric { min, max }, ColumnData::Numeric(values)) => {
            let outside = match (min, max) {
                (Some(lo), Some(hi)) => values
                    .iter()
                    .filter(|v| !v.is_nan() && (**v < *lo || **v > *hi))
                    .count(),
                _ => valid,
            };
            (None, Some(share(outside)))
        }
        (
            ProfileRange::Categorical { categories },
            ColumnData::Categorical { codes, dictionary },
        ) => {
            let known: Vec<bool> = dictionary.iter().map(|d| categories.contains(d)).collect();
            let unseen = codes
                .iter()
                .filter(|&&c| c != MISSING_CODE && !known.get(c as usize).copied().unwrap_or(true))
                .count();
            (Some(share(unseen)), None)
        }
        _ => (None, None),
    };
    FeatureQuality {
        missing_ref: profile.missing_rate,
        missing_cur: column.missing_rate(),
        invalid_ref: profile.invalid_rate,
        invalid_cur: column.invalid_rate(),
        unseen_category,
        out_of_range,
    }
}

/// Mean of the non-NaN values.
pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    let (sum, n) = values
        .iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_counts_unseen_out_of_range_and_missing() {
        let reference = DataWindow::new(
            "r",
            vec![
                Column::numeric("x", vec![0.0, 1.0, 2.0, f64::NAN]),
                Column::categorical("c", &[Some("a"), Some("b"), Some("a"), Some("b")]),
            ],
            None,
            None,
        )
        .expect("window");
        let current = DataWindow::new(
            "w",
            vec![
                Column::numeric("x", vec![-1.0, 1.0, 3.0, 2.0]),
                Column::categorical("c", &[Some("a"), Some("z"), None, Some("z")]),
            ],
            None,
            None,
        )
        .expect("window");
        let profile = ReferenceProfile::from_window(&reference, Some(&[0.2, 0.4]));
        assert_eq!(profile.prediction_mean, Some(0.30000000000000004));
        let q = profile.quality(&current);
        assert_eq!(q["x"].missing_ref, 0.25);
        assert_eq!(q["x"].missing_cur, 0.0);
        assert_eq!(q["x"].out_of_range, Some(0.5));
        assert_eq!(q["c"].missing_cur, 0.25);
        assert_eq!(q["c"].unseen_category, Some(2.0 / 3.0));
    }
}
