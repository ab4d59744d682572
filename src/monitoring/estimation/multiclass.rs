//! Multiclass CBPE with the numbers of NannyML 0.13's
//! `CBPE(problem_type="classification_multiclass")`.
//!
//! The model gives one probability column per class (`[columns] class_probabilities`) and a
//! predicted label. Fitted once on the reference: per class, one-vs-rest, the calibration
//! decision of the binary case ([`super::calibration`]) and its isotonic map; the per-class
//! sampling-error components; the thresholds from the realised macro metrics of the reference
//! chunks (uncalibrated). Per window: each class column calibrated, each row divided by its sum
//! (uniform when the sum is 0), then accuracy = mean probability of the predicted class, macro
//! precision, recall and F1 from the expected one-vs-rest confusion counts, and the macro of the
//! one-vs-rest estimated ROC AUCs.
//!
//! Classes are kept sorted by name, as NannyML sorts the keys of `y_pred_proba`; callers turn a
//! label into its index with [`MulticlassEstimator::class_index`]. A separate estimator from the
//! binary [`super::CbpeEstimator`] so that the binary path stays exactly as it was.

use serde::{Deserialize, Serialize};

use super::multiclass_metrics::{
    combined_sigma, estimated_macro_roc_auc, f1_components, precision_components, realised_macro,
    realised_macro_roc_auc, recall_components, roc_auc_components, ExpectedCounts,
};
use super::result::{EstimatedMetric, EstimatedMetrics, EstimatedPerformance};
use super::sampling_error::SamplingError;
use super::{calibration, estimated_metric, sampling_error, thresholds};
use super::{EstimationError, CALIBRATION_SEED};
use crate::config::{CalibrationMode, EstimationConfig};
use crate::stats::isotonic::IsotonicRegression;

/// NannyML's adjustment of the multiclass ROC AUC sampling error (+20 %).
const ROC_AUC_SIGMA_FACTOR: f64 = 1.2;

/// A macro metric's per-class sampling-error components and thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroMetricFit {
    pub components: Vec<SamplingError>,
    pub factor: f64,
    pub lower_threshold: Option<f64>,
    pub upper_threshold: Option<f64>,
}

impl MacroMetricFit {
    /// σ for a window of `rows` rows.
    pub fn sigma(&self, rows: usize) -> f64 {
        combined_sigma(&self.components, rows, self.factor)
    }

    fn apply(&self, value: f64, rows: usize) -> Option<EstimatedMetric> {
        estimated_metric(
            value,
            self.sigma(rows),
            self.lower_threshold,
            self.upper_threshold,
        )
    }
}

/// The fitted multiclass estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MulticlassEstimator {
    /// Class names, sorted.
    pub classes: Vec<String>,
    /// Per class, the isotonic map when calibration was decided or forced.
    pub calibrators: Vec<Option<IsotonicRegression>>,
    /// Usable reference rows.
    pub reference_rows: usize,
    pub accuracy: MacroMetricFit,
    pub precision: MacroMetricFit,
    pub recall: MacroMetricFit,
    pub f1: MacroMetricFit,
    pub roc_auc: MacroMetricFit,
}

/// Rows whose probabilities are all present: their index.
fn complete_rows<'a>(probabilities: &'a [&'a [f64]]) -> impl Iterator<Item = usize> + 'a {
    let n = probabilities.iter().map(|p| p.len()).min().unwrap_or(0);
    (0..n).filter(move |&i| probabilities.iter().all(|p| !p[i].is_nan()))
}

impl MulticlassEstimator {
    /// The classes sorted and deduplicated, as the estimator keeps them.
    pub fn sorted_classes<S: AsRef<str>>(names: &[S]) -> Vec<String> {
        let mut classes: Vec<String> = names.iter().map(|s| s.as_ref().to_string()).collect();
        classes.sort();
        classes.dedup();
        classes
    }

    /// The index of a class label, if it is one of the classes.
    #[cfg(test)]
    pub(crate) fn class_index(&self, label: &str) -> Option<usize> {
        Self::index_in(&self.classes, label)
    }

    /// The index of `label` in sorted `classes`.
    pub(crate) fn index_in(classes: &[String], label: &str) -> Option<usize> {
        classes.binary_search_by(|c| c.as_str().cmp(label)).ok()
    }

    /// Fits on the reference. `classes` sorted (see [`Self::sorted_classes`]); `target` and
    /// `predicted` the class index of each row (`None`: missing or not a class);
    /// `probabilities[c]` the model's probability of class `c` per row. Rows with a missing
    /// target, predicted label or probability are left out. The calibration of each class is
    /// decided by `config.calibration`.
    pub fn fit(
        classes: Vec<String>,
        target: &[Option<usize>],
        predicted: &[Option<usize>],
        probabilities: &[&[f64]],
        config: &EstimationConfig,
    ) -> Result<Self, EstimationError> {
        Self::fit_with(classes, target, predicted, probabilities, config, None)
    }

    /// [`Self::fit`] with the calibration of each class given (NannyML's recorded decisions).
    pub fn fit_calibrated_as(
        classes: Vec<String>,
        target: &[Option<usize>],
        predicted: &[Option<usize>],
        probabilities: &[&[f64]],
        config: &EstimationConfig,
        calibrate: &[bool],
    ) -> Result<Self, EstimationError> {
        Self::fit_with(
            classes,
            target,
            predicted,
            probabilities,
            config,
            Some(calibrate),
        )
    }

    fn fit_with(
        classes: Vec<String>,
        target: &[Option<usize>],
        predicted: &[Option<usize>],
        probabilities: &[&[f64]],
        config: &EstimationConfig,
        decided: Option<&[bool]>,
    ) -> Result<Self, EstimationError> {
        let k = classes.len();
        if k < 3 || probabilities.len() != k {
            return Err(EstimationError::TooFewClasses(k));
        }
        if probabilities
            .iter()
            .any(|p| p.iter().any(|&v| !v.is_nan() && !(0.0..=1.0).contains(&v)))
        {
            return Err(EstimationError::NotProbabilities);
        }
        let (mut y, mut y_hat, mut rows) = (Vec::new(), Vec::new(), Vec::new());
        for i in complete_rows(probabilities) {
            let t = target.get(i).copied().flatten();
            let p = predicted.get(i).copied().flatten();
            if let (Some(t), Some(p)) = (t, p) {
                if t < k && p < k {
                    y.push(t);
                    y_hat.push(p);
                    rows.push(i);
                }
            }
        }
        let needed = config.reference_chunks.max(2);
        if y.len() < needed {
            return Err(EstimationError::TooFew {
                rows: y.len(),
                needed,
            });
        }
        let mut seen = vec![false; k];
        for &t in &y {
            seen[t] = true;
        }
        if let Some(c) = seen.iter().position(|s| !s) {
            return Err(EstimationError::MissingClass(classes[c].clone()));
        }
        let p: Vec<Vec<f64>> = probabilities
            .iter()
            .map(|col| rows.iter().map(|&i| col[i]).collect())
            .collect();
        let p_refs: Vec<&[f64]> = p.iter().map(Vec::as_slice).collect();

        // Thresholds from the realised metrics of the reference chunks (uncalibrated).
        let chunks = thresholds::chunk_ranges(y.len(), config.reference_chunks);
        let mut realised: [Vec<f64>; 5] = Default::default();
        for r in &chunks {
            let [acc, prec, rec, f1] = realised_macro(&y[r.clone()], &y_hat[r.clone()], k);
            let chunk_p: Vec<&[f64]> = p_refs.iter().map(|c| &c[r.clone()]).collect();
            let auc = realised_macro_roc_auc(&y[r.clone()], &chunk_p);
            for (values, v) in realised.iter_mut().zip([acc, prec, rec, f1, auc]) {
                values.push(v);
            }
        }
        let fit = |values: &[f64], components: Vec<SamplingError>, factor: f64| {
            let (lower_threshold, upper_threshold) = thresholds::std_thresholds(values);
            MacroMetricFit {
                components,
                factor,
                lower_threshold,
                upper_threshold,
            }
        };
        let hits: Vec<bool> = y.iter().zip(&y_hat).map(|(a, b)| a == b).collect();
        let accuracy = fit(
            &realised[0],
            vec![sampling_error::accuracy(&hits, &vec![true; hits.len()])],
            1.0,
        );
        let precision = fit(&realised[1], precision_components(&y, &y_hat, k), 1.0);
        let recall = fit(&realised[2], recall_components(&y, &y_hat, k), 1.0);
        let f1 = fit(&realised[3], f1_components(&y, &y_hat, k), 1.0);
        let roc_auc = fit(
            &realised[4],
            roc_auc_components(&y, &p_refs),
            ROC_AUC_SIGMA_FACTOR,
        );

        let calibrators = (0..k)
            .map(|c| {
                let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
                let calibrate = match (decided, config.calibration) {
                    (Some(d), _) => d.get(c).copied().unwrap_or(false),
                    (None, CalibrationMode::Never) => false,
                    (None, CalibrationMode::Always) => true,
                    (None, CalibrationMode::Auto) => {
                        calibration::needs_calibration(&positive, &p[c], CALIBRATION_SEED)
                    }
                };
                if !calibrate {
                    return None;
                }
                let targets: Vec<f64> = positive.iter().map(|&t| f64::from(u8::from(t))).collect();
                IsotonicRegression::fit(&p[c], &targets)
            })
            .collect();
        Ok(MulticlassEstimator {
            classes,
            calibrators,
            reference_rows: y.len(),
            accuracy,
            precision,
            recall,
            f1,
            roc_auc,
        })
    }

    /// Which classes are calibrated.
    pub fn calibrated(&self) -> Vec<bool> {
        self.calibrators.iter().map(Option::is_some).collect()
    }

    /// Estimates a window's metrics from its class probabilities and predicted labels (class
    /// indices, `None` when missing or not a class); `None` when no row has every probability.
    /// ROC AUC needs only the probabilities; the other metrics also the predicted label.
    pub fn estimate(
        &self,
        probabilities: &[&[f64]],
        predicted: &[Option<usize>],
    ) -> Option<EstimatedPerformance> {
        let k = self.classes.len();
        if probabilities.len() != k {
            return None;
        }
        let rows: Vec<usize> = complete_rows(probabilities).collect();
        if rows.is_empty() {
            return None;
        }
        let uncalibrated: Vec<Vec<f64>> = probabilities
            .iter()
            .map(|col| rows.iter().map(|&i| col[i]).collect())
            .collect();
        let mut calibrated: Vec<Vec<f64>> = uncalibrated
            .iter()
            .zip(&self.calibrators)
            .map(|(p, c)| match c {
                Some(c) => c.predict_all(p),
                None => p.clone(),
            })
            .collect();
        for r in 0..rows.len() {
            let sum: f64 = calibrated.iter().map(|q| q[r]).sum();
            for q in calibrated.iter_mut() {
                q[r] = if sum != 0.0 {
                    q[r] / sum
                } else {
                    1.0 / k as f64
                };
            }
        }
        let roc_auc = estimated_macro_roc_auc(&calibrated, &uncalibrated);

        let mut counts = vec![ExpectedCounts::default(); k];
        let (mut labelled, mut correct) = (0usize, 0.0);
        for (r, &i) in rows.iter().enumerate() {
            let Some(label) = predicted.get(i).copied().flatten().filter(|&l| l < k) else {
                continue;
            };
            labelled += 1;
            correct += calibrated[label][r];
            for (c, count) in counts.iter_mut().enumerate() {
                count.add(calibrated[c][r], c == label);
            }
        }
        let macro_of = |f: fn(&ExpectedCounts) -> f64| counts.iter().map(f).sum::<f64>() / k as f64;
        let by_label = |fit: &MacroMetricFit, value: f64| {
            (labelled > 0).then(|| fit.apply(value, labelled)).flatten()
        };
        Some(EstimatedPerformance {
            method: "cbpe".to_string(),
            calibrated: self.calibrators.iter().any(Option::is_some),
            metrics: EstimatedMetrics {
                accuracy: by_label(&self.accuracy, correct / labelled as f64),
                roc_auc: self.roc_auc.apply(roc_auc, rows.len()),
                f1: by_label(&self.f1, macro_of(ExpectedCounts::f1)),
                precision: by_label(&self.precision, macro_of(ExpectedCounts::precision)),
                recall: by_label(&self.recall, macro_of(ExpectedCounts::recall)),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Targets, predicted classes and class probabilities.
    type Rows = (Vec<Option<usize>>, Vec<Option<usize>>, Vec<Vec<f64>>);

    fn data(n: usize, seed: u64) -> Rows {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut y, mut y_hat, mut p) = (Vec::new(), Vec::new(), vec![Vec::new(); 3]);
        for _ in 0..n {
            let raw = [next() + 0.1, next() + 0.1, next() * 2.0];
            let sum: f64 = raw.iter().sum();
            let probs: Vec<f64> = raw.iter().map(|r| r / sum).collect();
            let u = next();
            let t = if u < probs[0] {
                0
            } else if u < probs[0] + probs[1] {
                1
            } else {
                2
            };
            let best = (0..3)
                .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
                .unwrap_or(0);
            y.push(Some(t));
            y_hat.push(Some(best));
            for c in 0..3 {
                p[c].push(probs[c]);
            }
        }
        (y, y_hat, p)
    }

    #[test]
    fn calibrated_probabilities_estimate_the_realised_accuracy() {
        let classes = MulticlassEstimator::sorted_classes(&["c", "a", "b"]);
        assert_eq!(classes, ["a", "b", "c"]);
        let (y, y_hat, p) = data(20_000, 7);
        let refs: Vec<&[f64]> = p.iter().map(Vec::as_slice).collect();
        let e = MulticlassEstimator::fit(classes, &y, &y_hat, &refs, &EstimationConfig::default())
            .expect("fits");
        assert_eq!(e.class_index("b"), Some(1));
        assert_eq!(e.class_index("z"), None);
        let (_, wy_hat, wp) = data(5_000, 99);
        let wrefs: Vec<&[f64]> = wp.iter().map(Vec::as_slice).collect();
        let got = e.estimate(&wrefs, &wy_hat).expect("estimate");
        let (wy, _, _) = data(5_000, 99);
        let realised = wy.iter().zip(&wy_hat).filter(|(a, b)| a == b).count() as f64 / 5000.0;
        let acc = got.metrics.accuracy.expect("accuracy");
        assert!((acc.value - realised).abs() < 4.0 * acc.sampling_error + 0.01);
        assert!(got.metrics.precision.is_some() && got.metrics.recall.is_some());
        // Missing probabilities leave the row out; no usable row gives nothing.
        let nan = [f64::NAN];
        assert!(e.estimate(&[&nan, &nan, &nan], &[Some(0)]).is_none());
    }

    #[test]
    fn rejects_what_nannyml_rejects() {
        let (y, y_hat, p) = data(200, 3);
        let refs: Vec<&[f64]> = p.iter().map(Vec::as_slice).collect();
        let config = EstimationConfig::default();
        let two = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            MulticlassEstimator::fit(two, &y, &y_hat, &refs[..2], &config),
            Err(EstimationError::TooFewClasses(2))
        );
        let no_c: Vec<Option<usize>> = y.iter().map(|t| t.filter(|&t| t != 2)).collect();
        let classes = MulticlassEstimator::sorted_classes(&["a", "b", "c"]);
        assert_eq!(
            MulticlassEstimator::fit(classes, &no_c, &y_hat, &refs, &config),
            Err(EstimationError::MissingClass("c".into()))
        );
    }
}
