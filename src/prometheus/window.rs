//! The last window's figures as a `prometheus-client` collector.
//!
//! A collector writes each series straight from the result: building a `Family` of gauges per
//! metric (a map entry, a lock and an allocation per series) cost seven times the encoding
//! itself at a thousand features. A figure that is null in the JSON output, or not finite, is
//! skipped, and a metric with no series left is not described at all.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;

use ml_monitor::MonitoringResult;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// Performance fields that are not a quality figure.
const NOT_PERFORMANCE: [&str; 1] = ["n_classes"];

/// A label value as the data has it, without control characters (the encoder escapes `\`
/// and `"`).
pub(crate) fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// One window's figures, ready to encode.
#[derive(Debug)]
pub(crate) struct WindowFigures {
    result: Arc<MonitoringResult>,
    /// Feature name -> label value, for the features given series.
    features: BTreeMap<String, String>,
}

impl WindowFigures {
    /// The figures of `result`, per-feature series for the first `max_features` features by
    /// name; also `(features, kept)` when that cut some.
    pub(crate) fn new(
        result: Arc<MonitoringResult>,
        max_features: usize,
    ) -> (Self, Option<(usize, usize)>) {
        let (features, total) = exported_features(&result, max_features);
        let cut = (total > max_features).then_some((total, max_features));
        (WindowFigures { result, features }, cut)
    }
}

/// The features given series: the first `max` names (over every detector and the quality
/// table); names that only differ by control characters keep the first, so no two series
/// collide.
fn exported_features(result: &MonitoringResult, max: usize) -> (BTreeMap<String, String>, usize) {
    let mut names: BTreeSet<&str> = result.data_quality.keys().map(String::as_str).collect();
    for d in result.drift.values() {
        names.extend(d.features.keys().map(String::as_str));
        if let Some(importances) = &d.feature_importances {
            names.extend(importances.keys().map(String::as_str));
        }
    }
    let total = names.len();
    let mut seen = HashSet::new();
    let kept = names
        .into_iter()
        .take(max)
        .filter_map(|n| {
            let label = clean(n);
            seen.insert(label.clone()).then(|| (n.to_string(), label))
        })
        .collect();
    (kept, total)
}

fn flag(value: bool) -> f64 {
    if value {
        1.0
    } else {
        0.0
    }
}

/// Series of one gauge metric, finite values only.
struct Series<S>(Vec<(S, f64)>);

impl<S: EncodeLabelSet> Series<S> {
    fn new() -> Self {
        Series(Vec::new())
    }

    fn push(&mut self, labels: S, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.0.push((labels, v));
        }
    }

    fn encode(&self, encoder: &mut DescriptorEncoder, name: &str, help: &str) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (labels, value) in &self.0 {
            ConstGauge::new(*value).encode(family.encode_family(labels)?)?;
        }
        Ok(())
    }
}

/// A gauge without labels, when the value is there.
fn scalar(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: Option<f64>,
) -> fmt::Result {
    match value.filter(|v| v.is_finite()) {
        Some(v) => {
            let metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            ConstGauge::new(v).encode(metric)
        }
        None => Ok(()),
    }
}

impl Collector for WindowFigures {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let r = &self.result;
        let e = &mut encoder;
        scalar(
            e,
            "last_window_timestamp_seconds",
            "Unix time of the window whose figures these are",
            Some(r.timestamp.timestamp_millis() as f64 / 1000.0),
        )?;
        scalar(
            e,
            "window_rows",
            "Rows in the last window",
            Some(r.rows as f64),
        )?;

        let detectors: Vec<(String, &ml_monitor::drift::DriftResult)> =
            r.drift.iter().map(|(k, d)| (clean(k), d)).collect();
        let mut detected = Series::new();
        let mut score = Series::new();
        let mut statistic = Series::new();
        let mut p_value = Series::new();
        let mut drifted = Series::new();
        let mut importance = Series::new();
        for (detector, d) in &detectors {
            let detector = detector.as_str();
            detected.push([("detector", detector)], Some(flag(d.drift_detected)));
            score.push([("detector", detector)], Some(d.drift_score));
            for (name, f) in &d.features {
                if let Some(label) = self.features.get(name) {
                    let labels = [("detector", detector), ("feature", label.as_str())];
                    statistic.push(labels, f.statistic);
                    p_value.push(labels, f.p_value);
                    drifted.push(labels, Some(flag(f.drifted)));
                }
            }
            for (name, v) in d.feature_importances.iter().flatten() {
                if let Some(label) = self.features.get(name) {
                    importance.push(
                        [("detector", detector), ("feature", label.as_str())],
                        Some(*v),
                    );
                }
            }
        }
        detected.encode(
            e,
            "drift_detected",
            "1 when the detector reports (confirmed) drift, else 0",
        )?;
        score.encode(
            e,
            "drift_score",
            "Share of drifted features (per-feature detectors) or the classifier's AUC",
        )?;
        statistic.encode(
            e,
            "feature_drift_statistic",
            "A feature's test statistic: KS D, PSI or chi-square",
        )?;
        p_value.encode(
            e,
            "feature_p_value",
            "A feature's raw p-value (KS, chi-square), before the multiple-testing correction",
        )?;
        drifted.encode(
            e,
            "feature_drifted",
            "1 when the feature drifts (after the correction), else 0",
        )?;
        importance.encode(
            e,
            "feature_importance",
            "The classifier's normalised importance of a feature",
        )?;

        let mut missing = Series::new();
        let mut out_of_range = Series::new();
        let mut unseen = Series::new();
        for (name, q) in &r.data_quality {
            if let Some(label) = self.features.get(name) {
                let labels = [("feature", label.as_str())];
                missing.push(labels, Some(q.missing_cur));
                out_of_range.push(labels, q.out_of_range);
                unseen.push(labels, q.unseen_category);
            }
        }
        missing.encode(
            e,
            "feature_missing_ratio",
            "Share of the window's rows where the feature is missing",
        )?;
        out_of_range.encode(
            e,
            "feature_out_of_range_ratio",
            "Numeric feature: share of values outside the reference's [min, max]",
        )?;
        unseen.encode(
            e,
            "feature_unseen_category_ratio",
            "Categorical feature: share of rows whose category the reference never saw",
        )?;

        let mut performance = Series::new();
        let fields = match r.performance.as_ref().map(serde_json::to_value) {
            Some(Ok(serde_json::Value::Object(fields))) => fields,
            _ => serde_json::Map::new(),
        };
        let metrics: Vec<(String, Option<f64>)> = fields
            .iter()
            .filter(|(k, _)| !NOT_PERFORMANCE.contains(&k.as_str()))
            .map(|(k, v)| (clean(k), v.as_f64()))
            .collect();
        for (metric, value) in &metrics {
            performance.push([("metric", metric.as_str())], *value);
        }
        performance.encode(
            e,
            "performance",
            "Model quality on the window's targets (accuracy, f1, roc_auc, r2, rmse, ...)",
        )?;

        scalar(
            e,
            "prediction_mean",
            "Mean of the window's predictions",
            r.predictions.as_ref().map(|p| p.mean),
        )?;
        scalar(
            e,
            "prediction_shift",
            "|mean(current predictions) - mean(reference predictions)|",
            r.prediction_shift,
        )
    }
}
